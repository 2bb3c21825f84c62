"""The command line as a newcomer meets it: counts of one said in the singular, train's options given to
bench, train's and evaluate's JSON keys, paths with spaces in the fixes shown, predict past a bad input
(each test fails on main)."""

import json
import pathlib

import numpy as np
import pytest

from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-error-line checks)

from nnscratch.cli.app import build_parser


def tiny_npz(name, n_train, n_test, features=4):
    """A two-class table of ``n_train`` training and ``n_test`` test rows, saved as ``name``."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_train + n_test, features)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    np.savez(name, X_train=X[:n_train], y_train=y[:n_train], X_test=X[n_train:], y_test=y[n_train:])
    return f"npz:{name}"


# ---------------------------------------------------------------- one sample, not "1 samples"

def test_one_training_and_one_test_sample_are_said_in_the_singular(capsys):
    """train said '(1 samples)', 'of 1 training samples holds out none', 'more than the 1 training samples:
    every epoch is one step over all of them' and 'on 1 one.npz test samples'."""
    dataset = tiny_npz("one.npz", 1, 1)
    status, out, err = run(capsys, "train", "--dataset", dataset, "--epochs", "1", "--no-save", "--backend", "numpy")
    assert status == 0, err
    assert "on one.npz (1 sample)" in out and "on 1 one.npz test sample;" in out
    assert "--validation 0.1 of 1 training sample holds out none" in err
    assert "is more than the 1 training sample: every epoch is one step over it " in err
    assert "1 samples" not in out + err and "1 training samples" not in err


def test_many_samples_keep_the_plural(capsys):
    dataset = tiny_npz("some.npz", 5, 3)
    status, out, err = run(capsys, "train", "--dataset", dataset, "--epochs", "1", "--no-save", "--backend", "numpy")
    assert status == 0 and "(5 samples)" in out and "on 3 some.npz test samples;" in out, err
    assert "more than the 5 training samples: every epoch is one step over all of them" in err


@pytest.mark.parametrize("warmup, epochs, said", [("0", "1", "0 untimed warm-up epochs, then 1 timed epoch per row"),
                                                  ("1", "2", "1 untimed warm-up epoch, then 2 timed epochs per row")])
def test_bench_counts_its_epochs_in_words_that_agree(capsys, warmup, epochs, said):
    """bench said '0 untimed warm-up epoch(s), then 1 timed epochs per row'."""
    status, out, err = run(capsys, "bench", "--samples", "32", "--batch-sizes", "32", "--layers", "8", "--backends",
                           "numpy", "--warmup", warmup, "--epochs", epochs)
    assert status == 0 and said in out, err


def test_a_warm_up_of_one_epoch_is_one_epoch(capsys):
    """--warmup 1 with --epochs 1 said '--warmup 1 epochs must be shorter than --epochs 1'."""
    one_line(*run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--warmup", "1", "--schedule", "cosine",
                  "--no-save")[::2], "--warmup 1 epoch must be shorter than --epochs 1")


def test_a_one_core_machine_is_said_in_the_singular():
    """bench's device line said '1 cores, ... x1 threads' on a one-core machine."""
    from nnscratch.bench.device import _label
    info = {"kind": "cpu", "model": "EPYC", "cores": 1, "blas": "openblas", "threads": 1}
    assert _label(info) == "EPYC, 1 core, openblas x1 thread"
    assert _label({**info, "cores": 2, "threads": 2}) == "EPYC, 2 cores, openblas x2 threads"


def test_layers_for_one_feature_name_one_input(capsys):
    """--layers of the wrong input size on a table of one column said 'needs 1 inputs'."""
    dataset = tiny_npz("col.npz", 20, 5, features=1)
    one_line(*run(capsys, "train", "--dataset", dataset, "--layers", "3,2", "--no-save")[::2],
             "needs 1 input and 2 outputs, e.g. --layers 1,64,2")


# ---------------------------------------------------------------- train's options given to bench

def _train_only():
    """Every option of `nnscratch train` that bench does not take (--backend and --batch-size are bench's
    --backends and --batch-sizes, which argparse takes abbreviated)."""
    commands = build_parser().commands
    bench = commands["bench"]._option_string_actions
    return sorted(o for o in commands["train"]._option_string_actions if o.startswith("--") and o not in bench
                  and not any(b.startswith(o) for b in bench))


