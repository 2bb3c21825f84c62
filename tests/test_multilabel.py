"""The "multilabel" task: sigmoid units (or logits) trained with binary cross-entropy on 0/1 rows that may
hold no, one or several 1s. It was "multiclass": ``predict`` gave one argmax label per row and the accuracy
of ``fit``/``evaluate``/``History`` compared argmax with argmax. Now ``predict`` gives indicator rows, as
scikit-learn's ``MLPClassifier`` does, and the accuracy is scikit-learn's ``accuracy_score`` of them (the
subset accuracy), on every backend, under MPI, through save/load, resume, ONNX and the command line."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli, metrics
from nnscratch.errors import ConfigError, ShapeError
from nnscratch.layers import Identity, Sigmoid
from nnscratch.losses import BinaryCrossEntropy, MeanSquaredError
from nnscratch.models.task import check_task, derive_task

sk_metrics = pytest.importorskip("sklearn.metrics")


def multi_hot(n=240, seed=0):
    """Inputs ``(n, 5)`` and rows of 3 labels drawn from them: rows of no, one, two and three 1s."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    Y = (X[:, :3] + 0.3 * X[:, 3:4] > 0.2).astype(np.float32)
    assert {0, 1, 2, 3} <= set(Y.sum(axis=1).astype(int))
    return X, Y


def host(net, a):
    return np.asarray(net.backend.to_numpy(a))


def tagger(output="sigmoid", **options):
    return nn.Network.from_sizes(5, 16, 3, output=output, seed=0, **options)


def test_the_task_follows_the_rows_of_binary_cross_entropy_targets():
    bce, mse = BinaryCrossEntropy(), MeanSquaredError()
    assert derive_task(Sigmoid(), 3, bce, rows="multi-hot") == "multilabel"
    assert derive_task(Identity(), 3, bce, rows="multi-hot") == "multilabel"       # logits
    assert derive_task(Sigmoid(), 3, bce, rows="one-hot") == "multiclass"          # one label per row: as before
    assert derive_task(Sigmoid(), 3, bce, labels_given=True) == "multiclass"
    assert derive_task(Sigmoid(), 1, bce, rows="multi-hot") == "binary"
    assert derive_task(Sigmoid(), 3, mse, rows="multi-hot") == "regression"        # binarised pixels: values
    X, Y = multi_hot()
    for y, task in ((Y, "multilabel"), (Y.astype(np.int64), "multilabel"), (Y.astype(bool), "multilabel"),
                    (np.eye(3, dtype=np.float32)[Y.argmax(1)], "multiclass"), (Y.argmax(1), "multiclass")):
        net = tagger()
        net.fit(X, y, epochs=1)
        assert net.task == task


def test_the_task_can_be_set_on_several_outputs_only():
    net = tagger()
    net.task = "multilabel"
    assert net.task == "multilabel" and check_task("multilabel", 3) == "multilabel"
    with pytest.raises(ConfigError, match=r"'multilabel' needs several output units.* 1; set task='binary'"):
        nn.Network.from_sizes(5, 4, 1, seed=0).task = "multilabel"
    with pytest.raises(ConfigError, match="'multilabel'"):
        net.task = "multi-label"


def test_predict_gives_indicator_rows_thresholded_as_scikit_learn_does(backend):
    X, Y = multi_hot()
    for output, link in (("sigmoid", 0.5), (None, 0.0)):  # probabilities split at 0.5, logits at 0
        net = tagger(output, backend=backend)
        net.fit(X, Y, epochs=5, batch_size=32, loss="bce", optimizer=nn.Adam(lr=1e-2))
        assert net.task == "multilabel"
        predicted, outputs = host(net, net.predict(X)), host(net, net.forward(X))
        assert predicted.shape == (len(X), 3) and predicted.dtype.kind == "i"
        np.testing.assert_array_equal(predicted, (outputs > link).astype(int))
        np.testing.assert_array_equal(predicted, (host(net, net.predict_proba(X)) > 0.5).astype(int))
        assert len({tuple(r) for r in predicted.tolist()}) > 2  # several label sets, not one label per row


