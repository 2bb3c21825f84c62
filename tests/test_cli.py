"""The ``nnscratch`` command, run in-process through ``cli.main([...])`` with tiny settings."""

import json

import numpy as np
import pytest

from nnscratch import cli
import nnscratch.cli.app
from nnscratch.datasets import fetch

TINY = ["--epochs", "2", "--validation", "0", "--backend", "numpy"]


def run(capsys, *argv):
    """``(exit status, stdout, stderr)`` of ``nnscratch argv...``."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def one_error_line(status, err, *fragments):
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def spirals_model(tmp_path, capsys):
    path = tmp_path / "spirals.npz"
    status, out, _ = run(capsys, "train", "--dataset", "spirals", *TINY, "--out", path, "--json")
    assert status == 0 and path.is_file()
    return path


def test_train_json_result_and_history(tmp_path, capsys):
    path, hist = tmp_path / "m.npz", tmp_path / "h.json"
    status, out, err = run(capsys, "train", "--dataset", "moons", "--epochs", "3", "--json",
                           "--out", path, "--history", hist, "--backend", "numpy")
    assert status == 0
    result = json.loads(out)
    assert result["dataset"] == "moons" and result["layers"] == [2, 32, 32, 2]
    assert (result["dtype"], result["loss_function"], result["optimizer"]) == ("float32", "cross_entropy", "adam")
    assert result["epochs"] == 3 and 0 <= result["test_accuracy"] <= 1
    assert result["model"] == str(path) and path.is_file()
    assert len(json.loads(hist.read_text())["history"]["loss"]) == 3


def test_train_prints_one_line_per_epoch(tmp_path, capsys):
    status, out, _ = run(capsys, "train", "--dataset", "xor", "--epochs", "4", "--no-save",
                         "--validation", "0", "--layers", "2,8,2", "--activation", "tanh",
                         "--optimizer", "momentum", "--lr", "0.1", "--batch-size", "0")
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("training 2-8-2 on xor (4 samples)")
    assert [line.split()[1] for line in lines[1:5]] == ["1/4", "2/4", "3/4", "4/4"]
    assert "accuracy" in lines[1] and lines[1].endswith(" s")
    assert lines[-1].startswith("test accuracy")


def test_train_on_mnist_sample_with_augmentation(tmp_path, capsys):
    status, out, _ = run(capsys, "train", "--layers", "784,16,10", "--epochs", "1", "--augment", "1",
                         "--validation", "0.05", "--quiet", "--out", tmp_path / "m.npz")
    assert status == 0
    assert out.startswith("test accuracy") and len(out.strip().splitlines()) == 1


def test_evaluate_prints_scores_and_confusion_matrix(spirals_model, capsys):
    status, out, _ = run(capsys, "evaluate", spirals_model, "--dataset", "spirals")
    assert status == 0
    assert "accuracy" in out and "precision" in out and "confusion matrix" in out
    status, out, _ = run(capsys, "evaluate", spirals_model, "--dataset", "spirals", "--json")
    result = json.loads(out)
    assert np.array(result["confusion_matrix"]).sum() == result["samples"] == 225


def test_predict_npy_and_csv(spirals_model, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.array([[0.1, 0.2], [-0.5, 0.3]], dtype=np.float32))
    (tmp_path / "x.csv").write_text("x,y\n0.1,0.2\n")
    status, out, _ = run(capsys, "predict", spirals_model, tmp_path / "x.npy", tmp_path / "x.csv")
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith(f"{tmp_path / 'x.npy'}[0]: ") and "probability" in lines[0]
    assert lines[2].startswith(f"{tmp_path / 'x.csv'}: ")


def test_predict_png_digit(tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    model = tmp_path / "digits.npz"
    assert run(capsys, "train", "--layers", "784,32,10", "--epochs", "1", "--augment", "0",
               "--validation", "0", "--quiet", "--out", model)[0] == 0
    picture = np.full((60, 40), 250, dtype=np.uint8)  # dark "1" on a light page
    picture[10:50, 18:23] = 10
    Image.fromarray(picture).save(tmp_path / "one.png")
    status, out, _ = run(capsys, "predict", model, tmp_path / "one.png", "--json")
    assert status == 0
    assert json.loads(out)["class"] in range(10)
    status, out, _ = run(capsys, "predict", model, tmp_path / "one.png")
    assert "inverted: light background" in out


def test_info_lists_backends(capsys):
    status, out, _ = run(capsys, "info")
    assert status == 0
    assert out.startswith("nnscratch ") and "numpy" in out and "usable" in out
    assert "mnist-sample" in out


@pytest.mark.parametrize("argv, fragments", [
    (["train", "--optimizer", "adamw"], ["invalid choice: 'adamw'"]),
    (["train", "--dataset", "imagenet"], ["Unknown dataset 'imagenet'"]),
    (["train", "--dataset", "spirals", "--layers", "784,10"], ["needs 2 inputs and 3 outputs"]),
    (["train", "--epochs", "three"], ["argument --epochs: expected a whole number", "received 'three'"]),
    (["train", "--resume"], ["--resume needs a checkpoint", "--checkpoint PATH"]),
    (["train", "--resume", "nope.ckpt"], ["--resume nope.ckpt: no such checkpoint"]),
    (["evaluate", "missing.npz"], ["missing.npz does not exist"]),
    (["train", "--dataset", "csv:nope.csv"], ["nope.csv does not exist"]),
    (["frobnicate"], ["invalid choice"]),
    (["train", "--elastic", "1", "--augment", "0"], ["--elastic 1 bends the distorted copies", "--augment N"]),
    (["train", "--elastic", "9"], ["argument --elastic", "in [0, 5]", "received '9'"]),
])
def test_user_errors_are_one_line(argv, fragments, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, *argv)
    one_error_line(status, err, *fragments)


def test_model_that_does_not_fit_the_data(spirals_model, capsys):
    status, _, err = run(capsys, "evaluate", spirals_model, "--dataset", "mnist-sample")
    one_error_line(status, err, "expects 2 inputs", "784 features")


def test_dataset_not_found_offline(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("NNSCRATCH_OFFLINE", "1")
    monkeypatch.delenv("NNSCRATCH_DATA", raising=False)
    monkeypatch.setattr(fetch, "SYSTEM_DIR", tmp_path / "system")
    status, _, err = run(capsys, "train", "--dataset", "fashion-mnist", "--data-dir", tmp_path / "x")
    one_error_line(status, err, "Fashion-MNIST not found", "apt-get install dataset-fashion-mnist")


def test_out_that_is_not_a_model_is_never_replaced(tmp_path, capsys):
    precious = tmp_path / "notes.npz"
    precious.write_text("my notes")
    status, _, err = run(capsys, "train", "--dataset", "xor", "--out", precious)
    one_error_line(status, err, "is not an nnscratch model")
    assert precious.read_text() == "my notes"


def test_debug_shows_the_traceback(capsys):
    with pytest.raises(FileNotFoundError):
        cli.main(["evaluate", "missing.npz", "--debug"])


def test_plugins_register_subcommands(monkeypatch, capsys):
    import sys
    import types
    plugin = types.ModuleType("nnscratch_test_plugin")

    def register(subparsers):
        p = subparsers.add_parser("hello")
        p.set_defaults(func=lambda args: print("hi") or 0)
    plugin.register = register
    monkeypatch.setitem(sys.modules, "nnscratch_test_plugin", plugin)
    monkeypatch.setattr(cli.app, "COMMANDS", cli.app.COMMANDS + ("nnscratch_test_plugin",))
    assert run(capsys, "hello")[:2] == (0, "hi\n")


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "info", "plot", "bench"])
def test_every_command_is_listed(command, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0 and f"nnscratch {command}" in capsys.readouterr().out


def test_python_dash_m(tmp_path):
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "nnscratch", "--version"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("nnscratch ")


def test_checkpoint_and_resume(tmp_path, capsys):
    ckpt = tmp_path / "run.ckpt"
    common = ["train", "--dataset", "spirals", "--no-save", "--checkpoint", ckpt, "--backend", "numpy"]
    assert run(capsys, *common, "--epochs", "2")[0] == 0 and ckpt.is_file()
    status, out, _ = run(capsys, *common, "--epochs", "4", "--resume")
    assert status == 0
    assert [line.split()[1] for line in out.splitlines() if line.startswith("epoch")] == ["3/4", "4/4"]


# --- nothing lost, nothing misleading (issue 9) --------------------------------------

def test_train_never_silently_replaces_a_model(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    xor = ["train", "--dataset", "xor", "--epochs", "3", "--quiet"]
    assert run(capsys, *xor)[0] == 0  # the default --out model.npz
    before = (tmp_path / "model.npz").read_bytes()
    status, _, err = run(capsys, *xor, "--seed", "1")
    one_error_line(status, err, "model.npz already holds an nnscratch model", "--force", "--out")
    assert (tmp_path / "model.npz").read_bytes() == before
    assert run(capsys, *xor, "--seed", "1", "--force")[0] == 0
    assert (tmp_path / "model.npz").read_bytes() != before


def test_resume_from_a_path_and_from_a_finished_run(tmp_path, capsys):
    ckpt = tmp_path / "run.ckpt"
    common = ["train", "--dataset", "spirals", "--no-save", "--backend", "numpy"]
    assert run(capsys, *common, "--epochs", "2", "--checkpoint", ckpt)[0] == 0
    status, out, _ = run(capsys, *common, "--epochs", "4", "--resume", ckpt)
    assert status == 0
    assert f"resuming from epoch 3 of 4 ({ckpt})" in out
    assert [line.split()[1] for line in out.splitlines() if line.startswith("epoch")] == ["3/4", "4/4"]
    status, out, _ = run(capsys, *common, "--epochs", "4", "--resume", ckpt)  # kept checkpointing there
    assert status == 0 and f"{ckpt} already finished 4 of 4 epochs" in out
    assert not [line for line in out.splitlines() if line.startswith("epoch")]


def _interrupt(tmp_path, *extra):
    """Run ``nnscratch train`` in a subprocess, send SIGINT after its second epoch line."""
    import os
    import pathlib
    import signal
    import subprocess
    import sys

    import nnscratch
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(nnscratch.__file__).parents[1]))  # this tree's nnscratch
    cmd = [sys.executable, "-m", "nnscratch", "train", "--dataset", "moons", "--epochs", "100000",
           "--no-save", "--backend", "numpy", *map(str, extra)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env=env, preexec_fn=_default_sigint)
    lines = 0
    for line in proc.stdout:
        lines += line.startswith("epoch")
        if lines == 2:
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=60)
    return proc.returncode, err


def _default_sigint():
    """In the child: Ctrl-C raises KeyboardInterrupt even when the tests run in a background
    job (which inherits SIGINT ignored, and Python then leaves it ignored)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_says_where_the_checkpoint_is(tmp_path):
    import os
    status, err = _interrupt(tmp_path, "--checkpoint", "run.ckpt")
    assert status == 130, err
    assert "the last checkpoint is run.ckpt" in err and "--resume run.ckpt" in err
    assert os.path.exists(tmp_path / "run.ckpt")


