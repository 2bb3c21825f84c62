"""What a saved model is for, and whether the data it is given answer it.

1. A sigmoid network trained with squared error on rows of values (an autoencoder, 784-32-784) was called
   "multiclass": ``predict`` gave an argmax "class" of 784 pixels, ``evaluate`` a 784-column confusion matrix
   or an IndexError traceback. It is a regression: its outputs are reconstructions.
2. ``evaluate`` scored any model on any data with as many features: a binary model on 4-class data, a
   regression model on class labels (a traceback), a classifier on value targets. Each is refused in one line.
3. ``predict --json`` gives ``"name"`` in one type per model: a number for MNIST's digits, text for
   Fashion-MNIST's names, even for a class beyond the names it remembers.
4. A network of convolutions to the end (open image size, no Flatten) could not ``predict``: its task
   needed an output count. Its outputs are printed as values; ``evaluate`` says why it cannot score it.
"""

import json

import numpy as np
import pytest

from nnscratch import Conv2D, Network, ReLU
from nnscratch.models.task import derive_task
from nnscratch.layers import Identity, Sigmoid
from nnscratch.losses import BinaryCrossEntropy, MeanSquaredError, SumSquaredError
from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-line errors)


def autoencoder(tmp_path, n=64):
    """A 784-32-784 sigmoid autoencoder trained one epoch with mse on random 'images', saved; and those images."""
    X = np.random.default_rng(0).random((n, 784)).astype(np.float32)
    net = Network.from_sizes(784, 32, 784, hidden="relu", output="sigmoid", seed=0, backend="numpy")
    net.fit(X, X, epochs=1, loss="mse", batch_size=32)
    return net, X, net.save(tmp_path / "ae.npz")


# 1. the task of a sigmoid output trained with squared error
def test_derive_task_of_a_sigmoid_output_follows_its_loss_and_targets():
    assert derive_task(Sigmoid(), 784, MeanSquaredError()) == "regression"          # reconstructions
    assert derive_task(Sigmoid(), 8, SumSquaredError()) == "regression"             # seed 002's autoencoder
    assert derive_task(Sigmoid(), 10, MeanSquaredError(), labels_given=True) == "multiclass"
    assert derive_task(Sigmoid(), 1, SumSquaredError()) == "binary"                 # seed 002's deep net, 0/1
    assert derive_task(Sigmoid(), 3, BinaryCrossEntropy()) == "multiclass"          # one-vs-rest
    assert derive_task(Identity(), 3, MeanSquaredError()) == "regression"


def test_an_autoencoder_predicts_and_evaluates_values(tmp_path):
    net, X, path = autoencoder(tmp_path)
    assert net.task == "regression"
    assert net.predict(X[:3]).shape == (3, 784)
    assert set(net.evaluate(X, X)) == {"loss", "r2", "mae", "rmse"}
    assert Network.load(path).task == "regression"


