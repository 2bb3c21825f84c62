"""Session 15's fit fixes in the Python API: ``batch_size=None`` taken as the default by evaluate and
predict (Keras reads None so); the epoch line printed after the callbacks, with what they add to logs;
R^2 of a single sample NaN with scikit-learn's warning, never a divergence; a "multilabel" network kept so
when a fit's 0/1 rows happen to be one-hot, while a fresh network's one-hot rows stay classes."""

import json
import warnings

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import metrics
from nnscratch.errors import ConfigError, DivergenceError
from nnscratch.training.epochs import EpochLogger, format_logs


def blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, np.argmax(X[:, :3], axis=1)


def values(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)


# ---------------------------------------------------------------- batch_size=None

def test_evaluate_and_predict_take_batch_size_none_as_the_default(backend):
    X, y = blobs()
    net = nn.Network.from_sizes(4, 8, 3, seed=0, backend=backend)
    net.fit(X, y, epochs=2, batch_size=16)
    w = np.linspace(0.5, 2.0, len(y))
    assert net.evaluate(X, y, batch_size=None) == net.evaluate(X, y)
    assert net.evaluate(X, y, batch_size=None, sample_weight=w) == net.evaluate(X, y, sample_weight=w)
    small = net.evaluate(X, y, batch_size=7)  # pieces of rows: the same figures
    assert small["accuracy"] == net.evaluate(X, y)["accuracy"]
    assert small["loss"] == pytest.approx(net.evaluate(X, y)["loss"], rel=1e-5)
    to_numpy = net.backend.to_numpy
    np.testing.assert_array_equal(to_numpy(net.predict(X, batch_size=None)), to_numpy(net.predict(X)))
    np.testing.assert_allclose(to_numpy(net.predict_proba(X, batch_size=7)), to_numpy(net.predict_proba(X)),
                               rtol=1e-5, atol=1e-6)
    for bad in (0, -1, 2.5, "32"):
        for call in (lambda: net.evaluate(X, y, batch_size=bad), lambda: net.predict(X, batch_size=bad),
                     lambda: net.predict_proba(X, batch_size=bad)):
            with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
                call()


def test_a_regression_evaluated_in_pieces_scores_as_whole(tmp_path):
    """batch_size splits the pass, not the scores: R^2, MAE and RMSE of a saved and loaded model alike."""
    X, y = values()
    net = nn.Network.from_sizes(3, 8, 1, output="identity", seed=0)
    net.fit(X, y, epochs=3, loss="mse")
    net.save(tmp_path / "r.npz")
    loaded = nn.Network.load(tmp_path / "r.npz")
    whole, pieces = net.evaluate(X, y, batch_size=None), loaded.evaluate(X, y, batch_size=9)
    assert whole.keys() == pieces.keys() == {"loss", "r2", "mae", "rmse"}
    for k in whole:
        assert pieces[k] == pytest.approx(whole[k], rel=1e-5)


# ---------------------------------------------------------------- the epoch line after the callbacks

class LogsRate(nn.Callback):
    """Adds the learning rate, a string and a device scalar to the epoch's logs."""

    def on_epoch_end(self, epoch, logs, network):
        logs["lr"] = network.optimizer.current_lr
        logs["note"] = "seen"
        logs["twice_loss"] = network.xp.asarray(2 * logs["loss"])


def test_the_verbose_line_shows_what_callbacks_add_to_logs(capsys, backend):
    X, y = blobs()
    net = nn.Network.from_sizes(4, 8, 3, seed=0, backend=backend)
    history = net.fit(X, y, epochs=2, batch_size=16, verbose=1, callbacks=[LogsRate()], optimizer=nn.SGD(lr=0.05))
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[:2] for line in lines] == [["epoch", "1/2"], ["epoch", "2/2"]]
    for line, loss in zip(lines, history.history["loss"]):
        assert "lr 0.0500" in line and "note seen" in line and f"twice_loss {2 * loss:.4f}" in line
        assert line.index("accuracy") < line.index("lr") and line.endswith(" s")
    assert history.history["twice_loss"] == pytest.approx([2 * v for v in history.history["loss"]])


