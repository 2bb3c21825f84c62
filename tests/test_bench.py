"""``nnscratch bench`` on tiny sizes: the table, the JSON and the plot have the promised
structure. Nothing here asserts a timing."""

import importlib.util
import json

import pytest

from nnscratch.bench import headline, render, run_bench, table
from nnscratch.bench.roofline import batch_rows, epoch_flops, gemm_shapes, step_flops
from nnscratch.cli.app import main

TINY = dict(hidden=(8,), batch_sizes=(16, 64), samples=200, features=12, epochs=2, warmup=1, repeats=1)
# A backend that cannot run on a machine without a GPU; on a GPU machine, one that surely is absent.
UNUSABLE = "torch:cuda:99" if importlib.util.find_spec("torch") else "torch"
ROW_KEYS = {"name", "backend", "batch_size", "median", "min", "max", "seconds", "samples_per_s", "gemm",
            "gemm_seconds", "x_gemm", "gflops", "speedup_vs_numpy", "vs_numpy_reference", "vs_torch_reference"}


@pytest.fixture(scope="module")
def result():
    return run_bench(backends=("numpy", "array_api_strict", UNUSABLE), reference=True, **TINY)


def test_one_row_per_backend_and_batch_size(result):
    names = [(r["name"], r["batch_size"]) for r in result["rows"]]
    for batch in (16, 64):
        assert ("nnscratch numpy", batch) in names
        assert ("nnscratch array_api_strict", batch) in names
        assert ("numpy-reference", batch) in names
    for row in result["rows"]:
        assert ROW_KEYS <= set(row)
        assert len(row["seconds"]) == 2 and row["min"] <= row["median"] <= row["max"]
        assert row["gemm"] > 0 and row["samples_per_s"] > 0


def test_unusable_backends_are_listed_with_a_reason(result):
    assert UNUSABLE in result["skipped"]
    assert "torch" in result["skipped"][UNUSABLE].lower()
    assert not any(r["backend"].startswith("torch:cuda") for r in result["rows"])


def test_speedups_are_relative_to_numpy(result):
    for row in result["rows"]:
        if row["name"] == "nnscratch numpy":
            assert row["speedup_vs_numpy"] == pytest.approx(1.0)
            assert row["vs_numpy_reference"] is not None


def test_table_json_and_headline(result, tmp_path):
    text = render(result)
    assert table(result).splitlines()[0].startswith("| contender")
    assert "x GEMM" in text and "device numpy:" in text and f"skipped {UNUSABLE}" in text
    assert "numpy" in result["versions"] and result["sizes"] == [12, 8, 10]
    assert any(line.startswith("batch 16: nnscratch (NumPy)") for line in headline(result))
    json.loads(json.dumps(result))


def test_roofline_counts_the_step_products():
    sizes = (784, 256, 128, 10)
    assert len(gemm_shapes(sizes, 128)) == 3 + 3 + 2       # forward, weight grads, input grads but the first
    forward = 2 * 128 * (784 * 256 + 256 * 128 + 128 * 10)
    assert step_flops(sizes, 128) == 3 * forward - 2 * 128 * 784 * 256
    assert batch_rows(300, 128) == [128, 128, 44]
    assert epoch_flops(sizes, 300, 128) == 2 * step_flops(sizes, 128) + step_flops(sizes, 44)


