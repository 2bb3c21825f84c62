"""Arrays of images to classify are learnt as images (an npz of (n, 28, 28) trained a CNN as a table: each pixel
standardised on its own, the model a "table model" that `predict` refused a PNG for); a regression's
``evaluate`` scores its rows in one pass (it ran the network over them twice); a feature column that numbers
the rows (an ID) is said before it is learnt (only pandas' unnamed index column was)."""

import csv
import json
import pathlib
import warnings

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.datasets import load_table
from nnscratch.datasets.arrays import from_arrays
from nnscratch.errors import DataWarning


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def digits(n=120):
    """``n`` MNIST sample digits as uint8 images (n, 28, 28) and their labels."""
    from nnscratch.datasets.mnist_sample import load_mnist_sample
    data = load_mnist_sample()
    images = np.round(np.asarray(data.X_train[:n]) * 255).astype(np.uint8).reshape(n, 28, 28)
    return images, np.asarray(data.y_train[:n])


def test_images_to_classify_are_not_standardised_and_grey_levels_are_scaled():
    images, labels = digits()
    data = from_arrays("digits", images, labels)
    assert data.image_shape == (1, 28, 28) and not data.standardize
    X = np.concatenate([data.X_train, data.X_test])
    assert X.min() == 0 and X.max() == 1 and "grey levels 0..255 divided by 255" in " ".join(data.notes)
    floats = from_arrays("digits", images[:, None] / 255.0, labels)  # (n, 1, 28, 28) floats: as they are
    assert floats.image_shape == (1, 28, 28) and not floats.standardize
    assert np.concatenate([floats.X_train, floats.X_test]).max() == 1.0  # not standardised
    values = from_arrays("shift", images[:, None] / 255.0, np.roll(images, 1, axis=2)[:, None] / 255.0)
    assert values.task == "regression" and values.standardize  # a regression's features: as every table's
    table = from_arrays("rows", images.reshape(len(images), -1)[:, :30].astype(np.float64), labels)
    assert table.image_shape is None and table.standardize


def test_a_cnn_trained_on_an_npz_of_images_is_an_image_model(tmp_path, capsys):
    from PIL import Image
    images, labels = digits()
    np.savez(tmp_path / "digits.npz", X=images, y=labels)
    model = tmp_path / "cnn.npz"
    status, out, err = run(capsys, "train", "--dataset", f"npz:{tmp_path / 'digits.npz'}", "--model", "cnn",
                           "--epochs", "1", "--out", model)
    assert status == 0, err
    assert "features standardised" not in out and "grey levels 0..255 divided by 255" in out
    net = nn.Network.load(model)
    assert "standardize" not in net.metadata and "features" not in net.metadata
    assert net.metadata["dataset"]["task"] == "classification"
    Image.fromarray(images[0]).save(tmp_path / "digit.png")
    status, out, err = run(capsys, "predict", model, tmp_path / "digit.png", "--json")
    assert status == 0, err
    expected = net.backend.to_numpy(net.predict(images[:1].reshape(1, -1) / np.float32(255.0)))
    assert json.loads(out.splitlines()[0])["class"] == int(expected[0])
    status, out, err = run(capsys, "evaluate", model, "--json")
    assert status == 0 and json.loads(out)["samples"] == 24, err


def test_evaluate_of_a_regression_runs_the_network_once_over_its_rows(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, 2.0, 3.0] + 5
    path = tmp_path / "reg.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([["a", "b", "c", "price"], *np.column_stack([X, y]).tolist()])
    model = tmp_path / "reg.npz"
    assert run(capsys, "train", "--dataset", path, "--epochs", "5", "--out", model)[0] == 0
    from nnscratch.layers import Dense
    calls = []
    forward = Dense.forward

    def counted(self, *args, **kwargs):
        calls.append(args[0].shape[0])
        return forward(self, *args, **kwargs)
    Dense.forward = counted
    try:
        status, out, err = run(capsys, "evaluate", model, "--json")
    finally:
        Dense.forward = forward
    assert status == 0, err
    scores = json.loads(out)
    assert {"loss", "rmse", "mae", "r2"} <= set(scores) and scores["samples"] == 40
    assert sum(calls) == 3 * 40  # each of the three Dense layers saw the 40 test rows once
    net = nn.Network.load(model)
    from nnscratch.saving.standardizer import standardize_for
    data = load_table(path)
    out = net.backend.to_numpy(net.forward(standardize_for(net, data.X_test))).astype(np.float64)[:, 0]
    truth = np.asarray(data.y_test, dtype=np.float64)
    assert scores["rmse"] == pytest.approx(np.sqrt(np.mean((out - truth) ** 2)), rel=1e-4)
    assert scores["r2"] == pytest.approx(1 - np.sum((out - truth) ** 2) / np.sum((truth - truth.mean()) ** 2),
                                         rel=1e-4, abs=1e-6)


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


