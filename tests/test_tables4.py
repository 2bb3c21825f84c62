"""The command line meeting a user's tables: columns a model never used, files named as files, a resumed run
read with the same target and split, a model file given as data, what training says of its scaling, what
``info`` says offline and the labels ``predict --json`` gives."""

import json

import numpy as np
import pytest

from nnscratch import cli
from nnscratch.datasets import load_table
from nnscratch.errors import DataFormatError


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def table(path, rows=80, seed=0, notes=False, labels=("1", "2")):
    """Features a, b and a target ``label`` of ``labels`` (by a + b > 0); ``notes``: a text column and a
    column with gaps between them, which no model trained on a, b uses."""
    rng = np.random.default_rng(seed)
    head = "a,notes,b,gaps,label" if notes else "a,b,label"
    lines = [head]
    for i, (a, b) in enumerate(rng.normal(size=(rows, 2))):
        label = labels[int(a + b > 0)]
        extra = [f"seen {i}", "" if i % 3 else "1.5"] if notes else []
        lines.append(",".join([f"{a:.4f}", *extra[:1], f"{b:.4f}", *extra[1:], label]))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def model(tmp_path, capsys):
    """A classifier of train.csv (a, b -> label 1 or 2), saved at model.npz."""
    out = tmp_path / "model.npz"
    status, _, err = run(capsys, "train", "--dataset", f"csv:{table(tmp_path / 'train.csv')}", "--epochs", "3",
                         "--out", out, "--backend", "numpy")
    assert status == 0, err
    return out


def test_evaluate_and_plot_read_only_the_models_columns(tmp_path, capsys, model):
    """A text column or one with gaps that the model never used made evaluate and plot refuse the file
    ('column 'notes': ... not a number'), which predict reads; training still refuses them."""
    extra, plain = table(tmp_path / "extra.csv", notes=True), table(tmp_path / "plain.csv")
    status, out, err = run(capsys, "evaluate", model, "--dataset", f"csv:{extra}", "--json")
    assert status == 0, err
    scores = json.loads(out)
    assert scores == dict(json.loads(run(capsys, "evaluate", model, "--dataset", f"csv:{plain}", "--json")[1]),
                          dataset="extra.csv")
    status, _, err = run(capsys, "plot", model, "--what", "confusion", "--dataset", f"csv:{extra}",
                         "--out", tmp_path / "confusion.png")
    assert status == 0, err
    status, _, err = run(capsys, "train", "--dataset", f"csv:{extra}", "--no-save")
    assert status == 2 and "column 'notes'" in err
    reordered = load_table(extra, features=("b", "a"))
    assert reordered.feature_names == ("b", "a")
    assert np.array_equal(reordered.X_test, load_table(plain).X_test[:, ::-1])
    for other in (("a", "missing"), ("a", "label")):  # a column absent, or the target: every column, as before
        with pytest.raises(DataFormatError, match="column 'notes'"):
            load_table(extra, features=other)


def test_a_table_is_named_by_its_file(tmp_path, capsys, model):
    """Messages said 'csv' where the file's name belongs ('on 16 csv test samples', 'csv has 3 features')."""
    status, out, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 'train.csv'}", "--epochs", "1",
                           "--no-save", "--backend", "numpy")
    assert status == 0 and "training 2-64-64-2 on train.csv (" in out and "16 train.csv test samples" in out
    assert "only 16 test samples in train.csv" in err
    wide = tmp_path / "wide.csv"
    wide.write_text("".join(f"{i},{i % 3},{i % 5},{i % 2 + 1}\n" for i in range(20)))
    status, _, err = run(capsys, "evaluate", model, "--dataset", f"csv:{wide}", "--target", "3")
    assert status == 2 and "but wide.csv has 3 features" in err
    called = tmp_path / "xor"  # a file of a catalog name keeps its own defaults: not xor's
    table(called)
    assert load_table(called).name == "xor"
    from nnscratch.datasets import load_dataset
    assert load_dataset(f"csv:{called}").name == "csv:xor"


def test_another_csv_with_the_models_columns_is_not_called_other_data(tmp_path, capsys):
    """Named by their files, a regression model's own table and another with its columns must not be said to
    differ (they have no class names to compare; every CSV was named 'csv' before)."""
    rng = np.random.default_rng(1)
    for name in ("sizes.csv", "more.csv"):
        x = rng.normal(size=(60, 2))
        lines = ["a,b,y"] + [f"{a:.4f},{b:.4f},{a + 0.5 * b + 0.25:.4f}" for a, b in x]
        (tmp_path / name).write_text("\n".join(lines) + "\n")
    out = tmp_path / "sizes.npz"
    assert run(capsys, "train", "--dataset", f"csv:{tmp_path / 'sizes.csv'}", "--epochs", "2", "--out", out)[0] == 0
    status, _, err = run(capsys, "evaluate", out, "--dataset", f"csv:{tmp_path / 'more.csv'}")
    assert status == 0 and "warning" not in err


