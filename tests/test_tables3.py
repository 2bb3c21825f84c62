"""Tables meeting the rest: a header told from a first row of data with a missing cell, the model of a
header-less file scored on such a file again, and the messages a user gets on the way."""

import json

import numpy as np
import pytest

from nnscratch import cli
from nnscratch.datasets import load_digits_csv, load_table
from nnscratch.datasets.tables import is_header
from nnscratch.errors import DataFormatError


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def numbers(path, rows=60, seed=0, blank=None, header=None):
    """A table of three features and a 0/1 target, without a header unless ``header`` (its line); ``blank``:
    ``(row, column)`` of a cell left empty (a missing value)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    cells = [[f"{v:.4f}" for v in x] + [str(int(x[0] > 0))] for x in X]
    if blank is not None:
        cells[blank[0]][blank[1]] = ""
    path.write_text("".join(line + "\n" for line in [header] * bool(header) + [",".join(c) for c in cells]))
    return path


@pytest.mark.parametrize("first, below, header", [
    (["1.5", "", "3", "1"], ["2", "4", "5", "0"], False),      # a missing value: a row of data
    (["1.5", "NA", "3", "1"], ["2", "4", "5", "0"], False),    # pandas' marker of one
    (["", "", ""], ["1", "2", "3"], False),                    # every cell missing
    (["a", "", "label"], ["1", "2", "x"], True),               # a header with a column unnamed
    (["", "a", "b"], ["0", "1", "2"], True),                   # DataFrame.to_csv's unnamed index
    (["", "0", "1", "2"], ["0", "1.5", "2", "3"], True),       # ... over columns named 0, 1, 2
    (["", "0", "1", "label"], ["0", "1.5", "2", "cat"], True),  # ... and a named one, the target
    (["", "0", "1", "2"], ["17", "1.5", "2", "3"], True),      # ... of a filtered frame (its index from 17)
    (["0", "1", "2", "label"], ["1.5", "2", "3", "cat"], True),  # DataFrame(X).assign(label=y), index=False
    (["0", "1", "2", "3"], ["1.5", "2", "3", "4"], True),      # DataFrame(column_stack([X, y])), index=False
    (["0", "1", "cat"], ["1.5", "2", "dog"], False),           # two numbers: a row of data as likely
    (["", "0", "cat"], ["1.5", "2", "dog"], False),            # a missing cell, not pandas' index over row 0
    (["5.1", "3.5", "setosa"], ["4.9", "3.0", "setosa"], False),  # a text column holds text in every row
    (["x", "y"], [], True),                                    # a header alone
    (["1", "", "3"], [], False),                               # one row of data
    (["1.5", "inf", "3"], ["2", "4", "5"], False),             # an infinite value is refused as data, not a name
])
def test_a_header_is_a_row_with_text_where_empty_cells_are_no_text(first, below, header):
    assert is_header(first, below) is header


def test_a_first_row_with_a_missing_value_is_data_and_said_by_its_line(tmp_path):
    """It was read as a header ('column names' 0.1264, Unnamed: 1, ...): the row was lost, training ran."""
    path = numbers(tmp_path / "t.csv", blank=(0, 1))
    with pytest.raises(DataFormatError, match=r"t\.csv, line 1, column 'column 1': missing value \(''\)"):
        load_table(path)
    whole = numbers(tmp_path / "whole.csv")
    data = load_table(whole)
    assert data.target_name == "column 3" and len(data.X_train) + len(data.X_test) == 60


def test_missing_values_are_one_line_in_train_evaluate_and_predict(tmp_path, capsys):
    model = tmp_path / "m.npz"
    status, _, err = run(capsys, "train", "--dataset", f"csv:{numbers(tmp_path / 'ok.csv')}", "--epochs", "2",
                         "--out", model, "--quiet")
    assert status == 0, err
    first = numbers(tmp_path / "first.csv", seed=1, blank=(0, 2))
    later = numbers(tmp_path / "later.csv", seed=1, blank=(4, 0))
    for argv, line, column in [(("train", "--dataset", f"csv:{first}", "--no-save"), 1, 2),
                               (("train", "--dataset", f"csv:{later}", "--no-save"), 5, 0),
                               (("evaluate", model, "--dataset", f"csv:{first}"), 1, 2),
                               (("predict", model, first), 1, 2)]:
        status, _, err = run(capsys, *argv)
        assert status == 2 and err.count("\n") == 1, (argv, err)
        assert f"line {line}, column 'column {column}': missing value" in err, err


def test_the_model_of_a_file_without_a_header_is_evaluated_on_another(tmp_path, capsys):
    """It remembers its target as 'column 3', which was refused as 'no such column' on every such file,
    though the message listed 'column 3' among them; predict leaves that column out, as of a header's target."""
    model = tmp_path / "m.npz"
    assert run(capsys, "train", "--dataset", f"csv:{numbers(tmp_path / 'a.csv')}", "--epochs", "2", "--out", model,
               "--quiet")[0] == 0
    status, out, err = run(capsys, "evaluate", model, "--dataset", f"csv:{numbers(tmp_path / 'b.csv', seed=2)}",
                           "--json")
    assert status == 0, err
    assert json.loads(out)["samples"] == 12                      # the 20% test split of its 60 rows
    status, out, err = run(capsys, "predict", model, tmp_path / "b.csv")  # its target column left out, by position
    assert status == 0 and len(out.splitlines()) == 60, err      # was "4 columns, but m.npz takes 3 features"
    assert load_table(numbers(tmp_path / "c.csv"), target="column 1").target_name == "column 1"


