"""A newcomer's mistakes, third round: options given to the wrong command, and files that are not a model."""

import json
import os

import pytest

import nnscratch as nn
from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-error-line checks)


# ---------------------------------------------------------------- an option of another command

@pytest.mark.parametrize("argv, said", [
    (["train", "--split", "test"], "--split is an option of `nnscratch evaluate`, not of `nnscratch train`"),
    (["predict", "m.npz", "x.png", "--dataset", "xor"], "--dataset is an option of `nnscratch train`, "
     "`nnscratch evaluate`, `nnscratch plot` and `nnscratch bench`, not of `nnscratch predict`"),
    (["evaluate", "m.npz", "--epochs", "3"], "--epochs is an option of `nnscratch train` and `nnscratch bench`"),
    (["train", "--what", "all"], "--what is an option of `nnscratch plot`, not of `nnscratch train`")])
def test_an_option_of_another_command_names_that_command(argv, said, capsys):
    """It guessed a typo instead: `train --split` "did you mean --plot?", `predict --dataset` "did you mean
    --dtype?", `evaluate --epochs` nothing."""
    status, _, err = run(capsys, *argv)
    line = one_line(status, err, "unrecognized arguments", said)
    assert "did you mean" not in line


def test_a_short_option_is_not_taken_for_a_typo(capsys):
    """`train -e 3` said "did you mean --seed?"; nnscratch has no short options but -h."""
    status, _, err = run(capsys, "train", "-e", "3")
    assert "did you mean" not in one_line(status, err, "unrecognized arguments: -e 3")


@pytest.mark.parametrize("argv, said", [
    (["--epochs", "3", "train", "--dataset", "xor"],
     "--epochs goes after the command: `nnscratch train --epochs 3 --dataset xor`"),
    (["--what", "all", "plot", "m.npz"], "`nnscratch plot --what all m.npz`"),
    (["--epochs", "3"], "--epochs is an option of `nnscratch train` and `nnscratch bench`; name the command first, "
     "e.g. `nnscratch train --epochs 3`"),
    (["--epochs", "3", "predict", "m.npz", "x.png"], "not of `nnscratch predict`")])
def test_an_option_before_the_command_shows_the_order(argv, said, capsys):
    """`nnscratch --epochs 3 train` said "argument COMMAND: invalid choice: '3'"."""
    status, _, err = run(capsys, *argv)
    assert "invalid choice" not in one_line(status, err, said)


def test_an_option_no_command_takes_keeps_argparse_words(capsys):
    status, _, err = run(capsys, "--zzz", "3")
    one_line(status, err, "invalid choice: '3'")


# ---------------------------------------------------------------- a file that is not a model

@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A folder holding a model, a checkpoint of a finished run and its history, made by the command line."""
    folder = tmp_path_factory.mktemp("run")
    status = nn.cli.main(["train", "--dataset", "xor", "--epochs", "2", "--quiet", "--out", str(folder / "m.npz"),
                          "--checkpoint", str(folder / "run.ckpt"), "--history", str(folder / "h.json")])
    assert status == 0
    return folder


@pytest.mark.parametrize("command", [["evaluate"], ["predict", "x.npy"], ["export", "x.onnx"]])
def test_a_folder_given_as_the_model_is_called_a_folder(command, files, capsys, tmp_path, monkeypatch):
    """`evaluate FOLDER` said "model file FOLDER does not exist"; `export FOLDER` "is not a readable nnscratch
    file (IsADirectoryError ...) ... Save the model again"."""
    monkeypatch.chdir(tmp_path)
    argv = [command[0], str(files), *command[1:]]
    line = one_line(*run(capsys, *argv)[::2], f"model {files} is a folder; pass the model file itself, e.g. "
                    f"{files / 'm.npz'}")
    assert "does not exist" not in line and "Save the model again" not in line
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("command", [["evaluate"], ["predict", "x.npy"], ["export", "x.onnx"]])
def test_a_checkpoint_given_as_the_model_says_how_to_get_the_model(command, files, capsys, tmp_path, monkeypatch):
    """It said "pass a file written by Network.save": Python's words, and nothing on the checkpoint."""
    monkeypatch.chdir(tmp_path)
    ckpt = files / "run.ckpt"
    line = one_line(*run(capsys, command[0], str(ckpt), *command[1:])[::2],
                    f"{ckpt} is a checkpoint of `nnscratch train --checkpoint`, not a model",
                    f"--resume {ckpt}", "--out")
    assert "Network.save" not in line