@pytest.mark.parametrize("options, said", [
    (["--test-fraction", "0.3"], "with --test-fraction 0.2, and this command with --test-fraction 0.3; resume with "
                                 "the checkpoint run's values (--test-fraction 0.2)"),
    (["--task", "regression"], "with --task classification, and this command with --task regression"),
    (["--target", "b"], "with --target label, --task classification, and this command with --target b, --task regression"),
])
def test_resume_refuses_another_target_task_or_split(tmp_path, capsys, options, said):
    """--resume with another --test-fraction drew another split (test rows trained on) and went on in
    silence; another --target or --task was called another network ('the same --layers and --model')."""
    data, checkpoint = f"csv:{table(tmp_path / 'train.csv')}", tmp_path / "run.ckpt.npz"
    first = ["train", "--dataset", data, "--no-save", "--backend", "numpy", "--checkpoint", checkpoint]
    assert run(capsys, *first, "--epochs", "1")[0] == 0
    status, _, err = run(capsys, *first, "--epochs", "2", "--resume", checkpoint, *options)
    assert status == 2 and err.count("\n") == 1 and said in err and "train.csv" in err
    status, _, err = run(capsys, *first, "--epochs", "2", "--resume", checkpoint, "--target", "2",
                         "--test-fraction", "0.2")  # the same values, said otherwise
    assert status == 0, err


def test_a_model_file_given_as_data_is_named_as_one(tmp_path, capsys, model):
    """--dataset npz:model.npz listed the model's arrays ('__header__', 'a/0.bias', ...) as the keys found."""
    status, _, err = run(capsys, "evaluate", model, "--dataset", f"npz:{model}")
    assert status == 2 and err.count("\n") == 1
    assert f"{model} is a model file written by nnscratch, not data; --dataset (load_dataset in Python) takes a table or arrays" in err
    assert f"(`nnscratch evaluate {model} --dataset DATA`" in err and "__header__" not in err
    checkpoint = tmp_path / "c.npz"
    run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--no-save", "--checkpoint", checkpoint)
    status, _, err = run(capsys, "train", "--dataset", checkpoint, "--no-save")
    assert status == 2 and f"{checkpoint} is a checkpoint written by `nnscratch train --checkpoint`" in err


def test_training_says_once_that_features_are_standardised(tmp_path, capsys):
    status, out, _ = run(capsys, "train", "--dataset", f"csv:{table(tmp_path / 't.csv')}", "--epochs", "1",
                         "--no-save")
    assert status == 0 and out.count("features standardised on the training split") == 1
    status, out, _ = run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--no-save")
    assert status == 0 and "standardised" not in out


def test_info_says_offline_files_are_not_downloaded(tmp_path, capsys, monkeypatch):
    from nnscratch.datasets import fetch
    monkeypatch.setattr(fetch, "search_dirs", lambda name, path=None: [tmp_path])
    monkeypatch.setenv("NNSCRATCH_OFFLINE", "1")
    out = run(capsys, "info")[1]
    assert "downloads on first use" not in out
    assert "mnist            not found; not downloaded (NNSCRATCH_OFFLINE=1): put its files in" in out
    monkeypatch.setenv("NNSCRATCH_OFFLINE", "0")
    assert "mnist            not found; downloads on first use" in run(capsys, "info")[1]


@pytest.mark.parametrize("labels, names", [(("1", "2"), [1, 2]), (("0.5", "2.5"), [0.5, 2.5]),
                                           (("no", "yes"), ["no", "yes"]), (("1", "b"), ["1", "b"])])
def test_predict_json_gives_labels_in_their_own_type(tmp_path, capsys, labels, names):
    """A table whose classes are numbers printed '"name": "2"'; a number stays a number, text stays text
    (a column mixing 1 and b is text), and "class" is the model's index of it."""
    out = tmp_path / "m.npz"
    options = ["--task", "classification"] * (labels[0] == "0.5")
    assert run(capsys, "train", "--dataset", f"csv:{table(tmp_path / 't.csv', labels=labels)}", "--epochs", "3",
               "--out", out, *options)[0] == 0
    status, printed, _ = run(capsys, "predict", out, tmp_path / "t.csv", "--json")
    rows = [json.loads(line) for line in printed.splitlines()]
    assert status == 0 and len(rows) == 80
    assert all(type(row["name"]) is type(names[row["class"]]) and row["name"] == names[row["class"]] for row in rows)