@pytest.mark.parametrize("option", _train_only())
def test_a_train_option_given_to_bench_says_what_bench_takes_instead(capsys, option):
    """`bench --dropout 0.2` said 'did you mean --plot?'; `bench --momentum 0.9` said nothing but
    'unrecognized arguments'; --optimizer only that it is train's."""
    line = one_line(*run(capsys, "bench", option, "1")[::2], f"unrecognized arguments: {option} 1; bench ")
    assert "did you mean" not in line and "not of `nnscratch bench`" not in line


@pytest.mark.parametrize("option, said", [
    ("--dropout", "bench times dense layers of --layers sizes (e.g. --layers 256,128), or the default CNN with "
                  "--model cnn; drop --dropout"),
    ("--momentum", "bench times plain SGD at a constant --lr"),
    ("--optimizer", "compare optimizers with `nnscratch train --optimizer NAME`"),
    ("--out", "its timings go to --json FILE"),
    ("--data-dir", "NNSCRATCH_DATA=DIR nnscratch bench --dataset mnist")])
def test_bench_hints_name_the_option_that_holds_the_idea(capsys, option, said):
    one_line(*run(capsys, "bench", option, "x")[::2], said)


def test_train_keeps_its_own_hints(capsys):
    one_line(*run(capsys, "train", "--dropout", "0.2")[::2], "dropout is a layer here: put it in --layers")


@pytest.mark.parametrize("option, value, said", [
    ("--epochs", "1.5", "argument --epochs: expected a whole number; received '1.5'"),
    ("--epochs", "0", "argument --epochs: expected a whole number >= 1; received '0'"),
    ("--warmup", "-1", "argument --warmup: expected a whole number >= 0; received '-1'"),
    ("--repeats", "0", "argument --repeats: expected a whole number >= 1; received '0'")])
def test_bench_numbers_are_checked_as_trains_are(capsys, option, value, said):
    """bench --epochs 1.5 said 'invalid int value', --epochs 0 '--epochs must be an integer of at least 1',
    each in other words than train's."""
    one_line(*run(capsys, "bench", option, value)[::2], said)


# ---------------------------------------------------------------- train's and evaluate's JSON

def test_train_and_evaluate_json_name_a_score_alike(capsys):
    """train --json gave "loss": "cross_entropy" (the loss function) where evaluate --json gives "loss": 0.24
    (the score): one key, a name in one command and a number in the other."""
    status, out, err = run(capsys, "train", "--dataset", "xor", "--out", "x.npz", "--json", "--backend", "numpy")
    trained = json.loads(out)
    assert status == 0 and trained["loss_function"] == "cross_entropy" and "loss" not in trained, err
    status, out, err = run(capsys, "evaluate", "x.npz", "--json", "--backend", "numpy")
    scored = json.loads(out)
    assert status == 0 and scored["split"] == "test" and isinstance(scored["loss"], float), err
    assert scored["loss"] == pytest.approx(trained["test_loss"], rel=1e-5)
    assert scored["accuracy"] == trained["test_accuracy"]


# ---------------------------------------------------------------- paths with spaces

def test_a_fix_shown_for_a_path_with_a_space_can_be_pasted(capsys):
    """`--out "new dir/"` said 'e.g. --out new dir/model.npz', two words to a shell."""
    pathlib.Path("new dir").mkdir()
    one_line(*run(capsys, "train", "--out", "new dir/")[::2], "e.g. --out 'new dir/model.npz'.")
    one_line(*run(capsys, "export", "m.npz", "my model.txt")[::2], "e.g. 'my model.onnx'.")


# ---------------------------------------------------------------- predict past a bad input