def test_command_line(tmp_path, capsys):
    out_json, out_png = tmp_path / "bench.json", tmp_path / "bench.png"
    status = main(["bench", "--backends", "numpy,array_api_strict:device1", "--layers", "8",
                   "--batch-sizes", "32", "--samples", "100", "--features", "6", "--epochs", "1",
                   "--repeats", "1", "--json", str(out_json), "--plot", str(out_png)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "nnscratch array_api_strict:device1" in printed and "GFLOP/s" in printed
    data = json.loads(out_json.read_text())
    assert {r["backend"] for r in data["rows"]} == {"numpy", "array_api_strict:device1"}
    assert out_png.stat().st_size > 0


def test_bad_batch_sizes_are_a_one_line_error(capsys):
    assert main(["bench", "--batch-sizes", "32,abc"]) == 2
    assert "32,abc" in capsys.readouterr().err


def test_bad_layers_and_batch_sizes_name_the_option_in_one_line(capsys):
    assert main(["bench", "--batch-sizes", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --batch-sizes takes") and "ValueError" not in err and "--debug" not in err
    assert main(["bench", "--layers", "8,x"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: --layers takes")


def test_a_backend_named_twice_is_timed_once(capsys):
    """Two contenders of one name shared one list of times: each row's median mixed both."""
    tiny = {**TINY, "batch_sizes": (64,)}
    got = run_bench(backends=("numpy", "array_api_strict", "numpy"), **tiny)
    assert [r["name"] for r in got["rows"]] == ["nnscratch numpy", "nnscratch array_api_strict"]
    assert all(len(r["seconds"]) == tiny["epochs"] for r in got["rows"])
    assert main(["bench", "--backends", " , ", "--samples", "50"]) == 2
    assert "--backends names no backend" in capsys.readouterr().err


def test_references_refused_by_the_dtype_are_not_timed_nor_reported(capsys):
    got = run_bench(backends=("numpy",), reference=True, dtype="float64", **{**TINY, "batch_sizes": (64,)},
                    log=print)
    assert [r["name"] for r in got["rows"]] == ["nnscratch numpy"]
    assert set(got["skipped"]) == {"numpy-reference", "torch-reference"}
    assert set(got["devices"]) == {"numpy"}
    assert "timing nnscratch numpy ..." in capsys.readouterr().out


def test_reference_loops_ship_inside_the_package(tmp_path):
    """``bench --reference`` after a plain install: the package alone, no benchmarks/ beside it."""
    import os
    import pathlib
    import shutil
    import subprocess
    import sys

    import nnscratch
    site = tmp_path / "site"
    shutil.copytree(pathlib.Path(nnscratch.__file__).parent, site / "nnscratch",
                    ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import numpy as np; from nnscratch.bench.contenders import make_reference; "
            "X = np.random.default_rng(0).random((64, 12), dtype=np.float32); y = np.arange(64) % 3; "
            "r = make_reference('numpy-reference', 'numpy', X, y, (12, 8, 3), 16); "
            "print(r.epoch() > 0)")
    env = dict(os.environ, PYTHONPATH=str(site))
    env.pop("NNSCRATCH_BENCHMARKS", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr


def test_cnn_bench_times_every_core_and_one_thread_and_counts_operations():
    """``bench --model cnn``: both thread settings in one run, each contender's rows, and the
    operations per step of nnscratch's code beside a plain PyTorch loop's."""
    pytest.importorskip("torch")
    from nnscratch.bench.cnn import render_cnn, run_cnn_bench
    rows = run_cnn_bench(batch_size=16, samples=32, epochs=1, warmup=0, dataset="mnist-sample",
                         settings={"2 threads": 2, "1 thread": 1}, log=lambda line: None)
    assert [(r["setting"], r["name"]) for r in rows] == [(s, n) for s in ("2 threads", "1 thread")
                                                        for n in ("nnscratch numpy", "torch cpu")]
    assert all(r["median"] > 0 and r["vs_torch"] > 0 for r in rows)
    counts = rows[0]["ops_per_step"]
    assert set(counts) == {"nnscratch on torch:cpu", "nnscratch on array_api_strict", "plain PyTorch loop"}
    ours, plain = counts["nnscratch on torch:cpu"], counts["plain PyTorch loop"]
    assert 0 < ours["launches"] < ours["ops"] and 0 < plain["launches"] < plain["ops"]
    text = render_cnn(rows)
    assert "2 threads (BLAS and PyTorch):" in text and "1 thread (BLAS and PyTorch):" in text
    assert "plain PyTorch loop" in text and "launches" in text
    median = {(r["threads"], r["name"]): r["median"] for r in rows}
    ratio = {r["threads"]: r["vs_torch"] for r in rows if r["name"] == "nnscratch numpy"}
    assert (f"from 1 thread to 2, an epoch goes faster by: nnscratch numpy "
            f"{median[1, 'nnscratch numpy'] / median[2, 'nnscratch numpy']:.2f}x, torch cpu "
            f"{median[1, 'torch cpu'] / median[2, 'torch cpu']:.2f}x") in text
    verdict = "better" if ratio[2] < ratio[1] else "worse" if ratio[2] > ratio[1] else "no different"
    assert f"{ratio[1]:.2f}x on 1 thread, {ratio[2]:.2f}x on 2: {verdict} with more cores" in text
    json.loads(json.dumps(rows))


def test_a_misspelt_option_is_refused_not_ignored():
    """``run_bench(batch_size=128)`` used to run with the default batch sizes."""
    with pytest.raises(TypeError, match="did you mean batch_sizes="):
        run_bench(batch_size=128)


def test_the_device_line_says_which_blas_kernels_ran_and_who_chose_them(monkeypatch):
    """A forced OPENBLAS_CORETYPE (some machines set one for old OpenBLAS builds) can halve the
    products' speed; the bench names it, and OpenBLAS's own choice without it."""
    from nnscratch.backend import threads
    from nnscratch.bench import device
    monkeypatch.setattr(threads, "blas_info", lambda: {"internal_api": "openblas", "architecture": "Haswell"})
    assert device.blas_kernels({"OPENBLAS_CORETYPE": "Haswell"}) == "Haswell kernels (OPENBLAS_CORETYPE=Haswell)"
    assert device.blas_kernels({}) == "Haswell kernels"
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    assert device.numpy_blas().endswith(", Haswell kernels")
    monkeypatch.setattr(threads, "blas_info", lambda: None)  # MKL, Accelerate: no kernel name to give
    assert device.blas_kernels({}) is None