def test_accuracy_is_the_subset_accuracy_of_scikit_learn(backend):
    X, Y = multi_hot()
    net = tagger(backend=backend)
    history = net.fit(X[:160], Y[:160], epochs=4, batch_size=32, optimizer=nn.Adam(lr=1e-2),
                      validation_data=(X[160:], Y[160:]))
    predicted = host(net, net.predict(X[160:]))
    expected = sk_metrics.accuracy_score(Y[160:], predicted)
    assert expected != sk_metrics.accuracy_score(Y[160:].argmax(1), predicted.argmax(1))  # not argmax any more
    assert history.history["val_accuracy"][-1] == pytest.approx(expected)
    assert net.evaluate(X[160:], Y[160:])["accuracy"] == pytest.approx(expected)
    assert metrics.accuracy(Y[160:], predicted) == pytest.approx(expected)
    assert metrics.accuracy(net.backend.asarray(Y[160:]), net.predict(X[160:])) == pytest.approx(expected)


def test_streamed_batches_and_one_label_per_row_are_scored_as_label_sets():
    """Data streamed from host memory take their indicator rows per batch; integer labels given to a
    multilabel network are rows of one label each, scored against its indicator rows."""
    X, Y = multi_hot()
    net = tagger()
    history = net.fit(X[:160], Y[:160], epochs=2, batch_size=32, validation_data=(X[160:], Y[160:]), stream=True)
    expected = sk_metrics.accuracy_score(Y[160:], net.predict(X[160:]))
    assert history.history["val_accuracy"][-1] == pytest.approx(expected)
    labels = Y.argmax(1)
    assert net.evaluate(X, labels)["accuracy"] == pytest.approx(
        sk_metrics.accuracy_score(np.eye(3)[labels], net.predict(X)))


def test_early_stopping_follows_the_subset_accuracy():
    X, Y = multi_hot()
    stop = nn.EarlyStopping(monitor="val_accuracy", patience=2, restore_best=True)
    history = tagger().fit(X, Y, epochs=30, batch_size=32, validation_split=0.25, callbacks=[stop],
                           optimizer=nn.Adam(lr=1e-2))
    assert stop.best == max(history.history["val_accuracy"])


def test_metrics_accuracy_of_indicator_rows_and_its_refusals():
    a = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 0], [0, 1, 0]])
    b = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    assert metrics.accuracy(a.astype(np.float32), b) == sk_metrics.accuracy_score(a, b) == 0.5
    with pytest.raises(ShapeError, match=r"multilabel rows: 0/1 indicator rows \(n, k\).*p > 0.5"):
        metrics.accuracy(a, b * 0.9)  # probabilities are no labels


def test_a_saved_loaded_and_configured_model_keeps_the_task(tmp_path):
    X, Y = multi_hot()
    net = tagger()
    net.fit(X, Y, epochs=2)
    net.save(tmp_path / "tags.npz")
    for again in (nn.Network.load(tmp_path / "tags.npz"), nn.Network.from_config(net.get_config())):
        assert again.task == "multilabel"
    np.testing.assert_array_equal(nn.Network.load(tmp_path / "tags.npz").predict(X), net.predict(X))
    older = {k: v for k, v in net.get_config().items() if k != "task"}  # written before the task was kept
    old = nn.Network.from_config(older)
    assert old.task == "multiclass"  # derived from the output layer alone, as before; set it to say otherwise
    old.task = "multilabel"
    assert old.predict(X).shape == (len(X), 3)


def test_a_resumed_fit_keeps_scoring_label_sets(tmp_path):
    X, Y = multi_hot()
    whole = tagger().fit(X, Y, epochs=4, batch_size=32, validation_split=0.25)
    tagger().fit(X, Y, epochs=2, batch_size=32, validation_split=0.25, checkpoint=tmp_path / "run.ckpt")
    net = tagger()
    resumed = net.fit(X, Y, epochs=4, batch_size=32, validation_split=0.25, checkpoint=tmp_path / "run.ckpt",
                      resume=True)
    assert net.task == "multilabel"
    np.testing.assert_allclose(resumed.history["val_accuracy"], whole.history["val_accuracy"])