def test_ctrl_c_without_checkpoint_says_nothing_was_saved(tmp_path):
    status, err = _interrupt(tmp_path)
    assert status == 130, err
    assert "nothing was saved" in err and "--checkpoint PATH" in err


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed one, on purpose
def test_ctrl_c_inside_a_finaliser_still_stops_training():
    """A KeyboardInterrupt raised in a ``__del__`` (tqdm's, as an old bar goes) is printed as
    "Exception ignored" and dropped by Python; the bar raises it again at the end of the batch."""
    import gc
    import os
    import signal

    from nnscratch.cli import progress

    class Finaliser:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the finaliser runs

    bar = progress.progress(10, 1, show=False)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with progress.ctrl_c(bar):
            Finaliser()  # goes at once: the interrupt is swallowed as "Exception ignored"
            gc.collect()
            bar.on_epoch_begin(0, None)
            with pytest.raises(KeyboardInterrupt):
                bar.on_batch_end(0, None)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    finally:
        signal.signal(signal.SIGINT, previous)


def test_show_without_a_display_fails_before_training(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    status, out, err = run(capsys, "train", "--dataset", "xor", "--show", "--out", tmp_path / "m.npz")
    one_error_line(status, err, "--show needs a display", "--live")
    assert out == "" and not (tmp_path / "m.npz").exists()


def test_pictures_without_matplotlib_fail_before_training(tmp_path, capsys, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    status, out, err = run(capsys, "train", "--dataset", "xor", "--plot", tmp_path / "pics",
                           "--out", tmp_path / "m.npz")
    one_error_line(status, err, "--plot needs matplotlib", "or train without it")
    assert out == "" and not (tmp_path / "m.npz").exists()
    status, out, err = run(capsys, "train", "--dataset", "xor", "--plot", tmp_path / "pics", "--live",
                           tmp_path / "l.gif", "--no-save")
    one_error_line(status, err, "--plot and --live need matplotlib", "or train without them")
    status, out, err = run(capsys, "plot", tmp_path / "m.npz")  # plot itself: a missing package, one plain line
    assert status == 2 and err.startswith("error: ") and "ImportError" not in err and "--debug" not in err


def test_model_remembers_its_dataset(tmp_path, capsys):
    from nnscratch import Network
    path = tmp_path / "s.npz"
    assert run(capsys, "train", "--dataset", "spirals", "--seed", "3", *TINY, "--out", path)[0] == 0
    remembered = Network.load(path).metadata["dataset"]
    assert remembered == {"name": "spirals", "spec": "spirals", "seed": 3, "input_shape": [2],
                          "class_names": [], "test_fraction": 0.2}  # the split it drew
    status, out, _ = run(capsys, "evaluate", path, "--json")  # no --dataset, no --seed
    explicit = run(capsys, "evaluate", path, "--json", "--dataset", "spirals", "--seed", "3")[1]
    assert status == 0 and json.loads(out) == json.loads(explicit)
    assert json.loads(out)["dataset"] == "spirals"


def test_predict_names_classes_the_model_remembers(tmp_path, capsys):
    from nnscratch import Network
    path = tmp_path / "x.npz"
    assert run(capsys, "train", "--dataset", "xor", "--epochs", "2", "--quiet", "--out", path)[0] == 0
    net = Network.load(path)
    net.metadata["dataset"]["class_names"] = ["false", "true"]
    net.save(path)
    np.save(tmp_path / "x.npy", np.array([[0.0, 1.0]], dtype=np.float32))
    status, out, _ = run(capsys, "predict", path, tmp_path / "x.npy", "--json")
    assert status == 0 and json.loads(out)["name"] in ("false", "true")


def test_tiny_csv_says_its_test_figure_means_little(tmp_path, capsys):
    rows = [",".join([str(i % 2)] + [str((i * 37 + j) % 256) for j in range(784)]) for i in range(5)]
    (tmp_path / "tiny.csv").write_text("\n".join(rows) + "\n")
    status, out, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 'tiny.csv'}", "--epochs", "1",
                           "--augment", "0", "--no-save", "--backend", "numpy")
    assert status == 0
    assert "--validation 0.1 of 4 training samples holds out none" in err
    assert "only 1 test sample in csv" in err
