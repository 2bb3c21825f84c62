"""Every example runs with tiny settings on NumPy and array-api-strict, so they never rot.

Each example exposes ``main(argv)``; it is loaded with runpy (not as __main__)
and called with small sizes.  Pictures are drawn on the NumPy run only.
"""
import os
import runpy

import pytest

import nnscratch as nn

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")
TINY = {
    "seed000_ann_mnist.py": ["--layers", "784,16,8,10", "--train", "200", "--sgd-epochs", "1",
                             "--epochs", "1", "--images", "2"],
    "seed001_full_batch.py": ["--iterations", "12", "--train", "300", "--epochs", "1"],
    "seed002_deep_and_autoencoder.py": ["--epochs", "3", "--samples", "48", "--frames", "2"],
    "seed003_spirals.py": ["--epochs", "20", "--points", "15"],
    "seed004_xor.py": ["--epochs", "200", "--every", "100"],
    "cpu_vs_gpu.py": ["--layers", "784,16,10", "--train", "200", "--epochs", "2"],
}
PICTURES = {
    "seed000_ann_mnist.py": ["seed000_confusion.png", "seed000_activations.gif",
                             "seed000_misclassified.png", "seed000_weights.png"],
    "seed001_full_batch.py": ["seed001_accuracy.png"],
    "seed002_deep_and_autoencoder.py": [
        f"seed002_{n}_{k}" for n in ("deep", "autoencoder")
        for k in ("training.gif", "architecture.png", "loss.png")],
    "seed003_spirals.py": [f"seed003_{n}{k}" for n in ("spirals", "moons")
                           for k in (".png", "_curves.png")],
    "seed004_xor.py": ["seed004_xor_cost.png"],
}


def test_every_example_is_covered():
    scripts = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".py"))
    assert scripts == sorted(TINY)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
@pytest.mark.parametrize("script", sorted(TINY))
def test_example_runs(script, backend, tmp_path, capsys, monkeypatch):
    argv = list(TINY[script])
    if script == "cpu_vs_gpu.py":
        argv += ["--backends", backend]
    else:
        argv += ["--backend", backend]
    plots = backend == "numpy" and script in PICTURES
    if plots:  # no --out: the default folder, in the current directory, never examples/images/
        pytest.importorskip("matplotlib")
        monkeypatch.chdir(tmp_path)
        tracked = _readme_images()
    elif script in PICTURES:
        argv += ["--no-plots"]
    main = runpy.run_path(os.path.join(EXAMPLES, script), run_name="example")["main"]
    result = main(argv)
    out = capsys.readouterr().out
    assert backend in out
    assert result is not None
    if plots:
        assert "saved" in out and "nnscratch-pictures" in out  # it says where its pictures went
        for name in PICTURES[script]:
            assert os.path.getsize(tmp_path / "nnscratch-pictures" / name) > 0, name
        assert _readme_images() == tracked  # running an example modifies no tracked file


def _readme_images():
    """{name: bytes} of the README's pictures in examples/images/."""
    folder = os.path.join(EXAMPLES, "images")
    return {n: open(os.path.join(folder, n), "rb").read() for n in sorted(os.listdir(folder))}


def test_xor_example_learns():
    main = runpy.run_path(os.path.join(EXAMPLES, "seed004_xor.py"), run_name="example")["main"]
    p = main(["--backend", "numpy", "--every", "5000"])
    assert list(p > 0.5) == [False, True, True, False]


def test_cpu_vs_gpu_same_start_everywhere():
    main = runpy.run_path(os.path.join(EXAMPLES, "cpu_vs_gpu.py"), run_name="example")["main"]
    rows = main(["--backends", "numpy,array_api_strict", "--layers", "784,8,10",
                 "--train", "100", "--batch-size", "50", "--epochs", "1"])
    assert abs(rows[0]["first_loss"] - rows[1]["first_loss"]) < 1e-4
    assert isinstance(nn.get_backend("numpy"), nn.Backend)
