"""More of the tables users have: rows of one class to score a model on, cells pandas keeps as text
(``2021_03``), header cells without a name, and a header alone given to ``predict``."""

import json

import numpy as np
import pytest

from nnscratch.datasets import load_table
from nnscratch.errors import DataFormatError
from test_table_files import levels_model, run, write_levels  # noqa: F401  (a fixture)

try:  # what pandas reads, beside what nnscratch reads, where pandas is installed (the test extra leaves it out)
    import pandas as pd
except ImportError:
    pd = None


def pandas_columns(path):
    """pandas' column names and whether each is numeric, or None without pandas."""
    if pd is None:
        return None
    frame = pd.read_csv(path)
    return {name: pd.api.types.is_numeric_dtype(frame[name]) for name in frame.columns}


def test_a_classifier_is_evaluated_and_drawn_on_rows_of_one_class_but_never_trained_on_them(tmp_path, capsys,
                                                                                              levels_model):
    """A file of 'high' rows only: the model knows its three classes, so evaluate scores it (was refused:
    "only one class") with the row of 'high' (index 0 of high, low, mid) holding every sample, and plot
    draws its 3 x 3 confusion matrix; training on that file is still refused."""
    high = write_levels(tmp_path / "high.csv", 300, seed=1, keep=("high",))
    n = len(high.read_text().splitlines()) - 1
    status, out, err = run(capsys, "evaluate", levels_model, "--dataset", f"csv:{high}", "--split", "train",
                           "--json")
    assert status == 0, err
    scores = json.loads(out)
    assert scores["accuracy"] > 0.8
    matrix = np.array(scores["confusion_matrix"])
    assert matrix.shape == (3, 3) and matrix[0].sum() == scores["samples"] and matrix[1:].sum() == 0
    assert 0 < scores["samples"] < n                                   # the train split of the file's rows
    picture = tmp_path / "confusion.png"
    status, _, err = run(capsys, "plot", levels_model, "--dataset", f"csv:{high}", "--what", "confusion",
                         "--out", picture)
    assert status == 0 and picture.stat().st_size > 0, err
    status, _, err = run(capsys, "train", "--dataset", f"csv:{high}", "--epochs", "1", "--no-save")
    assert status == 2 and "only one class" in err


def test_a_confusion_picture_has_a_row_per_class_named_though_the_samples_are_of_one(tmp_path):
    """plot's confusion matrix of rows of one class, all predicted right: 3 x 3 for three class names
    (was 1 x 1, and matplotlib refused its three tick labels)."""
    pytest.importorskip("matplotlib")
    from nnscratch.viz.confusion import plot_confusion
    figure = plot_confusion(np.zeros(6, dtype=np.int64), np.zeros(6, dtype=np.int64), tmp_path / "c.png",
                            labels=["high", "low", "mid"])
    assert figure.axes[0].images[0].get_array().shape == (3, 3)


def test_a_class_the_model_never_learned_is_still_refused_when_it_is_the_only_one(tmp_path, capsys, levels_model):
    other = tmp_path / "other.csv"
    other.write_text("a,b,label\n" + "".join(f"{k / 10:.1f},{k / 7:.2f},huge\n" for k in range(20)))
    status, _, err = run(capsys, "evaluate", levels_model, "--dataset", f"csv:{other}")
    assert status == 2 and "class huge, which the model never learned" in err


def test_cells_with_underscores_are_text_as_pandas_reads_them(tmp_path):
    """float("2021_03") is 202103.0, but pandas keeps the column as text: an ID column of features is
    refused as text, and a target of such codes has them as its class names (was numbers 202101...)."""
    ids = tmp_path / "ids.csv"
    ids.write_text("id,a,label\n" + "".join(f"2021_{k % 12 + 1:02d},{k / 3:.3f},{k % 2}\n" for k in range(40)))
    assert pandas_columns(ids) in (None, {"id": False, "a": True, "label": True})
    with pytest.raises(DataFormatError, match=r"line 2, column 'id': '2021_01' is not a number"):
        load_table(ids)
    codes = tmp_path / "codes.csv"
    codes.write_text("a,b,code\n" + "".join(f"{k / 3:.3f},{k % 5},2021_0{k % 3 + 1}\n" for k in range(40)))
    assert pandas_columns(codes) in (None, {"a": True, "b": True, "code": False})
    data = load_table(codes)
    assert data.task == "classification" and data.class_names == ("2021_01", "2021_02", "2021_03")
    many = tmp_path / "many.csv"  # 60 distinct codes: an ID, not a regression on 202101..202160
    many.write_text("a,code\n" + "".join(f"{k / 3:.3f},2021_{k:02d}\n" for k in range(60)))
    with pytest.raises(DataFormatError, match="looks like a name or an ID"):
        load_table(many)


def test_header_cells_without_a_name_are_named_as_pandas_names_them(tmp_path):
    """DataFrame.to_csv writes its index under an empty name: pandas reads it back as 'Unnamed: 0' (the
    column's index), and so do the feature names, --target and the messages (they said '')."""
    path = tmp_path / "frame.csv"  # as DataFrame({"a": ..., "b": ..., "label": ...}).to_csv(path) writes it
    path.write_text(",a,b,label\n" + "".join(f"{k},{k / 7},{k % 4},{'xyz'[k % 3]}\n" for k in range(30)))
    data = load_table(path)
    assert data.feature_names == ("Unnamed: 0", "a", "b")
    assert pandas_columns(path) in (None, {"Unnamed: 0": True, "a": True, "b": True, "label": False})
    gap = tmp_path / "gap.csv"
    gap.write_text("a,,label\n" + "".join(f"{k},{k % 3 if k != 5 else ''},{'xy'[k % 2]}\n" for k in range(30)))
    assert pandas_columns(gap) is None or list(pandas_columns(gap)) == ["a", "Unnamed: 1", "label"]
    with pytest.raises(DataFormatError, match=r"line 7, column 'Unnamed: 1': missing value"):
        load_table(gap)
    nameless = tmp_path / "nameless.csv"  # the target's header cell is empty
    nameless.write_text("a,b,\n" + "".join(f"{k / 5:.1f},{k % 4},{'xy'[k % 2]}\n" for k in range(30)))
    data = load_table(nameless, target="Unnamed: 2")
    assert data.target_name == "Unnamed: 2" and data.class_names == ("x", "y")


def test_predict_of_a_header_alone_asks_for_a_row_to_predict(tmp_path, capsys, levels_model):
    header = tmp_path / "header.csv"
    header.write_text("a,b,label\n")
    status, _, err = run(capsys, "predict", levels_model, header)
    assert status == 2 and "no rows of data; add at least one row to predict" in err and "per class" not in err
