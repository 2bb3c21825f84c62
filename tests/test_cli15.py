"""Session 15 of the command line: ``train --class-weight`` (and ``fit(class_weight="balanced")``) with what it
crosses (--validation, --resume, mpiexec, regression and multilabel data, bad values); SIGHUP stopping ``train``
as SIGTERM does (status 129); data files given where a model goes, said as what they are; a missing dataset
said before the --out it would overwrite."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.cli import stopping
from nnscratch.cli import train as train_command
from nnscratch.errors import ConfigError
from test_cli_messages import one_line, run  # noqa: E402
from test_mpi import _finish, _python, needs_mpi  # noqa: E402
from test_sigterm14 import default_signals, env, no_command_left, start  # noqa: E402,F401 (an autouse fixture)

sk_weights = pytest.importorskip("sklearn.utils.class_weight")
QUIET = ["--backend", "numpy", "--quiet", "--seed", "0"]


def yes_no_csv(path="t.csv", n=200, seed=0):
    """A table whose target is the strings yes/no, about one yes in five."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    lines = ["a,b,label"] + [f"{a:.4f},{b:.4f},{'yes' if a > 0.8 else 'no'}" for a, b in X]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


@pytest.fixture
def fitted(monkeypatch):
    """What ``nnscratch train`` hands ``fit``: each call's network, training labels and options, and its history."""
    calls = []
    original = train_command.train

    def recording(net, X, y, cfg, options):
        history = original(net, X, y, cfg, options)
        calls.append({"net": net, "y": np.asarray(y), "options": options, "history": history})
        return history

    monkeypatch.setattr(train_command, "train", recording)
    return calls


# ---------------------------------------------------------------- --class-weight

def test_balanced_is_scikit_learns_rule_on_the_training_part_and_val_loss_is_unweighted(capsys, fitted):
    """--validation holds its rows out first; balanced counts the labels left to train on. The validation loss
    is not class-weighted (as Keras reports it): the model's own loss on the held-out rows."""
    csv = yes_no_csv()
    status, out, err = run(capsys, "train", "--dataset", csv, "--epochs", "3", "--validation", "0.25",
                           "--class-weight", "balanced", "--no-save", "--json", *QUIET[:2], *QUIET[3:])
    assert status == 0, err
    call, = fitted
    y = call["y"]
    assert len(y) == 120  # 200 rows, 40 of them test, 40 validation
    expected = sk_weights.compute_class_weight("balanced", classes=np.unique(y), y=y)
    assert call["options"]["class_weight"] == pytest.approx(dict(enumerate(expected)), rel=1e-12)
    names = call["net"].metadata["class_names"]
    assert json.loads(out)["class_weight"] == pytest.approx({names[i]: w for i, w in enumerate(expected)})
    X_val, y_val = call["options"]["validation_data"]
    val_loss = call["net"].evaluate(X_val, y_val)["loss"]
    assert call["history"].history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-5)


def test_a_mapping_names_the_classes_as_the_csv_does_and_the_model_remembers_it(capsys, fitted):
    csv = yes_no_csv()
    status, out, err = run(capsys, "train", "--dataset", csv, "--epochs", "2", "--class-weight", "yes:3",
                           "--out", "m.npz", *QUIET[:2], *QUIET[3:])
    assert status == 0, err
    names = list(fitted[0]["net"].metadata["class_names"])
    assert fitted[0]["options"]["class_weight"] == {names.index("yes"): 3.0}
    shown = ", ".join(f"{n}: {3 if n == 'yes' else 1}" for n in names)
    assert f"class weights: {shown}" in out
    assert nn.Network.load("m.npz").metadata["training"]["class_weight"] == {"yes": 3.0}


