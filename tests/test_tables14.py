"""CSV tables with several target columns on the command line: ``--target cat,dog,bird`` (columns of 0/1)
trains a multilabel network (sigmoid per label, binary cross-entropy), which ``evaluate`` and ``predict``
remember (the columns are its labels' names); ``--task multilabel`` is a choice (it was refused by argparse,
and ``--target a,b`` said "no such column 'a,b'"), with one line where the columns are not 0/1 labels."""

import csv
import json

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.datasets import load_dataset, load_table
from nnscratch.errors import ConfigError, DataFormatError

LABELS = ("cat", "dog", "bird")


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def tagged(n=240, seed=0):
    """Features ``(n, 4)`` and three 0/1 label columns drawn from them: rows of no, one, two and three 1s."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n, 4)), 4)
    Y = np.stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5], axis=1).astype(int)
    return X, Y


@pytest.fixture
def table(tmp_path):
    X, Y = tagged()
    return write(tmp_path / "tags.csv", ["x0", "x1", "x2", "x3", *LABELS],
                 [[*x, *y] for x, y in zip(X.tolist(), Y.tolist())])


@pytest.fixture
def model(tmp_path, capsys, table):
    path = tmp_path / "tags.npz"
    status, out, err = run(capsys, "train", "--dataset", table, "--target", ",".join(LABELS), "--epochs", "40",
                           "--out", path)
    assert status == 0, err
    assert "target 'cat,dog,bird': 3 labels per row (cat, dog, bird: 0/1" in out
    assert "multilabel: test subset accuracy" in out
    return path


def test_several_label_columns_train_a_multilabel_network_that_remembers_them(model):
    net = nn.Network.load(model)
    assert net.task == "multilabel" and net.n_outputs == 3
    assert net.metadata["class_names"] == list(LABELS) and net.metadata["target"] == "cat,dog,bird"
    assert net.metadata["dataset"]["task"] == "multilabel"


def test_evaluate_scores_the_model_on_its_table_by_its_columns(tmp_path, capsys, table, model):
    own = json.loads(run(capsys, "evaluate", model, "--json")[1])
    status, out, err = run(capsys, "evaluate", model, "--dataset", table, "--json")
    assert status == 0, err
    given = json.loads(out)
    assert given["task"] == "multilabel" and given["samples"] == own["samples"] == 48
    assert given["accuracy"] == own["accuracy"] > 0.6 and given["loss"] == own["loss"]
    X, Y = tagged()  # the same rows, columns reordered and an extra one: read by name
    moved = write(tmp_path / "moved.csv", ["bird", "note", "x3", "x2", "x1", "x0", "dog", "cat"],
                  [[y[2], "n", *x[::-1], y[1], y[0]] for x, y in zip(X.tolist(), Y.tolist())])
    status, out, err = run(capsys, "evaluate", model, "--dataset", moved, "--json")
    assert status == 0, err
    assert json.loads(out)["accuracy"] == own["accuracy"]


def test_evaluate_takes_the_models_own_target_columns_written_with_spaces(capsys, model):
    own = json.loads(run(capsys, "evaluate", model, "--json")[1])
    status, out, err = run(capsys, "evaluate", model, "--target", "cat, dog, bird", "--json")
    assert status == 0, err
    assert json.loads(out)["accuracy"] == own["accuracy"]
    status, out, err = run(capsys, "evaluate", model, "--target", "cat,dog")
    assert status == 2 and "was trained on target 'cat,dog,bird'" in err


def test_predict_on_a_csv_prints_each_rows_labels_by_their_names(tmp_path, capsys, model):
    X, _ = tagged()
    rows = write(tmp_path / "rows.csv", ["x3", "x2", "x1", "x0"], [x[::-1] for x in X[:20].tolist()])
    status, out, err = run(capsys, "predict", model, rows, "--json")
    assert status == 0, err
    net = nn.Network.load(model)
    from nnscratch.saving.standardizer import standardize_for
    expected = net.backend.to_numpy(net.predict(standardize_for(net, X[:20])))
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 20 and expected.shape == (20, 3)
    status, text, err = run(capsys, "predict", model, rows)
    assert status == 0, err
    for line, row in zip(text.splitlines(), expected):
        names = [name for name, bit in zip(LABELS, row) if bit]
        assert (", ".join(names) if names else "(no label)") in line


def test_task_multilabel_is_a_choice_and_non_labels_are_one_line(capsys, table):
    status, out, err = run(capsys, "train", "--dataset", table, "--target", "cat,x1", "--task", "multilabel",
                           "--no-save", "--epochs", "1")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "line 2, column 'x1'" in err and "is not 0 or 1" in err and "--task regression" in err
    status, out, err = run(capsys, "train", "--dataset", table, "--target", ",".join(LABELS), "--task",
                           "classification", "--no-save", "--epochs", "1")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "classification learns one class per row" in err and "--task multilabel" in err


def test_one_label_column_with_task_multilabel_is_a_binary_classification(capsys, table):
    """scikit-learn reads one column of 0/1 as a binary target (``type_of_target``), and a label a sample has
    or not is two classes: learnt as such, and said."""
    status, out, err = run(capsys, "train", "--dataset", table, "--target", "dog", "--task", "multilabel",
                           "--no-save", "--epochs", "2")
    assert status == 0, err
    assert "target 'dog': one label column of 0/1: a binary classification" in out and "test accuracy" in out
    data = load_table(table, target="dog", task="multilabel")
    assert data.task == "classification" and data.class_names == ("0", "1") and "binary" in data.notes[0]
    with pytest.raises(DataFormatError, match=r"column 'x1' \(the target\) holds '-?[0-9.]+', not 0 or 1; --task "
                                              r"multilabel learns 0/1 labels"):
        load_table(table, target="x1", task="multilabel")


def test_one_hot_columns_are_classes_named_by_the_columns_when_asked(tmp_path):
    """Columns with exactly one 1 per row (pandas' get_dummies) are labels unless --task multiclass (or
    classification) asks for classes: scikit-learn's type_of_target calls any 0/1 matrix multilabel-indicator."""
    X, Y = tagged()
    rows = [[*x, *np.eye(3, dtype=int)[k]] for x, k in zip(X.tolist(), Y.sum(axis=1) % 3)]
    path = write(tmp_path / "dummies.csv", ["x0", "x1", "x2", "x3", *LABELS], rows)
    for task in ("classification", "multiclass"):
        data = load_table(path, target="cat,dog,bird", task=task)
        assert data.task == "classification" and data.class_names == LABELS
        assert np.array_equal(np.sort(np.concatenate([data.y_train, data.y_test])), np.sort(Y.sum(axis=1) % 3))
    for task in (None, "multilabel"):
        data = load_table(path, target="cat,dog,bird", task=task)
        assert data.task == "multilabel" and data.class_names == LABELS and data.y_train.shape[1] == 3
        assert ("--task multiclass" in data.notes[0]) == (task is None)
    assert load_table(path, target="cat,dog,bird", task="multilabel", one_class=True).task == "multilabel"


