"""``nnscratch bench``'s options and ``nnscratch predict``'s messages, as a user meets them. Nothing here
times anything: every bench command below is refused before its first epoch."""

import sys

import numpy as np
import pytest

from nnscratch.cli.app import main


def _one_line(capsys):
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("flag, value", [("--epochs", "0"), ("--warmup", "-1")])
def test_the_cnn_bench_refuses_a_bad_count_before_its_warm_up(flag, value, capsys):
    """--model cnn ran its warm-up epoch, then failed with 'StatisticsError: no median for empty data'."""
    assert main(["bench", "--model", "cnn", flag, value]) == 2
    err = _one_line(capsys)
    assert f"{flag}: expected a whole number" in err and "StatisticsError" not in err
    assert "warm-up" not in capsys.readouterr().out


def test_the_cnn_bench_without_pytorch_says_so(monkeypatch, capsys):
    """Without torch it said 'error: No module named 'torch'' (here: 'import of torch halted'), after
    loading the data and building the networks."""
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    assert main(["bench", "--model", "cnn", "--samples", "64", "--epochs", "1"]) == 2
    err = _one_line(capsys)
    assert "PyTorch is not installed" in err and "nnscratch[torch]" in err


def test_the_cnn_bench_on_data_that_are_not_images_names_its_own_options(capsys):
    """--dataset moons was refused in --layers' words ('--layers conv16x3p1,...: use dense layers'),
    an option --model cnn does not take."""
    pytest.importorskip("torch")
    assert main(["bench", "--model", "cnn", "--dataset", "moons", "--epochs", "1"]) == 2
    err = _one_line(capsys)
    assert "--dataset moons has 2 features" in err and "--layers" not in err and "mnist-sample" in err


def test_features_with_a_named_dataset_is_refused_not_ignored(capsys):
    """--features 10 --dataset mnist-sample timed 784 columns without a word."""
    assert main(["bench", "--features", "10", "--dataset", "mnist-sample"]) == 2
    assert "--features sets the columns of the synthetic data" in _one_line(capsys)


def test_more_samples_than_the_dataset_holds_is_said():
    """--samples 100000 --dataset mnist-sample timed the 8,000 digits it has, silently."""
    from nnscratch.bench.runner import load_data
    notes = []
    X, _, _ = load_data("mnist-sample", 100_000, 784, log=notes.append)
    assert notes == [f"mnist-sample has {len(X):,} training samples, fewer than --samples 100,000: "
                     f"timing all {len(X):,}"]
    load_data("mnist-sample", 100, 784, log=notes.append)
    assert len(notes) == 1  # fewer asked than there are: nothing to say


def test_predict_a_picture_with_an_image_regression_model_names_its_images(tmp_path, monkeypatch, capsys):
    """A conv-only model trained on (n, 1, 8, 8) arrays (npy:X.npy,Y.npy) was said to take '64 features
    (x0, x1, x2, ...) of a table'."""
    pytest.importorskip("PIL")
    from PIL import Image
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.random((60, 1, 8, 8)).astype(np.float32)
    np.save("X.npy", X)
    np.save("Y.npy", 2 * X)
    assert main(["train", "--quiet", "--epochs", "1", "--dataset", "npy:X.npy,Y.npy", "--task", "regression",
                 "--layers", "conv4x3p1,relu,conv1x3p1", "--out", "img.npz"]) == 0
    Image.fromarray(np.full((28, 28), 255, dtype=np.uint8)).save("digit.png")
    capsys.readouterr()
    assert main(["predict", "img.npz", "digit.png"]) == 2
    err = _one_line(capsys)
    assert "img.npz takes images of shape (n, 1, 8, 8): pass it a .npy array" in err and "table" not in err


@pytest.mark.parametrize("flag, text", [("--batch-sizes", "-5"), ("--batch-sizes", "32,-64"), ("--layers", "8,-16")])
def test_a_minus_sign_is_refused_not_read_as_a_dash(flag, text, capsys):
    """'-' also separates sizes (256-128), so --batch-sizes -5 timed batch 5 and 32,-64 timed 32 and 64.
    (A tiny run follows if the sizes were taken: nothing is timed when they are refused.)"""
    assert main(["bench", flag, text, "--epochs", "1", "--samples", "64"]) == 2
    assert _one_line(capsys).startswith(f"error: {flag} takes comma-separated positive integers")


def test_sizes_separated_by_dashes_still_read():
    from nnscratch.cli.bench import _ints
    assert _ints("256-128", "--layers") == (256, 128) and _ints("32, 128,") == (32, 128)


# ---------------------------------------------------------------- the examples