def test_a_history_given_as_the_model_says_plot_draws_it(files, capsys):
    """It said "not an .npz archive at all; pass a model ... (or a checkpoint ...)", which evaluate refuses."""
    history = files / "h.json"
    assert "history" in json.loads(history.read_text())
    line = one_line(*run(capsys, "evaluate", str(history))[::2], f"{history} is a training history",
                    f"`nnscratch plot {history}` draws it")
    assert "checkpoint" not in line


def test_a_missing_model_still_says_how_to_make_one(files, capsys):
    for command in (["evaluate"], ["export", str(files / "x.onnx")]):
        one_line(*run(capsys, command[0], str(files / "nothere.npz"), *command[1:])[::2],
                 "does not exist", "nnscratch train --out MODEL.npz")
    assert not (files / "x.onnx").exists()


# ---------------------------------------------------------------- what --help and a missing extra say

def test_a_missing_plotting_extra_names_a_command_every_shell_runs(capsys, monkeypatch, tmp_path):
    """It said `pip install nnscratch[viz]`, which zsh reads as a glob ("no matches found"); the other
    commands' messages quote it."""
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the viz extra were not installed
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "train", "--dataset", "xor", "--plot", "pics", "--no-save")
    one_line(status, err, "--plot needs matplotlib", "pip install 'nnscratch[viz]'")
    assert os.listdir(tmp_path) == []


def test_every_argument_of_every_command_says_what_it_is(capsys):
    """`nnscratch predict --help` listed its first argument, the model, with no word on what it is."""
    import argparse
    parser = nn.cli.app.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name, command in commands.items():
        bare = [a.dest for a in command._actions if not a.help]
        assert bare == [], f"nnscratch {name} --help: {bare} without help"


@pytest.mark.parametrize("shape", [(0, 2), (0, 784), (0,), (3, 0)])
def test_predict_on_an_array_without_inputs_says_it_is_empty(shape, files, capsys, tmp_path):
    """An empty (0, 2) array for a 2-input model said "an array of shape (0, 2), but m.npz takes 2 inputs per
    sample ...; give 2 values per sample: shape (n, 2)", which it already has."""
    import numpy as np
    path = tmp_path / "empty.npy"
    np.save(path, np.zeros(shape, dtype=np.float32))
    line = one_line(*run(capsys, "predict", str(files / "m.npz"), str(path))[::2],
                    f"{path}: holds no inputs (an array of shape {shape})", "at least one sample")
    assert "values per sample" not in line


def test_the_tutorials_say_which_extra_draws_their_pictures():
    """After the README's `pip install .`, tutorial 1's `python examples/seed004_xor.py` stops on "needs
    matplotlib": the tutorials named neither the viz extra nor --no-plots as the way to run without it."""
    docs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "tutorials")
    with open(os.path.join(docs, "index.md"), encoding="utf-8") as f:
        text = " ".join(f.read().split())
    assert "need the `viz` extra, matplotlib and Pillow" in text and 'pip install ".[viz]"' in text
    assert "`--no-plots` runs a script without pictures, and without matplotlib" in text


@pytest.mark.parametrize("command", [["evaluate"], ["predict", "x.npy"]])
def test_a_mistyped_backend_variable_is_not_called_a_damaged_model(command, files, capsys, monkeypatch):
    """NNSCRATCH_BACKEND=nump: `evaluate m.npz` said "'m.npz' has a config or arrays that do not match
    (ConfigError: Unknown backend 'nump' ...); the file is damaged"."""
    monkeypatch.setenv("NNSCRATCH_BACKEND", "nump")
    line = one_line(*run(capsys, command[0], str(files / "m.npz"), *command[1:])[::2],
                    "$NNSCRATCH_BACKEND=nump: Unknown backend 'nump'", "Did you mean 'numpy'?")
    assert "damaged" not in line