def test_a_callbacks_message_comes_before_its_epochs_line(capsys):
    """ReduceLROnPlateau(verbose=True) names the epoch it reduced after, and the epoch's line then shows the
    new rate a later callback logs; EarlyStopping's last epoch still prints its line, once."""
    X, y = blobs()
    net = nn.Network.from_sizes(4, 8, 3, seed=0)
    plateau = nn.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_delta=10.0, verbose=True)
    stop = nn.EarlyStopping(monitor="loss", patience=3, min_delta=10.0)
    net.fit(X, y, epochs=6, batch_size=16, verbose=True, optimizer=nn.SGD(lr=0.1),
            callbacks=[plateau, LogsRate(), stop])
    lines = capsys.readouterr().out.strip().splitlines()
    assert stop.stopped_epoch == 3
    assert [line.split(":")[0] if ":" in line else line.split()[1] for line in lines] == \
        ["1/6", "epoch 2", "2/6", "epoch 3", "3/6", "epoch 4", "4/6"]
    assert "learning rate 0.1 -> 0.05" in lines[1] and "lr 0.0500" in lines[2]
    assert "learning rate 0.05 -> 0.025" in lines[3] and "lr 0.0250" in lines[4]


def test_the_epoch_logger_runs_last_wherever_it_is_listed(capsys):
    """nnscratch train lists its progress callback first; fit calls an EpochLogger after the others and the
    History, so its line shows their figures; the line of a subclass is its own."""
    from nnscratch.cli.progress import progress

    X, y = blobs()
    bar = progress(4, 2, show=True)
    assert isinstance(bar, EpochLogger)
    seen = []

    class Mine(EpochLogger):
        def line(self, epoch, logs):
            seen.append(dict(logs))
            return f"mine {epoch}"

    history = nn.Network.from_sizes(4, 8, 3, seed=0).fit(X, y, epochs=2, batch_size=16, callbacks=[
        bar, Mine(), LogsRate()], validation_data=(X[:10], y[:10]))
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1] == "mine 0" and lines[3] == "mine 1"
    for line in lines[0], lines[2]:
        assert line.startswith("epoch") and "lr 0.0010" in line and "note seen" in line and "val_accuracy" in line
    assert all("lr" in logs for logs in seen) and len(history.epoch) == 2


def test_a_diverged_epoch_still_prints_its_line_before_the_error(capsys):
    X, y = values()
    net = nn.Network.from_sizes(3, 16, 1, output="identity", seed=0)
    with pytest.raises(DivergenceError) as caught:
        net.fit(X * 1e3, y * 1e3, epochs=5, loss="mse", optimizer=nn.SGD(lr=10.0), verbose=True,
                callbacks=[LogsRate()])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(caught.value.history.epoch)  # the diverged epoch's line too, without the callback's
    assert ("nan" in lines[-1] or "inf" in lines[-1]) and "note seen" not in lines[-1]
    assert all("note seen" in line for line in lines[:-1])


def test_the_verbose_line_of_a_resumed_run_counts_on(tmp_path, capsys):
    X, y = blobs()
    ckpt = tmp_path / "run.ckpt"
    nn.Network.from_sizes(4, 8, 3, seed=0).fit(X, y, epochs=2, batch_size=16, checkpoint=ckpt)
    capsys.readouterr()
    nn.Network.from_sizes(4, 8, 3, seed=0).fit(X, y, epochs=4, batch_size=16, checkpoint=ckpt, resume=True,
                                              verbose=True, callbacks=[LogsRate()])
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["3/4", "4/4"] and all("note seen" in line for line in lines)


def test_format_logs_shows_any_figure():
    line = format_logs(0, 10, {"loss": 0.5, "flag": True, "none": None, "n": 3, "seconds": 1.234})
    assert line == "epoch  1/10  loss 0.5000  flag True  none None  n 3.0000  1.23 s"


# ---------------------------------------------------------------- R^2 of a single sample