def test_several_value_columns_are_a_regression_and_targets_are_named_once(table, tmp_path):
    data = load_table(table, target="x0,x1")
    assert data.task == "regression" and data.n_classes == 2 and data.target_name == "x0,x1"
    assert data.feature_names == ("x2", "x3", *LABELS)
    with pytest.raises(ConfigError, match="names the column 'cat' twice"):
        load_table(table, target="cat, cat")
    with pytest.raises(ConfigError, match="'fish': .* has no such column"):
        load_table(table, target="cat,fish")
    text = write(tmp_path / "text.csv", ["x", "a", "b"], [[i, "yes", i % 2] for i in range(30)])
    with pytest.raises(DataFormatError, match=r"line 2, column 'a': 'yes' is not a number"):
        load_table(text, target="a,b")


def test_arrays_take_task_multilabel(tmp_path, capsys):
    X, Y = tagged()
    np.savez(tmp_path / "rows.npz", X=X, y=Y)
    data = load_dataset(f"npz:{tmp_path / 'rows.npz'}", task="multilabel")
    assert data.task == "multilabel" and data.n_classes == 3
    np.savez(tmp_path / "counts.npz", X=X, y=Y.sum(axis=1))
    status, out, err = run(capsys, "train", "--dataset", f"npz:{tmp_path / 'counts.npz'}", "--task", "multilabel",
                           "--no-save", "--epochs", "1")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "not 0 or 1" in err and "Unknown task" not in err


def test_resume_keeps_the_label_columns_and_names_them_whole(tmp_path, capsys, table):
    checkpoint = tmp_path / "ck.npz"
    train = ["train", "--dataset", table, "--no-save", "--quiet"]
    assert run(capsys, *train, "--target", "cat,dog,bird", "--epochs", "2", "--checkpoint", checkpoint)[0] == 0
    status, out, err = run(capsys, *train, "--target", "cat,dog,bird", "--resume", checkpoint, "--epochs", "4",
                           "--json")
    assert status == 0 and json.loads(out)["task"] == "multilabel", err
    status, out, err = run(capsys, *train, "--target", "cat,dog", "--resume", checkpoint, "--epochs", "4")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "resume with the checkpoint run's values (--target cat,dog,bird)" in err  # it said --target catdogbird