def test_weighted_training_is_fit_with_those_weights(capsys):
    """The command trains what fit(class_weight=) trains: a class weighted 5 moves the weights otherwise."""
    csv = yes_no_csv()
    assert run(capsys, "train", "--dataset", csv, "--epochs", "2", "--out", "plain.npz", *QUIET)[0] == 0
    assert run(capsys, "train", "--dataset", csv, "--epochs", "2", "--out", "w.npz", "--class-weight", "yes:5",
               *QUIET)[0] == 0
    plain, weighted = nn.Network.load("plain.npz"), nn.Network.load("w.npz")
    assert not np.allclose(plain.get_weights()[0], weighted.get_weights()[0])


@pytest.mark.parametrize("value, said", [
    ("maybe:2", "--class-weight maybe:2: t.csv has no class 'maybe'; its classes are no, yes: name them as the "
                "data do."),
    ("yes:-1", "argument --class-weight: the weight of class 'yes' must be a finite number >= 0 (0 leaves its rows "
               "out); received '-1' in 'yes:-1'"),
    ("yes:abc", "argument --class-weight: the weight of class 'yes' must be a number; received 'abc' in 'yes:abc'"),
    ("yes", "argument --class-weight: expected balanced, none or LABEL:WEIGHT pairs separated by commas; received "
            "'yes' ('yes' is not LABEL:WEIGHT); e.g. --class-weight balanced"),
    ("yes:1,,no:2", "('' is not LABEL:WEIGHT)"),
    ("yes:1,yes:2", "argument --class-weight: class 'yes' is given twice in 'yes:1,yes:2'; give each class once"),
    ("yes:0,no:0", "--class-weight yes:0,no:0 gives every class weight 0, so nothing would be learned"),
    ("nan", "(received 'nan'"),
])
def test_bad_class_weights_are_one_line_each(capsys, value, said):
    yes_no_csv()
    if value == "nan":  # a word that is no value: said as a malformed mapping
        said = "expected balanced, none or LABEL:WEIGHT pairs separated by commas; received 'nan'"
    one_line(*run(capsys, "train", "--dataset", "t.csv", "--epochs", "1", "--class-weight", value, "--no-save",
                  *QUIET)[::2], said)
    assert os.listdir(".") == ["t.csv"]