def test_r2_of_one_sample_is_nan_with_scikit_learns_warning():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    with pytest.warns(metrics.UndefinedMetricWarning, match=r"R\^2 score is not well-defined with less than two"):
        assert np.isnan(metrics.r2([3.0], [2.5]))
    with pytest.warns(UserWarning, match="not well-defined"):
        assert np.isnan(sklearn_metrics.r2_score([3.0], [2.5]))
    with pytest.warns(metrics.UndefinedMetricWarning):
        scores = metrics.regression_scores(np.array([[1.0, 2.0]]), np.array([[1.5, 2.0]]))
    assert np.isnan(scores["r2"]) and scores["mae"] == pytest.approx(0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.r2([1.0, 2.0], [1.0, 2.0]) == 1.0  # two samples: defined, no warning


def test_a_single_validation_row_is_no_divergence(backend):
    """val_r2 of one row is NaN (undefined), not 0.0, and fit goes on: the guard watches the loss."""
    X, y = values()
    net = nn.Network.from_sizes(3, 8, 1, output="identity", seed=0, backend=backend)
    with pytest.warns(metrics.UndefinedMetricWarning):
        history = net.fit(X[1:], y[1:], epochs=3, loss="mse", validation_data=(X[:1], y[:1]),
                          callbacks=[nn.EarlyStopping(monitor="val_loss", patience=5)])
    assert len(history.epoch) == 3 and all(np.isnan(history.history["val_r2"]))
    assert all(np.isfinite(history.history["val_loss"])) and all(np.isfinite(history.history["r2"]))
    with pytest.warns(metrics.UndefinedMetricWarning) as said:
        scores = net.evaluate(X[:1], y[:1])
    assert len(said) == 1 and np.isnan(scores["r2"]) and np.isfinite(scores["rmse"])
    with pytest.warns(metrics.UndefinedMetricWarning):
        assert np.isnan(net.evaluate(X[:1], y[:1].astype(np.float64), batch_size=None)["r2"])


def test_training_on_one_row_reports_undefined_r2_and_finishes():
    X, y = values()
    net = nn.Network.from_sizes(3, 8, 1, output="identity", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one row: the small-data warnings too
        history = net.fit(X[:1], y[:1], epochs=2, loss="mse", batch_size=1)
    assert len(history.epoch) == 2 and all(np.isnan(history.history["r2"]))
    assert json.loads(history.to_json())["epoch"] == [0, 1]


# ---------------------------------------------------------------- multilabel kept on one-hot rows

def test_one_hot_rows_are_classes_for_a_fresh_network_and_labels_for_a_multilabel_one(tmp_path):
    X, labels = blobs()
    one_hot = np.eye(3)[labels]
    fresh = nn.Network.from_sizes(4, 8, 3, output="sigmoid", seed=0)
    fresh.fit(X, one_hot, epochs=1, loss="binary_cross_entropy")
    assert fresh.task == "multiclass" and fresh.predict(X).shape == (len(X),)  # Keras' categorical rows
    tagged = nn.Network.from_sizes(4, 8, 3, output="sigmoid", seed=0)
    tagged.task = "multilabel"
    history = tagged.fit(X, one_hot, epochs=2, loss="binary_cross_entropy")
    assert tagged.task == "multilabel" and tagged.predict(X).shape == (len(X), 3)
    hits = (tagged.predict(X) == one_hot).all(axis=1).mean()
    assert tagged.evaluate(X, one_hot)["accuracy"] == pytest.approx(hits)  # the subset accuracy
    assert history.history["accuracy"][-1] <= 1.0
    tagged.save(tmp_path / "m.npz")
    loaded = nn.Network.load(tmp_path / "m.npz")
    loaded.fit(X, one_hot, epochs=1)  # a later fit on one-hot rows: still labels
    assert loaded.task == "multilabel"
    multi = one_hot.copy()
    multi[:5, 0] = 1
    multi_net = nn.Network.from_sizes(4, 8, 3, output="sigmoid", seed=0)
    multi_net.fit(X, multi, epochs=1, loss="binary_cross_entropy")
    assert multi_net.task == "multilabel"
    multi_net.fit(X, one_hot, epochs=1)  # its next rows happen to hold one label each: still multilabel
    assert multi_net.task == "multilabel"
    labelled = nn.Network.from_sizes(4, 8, 3, output="sigmoid", seed=0)
    labelled.task = "multilabel"
    labelled.fit(X, labels, epochs=1, loss="binary_cross_entropy")  # integer labels: classes, as before
    assert labelled.task == "multiclass"


def test_a_softmax_network_is_never_kept_multilabel():
    X, labels = blobs()
    net = nn.Network.from_sizes(4, 8, 3, seed=0)
    net.task = "multilabel"
    net.fit(X, np.eye(3)[labels], epochs=1)
    assert net.task == "multiclass"