def test_each_input_goes_on_past_a_bad_one(capsys):
    """predict a.png bad.png c.png stopped at bad.png: c.png was never predicted. Each bad input is one
    error line, the others are predicted, and the status is 2 at the end."""
    pytest.importorskip("PIL.Image")
    from nnscratch.cli.inspect import read_inputs
    from nnscratch.cli.predictions import each_input
    assert run(capsys, "train", "--layers", "784,8,10", "--epochs", "1", "--augment", "0", "--backend", "numpy",
               "--quiet", "--out", "d.npz")[0] == 0
    from PIL import Image
    picture = np.full((28, 28), 255, np.uint8)
    picture[4:24, 12:16] = 0
    Image.fromarray(picture).save("a one.png")
    Image.fromarray(picture).save("c.png")
    pathlib.Path("bad.png").write_text("<html>not found</html>")
    from nnscratch.cli.model_file import read_model
    net, seen = read_model("d.npz", backend="numpy"), []
    status = each_input(["a one.png", "bad.png", "missing.png", "c.png"],
                        lambda path: seen.append((path, read_inputs(path, net)[0].shape)))
    err = capsys.readouterr().err.splitlines()
    assert status == 2 and seen == [("a one.png", (1, 784)), ("c.png", (1, 784))]
    assert len(err) == 2 and err[0].startswith("error: bad.png: expected a PNG or JPEG picture")
    assert err[1].startswith("error: input file missing.png does not exist")
    assert each_input(["c.png"], lambda path: read_inputs(path, net)) == 0
    with pytest.raises(FileNotFoundError):  # one input alone: its error, as before
        each_input(["missing.png"], lambda path: read_inputs(path, net))
    with pytest.raises(ZeroDivisionError):  # a bug stops at once
        each_input(["c.png", "a one.png"], lambda path: 1 / 0)


def test_predict_command_predicts_the_good_inputs_around_a_bad_one(capsys):
    """The command itself: the rows of both good inputs on stdout, one error line for the bad one, status 2."""
    assert run(capsys, "train", "--layers", "784,8,10", "--epochs", "1", "--augment", "0", "--backend", "numpy",
               "--quiet", "--out", "d.npz")[0] == 0
    rows = np.random.default_rng(0).random((2, 784)).astype(np.float32)
    np.save("a.npy", rows)
    np.save("c.npy", rows[:1])
    np.save("wide.npy", np.zeros((1, 785), np.float32))
    status, out, err = run(capsys, "predict", "d.npz", "a.npy", "wide.npy", "c.npy", "--json")
    assert status == 2
    assert [json.loads(line)["input"] for line in out.splitlines()] == ["a.npy[0]", "a.npy[1]", "c.npy"]
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and "wide.npy" in err
    status, out, err = run(capsys, "predict", "d.npz", "wide.npy")  # one input alone: its error, as before
    assert status == 2 and out == "" and "wide.npy" in err


# ---------------------------------------------------------------- short options, other tools' commands, case

@pytest.mark.parametrize("argv, said", [
    (["-V"], "unrecognized arguments: -V; did you mean --version?"),
    (["-v"], "unrecognized arguments: -v; did you mean --version?"),
    (["train", "-q"], "unrecognized arguments: -q; did you mean --quiet?"),
    (["train", "-o", "m.npz"], "unrecognized arguments: -o m.npz; did you mean --out?"),
    (["bench", "-b", "32"], "unrecognized arguments: -b 32; did you mean --batch-sizes?"),
    (["bench", "-o", "x"], "-o x; bench saves no model: its timings go to --json FILE and a picture of them to --plot "
                           "FILE; drop --out"),
    (["train", "-v"], "-v; train prints every epoch already (--quiet prints less)"),
    (["fit"], "invalid choice: 'fit' (choose from 'train',"),
    (["fit"], "; did you mean 'train'?"),
    (["test", "m.npz"], "; did you mean 'evaluate'?"),
    (["TRAIN"], "; did you mean 'train'?"),
    (["version"], "; did you mean `nnscratch --version`?"),
    (["help"], "; did you mean `nnscratch --help`?"),
    (["evaluate", "m.npz", "--split", "val"], "invalid choice: 'val' (choose from 'test', 'train'); evaluate has no "
                                              "validation split: train holds its --validation share out"),
    (["train", "--activation", "RELU"], "invalid choice: 'RELU' (choose from 'relu', 'leaky_relu', 'sigmoid', "
                                        "'tanh'); did you mean 'relu'?")])
def test_a_newcomers_habit_is_answered_with_what_does_it_here(capsys, argv, said):
    """-V, -q, -o, -e, -b said 'unrecognized arguments' alone; `nnscratch fit`, `TRAIN`, `version`, `help` and
    --activation RELU 'invalid choice' with no 'did you mean'."""
    one_line(*run(capsys, *argv)[::2], said)


@pytest.mark.parametrize("argv", [["train", "-z"], ["train", "-e", "3"], ["train", "-d", "xor"], ["info", "-q"], ["xyz"], ["train", "--dtype", "float16"]])
def test_no_guess_where_none_is_close(capsys, argv):
    assert "did you mean" not in one_line(*run(capsys, *argv)[::2])
