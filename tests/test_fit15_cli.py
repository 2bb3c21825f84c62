"""Session 15's fixes on the command line: R^2 of a single sample said as undefined (``null`` in ``--json``,
which NaN is not), and a table's several 0/1 target columns trained multilabel though every row holds one 1,
unless ``--task multiclass`` (or classification) reads them as classes: with evaluate, predict and resume."""

import csv
import json

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli

LABELS = ("cat", "dog", "bird")


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def strict_json(text):
    """JSON as a strict parser reads it: NaN and Infinity are not JSON."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return str(path)


@pytest.fixture
def small_values(tmp_path):
    """A regression table of 6 rows: its 20% test split is one row."""
    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(6, 2)), 4)
    y = np.round(X @ [1.0, 2.0] + 0.1 * rng.normal(size=6), 4)
    return write(tmp_path / "r.csv", ["a", "b", "y"], [[*x, v] for x, v in zip(X.tolist(), y.tolist())])


@pytest.fixture
def one_hot(tmp_path):
    """Three 0/1 columns with exactly one 1 per row (the argmax of three features), and a copy whose first
    rows hold two labels."""
    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(150, 3)), 4)
    Y = np.eye(3, dtype=int)[np.argmax(X, axis=1)]
    tagged = Y.copy()
    tagged[:6, 0] = 1
    return (write(tmp_path / "t.csv", ["a", "b", "c", *LABELS], [[*x, *y] for x, y in zip(X.tolist(), Y.tolist())]),
            write(tmp_path / "t2.csv", ["a", "b", "c", *LABELS],
                  [[*x, *y] for x, y in zip(X.tolist(), tagged.tolist())]))


# ---------------------------------------------------------------- R^2 of a single sample

def test_train_and_evaluate_say_r2_of_one_test_sample_is_undefined(capsys, small_values, tmp_path):
    model = tmp_path / "r.npz"
    status, out, err = run(capsys, "train", "--dataset", small_values, "--target", "y", "--epochs", "3",
                           "--out", model)
    assert status == 0, err
    result = next(line for line in out.splitlines() if line.startswith("test RMSE"))
    assert "R^2 undefined for a single sample on 1 r.csv test sample" in result and "nan" not in result
    status, out, err = run(capsys, "train", "--dataset", small_values, "--target", "y", "--epochs", "3",
                           "--out", model, "--force", "--json")
    assert status == 0, err
    result = strict_json(out.strip().splitlines()[-1])
    assert result["r2"] is None and result["rmse"] > 0 and result["mae"] > 0
    status, out, err = run(capsys, "evaluate", model)
    assert status == 0, err
    assert "1 sample:" in out and "R^2 undefined for a single sample" in out and "nan" not in out
    status, out, err = run(capsys, "evaluate", model, "--json")
    assert status == 0, err
    scores = strict_json(out.strip().splitlines()[-1])
    assert scores["samples"] == 1 and scores["r2"] is None and np.isfinite(scores["loss"])
    status, out, err = run(capsys, "evaluate", model, "--split", "train", "--json")  # five rows: defined
    assert status == 0 and isinstance(strict_json(out.strip().splitlines()[-1])["r2"], float), err


def test_the_epoch_line_says_a_single_validation_rows_r2_is_undefined(capsys, tmp_path):
    rng = np.random.default_rng(1)
    X = np.round(rng.normal(size=(13, 2)), 4)
    y = np.round(X @ [1.0, -1.0], 4)
    path = write(tmp_path / "v.csv", ["a", "b", "y"], [[*x, v] for x, v in zip(X.tolist(), y.tolist())])
    status, out, err = run(capsys, "train", "--dataset", path, "--target", "y", "--epochs", "2", "--validation",
                           "0.1", "--no-save")
    assert status == 0, err
    lines = [line for line in out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2 and all("val_R^2 undefined" in line and " R^2 " in line for line in lines)


# ---------------------------------------------------------------- one-hot columns: labels unless asked

def test_one_hot_columns_train_multilabel_and_the_model_keeps_it(capsys, one_hot, tmp_path):
    table, tagged = one_hot
    model = tmp_path / "m.npz"
    status, out, err = run(capsys, "train", "--dataset", table, "--target", ",".join(LABELS), "--epochs", "30",
                           "--out", model)
    assert status == 0, err
    note = next(line for line in out.splitlines() if "target 'cat,dog,bird'" in line)
    assert "3 labels per row" in note and "--task multiclass reads them as one class per row" in note
    assert "multilabel: test subset accuracy" in out
    net = nn.Network.load(model)
    assert net.task == "multilabel" and net.metadata["task"] == "multilabel"
    status, out, err = run(capsys, "evaluate", model)
    assert status == 0 and "subset accuracy" in out and "(no confusion matrix" in out, err
    status, out, err = run(capsys, "evaluate", model, "--dataset", tagged, "--json")  # rows of two labels too
    assert status == 0 and 0 <= strict_json(out.strip().splitlines()[-1])["accuracy"] <= 1, err
    status, out, err = run(capsys, "predict", model, tagged, "--json")
    assert status == 0, err
    rows = [strict_json(line) for line in out.strip().splitlines()]
    assert len(rows) == 150 and all(len(r["labels"]) == 3 and set(r["labels"]) <= {0, 1} for r in rows)


def test_task_multiclass_reads_one_hot_columns_as_classes(capsys, one_hot, tmp_path):
    table, tagged = one_hot
    model = tmp_path / "c.npz"
    for task in ("multiclass", "classification"):
        status, out, err = run(capsys, "train", "--dataset", table, "--target", ",".join(LABELS), "--task", task,
                               "--epochs", "30", "--out", model, "--force")
        assert status == 0, err
        assert "3 classes (cat, dog, bird: exactly one 1 in every row" in out and "test accuracy" in out
        net = nn.Network.load(model)
        assert net.task == "multiclass" and net.metadata["class_names"] == list(LABELS)
    status, out, err = run(capsys, "evaluate", model)
    assert status == 0 and "accuracy" in out and "subset" not in out, err
    status, out, err = run(capsys, "train", "--dataset", table, "--target", ",".join(LABELS), "--loss",
                           "cross_entropy", "--no-save", "--epochs", "1")  # classes meant: the fix is said
    assert status == 2 and len(err.strip().splitlines()) == 1 and "--task multiclass" in err, err
    status, out, err = run(capsys, "train", "--dataset", tagged, "--target", ",".join(LABELS), "--task",
                           "multiclass", "--no-save", "--epochs", "1")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "2 of the columns cat, dog, bird hold a 1" in err and "--task multilabel" in err


def test_resume_keeps_the_task_of_the_checkpoints_run(capsys, one_hot, tmp_path):
    """A multilabel run resumed stays multilabel; a run of classes (--task multiclass, or a checkpoint written
    before one-hot columns were labels) resumed without --task is refused in one line naming its --task."""
    table, _ = one_hot
    ckpt, model = tmp_path / "m.ckpt", tmp_path / "m.npz"
    common = ["train", "--dataset", table, "--target", ",".join(LABELS), "--out", model, "--force", "--quiet"]
    assert run(capsys, *common, "--epochs", "2", "--checkpoint", ckpt)[0] == 0
    status, out, err = run(capsys, *common, "--epochs", "4", "--resume", ckpt, "--json")
    assert status == 0, err
    result = strict_json(out.strip().splitlines()[-1])
    assert result["epochs"] == 4 and result["task"] == "multilabel" and nn.Network.load(model).task == "multilabel"
    classes = tmp_path / "c.ckpt"
    assert run(capsys, *common, "--task", "multiclass", "--epochs", "2", "--checkpoint", classes)[0] == 0
    status, out, err = run(capsys, *common, "--epochs", "4", "--resume", classes)
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "--task classification" in err and "--task multilabel" in err
    status, out, err = run(capsys, *common, "--task", "multiclass", "--epochs", "4", "--resume", classes, "--json")
    assert status == 0 and strict_json(out.strip().splitlines()[-1])["task"] == "multiclass", err