def test_a_digit_csv_whose_first_label_is_missing_is_no_header(tmp_path):
    """A first row ',0,0,...' was taken for a header: skipped, and 785 columns refused as 'expected 784'; its
    missing label is named by its line and column."""
    row = ",".join(["3"] + ["0"] * 784)
    path = tmp_path / "digits.csv"
    path.write_text("," + row.split(",", 1)[1] + "\n" + row + "\n")
    with pytest.raises(DataFormatError, match=r"digits\.csv, line 1, column 'label': missing value \(''\); label "):
        load_digits_csv(path)
    path.write_text("label," + ",".join(f"pixel{j}" for j in range(784)) + "\n" + row + "\n")
    X, y = load_digits_csv(path)
    assert X.shape == (1, 784) and y.tolist() == [3]


def test_a_table_too_small_to_split_is_named_by_its_file(tmp_path, capsys):
    """A file of one row was told to raise --test-fraction (which leaves nothing to train on) and was named
    'csv', not its file; a split of one row said 'held out 1 rows'."""
    one = tmp_path / "one.csv"
    one.write_text("a,b,y\n1,2,3.5\n")
    status, _, err = run(capsys, "train", "--dataset", f"csv:{one}", "--no-save")
    assert status == 2 and err.count("\n") == 1
    assert f"{one}: one row of data cannot be split into training and test rows; add rows" in err
    two = tmp_path / "two.csv"
    two.write_text("a,b,y\n1,2,3.5\n2,3,4.5\n")
    assert f"{two}: a 0.2 test split of 2 rows holds none" in run(capsys, "train", "--dataset", f"csv:{two}")[2]
    data = load_table(two, test_fraction=0.5)
    assert "held out 1 row (50%, seed 0) as the test split" in data.notes


def test_a_cell_is_named_by_the_line_of_the_file_it_is_on(tmp_path):
    """A quoted cell holding a line break made the rows after it be named one line too early."""
    path = tmp_path / "notes.csv"
    path.write_bytes(b'a,b,label\r\n1,2,"two\r\nlines"\r\n\r\n3,4,x\r\n5,,y\r\n')
    with pytest.raises(DataFormatError, match=r"notes\.csv, line 6, column 'b': missing value"):
        load_table(path)


def test_pandas_frames_of_unnamed_columns_keep_their_header(tmp_path):
    """DataFrame(X).assign(label=y).to_csv(index=False) writes '0,1,2,label': it was read as a row of data,
    a class named 'label' among the targets; with its index (',0,1,2,label') it read as a missing value."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    rows = [f"{a:.4f},{b:.4f},{c:.4f},{'cat' if a > 0 else 'dog'}" for a, b, c in X]
    plain, indexed = tmp_path / "plain.csv", tmp_path / "indexed.csv"
    plain.write_text("0,1,2,label\n" + "".join(f"{row}\n" for row in rows))
    indexed.write_text(",0,1,2,label\n" + "".join(f"{k},{row}\n" for k, row in enumerate(rows)))
    data = load_table(plain)
    assert data.class_names == ("cat", "dog") and data.feature_names == ("0", "1", "2")
    assert len(data.X_train) + len(data.X_test) == 40
    data = load_table(indexed)
    assert data.target_name == "label" and data.feature_names == ("Unnamed: 0", "0", "1", "2")


def test_a_digit_csv_names_its_bad_cell_by_line_and_pixel(tmp_path, capsys):
    """NumPy's words were passed on: "could not convert string '' to int64 at row 5, column 4" (rows from 0
    past the header, columns from 1), for the cell on line 7 in column pixel2."""
    rows = ["label," + ",".join(f"pixel{j}" for j in range(784))] + [",".join([str(i % 10)] + ["0"] * 784)
                                                                        for i in range(30)]
    cells = rows[6].split(",")
    cells[3] = ""
    path = tmp_path / "digits.csv"
    path.write_text("\n".join(rows[:6] + [",".join(cells)] + rows[7:]) + "\n")
    with pytest.raises(DataFormatError, match=r"digits\.csv, line 7, column 'pixel2': missing value \(''\)"):
        load_digits_csv(path)
    cells[3] = "0.5"
    path.write_text("\n".join(rows[:6] + [",".join(cells)] + rows[7:]) + "\n")
    status, _, err = run(capsys, "train", "--dataset", f"csv:{path}", "--no-save")
    assert status == 2 and "line 7, column 'pixel2': '0.5' is not a whole number; not a digit CSV" in err