def test_an_autoencoder_on_the_command_line(tmp_path, capsys):
    _, X, path = autoencoder(tmp_path)
    np.save(tmp_path / "x.npy", X[:2])
    status, out, err = run(capsys, "predict", path, tmp_path / "x.npy", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and [np.shape(r["value"]) for r in rows] == [(784,), (784,)] and "class" not in rows[0], err
    np.savez(tmp_path / "pairs.npz", X=X, y=X)
    status, out, err = run(capsys, "evaluate", path, "--dataset", f"npz:{tmp_path / 'pairs.npz'}", "--json")
    assert status == 0 and "r2" in json.loads(out) and "confusion_matrix" not in json.loads(out), err
    # it remembers no data: evaluate's default, mnist-sample, holds class labels (was: an IndexError traceback)
    one_line(*run(capsys, "evaluate", path)[::2], "ae.npz is a regression model (784 outputs: values, not classes)",
             "mnist-sample holds class labels (10 classes)", "Y of shape (n, 784)")
    # plot draws pictures of its inputs on the digits: their labels are not its targets
    status, out, err = run(capsys, "plot", path, "--what", "all", "--out", tmp_path / "pictures")
    assert status == 0 and "architecture.png" in out and "error" not in err, err


# 2. a model on data whose targets it does not answer
def three_class_data(tmp_path, k=3, regression=False):
    """npz:PATH of 2 features and labels 0..k-1 (or one column of values)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 2)).astype(np.float32)
    y = X[:, 0] * 2.0 if regression else np.arange(90) % k
    path = tmp_path / f"d{k}{'r' if regression else ''}.npz"
    np.savez(path, X=X, y=y)
    return f"npz:{path}"


def saved(tmp_path, name, *sizes, **options):
    return Network.from_sizes(*sizes, seed=0, backend="numpy", **options).save(tmp_path / name)


def test_a_binary_model_on_three_classes_is_refused(tmp_path, capsys):
    binary = saved(tmp_path, "binary.npz", 2, 4, 1)
    one_line(*run(capsys, "evaluate", binary, "--dataset", three_class_data(tmp_path))[::2],
             "binary.npz is a binary classifier (one output: class 0 or 1) but d3.npz has 3 classes",
             "evaluate it on two-class data, or train one with 3 outputs")


def test_a_model_of_more_classes_scores_data_of_fewer(tmp_path, capsys):
    """A 4-class model on 2-class data: its labels 0 and 1 are two of its classes (Keras and scikit-learn
    score it); a 2-class model on 3-class data lacks class 2, and is refused."""
    status, out, err = run(capsys, "evaluate", saved(tmp_path, "four.npz", 2, 4, 4), "--dataset",
                           three_class_data(tmp_path, k=2), "--json")
    scores = json.loads(out)
    assert status == 0 and 0 <= scores["accuracy"] <= 1 and np.shape(scores["confusion_matrix"]) == (4, 4), err
    one_line(*run(capsys, "evaluate", saved(tmp_path, "two.npz", 2, 4, 2), "--dataset",
                  three_class_data(tmp_path))[::2], "two.npz has 2 outputs but d3.npz has 3 classes")


def test_regression_and_classification_do_not_score_each_other(tmp_path, capsys):
    values = saved(tmp_path, "values.npz", 2, 4, 1, output="identity")
    one_line(*run(capsys, "evaluate", values, "--dataset", three_class_data(tmp_path))[::2],
             "values.npz is a regression model (1 output: values, not classes) but d3.npz holds class labels",
             "--task regression")
    one_line(*run(capsys, "evaluate", saved(tmp_path, "classes.npz", 2, 4, 3), "--dataset",
                  three_class_data(tmp_path, regression=True))[::2],
             "classes.npz is a multiclass classifier (3 outputs) but d3r.npz's targets are values",
             "evaluate it on class labels")
    status, out, err = run(capsys, "evaluate", values, "--dataset", three_class_data(tmp_path, regression=True))
    assert status == 0 and "R^2" in out, err


# 3. the names --json gives
def test_predict_json_names_are_of_one_type_per_model(tmp_path, capsys):
    net = Network.from_sizes(784, 8, 10, seed=0, backend="numpy")
    net.metadata["dataset"] = {"name": "mnist-sample", "class_names": [str(i) for i in range(10)]}
    path = net.save(tmp_path / "digits.npz")
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((6, 784)).astype(np.float32))
    for classes, kind in ((), int), (("--classes", "mnist"), int), (("--classes", "fashion-mnist"), str):
        status, out, err = run(capsys, "predict", path, tmp_path / "x.npy", "--json", *classes)
        assert status == 0 and all(type(json.loads(r)["name"]) is kind for r in out.splitlines()), (classes, out)
    net.metadata["dataset"]["class_names"] = ["cat", "dog"]  # fewer names than classes: the rest stay text
    path = net.save(tmp_path / "pets.npz")
    status, out, err = run(capsys, "predict", path, tmp_path / "x.npy", "--json")
    rows = [json.loads(r) for r in out.splitlines()]
    assert status == 0 and all(type(r["name"]) is str for r in rows), out
    assert all(r["name"] == ["cat", "dog"][r["class"]] if r["class"] < 2 else r["name"] == str(r["class"])
               for r in rows)


# 4. convolutions to the end: an image out per image in
@pytest.mark.parametrize("end", [(), (Sigmoid(),)], ids=["identity", "sigmoid"])
def test_a_network_of_open_output_size_predicts_its_values(tmp_path, capsys, end):
    net = Network([Conv2D(1, 4, 3, padding=1), ReLU(), Conv2D(4, 1, 3, padding=1), *end], seed=3, backend="numpy")
    path = net.save(tmp_path / "fcn.npz")
    images = np.random.default_rng(0).random((20, 1, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", images)
    status, out, err = run(capsys, "predict", path, tmp_path / "x.npy", "--json")
    assert status == 0, err
    values = np.array([json.loads(line)["value"] for line in out.splitlines()])
    np.testing.assert_allclose(values, net.forward(images).reshape(20, -1), rtol=1e-5, atol=1e-6)
    one_line(*run(capsys, "evaluate", path, "--dataset", f"npy:{tmp_path / 'x.npy'},{tmp_path / 'x.npy'}")[::2],
             "fcn.npz ends in outputs of shape (1, ?, ?)", "`nnscratch predict` gives its outputs")


def test_an_open_size_cnn_on_images_its_layers_do_not_take_is_refused_in_the_command_lines_words(tmp_path, capsys):
    """It said 'Dense(392, 10) expects 392 features per sample but receives 8; use Dense(8, 10)', a change to a
    saved model's layers, of 4x4 images fed to a CNN whose Dense takes what 28x28 images give."""
    from nnscratch import Dense, Flatten, MaxPool2D, Softmax
    net = Network([Conv2D(1, 2, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(), Dense(2 * 14 * 14, 10), Softmax()],
                  seed=0, backend="numpy")
    path = net.save(tmp_path / "cnn.npz")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "small.npz", X=rng.random((50, 16)).astype(np.float32), y=np.arange(50) % 10)
    one_line(*run(capsys, "evaluate", path, "--dataset", f"npz:{tmp_path / 'small.npz'}")[::2],
             "cnn.npz expects images of shape (1, ?, ?) of a size its layers take, e.g. (1, 28, 28) but small.npz "
             "has 16 features")


def test_sigmoids_trained_with_squared_error_on_one_hot_rows_stay_a_classifier():
    """Nielsen's 784-30-10 sigmoid network with the quadratic cost learns one-hot rows: a classifier
    (accuracy logged, classes predicted); the same outputs on rows of other values are a regression."""
    rng = np.random.default_rng(0)
    X = rng.random((120, 6))
    labels = (X[:, 0] > 0.5).astype(int) + (X[:, 1] > 0.5)
    net = Network.from_sizes(6, 8, 3, output="sigmoid", seed=0)
    history = net.fit(X, np.eye(3)[labels], epochs=2, loss="mse", batch_size=30, verbose=0)
    assert net.task == "multiclass" and "accuracy" in history.history
    assert net.predict(X[:4]).shape == (4,)
    soft = np.eye(3)[labels] * 0.9 + 0.05  # smoothed rows: values, not one 1 and zeros
    other = Network.from_sizes(6, 8, 3, output="sigmoid", seed=0)
    other.fit(X, soft, epochs=1, loss="mse", verbose=0)
    assert other.task == "regression" and other.predict(X[:4]).shape == (4, 3)


def test_a_network_of_open_output_size_predicts_in_python():
    """Convolutions to the end: the output size follows the image's, and predict gives the values."""
    net = Network([Conv2D(1, 2, 3, padding=1), ReLU(), Conv2D(2, 1, 3, padding=1)], seed=0)
    images = np.random.default_rng(1).random((3, 1, 6, 5))
    assert net.task == "regression"
    out = net.predict(images)
    assert out.shape == (3, 1, 6, 5) and np.allclose(out, net.forward(images))