def test_onnx_probabilities_threshold_to_predict(tmp_path):
    pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    X, Y = multi_hot()
    for output in ("sigmoid", None):
        net = tagger(output)
        net.fit(X, Y, epochs=3, loss="bce")
        model = net.export_onnx()
        assert {p.key: p.value for p in model.metadata_props}["nnscratch_task"] == "multilabel"
        p = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
            None, {"input": X})[0]
        np.testing.assert_array_equal((p > 0.5).astype(int), net.predict(X))


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_command_line_predicts_label_sets_and_refuses_a_confusion_matrix(tmp_path, capsys):
    X, Y = multi_hot()
    net = tagger()
    net.fit(X, Y, epochs=5, optimizer=nn.Adam(lr=1e-2))
    net.save(tmp_path / "tags.npz")
    np.save(tmp_path / "rows.npy", X[:6])
    status, out, _ = run(capsys, "predict", tmp_path / "tags.npz", tmp_path / "rows.npy", "--json")
    assert status == 0
    rows = [json.loads(line) for line in out.splitlines()]
    expected, p = net.predict(X[:6]), net.predict_proba(X[:6])
    assert [r["labels"] for r in rows] == expected.tolist()
    assert [r["classes"] for r in rows] == [np.flatnonzero(e).tolist() for e in expected]
    np.testing.assert_allclose([r["probability"] for r in rows], p, rtol=1e-6)
    status, out, _ = run(capsys, "predict", tmp_path / "tags.npz", tmp_path / "rows.npy")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 6
    for line, e in zip(lines, expected):
        shown = line.split(": ", 1)[1]
        assert shown == "(no label)" if not e.any() else shown.startswith(", ".join(map(str, np.flatnonzero(e))))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", Y.argmax(1))  # one label per row: evaluate scores it, with no confusion matrix
    status, out, err = run(capsys, "evaluate", tmp_path / "tags.npz", "--dataset",
                           f"npy:{tmp_path / 'X.npy'},{tmp_path / 'y.npy'}")
    assert status == 0 and "subset accuracy" in out and "multilabel_confusion_matrix" in out + err


MPIEXEC = next((str(p) for p in (Path(sys.executable).parent / "mpiexec", shutil.which("mpiexec") or "")
                if str(p) and os.access(p, os.X_OK)), None)
SCRIPT = """
import json, sys
import numpy as np
import nnscratch as nn
from nnscratch import distributed
from test_multilabel import multi_hot
X, Y = multi_hot()
comm = distributed.from_environment()
net = nn.Network.from_sizes(5, 16, 3, output="sigmoid", seed=0)
history = net.fit(X[:160], Y[:160], epochs=3, batch_size=32, validation_data=(X[160:], Y[160:]), comm=comm)
figures = {"val": history.history["val_accuracy"], "train": history.history["accuracy"],
           "evaluate": net.evaluate(X[160:], Y[160:])["accuracy"]}
everyone = [figures] if comm is None else comm.allgather(figures)
if comm is None or comm.rank == 0:
    print(json.dumps(everyone))
"""


@pytest.mark.skipif(not (importlib.util.find_spec("mpi4py") and MPIEXEC), reason="needs mpi4py and mpiexec")
def test_two_ranks_score_the_subset_accuracy_one_process_does(tmp_path):
    script = tmp_path / "ranks.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "MPI_", "PMIX_"))}
    env.update(PYTHONPATH=os.pathsep.join([str(Path(nn.__file__).resolve().parent.parent), str(Path(__file__).parent)]),
               OPENBLAS_NUM_THREADS="1", MPIR_CVAR_ENABLE_HEAVY_YIELD="1")

    def figures(*launcher):
        done = subprocess.run([*launcher, sys.executable, str(script)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    one, = figures()
    ranks = figures(MPIEXEC, "-n", "2")
    assert len(ranks) == 2 and one["val"][-1] == pytest.approx(one["evaluate"])
    for rank in ranks:  # each rank's sums of whole-row hits, added: the one-process figures
        np.testing.assert_allclose(rank["val"], one["val"], atol=1e-6)
        np.testing.assert_allclose(rank["train"], one["train"], atol=1e-6)


def test_multilabel_set_on_a_softmax_output_splits_its_probabilities_at_one_half():
    """net.task = "multilabel" on a Softmax output split its probabilities at 0, so predict gave all 1s."""
    net = nn.Network.from_sizes(3, 4, 3, seed=0)
    net.task = "multilabel"
    X = np.random.default_rng(0).normal(size=(20, 3))
    np.testing.assert_array_equal(net.predict(X), (net.predict_proba(X) > 0.5).astype(int))