EXAMPLES = __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "examples")
NO_PLOTS = {  # the scripts that draw, each with tiny settings and --no-plots
    "seed000_ann_mnist.py": ["--layers", "784,8,10", "--train", "100", "--sgd-epochs", "1", "--epochs", "1"],
    "seed001_full_batch.py": ["--iterations", "2", "--train", "100", "--epochs", "1"],
    "seed002_deep_and_autoencoder.py": ["--epochs", "1", "--samples", "32"],
    "seed003_spirals.py": ["--epochs", "2", "--points", "10"],
    "seed004_xor.py": ["--epochs", "2", "--every", "1"],
}


def _example(script):
    import os
    import runpy
    return runpy.run_path(os.path.join(EXAMPLES, script), run_name="example")["main"]


@pytest.mark.parametrize("script", sorted(NO_PLOTS))
def test_every_drawing_example_runs_without_matplotlib_with_no_plots(script, monkeypatch, tmp_path, capsys):
    """As the tutorials say: without the viz extra, --no-plots runs the example and draws nothing."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if matplotlib were not installed
    assert _example(script)([*NO_PLOTS[script], "--backend", "numpy", "--no-plots"]) is not None
    assert "numpy" in capsys.readouterr().out and not list(tmp_path.iterdir())  # nothing written


def test_cpu_vs_gpu_says_a_misspelt_backend_in_one_line(capsys):
    """--backends numpy,nmupy ended in a traceback (ConfigError: Unknown backend 'nmupy'), though the
    script promises one clear line."""
    with pytest.raises(SystemExit) as done:
        _example("cpu_vs_gpu.py")(["--backends", "numpy,nmupy", "--epochs", "1", "--train", "50"])
    err = capsys.readouterr().err.strip()
    assert done.value.code == 2 and "\n" not in err and "--backends nmupy: Unknown backend 'nmupy'" in err
    assert "did you mean" in err.lower() or "numpy" in err


@pytest.mark.parametrize("script, argv", [
    ("seed004_xor.py", ["--every", "0"]),  # ZeroDivisionError after training
    ("seed002_deep_and_autoencoder.py", ["--frames", "0"]),  # ZeroDivisionError
    ("seed000_ann_mnist.py", ["--train", "-7990"]),  # trained on 10 digits, silently
    ("seed000_ann_mnist.py", ["--images", "0"]),  # "X is empty" after both trainings
    ("seed003_spirals.py", ["--momentum", "1.5"]), ("seed001_full_batch.py", ["--lr", "0"]),
    ("cpu_vs_gpu.py", ["--batch-size", "0"]), ("seed004_xor.py", ["--seed", "-1"]),
    *[(script, ["--epochs", "0"]) for script in ("cpu_vs_gpu.py", *sorted(NO_PLOTS))],
])
def test_an_example_refuses_a_bad_number_as_the_command_line_does(script, argv, capsys):
    """Each numeric option is checked as it is parsed (the CLI's own types), never later as a traceback."""
    with pytest.raises(SystemExit) as done:
        _example(script)([*argv, "--backend" if script != "cpu_vs_gpu.py" else "--backends", "numpy"])
    out, err = capsys.readouterr()
    assert done.value.code == 2 and not out
    assert f"error: argument {argv[0]}: expected " in err and f"received {argv[1]!r}" in err, err


def test_evaluate_a_classifier_with_task_regression_names_the_task(tmp_path, monkeypatch, capsys):
    """It said 'tcls.npz has 2 outputs but cls.csv has 1 target column; use the dataset the model was
    trained on', of the very table the model was trained on."""
    monkeypatch.chdir(tmp_path)
    X = np.random.default_rng(0).standard_normal((80, 3))
    rows = [",".join(f"{v:.4f}" for v in r) + f",{int(r[0] > 0)}" for r in X]
    (tmp_path / "cls.csv").write_text("a,b,c,label\n" + "\n".join(rows) + "\n")
    assert main(["train", "--quiet", "--epochs", "1", "--dataset", "csv:cls.csv", "--out", "cls.npz"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "cls.npz", "--task", "regression"]) == 2
    err = _one_line(capsys)
    assert "cls.npz was trained for classification" in err and "--task classification" in err


def test_bench_ranks_refuses_zero_epochs_before_launching(monkeypatch, capsys):
    """--ranks 2 --epochs 0 launched every round's processes, each timing nothing."""
    from nnscratch.bench import mpi
    monkeypatch.setattr(mpi, "_launch", lambda *a: pytest.fail("launched a run of 0 timed epochs"))
    monkeypatch.setattr(mpi, "mpiexec", lambda: "mpiexec")
    assert main(["bench", "--ranks", "2", "--epochs", "0"]) == 2
    assert "--epochs: expected a whole number >= 1; received '0'" in _one_line(capsys)
