"""Regression met with the other features: a table's target in any units, resume, several targets, predict."""

import json

import numpy as np
import pytest

from nnscratch import cli
from nnscratch.saving.standardizer import standardize_for
from nnscratch import Network
from nnscratch.datasets import load_table
from nnscratch.errors import DataFormatError


def table(path, scale=1.0, offset=0.0, n=240):
    """Three features and a smooth target ``offset + scale * f(x)``, written to a CSV."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    y = offset + scale * (X @ [1.0, 0.5, -0.7] + 0.3 * np.sin(2 * X[:, 0]))
    path.write_text("a,b,c,y\n" + "".join(f"{r[0]:.17g},{r[1]:.17g},{r[2]:.17g},{t:.17g}\n" for r, t in zip(X, y)))
    return path


def train(capsys, csv, *extra):
    status = cli.main(["train", "--dataset", f"csv:{csv}", "--layers", "3,16,1", "--epochs", "15", "--json",
                       "--backend", "numpy", *map(str, extra)])
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out.splitlines()[-1])


@pytest.mark.parametrize("scale, offset", [(1e5, 2e5), (1e-4, 1e-3), (30.0, -500.0)])
def test_a_targets_units_do_not_change_what_is_learnt(tmp_path, capsys, scale, offset):
    """Prices in dollars, lengths in km, negative values: the target is learnt in standard units, so the R^2
    is the one of the same table in unit scale, and the saved model's outputs are in the target's own units."""
    unit = train(capsys, table(tmp_path / "unit.csv"), "--no-save")
    csv, model = table(tmp_path / "scaled.csv", scale, offset), tmp_path / "m.npz"
    scaled = train(capsys, csv, "--out", model)
    assert unit["r2"] > 0.8 and scaled["r2"] == pytest.approx(unit["r2"], abs=1e-3)
    assert scaled["rmse"] == pytest.approx(unit["rmse"] * abs(scale), rel=1e-2)
    net = Network.load(model)
    rows = np.loadtxt(csv, delimiter=",", skiprows=1)
    predicted = np.asarray(net.predict(standardize_for(net, rows[:, :3]))).reshape(-1)
    residual, spread = np.sum((predicted - rows[:, 3]) ** 2), np.sum((rows[:, 3] - rows[:, 3].mean()) ** 2)
    assert 1 - residual / spread > 0.7                  # predicted in the target's units: its offset and scale
    assert cli.main(["evaluate", str(model)]) == 0               # its loss in figures that show it, 1e-09 too
    loss = float(capsys.readouterr().out.split("loss ")[1].split(",")[0])
    assert loss == pytest.approx(scaled["test_loss"], rel=1e-3)


def test_a_resumed_regression_ends_as_an_uninterrupted_one(tmp_path, capsys):
    """The checkpoint holds standard units; the resumed run folds the scale back once, at its end."""
    csv = table(tmp_path / "t.csv", 1e3, 5e3)
    whole = train(capsys, csv, "--no-save")
    train(capsys, csv, "--epochs", "6", "--checkpoint", tmp_path / "ck.npz", "--no-save")
    resumed = train(capsys, csv, "--resume", tmp_path / "ck.npz", "--out", tmp_path / "r.npz")
    assert resumed["r2"] == pytest.approx(whole["r2"], abs=1e-6)
    assert resumed["test_loss"] == pytest.approx(whole["test_loss"], rel=1e-5)


def test_targets_of_different_scales_are_each_learnt(tmp_path, capsys):
    """Two target columns, one near 0 and one near 1000 with a spread of 50: both are learnt."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    Y = np.c_[X @ [1.0, 2.0, 3.0], 1000 - 50 * X[:, 0]]
    np.savez(tmp_path / "two.npz", X=X, y=Y)
    status = cli.main(["train", "--dataset", f"npz:{tmp_path / 'two.npz'}", "--layers", "3,16,2", "--epochs", "15",
                       "--json", "--backend", "numpy", "--no-save"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert json.loads(out)["r2"] > 0.9           # the mean of the two columns' R^2


def test_whole_number_targets_taken_as_classes_say_how_to_regress(tmp_path):
    """Counts 0..13 are classes by the 50-distinct rule; the note says so and names --task regression."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(150, 2))
    counts = np.clip(np.round(6 + 3 * X[:, 0]), 0, 13).astype(int)
    path = tmp_path / "counts.csv"
    path.write_text("a,b,count\n" + "".join(f"{r[0]:.6f},{r[1]:.6f},{c}\n" for r, c in zip(X, counts)))
    guessed = load_table(path)
    assert guessed.task == "classification"
    assert any("classes" in note and "--task regression" in note for note in guessed.notes)
    assert load_table(path, task="regression").task == "regression"


@pytest.mark.parametrize("column", ["a", "y"])
def test_an_infinite_cell_is_named_by_line_and_column(tmp_path, column):
    """'inf' reads as a float but is no value to learn from: one line naming where it is, as a missing one."""
    rows = [[0.5 * i, 1.0 - 0.1 * i, 2.5 * i] for i in range(20)]
    rows[3][0 if column == "a" else 2] = "-inf"
    path = tmp_path / "t.csv"
    path.write_text("a,b,y\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    with pytest.raises(DataFormatError) as caught:
        load_table(path, task="regression")
    message = str(caught.value)
    assert f"line 5, column '{column}'" in message and "not a finite number" in message and "\n" not in message


def test_a_float64_table_model_sees_float64_rows(tmp_path, capsys):
    """--dtype float64: the standardised rows stay float64 in train, evaluate and predict, as in the ONNX graph."""
    csv, model = table(tmp_path / "t.csv", 1e3, 5e3), tmp_path / "m.npz"
    train(capsys, csv, "--dtype", "float64", "--epochs", "3", "--out", model)
    net = Network.load(model)
    rows = np.loadtxt(csv, delimiter=",", skiprows=1)[:5, :3]
    scale = net.metadata["standardize"]
    exact = np.asarray(net.predict((rows - scale["mean"]) / np.asarray(scale["std"]))).reshape(-1)
    assert standardize_for(net, rows).dtype == np.float64
    assert cli.main(["predict", str(model), str(csv), "--json"]) == 0
    printed = [json.loads(line)["value"] for line in capsys.readouterr().out.splitlines()[:5]]
    assert np.allclose(printed, exact, rtol=1e-12, atol=0)


def test_a_regression_model_on_data_with_other_targets_says_so(tmp_path, capsys):
    """A one-target model evaluated on two target columns (and the reverse): the outputs and targets counted,
    not 'pass integer class labels'."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 3))
    np.savez(tmp_path / "one.npz", X=X, y=X @ [1.0, 2.0, 3.0] + 0.5)
    np.savez(tmp_path / "two.npz", X=X, y=np.c_[X[:, 0], X[:, 1] - 1.5])
    for trained, other, words in (("one", "two", "1 output but two.npz has 2 target columns"),
                                  ("two", "one", "2 outputs but one.npz has 1 target column")):
        assert cli.main(["train", "--dataset", f"npz:{tmp_path / trained}.npz", "--epochs", "1", "--quiet",
                         "--out", str(tmp_path / f"{trained}_model.npz")]) == 0
        capsys.readouterr()
        assert cli.main(["evaluate", str(tmp_path / f"{trained}_model.npz"), "--dataset",
                         f"npz:{tmp_path / other}.npz"]) != 0
        error = capsys.readouterr().err.strip().splitlines()[-1]
        assert words in error and "class labels" not in error