@pytest.mark.parametrize("argv, usage", [
    (["predict", "digit.png"], "nnscratch predict [options] model INPUT [INPUT ...]"),
    (["export", "m.onnx"], "nnscratch export [options] model output")])
def test_a_missing_argument_shows_the_order_of_the_arguments(argv, usage, capsys):
    """`nnscratch predict digit.png` (the model forgotten) said only "the following arguments are required:
    INPUT", as if the image were the model."""
    status, _, err = run(capsys, *argv)
    one_line(status, err, "the following arguments are required", f"; usage: {usage} (see")


def test_a_numpy_archive_of_data_given_as_the_model_is_called_data(files, capsys, tmp_path):
    """`evaluate data.npz` (numpy.savez(X=..., y=...)) said "is not a readable nnscratch file (KeyError: '__header__
    is not a file in the archive') ... Save the model again"; `predict m.npz data.npz` named no way out."""
    import numpy as np
    data = tmp_path / "data.npz"
    np.savez(data, X=np.zeros((4, 2), np.float32), y=np.array([0, 1, 1, 0]))
    for command in (["evaluate", str(data)], ["export", str(data), str(tmp_path / "x.onnx")]):
        line = one_line(*run(capsys, *command)[::2], f"{data} is a NumPy archive of data (arrays X, y), not an "
                        "nnscratch model", f"--dataset npz:{data}")
        assert "Save the model again" not in line
    one_line(*run(capsys, "predict", str(files / "m.npz"), str(data))[::2], "unknown input type .npz",
             "numpy.save('X.npy', X)")


def test_layer_sizes_copied_as_train_prints_them_are_given_with_commas(capsys, tmp_path, monkeypatch):
    """train prints "training 784-256-128-10 on mnist-sample"; `--layers 784-256-10` said "unknown layer
    '784-256-10'" and listed the whole layer grammar."""
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "train", "--dataset", "xor", "--layers", "2-8-2", "--no-save")
    line = one_line(status, err, "--layers 2-8-2: sizes are separated by commas: --layers 2,8,2.")
    assert "unknown layer" not in line and os.listdir(tmp_path) == []


@pytest.mark.parametrize("command", [["evaluate"], ["predict", "x.npy"], ["export", "x.onnx"]])
def test_a_text_file_given_as_the_model_offers_no_checkpoint(command, capsys, tmp_path, monkeypatch):
    """`evaluate notes.txt` said "pass a model ... (or a checkpoint of fit(checkpoint=...) or --checkpoint)";
    given a checkpoint, these commands refuse it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("my own notes\n")
    line = one_line(*run(capsys, command[0], "notes.txt", *command[1:])[::2],
                    "notes.txt is not an nnscratch model: it is not an .npz archive at all", "nnscratch train --out")
    assert "checkpoint" not in line
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"] and (tmp_path / "notes.txt").read_text() == "my own notes\n"


def test_classes_for_a_regression_table_model_says_it_predicts_values(capsys, tmp_path):
    """`predict price.npz rows.csv --classes mnist` said the table model "names its own classes"; it has none."""
    import numpy as np
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    rows = "".join(f"{a:.3f},{b:.3f},{2 * a - b:.3f}\n" for a, b in X)
    (tmp_path / "r.csv").write_text("a,b,price\n" + rows)
    (tmp_path / "new.csv").write_text("a,b\n0.1,0.2\n")
    assert run(capsys, "train", "--dataset", f"csv:{tmp_path / 'r.csv'}", "--epochs", "1", "--quiet",
               "--out", str(tmp_path / "r.npz"))[0] == 0
    line = one_line(*run(capsys, "predict", str(tmp_path / "r.npz"), str(tmp_path / "new.csv"), "--classes",
                         "mnist")[::2], "is a regression model, whose predictions are values: drop --classes")
    assert "its own classes" not in line
