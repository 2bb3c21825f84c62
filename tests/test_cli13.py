"""The command line as a newcomer and an experienced user meet it: pictures predict reads, files named for
another format, data where a model goes (each test fails on main)."""

import json
import pathlib

import numpy as np
import pytest

from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-error-line checks)

TINY = ["--epochs", "1", "--backend", "numpy", "--quiet"]


@pytest.fixture
def digits(capsys):
    """A tiny digit model in the test's folder, d.npz, and the picture of a one: a bar on white, one.png."""
    Image = pytest.importorskip("PIL.Image")
    assert run(capsys, "train", "--layers", "784,8,10", *TINY, "--augment", "0", "--out", "d.npz")[0] == 0
    picture = np.full((56, 56), 255, np.uint8)
    picture[8:48, 25:31] = 0
    Image.fromarray(picture).save("one.png")
    return Image, picture


# ---------------------------------------------------------------- predict's pictures

def test_predict_reads_a_tiff_as_the_guide_says(digits, capsys):
    """The guide says predict scales grey levels 'by the file's depth (8-bit, 16-bit PNG, float TIFF)', and the
    library reads a float TIFF; predict refused it: 'd.tif: unknown input type .tif'."""
    Image, picture = digits
    Image.fromarray(picture.astype(np.float32) / 255).save("one.tif")
    Image.fromarray(picture).save("one.tiff")
    status, out, err = run(capsys, "predict", "d.npz", "one.png", "one.tif", "one.tiff", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and err == "" and [r["input"] for r in rows] == ["one.png", "one.tif", "one.tiff"]
    assert rows[0]["class"] == rows[1]["class"] == rows[2]["class"]
    assert rows[1]["probability"] == pytest.approx(rows[0]["probability"], abs=1e-5)
    one_line(*run(capsys, "evaluate", "one.tif")[::2], "one.tif is an image file, not a model")


@pytest.mark.parametrize("content, received", [
    (b"", "but the file is empty (0 bytes)"),
    (b"<html>not found</html>", "but it is not a picture Pillow can read (cannot identify image file")])
def test_a_picture_that_cannot_be_read_says_what_was_expected_and_the_fix(digits, capsys, content, received):
    """An empty download or an HTML page saved as digit.png said 'cannot read the image (cannot identify image
    file 'digit.png')' and no more: neither what it is nor what to do."""
    pathlib.Path("digit.png").write_bytes(content)
    one_line(*run(capsys, "predict", "d.npz", "digit.png")[::2], "digit.png: expected a PNG or JPEG picture",
             received, "save the picture again as PNG or JPEG")


# ---------------------------------------------------------------- a file named for another format

@pytest.mark.parametrize("option, name, said", [
    (["--out", "m.onnx"], "m.onnx", "--out m.onnx: --out writes an nnscratch model, a NumPy .npz archive, and .onnx "
                                    "names an ONNX model; name it m.npz (then `nnscratch export m.npz m.onnx`"),
    (["--no-save", "--history", "h.csv"], "h.csv", "--history h.csv: --history writes the training history as "
                                                   "JSON, and .csv names a CSV table; name it h.json."),
    (["--no-save", "--checkpoint", "c.json"], "c.json", "--checkpoint c.json: --checkpoint writes an nnscratch "
                                                        "checkpoint, a NumPy .npz archive, and .json names a JSON")])
def test_train_refuses_to_write_one_format_under_another_formats_name(capsys, option, name, said):
    """`train --out m.onnx` wrote an .npz archive that onnxruntime cannot open (export refuses OUTPUT out.txt),
    and `--history h.csv` JSON that a spreadsheet shows as one cell: in silence, after the training."""
    one_line(*run(capsys, "train", "--dataset", "xor", *TINY, *option)[::2], said)
    assert not pathlib.Path(name).exists()
    assert run(capsys, "train", "--dataset", "xor", *TINY, "--no-save", "--checkpoint", "run.ckpt")[0] == 0  # no format


# ---------------------------------------------------------------- data where the model goes

@pytest.mark.parametrize("argv, use", [
    (["plot", "t.csv"], "a CSV table, not a model: plot draws a model file (.npz, from `nnscratch train --out`) or "
                        "a training history (.json, from `nnscratch train --history`); give one (`nnscratch plot "
                        "MODEL.npz`), or with these data for the model's pictures: `nnscratch plot MODEL.npz --what "
                        "confusion --dataset csv:t.csv`."),
    (["plot", "x.npy", "--what", "confusion"], "a NumPy array (.npy), not a model: plot draws a model file"),
    (["export", "t.csv", "t.onnx"], "a CSV table, not a model: export converts a model file (.npz, from `nnscratch "
                                    "train --out`) to ONNX; give one: `nnscratch export MODEL.npz OUTPUT.onnx`.")])
def test_plot_and_export_call_data_given_where_the_model_goes_data_as_evaluate_does(capsys, argv, use):
    """`nnscratch plot table.csv` said 'table.csv is not an nnscratch model: it is not an .npz archive at all',
    where `nnscratch evaluate table.csv` says it is data and shows the order the command takes."""
    pathlib.Path("t.csv").write_text("a,b,label\n1,2,0\n3,4,1\n")
    np.save("x.npy", np.zeros((2, 784), np.float32))
    pytest.importorskip("matplotlib")
    line = one_line(*run(capsys, *argv)[::2], f"{argv[1]} is {use}")
    assert "not an .npz archive" not in line and sorted(p.name for p in pathlib.Path().iterdir()) == ["t.csv", "x.npy"]


# ---------------------------------------------------------------- other tools' options

@pytest.mark.parametrize("typed, said", [
    (["--dropout", "0.2"], "dropout is a layer here: put it in --layers, e.g. --layers dense256,relu,dropout0.2"),
    (["--momentum", "0.9"], "SGD with momentum is an optimizer here: --optimizer momentum (0.9)"),
    (["--l2", "1e-4"], "did you mean --weight-decay?"), (["--save", "m.npz"], "did you mean --out?"),
    (["--bs", "32"], "did you mean --batch-size?"), (["--device", "cuda"], "did you mean --backend?"),
    (["--test-size", "0.3"], "did you mean --test-fraction?"), (["--units", "8"], "did you mean --layers?")])
def test_an_option_of_another_tool_is_answered_with_the_one_that_does_it_here(capsys, typed, said):
    """difflib guessed: --dropout 'did you mean --out?', --l2 '--lr' (a learning rate of 1e-4 for an L2 factor),
    --save '--no-save' (the opposite), --bs '--task', --device '--decay', --test-size '--step-size', --units
    '--quiet', --momentum '--augment'."""
    one_line(*run(capsys, "train", "--dataset", "xor", *typed, "--no-save")[::2],
             f"unrecognized arguments: {' '.join(typed)}; {said}")


def test_a_train_habit_is_not_answered_with_train_words_on_another_command(capsys):
    """bench --layers takes hidden sizes, no layer spec: 'put dropout in --layers' is train's answer alone."""
    line = one_line(*run(capsys, "bench", "--dropout", "0.2")[::2], "unrecognized arguments: --dropout 0.2")
    assert "dropout0.2" not in line


# ---------------------------------------------------------------- the pictures

def test_the_curves_of_a_one_epoch_run_show_its_values_at_epoch_1(capsys):
    """`train --epochs 1 --history h.json` then `plot h.json`: two empty panels (one record is a line of no
    length) over an epoch axis ticked 0.945, 0.960 ... 1.050."""
    pytest.importorskip("matplotlib")
    from nnscratch.viz.curves import plot_history
    assert run(capsys, "train", "--dataset", "moons", *TINY, "--no-save", "--history", "h.json")[0] == 0
    figure = plot_history("h.json")
    for ax in figure.axes:
        assert [line.get_marker() for line in ax.get_lines() if line.get_label() in ("training", "validation")] \
            == ["o", "o"]
        assert [tick.get_text() for tick in ax.get_xticklabels()] == ["1"]
    two = plot_history({"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]})  # a line: no markers, whole epochs
    assert all(line.get_marker() == "None" for ax in two.axes for line in ax.get_lines())


def test_a_regression_panel_is_titled_r_squared_as_the_epoch_lines_say(capsys):
    """The epoch lines and the test line say R^2; the curves' panel said 'r2'."""
    pytest.importorskip("matplotlib")
    from nnscratch.viz.curves import plot_history
    assert [ax.get_title() for ax in plot_history({"loss": [2.0, 1.0], "r2": [0.1, 0.5]}).axes] == ["loss", "$R^2$"]


# ---------------------------------------------------------------- info says what a run will do

@pytest.mark.parametrize("setting, state", [("t.csv", "is a file, not a folder"), ("missing", "does not exist")])
def test_info_says_a_data_folder_that_is_no_folder_is_not_usable_as_train_refuses_it(capsys, monkeypatch, setting,
                                                                                     state):
    """$NNSCRATCH_DATA naming a file: info said 'fashion-mnist found in /usr/share/datasets/fashion-mnist'
    (or 'downloads on first use'), and `train --dataset fashion-mnist` then refused it ('is a file')."""
    pathlib.Path("t.csv").write_text("a,label\n1,0\n")
    monkeypatch.setenv("NNSCRATCH_DATA", setting)
    monkeypatch.setenv("NNSCRATCH_OFFLINE", "1")
    one_line(*run(capsys, "train", "--dataset", "fashion-mnist", "--no-save")[::2], f"(NNSCRATCH_DATA) {state}")
    status, out, _ = run(capsys, "info", "--json")
    said = {name: where["said"] for name, where in json.loads(out)["datasets"].items()}
    assert status == 0 and said["mnist"] == said["fashion-mnist"] == (
        f"not usable: NNSCRATCH_DATA={setting} {state}; set it to the folder of its files, or unset it")
    assert said["mnist-sample"].startswith("shipped")


def test_info_names_a_mistyped_backend_environment_variable_as_the_other_commands_do(capsys, monkeypatch):
    """info said 'default backend: unavailable (error: Unknown backend 'foo'; ...)', without the variable the
    name came from, where train and evaluate say '$NNSCRATCH_BACKEND=foo: ... unset it, or pass --backend'."""
    monkeypatch.setenv("NNSCRATCH_BACKEND", "foo")
    status, out, _ = run(capsys, "info")
    line = next(line for line in out.splitlines() if line.startswith("default backend: "))
    assert status == 0 and "unavailable (error: $NNSCRATCH_BACKEND=foo: Unknown backend 'foo'" in line
    assert "unset it" in line


# ---------------------------------------------------------------- a crash of any type

@pytest.mark.parametrize("error", [ZeroDivisionError("division by zero"), KeyError("val_loss"),
                                   IndexError("list index out of range"), AttributeError("no attribute 'x'")])
def test_a_crash_of_any_type_is_one_line_and_exit_status_1(capsys, monkeypatch, error):
    """Only ValueError, TypeError and RuntimeError were one line: `train --dataset csv:three-digit-rows.csv`
    (an empty test split, checks.small_data_notes' 1 / 0) printed a 15-line ZeroDivisionError traceback."""
    from nnscratch.cli import recipe

    def broken(*args, **kwargs):
        raise error
    monkeypatch.setattr(recipe, "settings", broken)
    status, out, err = run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--no-save")
    assert status == 1 and out == "" and err.strip().splitlines() == [
        f"error: {type(error).__name__}: {error} (run with --debug for the traceback)"]
    with pytest.raises(type(error)):  # --debug: the traceback itself
        run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--no-save", "--debug")


# ---------------------------------------------------------------- tables as pandas writes them

def _pandas_table(path, rows=60):
    """What `DataFrame.to_csv(path)` writes by default: the row index first, under an empty name."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 3))
    lines = [",a,b,label"] + [f"{i}," + ",".join(f"{v:.4f}" for v in x[:2]) + f",{int(x[0] > 0)}"
                              for i, x in enumerate(X)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_tables_pandas_index_learned_as_a_feature_is_said(capsys):
    """`df.to_csv('t.csv')` writes the row numbers as a first column without a name; train learned them as the
    feature 'Unnamed: 0' (3-64-64-2 for two features) without a word, so each prediction hung on a row number."""
    _pandas_table(pathlib.Path("t.csv"))
    status, out, err = run(capsys, "train", "--dataset", "csv:t.csv", *TINY, "--out", "t.npz", "--json")
    said = [w for w in json.loads(out)["warnings"] if "pandas" in w]
    assert status == 0 and said == [
        "t.csv: the first column has no name and numbers the rows (0, 1, 2, ..., 59): the index pandas' "
        "DataFrame.to_csv writes, learned here as a feature ('Unnamed: 0'); save the table with to_csv(PATH, "
        "index=False), or drop that column"]
    assert err.count("pandas") == 1  # one warning line, once
    status, _, err = run(capsys, "evaluate", "t.npz")
    assert status == 0 and "pandas" not in err  # said where it was learned, not at each use
    pathlib.Path("u.csv").write_text("\n".join(line.split(",", 1)[1] for line in
                                               pathlib.Path("t.csv").read_text().splitlines()) + "\n")
    assert "pandas" not in run(capsys, "train", "--dataset", "csv:u.csv", *TINY, "--no-save")[2]


# ---------------------------------------------------------------- a model's own data, moved since

@pytest.mark.parametrize("command", [["evaluate"], ["plot", "--what", "confusion", "--out", "c.png"]])
def test_a_models_own_table_moved_since_is_said_with_the_option_that_names_it(capsys, command):
    """`nnscratch evaluate t.npz` (no --dataset typed) after the table moved said 'csv file /abs/t.csv does not
    exist ...; name an existing file, e.g. csv:data/table.csv': neither that the model remembered it nor how."""
    pytest.importorskip("matplotlib")
    table = _pandas_table(pathlib.Path("t.csv"))
    assert run(capsys, "train", "--dataset", "csv:t.csv", *TINY, "--out", "t.npz")[0] == 0
    table.rename("moved.csv")
    spec = f"csv:{table.resolve()}"
    one_line(*run(capsys, command[0], "t.npz", *command[1:])[::2],
             f"t.npz was trained on {spec}, which is not there now; pass --dataset csv:PATH to name where")
    assert run(capsys, command[0], "t.npz", *command[1:], "--dataset", "csv:moved.csv")[0] == 0
    one_line(*run(capsys, "evaluate", "t.npz", "--dataset", "csv:gone.csv")[::2], "csv file gone.csv does not exist")


# ---------------------------------------------------------------- Ctrl-C before the first checkpoint

def test_ctrl_c_in_the_first_epoch_of_a_checkpointed_run_does_not_ask_for_checkpoint(tmp_path):
    """`train --checkpoint run.ckpt`, Ctrl-C in epoch 1: 'nothing was saved (no model, no checkpoint). Add
    --checkpoint PATH to be able to resume', to a command that had it."""
    from nnscratch.cli import resuming
    said = resuming.interrupted(str(tmp_path / "run.ckpt"), 0, 20)
    assert said == (f"interrupted during epoch 1 of 20; nothing was saved (no model; --checkpoint "
                    f"{tmp_path / 'run.ckpt'} is first written at the end of epoch 1). Run the same command again "
                    "to start over.")
    assert "Add --checkpoint PATH" in resuming.interrupted(None, 0, 20)  # without one: how to have one


# ---------------------------------------------------------------- a file name nearly right

@pytest.mark.parametrize("argv, said", [
    (["evaluate", "d.np"], "model file d.np does not exist; did you mean d.npz?"),
    (["predict", "d.npz", "x.npz"], "input file x.npz does not exist (the current directory is"),
    (["predict", "d.npz", "X.NPY"], "; did you mean x.npy?"),
    (["predict", "d.npz", "*.png"], "; no file matches this pattern (the shell passes one that matches nothing on"),
    (["predict", "d.npz", "-"], "INPUT -: predict reads files, not standard input; save the rows in a file")])
def test_a_missing_file_names_the_one_beside_it_meant(capsys, argv, said):
    """`evaluate d.np` (the z left off), `predict d.npz x.npz` (for x.npy), an unmatched `*.png` and `-` (standard
    input) all said 'does not exist ...; check the path' (or 'train one with ...'), with the file right there."""
    assert run(capsys, "train", "--layers", "784,4,10", *TINY, "--augment", "0", "--out", "d.npz")[0] == 0
    np.save("x.npy", np.zeros((1, 784), np.float32))
    line = one_line(*run(capsys, *argv)[::2], said)
    assert "check the path" not in line and "train one with" not in line
    if argv[-1] == "x.npz":
        assert line.endswith("; did you mean x.npy?")


def test_the_exit_status_rule_is_one_for_the_command_line_and_for_mpi():
    """report_error under mpiexec and the command line read one rule: they had drifted (a KeyError
    ended one process with 1 and an MPI job with 2)."""
    from nnscratch.distributed import comm
    from nnscratch.errors import ConfigError, exit_status
    assert comm.exit_status is exit_status
    assert [exit_status(e) for e in (KeyError("x"), ZeroDivisionError(), ValueError("x"))] == [1, 1, 1]
    assert [exit_status(e) for e in (ConfigError("x"), FileNotFoundError("x"), ImportError("x"))] == [2, 2, 2]