@pytest.mark.parametrize("name,ids", [("id", range(1000, 1060)), ("PassengerId", range(1, 61)),
                                      ("n", range(60)), ("row", range(1, 61))])
def test_a_column_that_numbers_the_rows_is_said_with_how_to_drop_it(tmp_path, name, ids):
    rng = np.random.default_rng(1)
    rows = [[i, *np.round(rng.normal(size=2), 3), i % 2] for i in ids]
    path = write(tmp_path / "t.csv", [name, "a", "b", "label"], rows)
    with pytest.warns(DataWarning) as said:
        data = load_table(path)
    assert data.feature_names == (name, "a", "b")
    text = [str(w.message) for w in said if "row ID" in str(w.message)]
    assert len(text) == 1 and f"column {name!r} looks like a row ID" in text[0]
    assert f"df.drop(columns={name!r})" in text[0]
    with warnings.catch_warnings():  # a trained model reads its own columns: said once, at training
        warnings.simplefilter("error", DataWarning)
        load_table(path, features=(name, "a", "b"))


def test_columns_that_do_not_number_the_rows_pass_in_silence(tmp_path):
    rng = np.random.default_rng(2)
    shuffled = rng.permutation(60)
    rows = [[k, 2000 + k, k % 7, *np.round(rng.normal(size=1), 3), k % 2] for k in shuffled]
    path = write(tmp_path / "t.csv", ["rank", "year", "day", "a", "label"], rows)
    tiny = write(tmp_path / "tiny.csv", ["a", "b", "label"], [[1, 0.5, "x"], [2, 0.1, "y"], [3, 0.7, "x"],
                                                              [4, 0.2, "y"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert load_table(path).feature_names == ("rank", "year", "day", "a")
        load_table(tiny, test_fraction=0.5)


def test_a_counting_feature_that_is_data_passes_in_silence(tmp_path):
    """A lone x = 0, 1, 2, ... (a trend to fit) and a counting column after the first are data, not IDs."""
    trend = write(tmp_path / "trend.csv", ["x", "y"], [[i, 2 * i + 1] for i in range(100)])
    rng = np.random.default_rng(3)
    later = write(tmp_path / "later.csv", ["a", "step", "label"],
                  [[*np.round(rng.normal(size=1), 3), i, i % 2] for i in range(60)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert load_table(trend, task="regression").feature_names == ("x",)
        assert load_table(later).feature_names == ("a", "step")


def test_pandas_index_column_keeps_its_own_words(tmp_path):
    path = write(tmp_path / "frame.csv", ["", "a", "label"], [[i, i * 0.5 % 3, i % 2] for i in range(30)])
    with pytest.warns(DataWarning, match=r"the first column has no name and numbers the rows \(0, 1, 2, \.\.\., "
                                         r"29\): the index pandas' DataFrame.to_csv writes") as said:
        load_table(path)
    assert not any("row ID" in str(w.message) for w in said)


def test_the_table_reader_is_split_along_its_ideas_and_keeps_its_names():
    from nnscratch.datasets import tables
    folder = pathlib.Path(tables.__file__).parent
    for module in ("tables", "columns", "csv_text", "multitarget", "row_ids", "cells"):
        assert len((folder / f"{module}.py").read_text().splitlines()) < 300, module
    from nnscratch.datasets.tables import TARGET_NAMES, input_rows, load_table, read_rows, separator  # noqa: F401
    assert separator("a;b;c\n1;2;3\n") == ";"
