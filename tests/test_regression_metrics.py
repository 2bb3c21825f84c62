"""A regression's R^2 and MAE in ``fit``'s logs and history and in ``evaluate``, as scikit-learn scores them
(``r2_score`` and ``mean_absolute_error``, "uniform_average" over target columns), met with the other
features: callbacks, several targets, constant targets, float32/float64, backends, streaming, resume,
the threaded CNN split, MPI data parallel and the command line's epoch line."""

import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, r2_score

import nnscratch as nn
from nnscratch import metrics
from nnscratch.cli.progress import epoch_line
from nnscratch.errors import ConfigError
from nnscratch.training.loop import format_logs

ROOT = Path(nn.__file__).resolve().parent.parent


def data(n=120, k=1, seed=0, offset=0.0, dtype=np.float32):
    """Three features (drawn from ``seed``) and ``k`` smooth targets of them around ``offset``."""
    X = np.random.default_rng(seed).normal(size=(n, 3))
    W = np.random.default_rng(100).normal(size=(3, k))
    y = offset + X @ W + 0.3 * np.sin(2 * X[:, :1])
    return X.astype(dtype), y.astype(dtype)


def regressor(k=1, backend="numpy", dtype="float32", seed=0):
    return nn.Network.from_sizes(3, 16, k, output=None, seed=seed, backend=backend, dtype=dtype)


def host(net, a):
    return np.asarray(net.backend.to_numpy(a), dtype=np.float64)


def scores(y, p):
    return r2_score(np.asarray(y, np.float64), p), mean_absolute_error(np.asarray(y, np.float64), p)


# ---------------------------------------------------------------- the metrics themselves

@pytest.mark.parametrize("case", ["plain", "columns", "offset", "constant_column", "constant_exact", "one_row"])
def test_r2_and_mae_are_scikit_learns(case):
    rng = np.random.default_rng(1)
    y = rng.normal(size=(50, 3)).astype(np.float32)
    p = (y + 0.5 * rng.normal(size=y.shape)).astype(np.float32)
    if case == "plain":
        y, p = y[:, 0], p[:, 0]
    elif case == "offset":  # float32 targets of 2000 +- 1: sums about 0 would lose the variance
        y, p = y + np.float32(2000), p + np.float32(2000)
    elif case == "constant_column":  # scikit-learn: a constant column predicted inexactly scores 0
        y[:, 1] = 0.1
    elif case == "constant_exact":  # ... and 1 when predicted exactly
        y[:, 1] = p[:, 1] = 0.1
    elif case == "one_row":
        y, p = y[:1], p[:1]
    if case == "one_row":  # scikit-learn: NaN, with an UndefinedMetricWarning in its words
        with pytest.warns(metrics.UndefinedMetricWarning, match="not well-defined with less than two samples"):
            assert np.isnan(metrics.r2(y, p))
        with pytest.warns(UserWarning, match="not well-defined with less than two samples"):
            assert np.isnan(r2_score(y.astype(np.float64), p.astype(np.float64)))
    else:
        expected_r2 = r2_score(y.astype(np.float64), p.astype(np.float64))
        assert metrics.r2(y, p) == pytest.approx(expected_r2, rel=1e-5, abs=1e-6)
    assert metrics.mae(y, p) == pytest.approx(mean_absolute_error(y.astype(np.float64), p), rel=1e-6)


def test_a_constant_target_scores_as_scikit_learn_not_nan():
    y = np.full((40, 1), 3.7, dtype=np.float32)
    assert metrics.r2(y, y) == r2_score(y, y) == 1.0
    assert metrics.r2(y, y + np.float32(0.5)) == r2_score(y, y + 0.5) == 0.0


# ---------------------------------------------------------------- fit and evaluate

def test_fit_logs_r2_and_mae_as_it_logs_accuracy():
    """Training figures come from each batch's outputs (as accuracy does): with lr 1e-30 those are the
    model's predictions, so they are scikit-learn's scores of ``predict``; validation figures are those
    of the weights at the end of the epoch."""
    X, y = data()
    X_val, y_val = data(40, seed=1)
    net = regressor()
    history = net.fit(X, y, epochs=2, batch_size=16, optimizer=nn.SGD(lr=1e-30), validation_data=(X_val, y_val))
    assert list(history.history) == ["loss", "r2", "mae", "val_loss", "val_r2", "val_mae", "seconds"]
    r2, mae = scores(y, host(net, net.predict(X)))
    assert history["r2"] == pytest.approx([r2] * 2, rel=1e-5) and history["mae"] == pytest.approx([mae] * 2, rel=1e-5)
    trained = net.fit(X, y, epochs=3, batch_size=16, optimizer=nn.Adam(lr=0.01), validation_data=(X_val, y_val))
    val_r2, val_mae = scores(y_val, host(net, net.predict(X_val)))
    assert trained["val_r2"][-1] == pytest.approx(val_r2, rel=1e-5)
    assert trained["val_mae"][-1] == pytest.approx(val_mae, rel=1e-5)
    assert len(set(trained["val_r2"])) == 3  # the weights moved


