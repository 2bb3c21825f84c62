"""The command line on multilabel data and models: rows of 0/1 labels (scikit-learn's multilabel indicator
rows) given as npy:/npz: arrays train a sigmoid-per-label network with binary cross-entropy, as
scikit-learn's ``MLPClassifier`` does (they trained a k-target regression); ``evaluate`` prints the loss and
subset accuracy without a confusion matrix (it stopped at the matrix); the pictures that draw one class per
sample refuse a multilabel model in one line (``plot --what confusion`` crashed in NumPy broadcasting)."""

import json

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.layers import Sigmoid

sk_metrics = pytest.importorskip("sklearn.metrics")


def multi_hot(n=240, seed=0):
    """Inputs ``(n, 5)`` and rows of 3 labels drawn from them: rows of no, one, two and three 1s."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    Y = (X[:, :3] + 0.3 * X[:, 3:4] > 0.2).astype(np.float32)
    return X, Y


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def arrays(tmp_path):
    X, Y = multi_hot()
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Y.npy", Y)
    np.save(tmp_path / "y.npy", Y.argmax(1))
    return f"npy:{tmp_path / 'X.npy'},{tmp_path / 'Y.npy'}", f"npy:{tmp_path / 'X.npy'},{tmp_path / 'y.npy'}"


@pytest.fixture
def tagger(tmp_path):
    """A multilabel model trained from Python, saved."""
    X, Y = multi_hot()
    net = nn.Network.from_sizes(5, 16, 3, output="sigmoid", seed=0)
    net.fit(X, Y, epochs=5, optimizer=nn.Adam(lr=1e-2))
    assert net.task == "multilabel"
    net.save(tmp_path / "tags.npz")
    return tmp_path / "tags.npz"


@pytest.mark.parametrize("what", ["confusion", "activations", "boundary"])
def test_pictures_of_one_class_per_sample_refuse_a_multilabel_model(tmp_path, capsys, arrays, tagger, what):
    suffix = ".gif" if what == "activations" else ".png"
    status, out, err = run(capsys, "plot", tagger, "--what", what, "--dataset", arrays[1],
                           "--out", tmp_path / f"p{suffix}")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "multilabel" in err and "one predicted class per sample" in err and "--what architecture" in err
    assert "broadcast" not in err and not (tmp_path / f"p{suffix}").exists()


def test_the_viz_functions_refuse_a_multilabel_network(tagger):
    pytest.importorskip("matplotlib")
    from nnscratch.viz import animate_activations, plot_decision_boundary
    net = nn.Network.load(tagger)
    X, Y = multi_hot(20)
    with pytest.raises(ValueError, match="multilabel"):
        animate_activations(net, X, None, y=Y.argmax(1))
    two = nn.Network.from_sizes(2, 8, 3, output="sigmoid", seed=0)
    two.fit(X[:, :2], Y, epochs=1)
    assert two.task == "multilabel"
    with pytest.raises(ValueError, match="one predicted class per sample"):
        plot_decision_boundary(two, X[:, :2], Y.argmax(1))


def test_evaluate_gives_the_loss_and_subset_accuracy_without_a_confusion_matrix(capsys, arrays, tagger):
    net = nn.Network.load(tagger)
    status, out, err = run(capsys, "evaluate", tagger, "--dataset", arrays[0], "--json")
    assert status == 0, err
    result = json.loads(out)
    assert result["task"] == "multilabel" and "confusion_matrix" not in result
    from nnscratch.datasets import load_dataset
    data = load_dataset(arrays[0])
    assert data.task == "multilabel" and data.y_test.shape == (result["samples"], 3)
    assert result["accuracy"] == pytest.approx(sk_metrics.accuracy_score(data.y_test, net.predict(data.X_test)))
    status, out, err = run(capsys, "evaluate", tagger, "--dataset", arrays[0])
    assert status == 0, err
    assert f"subset accuracy {result['accuracy']:.2%}" in out and f"loss {result['loss']:.4f}" in out
    assert "multilabel_confusion_matrix" in out and "confusion matrix (rows" not in out


def test_train_on_rows_of_labels_trains_a_multilabel_classifier(tmp_path, capsys, arrays):
    model = tmp_path / "m.npz"
    status, out, err = run(capsys, "train", "--dataset", arrays[0], "--epochs", 30, "--out", model, "--json")
    assert status == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["task"] == "multilabel" and result["loss_function"] == "binary_cross_entropy" and "r2" not in result
    net = nn.Network.load(model)
    assert net.task == "multilabel" and isinstance(net.layers[-1], Sigmoid)
    status, out, err = run(capsys, "evaluate", model, "--json")  # its own data: the same test split
    assert status == 0, err
    scored = json.loads(out)
    assert scored["accuracy"] == pytest.approx(result["test_accuracy"]) and scored["accuracy"] > 0.6
    status, out, err = run(capsys, "train", "--dataset", arrays[0], "--epochs", 2, "--no-save")
    assert status == 0 and "multilabel: test subset accuracy" in out and "chance" not in err, err
    X, _ = multi_hot(6)
    np.save(tmp_path / "rows.npy", X)
    status, out, err = run(capsys, "predict", model, tmp_path / "rows.npy", "--json")
    assert status == 0, err
    from nnscratch.saving.standardizer import standardize_for
    expected = net.predict(standardize_for(net, X))
    assert [json.loads(line)["labels"] for line in out.splitlines()] == np.asarray(expected).tolist()


def test_npz_rows_of_labels_and_task_regression(tmp_path, capsys):
    X, Y = multi_hot()
    np.savez(tmp_path / "d.npz", X=X, y=Y.astype(np.int64))
    status, out, err = run(capsys, "train", "--dataset", f"npz:{tmp_path / 'd.npz'}", "--epochs", 2, "--no-save",
                           "--json")
    assert status == 0 and json.loads(out)["task"] == "multilabel", err
    status, out, err = run(capsys, "train", "--dataset", f"npz:{tmp_path / 'd.npz'}", "--epochs", 2,
                           "--task", "regression", "--out", tmp_path / "r.npz", "--json")
    result = json.loads(out)
    assert status == 0 and result["task"] == "regression" and "r2" in result, err
    assert nn.Network.load(tmp_path / "r.npz").task == "regression"


@pytest.mark.parametrize("options", [("--loss", "mse"), ("--loss", "cross_entropy"), ("--layers", "dense8,relu,dense3")])
def test_what_cannot_learn_rows_of_labels_is_one_line(tmp_path, capsys, arrays, options):
    status, out, err = run(capsys, "train", "--dataset", arrays[0], "--epochs", 1, "--no-save", *options)
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "0/1 labels" in err and ("sigmoid" in err or "binary_cross_entropy" in err)


def test_a_tiny_digit_csv_says_its_default_test_split_holds_none(tmp_path, capsys):
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    rows = [f"{d}," + ",".join(str((i * d) % 256) for i in range(784)) for d in (3, 7, 1)]
    (tmp_path / "x.csv").write_text("\n".join([header, *rows]) + "\n")
    status, out, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 'x.csv'}", "--epochs", 1, "--no-save")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "--test-fraction 0.2 of the 3 rows of csv:" in err and "holds none out" in err
