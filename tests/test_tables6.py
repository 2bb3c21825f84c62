"""Tables as users bring them: trailing commas, a header of numbers over a column of class names, a header
whose quoted names hold another separator, space-separated files, and predict agreeing with evaluate."""

import json

import numpy as np
import pytest

from nnscratch import Network, cli
from nnscratch.datasets.tables import load_table, separator
from nnscratch.errors import DataFormatError
from nnscratch.saving.standardizer import standardize_for

SPECIES = ("setosa", "versicolor", "virginica")


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def trained(capsys, tmp_path, name):
    """``tmp_path / "m.npz"``: a model trained 2 epochs on the table ``tmp_path / name``."""
    model = tmp_path / "m.npz"
    status, _, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / name}", "--epochs", "2",
                         "--out", model, "--quiet", "--backend", "numpy")
    assert status == 0, err
    return model


def species_rows(n=60, seed=0):
    """Rows ``x0,x1,species`` (as text) of a table whose species shift both features."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.normal(size=(n, 2)) * 0.3 + y[:, None]
    return [f"{x[0]:.4f},{x[1]:.4f},{SPECIES[c]}" for x, c in zip(X, y)]


@pytest.mark.parametrize("header, rows", [
    ("a,b,species,", [r + "," for r in species_rows()]),     # every line ends in a comma (Excel's, R's)
    ("a,b,species", [r + "," for r in species_rows()]),      # the rows' lines only
    ("a,b,species,,", [r + ",," for r in species_rows()]),   # two of them
])
def test_trailing_commas_are_no_column(tmp_path, header, rows):
    (tmp_path / "t.csv").write_text("\n".join([header, *rows]) + "\n")
    (tmp_path / "plain.csv").write_text("\n".join(["a,b,species", *species_rows()]) + "\n")
    data, plain = load_table(tmp_path / "t.csv"), load_table(tmp_path / "plain.csv")
    assert data.feature_names == ("a", "b") and data.target_name == "species" and data.class_names == SPECIES
    np.testing.assert_array_equal(data.X_train, plain.X_train)


def test_a_last_cell_missing_in_some_rows_only_is_still_a_missing_target(tmp_path):
    rows = species_rows()
    rows[3] = rows[3].rsplit(",", 1)[0] + ","
    (tmp_path / "t.csv").write_text("\n".join(["a,b,species", *rows]) + "\n")
    with pytest.raises(DataFormatError, match=r"line 5, column 'species' \(the target\): missing value"):
        load_table(tmp_path / "t.csv")


def test_a_model_of_a_file_with_trailing_commas_predicts_rows_written_so(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("\n".join(["a,b,species,", *(r + "," for r in species_rows())]) + "\n")
    model = trained(capsys, tmp_path, "t.csv")
    (tmp_path / "rows.csv").write_text("a,b,\n0.1,0.2,\n2.0,2.1,\n")
    status, out, err = run(capsys, "predict", model, tmp_path / "rows.csv", "--json")
    assert status == 0, err
    assert [json.loads(line)["name"] in SPECIES for line in out.splitlines()] == [True, True]


def test_a_header_of_numbers_over_a_column_of_class_names_is_the_header(tmp_path):
    (tmp_path / "years.csv").write_text("\n".join(["1990,2000,species", *species_rows()]) + "\n")
    data = load_table(tmp_path / "years.csv")
    assert data.feature_names == ("1990", "2000") and data.target_name == "species"
    assert data.class_names == SPECIES                  # no class "species" of one row
    assert len(data.X_train) + len(data.X_test) == 60


def test_a_file_without_a_header_keeps_its_first_row(tmp_path):
    (tmp_path / "plain.csv").write_text("\n".join(species_rows()) + "\n")   # like UCI's iris.data
    data = load_table(tmp_path / "plain.csv")
    assert data.feature_names == ("column 0", "column 1") and data.class_names == SPECIES
    assert len(data.X_train) + len(data.X_test) == 60


@pytest.mark.parametrize("first, sep", [
    ('a,"b;c;d",y', ","),        # a quoted name holding semicolons: still commas
    ('"x,1";"x,2";"y,3"', ";"),  # semicolon-separated, names holding commas
    ("a;b;y", ";"), ("a\tb\ty", "\t"), ("1,5;2,5;0", ";"),
    ('size 5",b,y', ","), ('a "x" b,c,y', ","),   # a quote that opens no quoted cell
])
def test_the_separator_is_counted_outside_quoted_cells(first, sep):
    assert separator(first + "\n1,2,3\n") == sep


def test_a_header_with_quoted_semicolons_reads_as_a_comma_table(tmp_path):
    (tmp_path / "q.csv").write_text("\n".join(['a,"b;x;y",species', *species_rows()]) + "\n")
    data = load_table(tmp_path / "q.csv")
    assert data.feature_names == ("a", "b;x;y") and data.class_names == SPECIES


def test_a_space_separated_file_is_refused_saying_which_separators_are_read(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.savetxt(tmp_path / "s.csv", np.c_[rng.normal(size=(20, 2)), np.arange(20) % 2])  # savetxt's default: spaces
    status, _, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 's.csv'}", "--epochs", "1", "--no-save")
    assert status == 2 and len(err.strip().splitlines()) == 1
    for fragment in ("line 1", "spaces", "commas, tabs or semicolons", "delimiter=','"):
        assert fragment in err


def test_a_row_of_one_value_says_one_value(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,y\n1,2,0\n3\n")
    with pytest.raises(DataFormatError, match="line 3: 1 value but 3 columns"):
        load_table(tmp_path / "t.csv")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_predict_on_the_raw_test_rows_gives_the_classes_evaluate_scores(tmp_path, capsys, dtype):
    """The standardisation saved with the model is applied alike by evaluate and by predict (columns reordered)."""
    (tmp_path / "t.csv").write_text("\n".join(["a,b,species", *species_rows(90)]) + "\n")
    model = tmp_path / "m.npz"
    status, _, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 't.csv'}", "--epochs", "5", "--out", model,
                         "--quiet", "--backend", "numpy", "--dtype", dtype)
    assert status == 0, err
    status, out, err = run(capsys, "evaluate", model, "--json")
    assert status == 0, err
    net, data = Network.load(model), load_table(tmp_path / "t.csv")
    scores = net.backend.to_numpy(net.forward(standardize_for(net, data.X_test)))
    assert json.loads(out)["accuracy"] == pytest.approx(np.mean(np.argmax(scores, axis=1) == data.y_test))
    (tmp_path / "rows.csv").write_text("b,a\n" + "".join(f"{b!r},{a!r}\n" for a, b in data.X_test.tolist()))
    status, out, err = run(capsys, "predict", model, tmp_path / "rows.csv", "--json")
    assert status == 0, err
    assert [json.loads(line)["class"] for line in out.splitlines()] == np.argmax(scores, axis=1).tolist()


@pytest.mark.parametrize("value", [0.1, 2.675, 7.7])
def test_a_constant_column_keeps_std_1_though_its_mean_rounds(value):
    """0.1 sixty times has a float64 standard deviation of 4e-17, not 0: a column is constant when its values
    are all equal, else a row off by 1e-7 would be scaled to 1e9."""
    from nnscratch.datasets import standardize
    X = np.c_[np.linspace(0, 1, 60), np.full(60, value)]
    Z, mean, std = standardize(X)
    assert std[1] == 1.0 and np.all(np.abs(Z[:, 1]) < 1e-6)
    assert np.all(np.abs(standardize(np.array([[0.5, value + 1e-7]]), mean, std)[0]) < 1)


def test_a_model_of_a_table_with_a_constant_column_predicts_rows_off_by_a_little_alike(tmp_path, capsys):
    rows = [r.replace(",", ",0.1,", 1) for r in species_rows()]           # a, version 0.1, b, species
    (tmp_path / "t.csv").write_text("\n".join(["a,version,b,species", *rows]) + "\n")
    model = tmp_path / "m.npz"
    status, _, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 't.csv'}", "--epochs", "5", "--out", model,
                         "--quiet", "--backend", "numpy")
    assert status == 0, err
    net = Network.load(model)
    assert net.metadata["standardize"]["std"][1] == 1.0
    assert np.all(np.abs(standardize_for(net, np.array([[0.5, 0.1000001, 0.5], [0.5, 0.2, 0.5]]))) < 2)


def test_predict_reads_a_header_of_the_models_numeric_feature_names_as_its_header(tmp_path, capsys):
    (tmp_path / "years.csv").write_text("\n".join(["1990,2000,species", *species_rows()]) + "\n")
    model = trained(capsys, tmp_path, "years.csv")
    (tmp_path / "rows.csv").write_text("2000,1990\n0.1,2.0\n")
    (tmp_path / "same.csv").write_text("1990,2000\n2.0,0.1\n")
    status, out, err = run(capsys, "predict", model, tmp_path / "rows.csv", tmp_path / "same.csv", "--json")
    assert status == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["input"] for r in rows] == [str(tmp_path / "rows.csv"), str(tmp_path / "same.csv")]  # one row each
    assert rows[0]["probability"] == rows[1]["probability"]      # the columns found by name, not by place


def test_excels_unicode_text_utf16_with_tabs_reads_as_the_comma_table(tmp_path):
    lines = ["a,b,species", *species_rows()]
    (tmp_path / "plain.csv").write_text("\n".join(lines) + "\n")
    text = "\r\n".join(line.replace(",", "\t") for line in lines) + "\r\n"
    (tmp_path / "excel.txt").write_bytes(text.encode("utf-16"))
    data, plain = load_table(tmp_path / "excel.txt"), load_table(tmp_path / "plain.csv")
    assert data.feature_names == ("a", "b") and data.class_names == SPECIES
    np.testing.assert_array_equal(data.X_train, plain.X_train)


def test_a_file_in_another_encoding_is_still_refused_in_one_line(tmp_path):
    (tmp_path / "latin.csv").write_bytes("\n".join(["größe,b,species", *species_rows()]).encode("latin-1"))
    with pytest.raises(DataFormatError, match="not UTF-8 text.*save text tables as UTF-8"):
        load_table(tmp_path / "latin.csv")


def test_evaluate_on_a_header_alone_asks_for_rows_to_score(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("\n".join(["a,b,species", *species_rows()]) + "\n")
    model = tmp_path / "m.npz"
    status, _, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 't.csv'}", "--epochs", "1", "--out", model,
                         "--quiet", "--backend", "numpy")
    assert status == 0, err
    (tmp_path / "h.csv").write_text("a,b,species\n")
    status, _, err = run(capsys, "evaluate", model, "--dataset", f"csv:{tmp_path / 'h.csv'}")
    assert status == 2 and "no rows of data; add rows to score the model on" in err and "per class" not in err


def test_a_model_of_a_file_without_a_header_predicts_its_rows_with_their_classes(tmp_path, capsys):
    """The model knows its columns ("column 0", ...): a first row whose class no row below repeats is data."""
    (tmp_path / "plain.csv").write_text("\n".join(species_rows()) + "\n")
    model = trained(capsys, tmp_path, "plain.csv")
    (tmp_path / "rows.csv").write_text("0.1,0.2,setosa\n1.1,1.0,versicolor\n1.2,0.9,versicolor\n")
    status, out, err = run(capsys, "predict", model, tmp_path / "rows.csv", "--json")
    assert status == 0, err
    assert len(out.splitlines()) == 3


@pytest.mark.parametrize("value, task", [("0.1", None), ("5", "regression"), ("2.5", "regression")])
def test_a_target_of_one_value_is_refused_as_a_regression_too(tmp_path, value, task):
    rows = [r.rsplit(",", 1)[0] + "," + value for r in species_rows()]
    (tmp_path / "t.csv").write_text("\n".join(["a,b,y", *rows]) + "\n")
    with pytest.raises(DataFormatError, match=rf"column 'y' \(the target\) holds one value \({value}\) in every row"):
        load_table(tmp_path / "t.csv", task=task)
    assert load_table(tmp_path / "t.csv", task=task, one_class=True).task == "regression"  # rows to score on


@pytest.mark.parametrize("label", ["setosa", "3"])
def test_a_file_of_one_row_is_told_to_add_rows_not_classes(tmp_path, capsys, label):
    (tmp_path / "one.csv").write_text(f"a,b,y\n1,2,{label}\n")
    status, _, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 'one.csv'}", "--no-save")
    assert status == 2 and "one row of data cannot be split" in err and "class" not in err


@pytest.mark.parametrize("marker", ["#N/A", "<NA>", "-nan", "#DIV/0!", "#VALUE!", "1.#QNAN"])
@pytest.mark.parametrize("column, role", [(1, "'b'"), (2, r"'species' \(the target\)")])
def test_pandas_and_excels_missing_value_markers_are_missing_values(tmp_path, marker, column, role):
    """pandas reads #N/A, <NA>, -nan ... as missing, Excel writes #DIV/0! for a formula of no value: a target
    cell holding one was a class of its own, a feature cell "a decimal comma" or "a category"."""
    rows = species_rows()
    cells = rows[4].split(",")
    cells[column] = marker
    rows[4] = ",".join(cells)
    (tmp_path / "t.csv").write_text("\n".join(["a,b,species", *rows]) + "\n")
    said = rf"line 6, column {role}: missing value \({marker!r}\)".replace(".", r"\.")
    with pytest.raises(DataFormatError, match=said):
        load_table(tmp_path / "t.csv")


@pytest.mark.parametrize("cell, said", [
    ("1 000", "a thousands separator"), ("1\u00a0000,5", "a thousands separator"),
    ("5%", "it holds a unit sign"), ("$100", "it holds a unit sign"), ("12 €", "it holds a unit sign"),
    ("red", "Encode categories as numbers"),
])
def test_a_feature_cell_that_is_almost_a_number_says_what_to_remove(tmp_path, cell, said):
    rows = species_rows()
    rows[2] = f'"{cell}",' + rows[2].split(",", 1)[1]
    (tmp_path / "t.csv").write_text("\n".join(["a,b,species", *rows]) + "\n")
    with pytest.raises(DataFormatError, match=rf"line 4, column 'a': .* is not a number.*{said}"):
        load_table(tmp_path / "t.csv")


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_excels_sep_line_names_the_separator(tmp_path, sep):
    lines = ["a,b,species", *species_rows()]
    (tmp_path / "plain.csv").write_text("\n".join(lines) + "\n")
    text = f"sep={sep}\r\n" + "\r\n".join(line.replace(",", sep) for line in lines) + "\r\n"
    (tmp_path / "excel.csv").write_text(text)
    data, plain = load_table(tmp_path / "excel.csv"), load_table(tmp_path / "plain.csv")
    assert data.feature_names == ("a", "b") and data.class_names == SPECIES
    np.testing.assert_array_equal(data.X_train, plain.X_train)


def test_a_header_repeated_below_says_the_files_were_joined(tmp_path, capsys):
    lines = ["a,b,species", *species_rows()]
    (tmp_path / "joined.csv").write_text("\n".join(lines[:20] + lines) + "\n")      # cat a.csv b.csv > joined.csv
    status, _, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 'joined.csv'}", "--no-save")
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "line 21 repeats the header" in err and "Remove that line" in err


@pytest.mark.parametrize("header, target", [("x,y,label", "label"), ("y,x,class", "class"), ("Y,x,Target", "Target"),
                                            ("x1,y,x2", "y"), ("a,b,c", "c")])
def test_the_target_by_name_follows_the_order_label_target_class_y(tmp_path, header, target):
    rows = [f"{x:.3f},{z:.3f},{int(x * z > 0)}" for x, z in np.random.default_rng(0).normal(size=(40, 2))]
    (tmp_path / "t.csv").write_text("\n".join([header, *rows]) + "\n")
    assert load_table(tmp_path / "t.csv").target_name == target


def test_a_model_without_column_names_skips_the_label_not_y_of_x_y_label(tmp_path):
    from nnscratch.datasets.tables import input_rows
    (tmp_path / "p.csv").write_text("x,y,label\n0.5,-0.25,1\n")
    np.testing.assert_array_equal(input_rows(tmp_path / "p.csv", 2), [[0.5, -0.25]])


@pytest.mark.parametrize("title", ["Iris measurements 2024", "Iris measurements, 2024"])
def test_a_title_line_above_the_table_is_said_as_one(tmp_path, title):
    lines = ["a,b,species", *species_rows()]
    (tmp_path / "t.csv").write_text("\n".join([title, *lines]) + "\n")
    with pytest.raises(DataFormatError, match=r"line 1: \d cells? above rows of 3: a title line\? Remove it or start"):
        load_table(tmp_path / "t.csv")
    (tmp_path / "t.csv").write_text("\n".join(["# " + title, *lines]) + "\n")       # as the message says
    assert load_table(tmp_path / "t.csv").class_names == SPECIES


def test_a_digit_csv_with_a_comma_ending_each_row_reads_as_without(tmp_path):
    from nnscratch.datasets import load_digits_csv
    rng = np.random.default_rng(0)
    header = "label," + ",".join(f"pixel{j}" for j in range(784))
    rows = [f"{i % 10}," + ",".join(map(str, rng.integers(0, 256, 784))) for i in range(5)]
    (tmp_path / "plain.csv").write_text("\n".join([header, *rows]) + "\n")
    (tmp_path / "commas.csv").write_text("\n".join([header, *(r + "," for r in rows)]) + "\n")
    X, y = load_digits_csv(tmp_path / "commas.csv")
    X0, y0 = load_digits_csv(tmp_path / "plain.csv")
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_a_regression_target_holding_text_names_the_text_and_a_fix_for_the_command(tmp_path):
    rows = [f"{x:.3f},{x * 3 + 1:.3f}" for x in np.random.default_rng(0).normal(size=30)]
    rows[4] = rows[4].split(",")[0] + ",high"
    (tmp_path / "t.csv").write_text("\n".join(["a,price", *rows]) + "\n")
    with pytest.raises(DataFormatError, match=r"holds non-numbers \(e.g. 'high'\).*--task classification"):
        load_table(tmp_path / "t.csv", task="regression")
    with pytest.raises(DataFormatError, match=r"\(e.g. 'high'\).*fix or drop the rows that hold text"):
        load_table(tmp_path / "t.csv", task="regression", one_class=True)      # evaluate of a regression model


def test_a_target_column_empty_in_every_row_asks_for_the_target_by_name(tmp_path, capsys):
    rows = [r + "," for r in species_rows()]
    (tmp_path / "t.csv").write_text("\n".join(["a,b,species,notes", *rows]) + "\n")
    status, _, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 't.csv'}", "--no-save")
    assert status == 2 and "column 'notes' (the target) is empty in every row; name the target with --target" in err
    data = load_table(tmp_path / "t.csv", target="species", features=("a", "b"))
    assert data.class_names == SPECIES


def test_a_feature_column_empty_in_every_row_is_told_to_be_dropped(tmp_path, capsys):
    rows = [r.replace(",", ",,", 1) for r in species_rows()]                     # a, notes (empty), b, species
    (tmp_path / "t.csv").write_text("\n".join(["a,notes,b,species", *rows]) + "\n")
    status, _, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 't.csv'}", "--no-save")
    assert status == 2 and "column 'notes' is empty in every row; drop that column" in err


def test_a_bar_separated_file_is_refused_saying_which_separators_are_read(tmp_path):
    (tmp_path / "t.csv").write_text("\n".join(["a|b|species", *(r.replace(",", "|") for r in species_rows())]) + "\n")
    with pytest.raises(DataFormatError, match="line 1: one column only .* commas, tabs or semicolons, not bars"):
        load_table(tmp_path / "t.csv")