def test_full_batch_training_figures_are_those_of_the_weights_the_step_started_from():
    X, y = data()
    net = regressor()
    before = host(net, net.predict(X))
    history = net.fit(X, y, epochs=1, batch_size=None, shuffle=False, optimizer=nn.SGD(lr=0.1))
    r2, mae = scores(y, before)
    assert history["r2"][0] == pytest.approx(r2, rel=1e-5) and history["mae"][0] == pytest.approx(mae, rel=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_evaluate_returns_scikit_learns_r2_mae_and_rmse_for_several_targets(dtype):
    X, y = data(k=3, offset=50.0, dtype=np.dtype(dtype))
    net = regressor(k=3, dtype=dtype)
    net.fit(X, y, epochs=3, batch_size=32, optimizer=nn.Adam(lr=0.05))
    got, p = net.evaluate(X, y, batch_size=50), host(net, net.predict(X))  # three pieces of rows
    rel = 1e-5 if dtype == "float32" else 1e-12
    assert set(got) == {"loss", "r2", "mae", "rmse"}
    assert got["r2"] == pytest.approx(r2_score(y, p), rel=rel)  # the mean of the three columns' R^2
    assert got["mae"] == pytest.approx(mean_absolute_error(y, p), rel=rel)
    assert got["rmse"] == pytest.approx(math.sqrt(np.mean((y - p) ** 2)), rel=rel)


def test_a_constant_target_column_gives_scikit_learns_r2_and_trains_on():
    X, y = data(k=2)
    y[:, 1] = 0.25
    net = regressor(k=2)
    history = net.fit(X, y, epochs=2, batch_size=32, validation_data=(X[:30], y[:30]))  # no DivergenceError
    assert all(math.isfinite(v) for v in history["val_r2"])
    assert history["val_r2"][-1] == pytest.approx(r2_score(y[:30], host(net, net.predict(X[:30]))), rel=1e-5)


# ---------------------------------------------------------------- callbacks and the printed lines

def test_early_stopping_on_val_r2_and_val_mae_goes_the_right_way():
    X, y = data(200)
    X_val, y_val = data(60, seed=1)
    for monitor, best in (("val_r2", np.argmax), ("val_mae", np.argmin)):
        stop = nn.EarlyStopping(monitor=monitor, patience=2)
        history = regressor().fit(X, y, epochs=8, batch_size=32, optimizer=nn.Adam(lr=0.01),
                                  validation_data=(X_val, y_val), callbacks=[stop])
        assert stop.best_epoch == int(best(history[monitor])), (monitor, history[monitor])
        assert stop.best_epoch == 7  # improving all along: a wrong direction stops after epoch 2


def test_a_monitor_the_run_does_not_report_names_those_it_does():
    X, y = data()
    with pytest.raises(ConfigError) as caught:
        regressor().fit(X, y, epochs=2, validation_data=(X[:20], y[:20]),
                        callbacks=[nn.EarlyStopping(monitor="val_accuracy")])
    message = str(caught.value)
    assert "\n" not in message and "'val_accuracy'" in message
    assert "['loss', 'mae', 'r2', 'val_loss', 'val_mae', 'val_r2']" in message


def test_the_epoch_lines_show_r2_where_a_classification_shows_accuracy(capsys):
    logs = {"loss": 0.5, "r2": 0.91234, "mae": 0.3, "val_loss": 0.6, "val_r2": 0.8, "val_mae": 0.4, "seconds": 1.0}
    assert epoch_line(2, 10, logs) == ("epoch  3/10  loss 0.5000  R^2 0.9123  MAE 0.3000  val_loss 0.6000  "
                                      "val_R^2 0.8000  val_MAE 0.4000  1.0 s")
    assert "accuracy 96.50%" in epoch_line(0, 1, {"loss": 0.1, "accuracy": 0.965})
    assert "  r2 0.9123  mae 0.3000  " in format_logs(2, 10, logs)
    X, y = data()
    regressor().fit(X, y, epochs=1, verbose=True)
    assert " r2 " in capsys.readouterr().out


def test_the_command_line_prints_r2_per_epoch(tmp_path, capsys):
    from nnscratch import cli
    X, y = data(150, dtype=np.float64)
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,c,y\n" + "".join(",".join(repr(float(v)) for v in (*r, t)) + "\n" for r, t in zip(X, y[:, 0])))
    assert cli.main(["train", "--dataset", f"csv:{csv}", "--layers", "3,8,1", "--epochs", "2", "--no-save"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch ")]
    assert len(lines) == 2 and all(" R^2 " in line and " val_R^2 " in line for line in lines), lines


# ---------------------------------------------------------------- where features meet

def test_streamed_and_resident_fits_log_the_same_figures():
    X, y = data(k=2)
    val = data(30, k=2, seed=1)
    runs = [regressor(k=2).fit(X, y, epochs=2, batch_size=16, validation_data=val, stream=s) for s in (False, True)]
    for key in ("r2", "mae", "val_r2", "val_mae"):
        np.testing.assert_allclose(runs[1][key], runs[0][key], rtol=1e-6, err_msg=key)


def test_a_resumed_run_continues_the_history(tmp_path):
    X, y = data()
    val = data(30, seed=1)
    whole = regressor().fit(X, y, epochs=4, batch_size=16, validation_data=val)
    ckpt = tmp_path / "run.ckpt"
    regressor().fit(X, y, epochs=2, batch_size=16, validation_data=val, checkpoint=ckpt)
    resumed = regressor().fit(X, y, epochs=4, batch_size=16, validation_data=val, resume=ckpt)
    back = nn.History.from_json(resumed.to_json())
    for key in ("r2", "mae", "val_r2", "val_mae"):
        assert len(back[key]) == 4
        np.testing.assert_allclose(back[key], whole[key], rtol=1e-5, err_msg=key)


@pytest.mark.parametrize("spec", ["torch:cpu", "array_api_strict", "array_api_strict:device1"])
def test_other_backends_log_what_numpy_logs(spec):
    try:
        nn.get_backend(spec)
    except nn.errors.BackendUnavailableError as exc:
        pytest.skip(str(exc))
    X, y = data(k=2)
    val = data(30, k=2, seed=1)
    runs = [regressor(k=2, backend=b).fit(X, y, epochs=2, batch_size=16, validation_data=val)
            for b in ("numpy", spec)]
    for key in ("loss", "r2", "mae", "val_r2", "val_mae"):
        np.testing.assert_allclose(runs[1][key], runs[0][key], rtol=1e-4, err_msg=key)


def test_device1_reads_the_figures_once_per_epoch_whatever_the_batches(monkeypatch):
    """On array-api-strict's device1 (a GPU's stand-in) every read goes through the backend's
    ``to_numpy`` or an array's ``__float__``/...: their number per fit does not grow with the batches."""
    pytest.importorskip("array_api_strict")
    backend = nn.get_backend("array_api_strict:device1")
    calls = Counter()
    array_type = type(backend.xp.zeros(1, device=backend.device))
    for name in ("__float__", "__bool__", "__int__", "__index__", "__array__", "to_device"):
        def counted(self, *args, _name=name, _original=getattr(array_type, name), **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(array_type, name, counted)
    original = type(backend).to_numpy
    monkeypatch.setattr(type(backend), "to_numpy", lambda self, a: (calls.update(["to_numpy"]), original(self, a))[1])
    X, y = data(96, k=2)
    per_fit = {}
    for batch_size in (96, 32, 4):
        net = regressor(k=2, backend=backend)
        calls.clear()
        net.fit(X, y, epochs=2, batch_size=batch_size, validation_data=(X[:20], y[:20]))
        per_fit[batch_size] = dict(calls)
    assert per_fit[96] == per_fit[32] == per_fit[4], per_fit


@pytest.fixture
def two_threads(monkeypatch):
    """Two BLAS threads (OPENBLAS_NUM_THREADS=2 in effect), shards of one row upwards."""
    from nnscratch.backend import threads
    from nnscratch.training import threaded
    if threads.blas_info() is None:
        pytest.skip("needs a BLAS threadpoolctl can limit")
    before = threads.blas_threads()
    monkeypatch.setattr(threaded, "MIN_ROWS", 1)
    threads.set_threads(2)
    yield threaded
    threads.set_threads(before)


def test_a_cnn_regression_split_over_threads_logs_the_one_thread_figures(two_threads, monkeypatch):
    def run():
        net = nn.Network([nn.Reshape((1, 4, 4)), nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Flatten(), nn.Dense(8, 2)], seed=0, dtype="float64")
        rng = np.random.default_rng(0)
        X = rng.normal(size=(40, 16))
        y = np.stack([X[:, :8].sum(axis=1), X[:, 8:].mean(axis=1)], axis=1)
        return net, net.fit(X, y, epochs=2, batch_size=10, loss="mse", validation_data=(X[:10], y[:10]))

    split_net, split = run()
    assert type(two_threads.make_step(split_net)).__name__ == "ThreadedStep"
    monkeypatch.setattr(two_threads, "thread_count", lambda net, comm=None: 1)
    _, alone = run()
    for key in ("r2", "mae", "val_r2", "val_mae"):
        np.testing.assert_allclose(split[key], alone[key], rtol=1e-9, err_msg=key)


MPI_SCRIPT = """
import sys
import numpy as np
import nnscratch as nn
from nnscratch import distributed

rng = np.random.default_rng(0)
X = rng.normal(size=(101, 3)).astype(np.float32)
y = np.stack([X @ [1.0, -2.0, 0.5], np.full(101, 0.25)], axis=1).astype(np.float32) + [[2000.0, 0.0]]
y = y.astype(np.float32)
comm = distributed.from_environment()
net = nn.Network.from_sizes(3, 16, 2, output=None, seed=0)
history = net.fit(X, y, epochs=3, batch_size=10, optimizer=nn.Adam(lr=0.05), validation_data=(X[:23], y[:23]),
                  comm=comm, stream=sys.argv[2] == "stream")
if comm is None or comm.rank == 0:
    np.savez(sys.argv[1], **{k: np.asarray(v) for k, v in history.history.items() if k != "seconds"})
"""


@pytest.mark.parametrize("n, stream", [(2, "resident"), (3, "stream")])
def test_ranks_together_log_the_one_process_figures(tmp_path, n, stream):
    """Each rank scores its shard; the R^2 of the whole epoch comes from every rank's sums (not a mean of
    per-rank R^2s). Targets of 2000 +- 2 and a constant column: float32 sums about 0 could not give it."""
    mpiexec = Path(sys.executable).parent / "mpiexec"
    pytest.importorskip("mpi4py")
    if not os.access(mpiexec, os.X_OK):
        pytest.skip("needs mpiexec")
    script = tmp_path / "fit.py"
    script.write_text(MPI_SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "MPI_", "PMIX_"))}
    env.update(PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", MPIR_CVAR_ENABLE_HEAVY_YIELD="1")
    for args in ([sys.executable, script, tmp_path / "one.npz", stream],
                 [mpiexec, "-n", str(n), sys.executable, script, tmp_path / "many.npz", stream]):
        done = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    one, many = np.load(tmp_path / "one.npz"), np.load(tmp_path / "many.npz")
    assert sorted(one.files) == ["loss", "mae", "r2", "val_loss", "val_mae", "val_r2"]
    for key in one.files:
        np.testing.assert_allclose(many[key], one[key], rtol=1e-5, err_msg=key)


def test_a_figure_new_to_a_resumed_history_lines_up_with_its_epochs(tmp_path, monkeypatch):
    """A checkpoint written before fit logged r2 and mae holds a history without them: resumed, their lists
    start with NaN for the epochs before, so every list has one entry per epoch."""
    from nnscratch.saving import checkpoint
    X, y = data()
    ckpt = tmp_path / "old.ckpt"
    regressor().fit(X, y, epochs=2, batch_size=16, checkpoint=ckpt)
    header, arrays = checkpoint.load(ckpt)
    for key in ("r2", "mae"):
        del header["history"]["history"][key]
    monkeypatch.setattr(checkpoint, "load", lambda path: (header, arrays))  # the older file, as read
    history = regressor().fit(X, y, epochs=4, batch_size=16, resume=ckpt)
    assert history.epoch == [0, 1, 2, 3] and all(len(v) == 4 for v in history.history.values())
    assert np.isnan(history["r2"][:2]).all() and np.isfinite(history["r2"][2:]).all()
