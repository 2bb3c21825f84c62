"""The tables users have: dialects, encodings, wide files, and a table model meeting another file of its table."""

import json

import numpy as np
import pytest

from nnscratch import cli
from nnscratch.datasets import load_dataset
from nnscratch.errors import DataFormatError

LEVELS = ("low", "mid", "high")


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def write_levels(path, rows, seed=0, keep=None, columns=("a", "b", "label")):
    """Two features and a three-level target cut from the first; ``keep``: which levels to write."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 2))
    y = np.digitize(X[:, 0], [-0.4, 0.4])
    cells = {"a": lambda x, t: f"{x[0]:.4f}", "b": lambda x, t: f"{x[1]:.4f}", "label": lambda x, t: LEVELS[t],
             "z": lambda x, t: "9"}
    lines = [",".join(columns)] + [",".join(cells[c](x, t) for c in columns)
                                   for x, t in zip(X, y) if keep is None or LEVELS[t] in keep]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def levels_model(tmp_path, capsys):
    model = tmp_path / "levels.npz"
    status, _, err = run(capsys, "train", "--dataset", f"csv:{write_levels(tmp_path / 'train.csv', 150)}",
                         "--epochs", "60", "--out", model, "--quiet", "--backend", "numpy")
    assert status == 0, err
    return model


def evaluate(capsys, model, csv):
    status, out, err = run(capsys, "evaluate", model, "--dataset", f"csv:{csv}", "--split", "train", "--json")
    return status, (json.loads(out) if status == 0 else None), err


def test_evaluate_on_a_file_holding_some_of_the_classes_numbers_them_as_the_model_does(tmp_path, capsys,
                                                                                        levels_model):
    """A new file with only 'high' and 'mid' rows: its labels are the model's indices of those names (they
    were 0 and 1 of its own sorted names, so 'mid' rows were scored as 'low'), as on the file with all three."""
    every = write_levels(tmp_path / "every.csv", 200, seed=1)
    some = write_levels(tmp_path / "some.csv", 200, seed=1, keep=("mid", "high"))
    status, all_three, err = evaluate(capsys, levels_model, every)
    assert status == 0 and all_three["accuracy"] > 0.8, err
    status, two, err = evaluate(capsys, levels_model, some)
    assert status == 0 and "warning" not in err, err
    assert two["accuracy"] > 0.8                                     # 0.56 when 'mid' was read as index 1
    assert sum(two["confusion_matrix"][1]) == 0                      # no row is 'low' (index 1 of high, low, mid)


def test_evaluate_on_a_file_with_a_class_the_model_never_learned_says_so(tmp_path, capsys, levels_model):
    other = tmp_path / "other.csv"
    other.write_text(write_levels(tmp_path / "x.csv", 200, seed=1).read_text().replace(",mid\n", ",unseen\n"))
    status, _, err = evaluate(capsys, levels_model, other)
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "class unseen, which the model never learned (its classes: high, low, mid)" in err


def test_evaluate_reads_the_models_features_by_name_among_extra_columns(tmp_path, capsys, levels_model):
    plain = write_levels(tmp_path / "plain.csv", 200, seed=1)
    extra = write_levels(tmp_path / "extra.csv", 200, seed=1, columns=("z", "b", "label", "a"))
    status, own, err = evaluate(capsys, levels_model, plain)
    assert status == 0, err
    status, with_extra, err = evaluate(capsys, levels_model, extra)     # was: "expects 2 inputs but ... 3 features"
    assert status == 0, err
    assert with_extra["confusion_matrix"] == own["confusion_matrix"]
    lacking = write_levels(tmp_path / "lacking.csv", 200, seed=1, columns=("a", "label"))
    status, _, err = evaluate(capsys, levels_model, lacking)     # was: "expects 2 inputs but csv has 1 features"
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "lack the model's feature b (it takes a, b; they have a)" in err


def test_a_tsv_file_trains_evaluates_and_predicts_by_its_name(tmp_path, capsys, monkeypatch):
    """``--dataset data.tsv`` was an "Unknown dataset" and ``predict MODEL data.tsv`` an "unknown input type",
    though the reader takes tab-separated cells (``csv:data.tsv`` worked)."""
    monkeypatch.chdir(tmp_path)
    text = write_levels(tmp_path / "levels.csv", 100).read_text().replace(",", "\t")
    (tmp_path / "levels.tsv").write_text(text)
    assert load_dataset("levels.tsv").feature_names == ("a", "b")
    status, _, err = run(capsys, "train", "--dataset", "levels.tsv", "--epochs", "2", "--out", "m.npz", "--quiet",
                         "--backend", "numpy")
    assert status == 0, err
    status, out, err = run(capsys, "predict", "m.npz", "levels.tsv", "--json")
    assert status == 0 and len(out.splitlines()) == 100, err
    assert {json.loads(line)["name"] for line in out.splitlines()} <= set(LEVELS)


def test_comment_lines_are_skipped_and_a_hash_header_kept(tmp_path):
    """A '# exported by ...' line above the header made the file 'one column only' (its separator was guessed
    from that line); one among the rows was 'line 7: 1 values but 3 columns'."""
    rows = [f"{i * 0.5};{(i * 7) % 5};{i % 2}" for i in range(30)]
    (tmp_path / "c.csv").write_text("# exported by a tool, v2\n\na;b;label\n" + "\n".join(rows[:10]) +
                                    "\n# batch two\n" + "\n".join(rows[10:]) + "\n")
    data = load_dataset(f"csv:{tmp_path / 'c.csv'}")
    assert data.feature_names == ("a", "b") and len(data.X_train) + len(data.X_test) == 30
    (tmp_path / "h.csv").write_text("#,x,label\n" + "".join(f"{i},{i % 5},{i % 2}\n" for i in range(30)))
    assert load_dataset(f"csv:{tmp_path / 'h.csv'}").feature_names == ("#", "x")   # a column named '#'


def test_a_thousand_column_table_names_its_columns_in_one_short_line(tmp_path):
    header = ",".join(f"f{j}" for j in range(1000)) + ",label\n"
    (tmp_path / "wide.csv").write_text(header + "".join(",".join(["1"] * 1000) + f",{i % 2}\n" for i in range(10)))
    (tmp_path / "empty.csv").write_text(header)
    data = load_dataset(f"csv:{tmp_path / 'wide.csv'}")
    assert data.n_features == 1000 and data.target_name == "label"
    for spec, options in ((f"csv:{tmp_path / 'wide.csv'}", {"target": "price"}), (f"csv:{tmp_path / 'empty.csv'}", {})):
        with pytest.raises(Exception) as caught:
            load_dataset(spec, **options)
        message = str(caught.value)
        assert len(message) < 300 and "f0, f1" in message and "..., label" in message, message[:400]
