"""Small fixes: evaluate's per-class table without ``nan%``, and labelled arrays of one class scored
(npz:, npy:) as a CSV of one class is, while training on them is still refused."""

import json

import numpy as np
import pytest

from nnscratch.cli.inspect import per_class_table
from nnscratch.datasets import load_npz
from nnscratch.errors import DataFormatError
from test_table_files import levels_model, run, write_levels  # noqa: F401  (a fixture)


def rows_of(table, name):
    """The cells of the row of class ``name`` in evaluate's per-class table."""
    return next(line.split() for line in table.splitlines() if line.split()[:1] == [name])


def test_a_ratio_with_nothing_to_divide_by_shows_a_dash_not_nan():
    """Class b has samples but is never predicted (precision 0/0), class c neither has samples nor is
    predicted (precision and recall 0/0): both printed nan% before; now '-', with a line saying why."""
    m = np.array([[3, 0, 0],
                  [2, 0, 0],
                  [0, 0, 0]])
    table = per_class_table(m, ("a", "b", "c"))
    assert "nan" not in table
    assert rows_of(table, "a") == ["a", "60.0%", "100.0%", "3"]
    assert rows_of(table, "b") == ["b", "-", "0.0%", "2"]
    assert rows_of(table, "c") == ["c", "-", "-", "0"]
    assert table.splitlines()[-1].startswith("(-: ")


def test_a_table_with_every_ratio_defined_has_no_dash_note():
    table = per_class_table(np.array([[2, 1], [1, 3]]), ("x", "y"))
    assert "-" not in table and len(table.splitlines()) == 3


def test_evaluate_on_a_file_lacking_a_class_prints_a_dash_for_its_recall(tmp_path, capsys, levels_model):
    """The levels model (classes high, low, mid) on rows of mid and high only: low has no samples."""
    some = write_levels(tmp_path / "some.csv", 200, seed=1, keep=("mid", "high"))
    status, out, err = run(capsys, "evaluate", levels_model, "--dataset", f"csv:{some}", "--split", "train")
    assert status == 0, err
    assert "nan" not in out
    low = rows_of(out, "low")
    assert low[2:] == ["-", "0"]  # recall ill-defined, support 0


def write_arrays(tmp_path, rows, seed, keep=None):
    """The levels rows as arrays: X (n, 2) and integer labels 0/1/2 (all of one class with ``keep``)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 2))
    y = np.digitize(X[:, 0], [-0.4, 0.4])
    if keep is not None:
        X, y = X[y == keep], y[y == keep]
    return X, y


@pytest.fixture
def arrays_model(tmp_path, capsys):
    X, y = write_arrays(tmp_path, 300, seed=0)
    np.savez(tmp_path / "train.npz", X=X, y=y)
    model = tmp_path / "arrays.npz"
    status, _, err = run(capsys, "train", "--dataset", f"npz:{tmp_path / 'train.npz'}", "--epochs", "60",
                         "--out", model, "--quiet", "--backend", "numpy")
    assert status == 0, err
    return model


@pytest.mark.parametrize("kind", ["npz", "npy"])
def test_evaluate_and_plot_score_arrays_of_one_class_and_training_refuses_them(tmp_path, capsys, arrays_model,
                                                                                 kind):
    """Labels all 2 (was refused: 'only one class'): evaluate numbers them as the model's class '2' and
    plot draws the 3 x 3 confusion matrix; training on them still says 'only one class'."""
    X, y = write_arrays(tmp_path, 400, seed=1, keep=2)
    if kind == "npz":
        np.savez(tmp_path / "two.npz", X=X, y=y)
        spec = f"npz:{tmp_path / 'two.npz'}"
    else:
        np.save(tmp_path / "X.npy", X)
        np.save(tmp_path / "y.npy", y)
        spec = f"npy:{tmp_path / 'X.npy'},{tmp_path / 'y.npy'}"
    status, out, err = run(capsys, "evaluate", arrays_model, "--dataset", spec, "--split", "train", "--json")
    assert status == 0, err
    scores = json.loads(out)
    matrix = np.array(scores["confusion_matrix"])
    assert matrix.shape == (3, 3) and matrix[2].sum() == scores["samples"] > 0 and matrix[:2].sum() == 0
    assert scores["accuracy"] > 0.8
    pytest.importorskip("matplotlib")
    picture = tmp_path / "confusion.png"
    status, _, err = run(capsys, "plot", arrays_model, "--dataset", spec, "--what", "confusion", "--out", picture)
    assert status == 0 and picture.stat().st_size > 0, err
    status, _, err = run(capsys, "train", "--dataset", spec, "--epochs", "1", "--no-save")
    assert status == 2 and "only one class" in err


def test_load_npz_reads_one_class_only_when_asked(tmp_path):
    np.savez(tmp_path / "one.npz", X=np.arange(20.0).reshape(10, 2), y=np.full(10, 7))
    with pytest.raises(DataFormatError, match="only one class"):
        load_npz(tmp_path / "one.npz")
    data = load_npz(tmp_path / "one.npz", one_class=True)
    assert data.class_names == ("7",) and len(data.y_train) + len(data.y_test) == 10