def test_regression_and_multilabel_data_refuse_class_weights_in_one_line(capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    with open("r.csv", "w") as f:
        f.write("a,b,c,t\n" + "".join(f"{a:.3f},{b:.3f},{c:.3f},{a + 2 * b:.3f}\n" for a, b, c in X))
    one_line(*run(capsys, "train", "--dataset", "r.csv", "--epochs", "1", "--class-weight", "balanced", "--no-save",
                  *QUIET)[::2], "--class-weight balanced: class weights weigh the rows of each class, and r.csv is a "
             "regression (its target holds values, not classes); drop --class-weight")
    np.save("X.npy", X.astype(np.float32))
    np.save("Y.npy", (X > 0).astype(np.float32))
    one_line(*run(capsys, "train", "--dataset", "npy:X.npy,Y.npy", "--epochs", "1", "--class-weight", "0:2",
                  "--no-save", *QUIET)[::2], "--class-weight 0:2: class weights weigh each row by its one class, "
             "and each row of", "has several labels (multilabel); drop --class-weight.")


def test_resume_keeps_the_class_weights_of_the_run_it_continues(capsys):
    """Resumed without --class-weight, the run goes on with its own weights and ends as the uninterrupted one;
    another value is said."""
    csv = yes_no_csv()
    base = ["train", "--dataset", csv, *QUIET, "--dtype", "float64"]
    assert run(capsys, *base, "--epochs", "4", "--class-weight", "yes:4", "--out", "whole.npz")[0] == 0
    assert run(capsys, *base, "--epochs", "2", "--class-weight", "yes:4", "--checkpoint", "run.ckpt",
               "--no-save")[0] == 0
    status, _, err = run(capsys, *base, "--epochs", "4", "--resume", "run.ckpt", "--out", "resumed.npz")
    assert status == 0 and "class-weight" not in err, err
    whole, resumed = nn.Network.load("whole.npz"), nn.Network.load("resumed.npz")
    for a, b in zip(whole.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert resumed.metadata["training"]["class_weight"] == {"yes": 4.0}
    assert run(capsys, *base, "--epochs", "2", "--class-weight", "yes:4", "--checkpoint", "two.ckpt",
               "--no-save")[0] == 0
    status, _, err = run(capsys, *base, "--epochs", "3", "--resume", "two.ckpt", "--class-weight", "none",
                         "--no-save")
    assert status == 0 and ("warning: --resume two.ckpt: --class-weight none differs from the run it continues "
                            "(--class-weight yes:4); the epochs left train with it") in err, err


@needs_mpi
def test_two_ranks_weigh_the_classes_as_one_process_does():
    """Balanced weights come from every training label, before the rows are sharded: the same on each rank, so
    two ranks train the model one process does."""
    csv = yes_no_csv()
    argv = ["-m", "nnscratch", "train", "--dataset", csv, "--epochs", "2", "--class-weight", "balanced",
            "--validation", "0.2", "--dtype", "float64", "--backend", "numpy", "--quiet"]
    _finish(_python(*argv, "--out", "one.npz", cwd="."))
    _finish(_python(*argv, "--out", "two.npz", n=2, cwd="."))
    one, two = nn.Network.load("one.npz"), nn.Network.load("two.npz")
    for a, b in zip(one.get_weights(), two.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- fit(class_weight="balanced")

def _labels(n=30):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 4))
    y = np.r_[np.zeros(n - n // 3 - 3, int), np.ones(n // 3, int), np.full(3, 2)]
    return X, y


def _net(backend="numpy", dtype="float64"):
    return nn.Network([nn.Dense(4, 6), nn.Tanh(), nn.Dense(6, 3), nn.Softmax()], seed=1, backend=backend, dtype=dtype)


def test_fit_balanced_is_scikit_learns_weights_of_the_training_part(any_backend):
    X, y = _labels()
    part = y[:24]  # validation_split=0.2 holds out the last 6 rows
    table = dict(enumerate(sk_weights.compute_class_weight("balanced", classes=np.unique(part), y=part)))
    ours = _net(any_backend, dtype=None)
    ref = _net(dtype=ours.dtype)
    h = ours.fit(X, y, epochs=2, batch_size=7, class_weight="balanced", validation_split=0.2)
    g = ref.fit(X, y, epochs=2, batch_size=7, class_weight=table, validation_split=0.2)
    tol = 1e-10 if str(ours.dtype).endswith("64") else 2e-5
    np.testing.assert_allclose(h.history["loss"], g.history["loss"], rtol=tol)
    np.testing.assert_allclose(h.history["val_loss"], g.history["val_loss"], rtol=tol)


def test_fit_balanced_outside_one_class_per_row_and_other_words_are_refused_in_one_line():
    X, y = _labels()
    with pytest.raises(ConfigError, match=r"^class_weight applies to classification \(one class per row\); this "
                                          r"fit is a multilabel task"):
        nn.Network([nn.Dense(4, 3), nn.Sigmoid()], seed=0).fit(X, (X[:, :3] > 0).astype(float),
                                                                class_weight="balanced")
    with pytest.raises(ConfigError, match=r"^class_weight must be a dict \{class label: weight\}, e.g. \{0: 1.0, "
                                          r"1: 5.0\}, or 'balanced'; got 'balance'\. "):
        _net().fit(X, y, class_weight="balance")


# ---------------------------------------------------------------- SIGHUP

TRAIN = ["train", "--dataset", "spirals", "--epochs", "100000", "--backend", "numpy", "--seed", "0"]
HUNG_UP = "stopped by SIGHUP (the terminal closed or the ssh session dropped)"


def _after_two_epochs(argv):
    """``nnscratch ARGV`` started, with Python's default signals, and read until its second epoch line."""
    proc = start(argv)
    epochs = 0
    for line in proc.stdout:
        epochs += line.startswith("epoch")
        if epochs == 2:
            break
    return proc


def test_sighup_in_training_says_the_checkpoint_removes_created_folders_and_exits_129():
    """Before: killed by the signal (status -1 here), nothing said, sub/ and hist/ left empty."""
    argv = [*TRAIN, "--checkpoint", "ck/run.ckpt", "--out", "sub/m.npz", "--history", "hist/h.json"]
    proc = _after_two_epochs(argv)
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 129, err
    said = [line for line in err.splitlines() if not line.startswith(("note: ", "warning: "))]
    assert len(said) == 1 and said[0].startswith(f"{HUNG_UP} ") and said[0].endswith(
        "To continue, run the same command with --resume ck/run.ckpt"), err
    assert sorted(os.listdir(".")) == ["ck"] and os.listdir("ck") == ["run.ckpt"]


def test_sighup_with_the_terminal_gone_still_ends_129_and_tidies():
    """A dropped ssh session takes the terminal with it: the line has nowhere to go (here: both pipes closed by
    the reader). The command still stops, removes the folders it created and exits 129 (not 120, Python's
    status when the flush at exit fails)."""
    argv = [*TRAIN, "--checkpoint", "ck/run.ckpt", "--out", "sub/m.npz"]
    proc = _after_two_epochs(argv)
    proc.stdout.close()
    proc.stderr.close()
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(timeout=120) == 129
    assert sorted(os.listdir(".")) == ["ck"] and os.listdir("ck") == ["run.ckpt"]


AT_BATCH = """
import os, signal, sys
from nnscratch import cli
from nnscratch.cli import progress
made = progress.progress
def bar(*args):  # SIGHUP as batch 3 of epoch 2 ends
    bar = made(*args)
    ended = bar.on_batch_end
    def on_batch_end(number, network):
        ended(number, network)
        if (bar.epoch + 1, bar.batches) == (2, 3):
            os.kill(os.getpid(), signal.SIGHUP)
    bar.on_batch_end = on_batch_end
    return bar
progress.progress = bar
status = cli.main(sys.argv[1:])
print(signal.getsignal(signal.SIGHUP).name)
sys.exit(status)
"""


def _ignoring_sighup():
    default_signals()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup starts a command


@pytest.mark.parametrize("nohup", [False, True], ids=["terminal", "nohup"])
def test_sighup_within_a_batch_stops_there_and_nohup_leaves_the_run_alone(nohup):
    argv = [*TRAIN[:3], "--epochs", "3", *TRAIN[5:], "--checkpoint", "ck/run.ckpt", "--out", "sub/m.npz"]
    proc = subprocess.run([sys.executable, "-c", AT_BATCH, *argv], capture_output=True, text=True, env=env(),
                          timeout=120, preexec_fn=_ignoring_sighup if nohup else default_signals)
    if nohup:  # ignored from the start: the command leaves it so and finishes
        assert proc.returncode == 0 and os.path.isfile("sub/m.npz"), proc.stderr
        assert proc.stdout.splitlines()[-1] == "SIG_IGN"
        return
    assert proc.returncode == 129, proc.stderr
    assert (f"{HUNG_UP} during epoch 2 of 3; the last checkpoint is ck/run.ckpt (1 of 3 epochs done, 3 batches "
            "behind). To continue, run the same command with --resume ck/run.ckpt") in proc.stderr
    assert proc.stdout.splitlines()[-1] == "SIG_DFL"  # Python's default put back after the command
    assert sorted(os.listdir(".")) == ["ck"]


def test_sighup_outside_training_is_one_line_and_the_library_keeps_pythons_default(capsys):
    script = ("import os, signal, sys\nfrom nnscratch import cli\nfrom nnscratch.cli import train\n"
              "said = train.describe\n"
              "def describe(*args):\n    os.kill(os.getpid(), signal.SIGHUP)\n    return said(*args)\n"
              "train.describe = describe\nsys.exit(cli.main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", script, *TRAIN[:3], "--epochs", "2", *TRAIN[5:], "--out",
                           "sub/m.npz"], capture_output=True, text=True, env=env(), timeout=120,
                          preexec_fn=default_signals)
    assert proc.returncode == 129, proc.stderr
    assert [line for line in proc.stderr.splitlines() if not line.startswith(("note: ", "warning: "))] == \
        [f"nnscratch: {HUNG_UP}"]
    assert os.listdir(".") == []
    if signal.getsignal(signal.SIGHUP) is signal.SIG_DFL:
        assert cli.main(["info"]) == 0 and signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
        with stopping.sigterm_as_ctrl_c():
            assert signal.getsignal(signal.SIGHUP) is stopping.raise_stop
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
    assert stopping.status(stopping.HungUp()) == 129 and stopping.words(stopping.HungUp()) == HUNG_UP


# ---------------------------------------------------------------- wrong files

@pytest.fixture
def model(capsys):
    assert run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--out", "m.npz", "--history", "h.json",
               *QUIET)[0] == 0
    return "m.npz"


def test_a_picture_given_to_plot_is_called_an_image_with_what_plot_takes(capsys):
    """Before: 'a.png is data, not a model: plot takes the model file first (... --dataset NAME, or a
    history.json)': neither what a.png is nor that plot draws a history."""
    with open("a.png", "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + bytes(32))
    one_line(*run(capsys, "plot", "a.png")[::2], "a.png is an image file, not a model: plot draws a model file (.npz, "
             "from `nnscratch train --out`) or a training history (.json, from `nnscratch train --history`); give "
             "one (`nnscratch plot MODEL.npz`), or to ask a model about this image: `nnscratch predict MODEL.npz "
             "a.png`.")


def test_a_model_or_checkpoint_given_as_predicts_input_is_named(capsys, model):
    """Before: 'm.npz: unknown input type .npz; use .png/.jpg, .npy or .csv (a .npz holds many arrays ...)'."""
    one_line(*run(capsys, "predict", model, model)[::2], "m.npz is an nnscratch model, not inputs: predict takes one "
             "model, then the inputs to ask it about (.png/.jpg, .npy or .csv), e.g. `nnscratch predict m.npz "
             "digit.png`.")


def test_a_history_given_as_predicts_input_says_plot_draws_it(capsys, model):
    """Before: 'h.json: unknown input type .json; use .png/.jpg, .npy or .csv'."""
    one_line(*run(capsys, "predict", model, "h.json")[::2], "h.json is a training history, not inputs: predict takes "
             "one model, then the inputs", "; `nnscratch plot h.json` draws a history.")


def test_an_image_given_as_the_dataset_and_a_missing_history_are_one_line(capsys, model):
    """Before: "Unknown dataset 'a.png'; expected one of: blobs, ..." and "h2.json: no such file"."""
    for argv in (["evaluate", model, "--dataset", "a.png"], ["train", "--dataset", "a.png", "--no-save"]):
        one_line(*run(capsys, *argv)[::2], "--dataset a.png is an image file; --dataset takes a dataset",
                 "to ask a model about this image: `nnscratch predict MODEL.npz a.png`")
    one_line(*run(capsys, "plot", "h2.json")[::2], "history file h2.json does not exist (the current directory is ")


@pytest.mark.parametrize("dataset, said", [
    ("no_such.csv", "csv file no_such.csv does not exist"),
    ("npy:X.npy,y.npy", "npy file X.npy does not exist"),
    ("iris", "Unknown dataset 'iris'; expected one of: "),
])
def test_a_missing_dataset_is_said_before_the_out_it_would_replace(capsys, model, dataset, said):
    """Before: '--out model.npz already holds an nnscratch model; pass --force ...', and with --force the data
    error: two runs to learn the first mistake."""
    os.rename(model, "model.npz")
    one_line(*run(capsys, "train", "--dataset", dataset, "--epochs", "1", *QUIET)[::2], said)


def test_an_abbreviation_of_several_options_says_which_to_write_out(capsys):
    """`train --data no_such.csv` (the brief's own typing) said only 'ambiguous option: --data could match
    --dataset, --data-dir'."""
    one_line(*run(capsys, "train", "--data", "no_such.csv")[::2], "ambiguous option: --data could match --dataset, "
             "--data-dir; write the option out: --dataset or --data-dir (see `nnscratch train --help`)")
