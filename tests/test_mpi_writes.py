"""``nnscratch export``, ``plot`` and ``bench`` under ``mpiexec -n 2``: one file, one report, the right status.

Before, each rank ran the command whole: both wrote the same path (racing: the second rank could find the
first one's file and refuse it), and every line was printed twice. Now export and plot run on rank 0 alone
(the other ranks end at once), and bench, which would time two benchmarks on the same cores, is refused
in one line said by rank 0, every rank ending with status 2. A usage error is said once too.

Launched as tests/test_mpi.py launches its jobs (skipped without mpi4py or mpiexec), each with a timeout:
a hang fails the test.
"""

import os
import sys
from pathlib import Path

import pytest

from nnscratch import cli

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import _finish, _python, needs_mpi  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small model and its history, written by one process."""
    folder = tmp_path_factory.mktemp("trained")
    model, history = folder / "m.npz", folder / "h.json"
    assert cli.main(["train", "--dataset", "xor", "--epochs", "2", "--quiet", "--out", str(model),
                     "--history", str(history)]) == 0
    return model, history


def _nnscratch(*args, cwd, status):
    """``mpiexec -n 2 python -m nnscratch ARGS`` in ``cwd``; its ``(stdout, stderr)``, the status checked."""
    return _finish(_python("-m", "nnscratch", *args, n=2, cwd=cwd), status=status)


@needs_mpi
def test_export_writes_its_file_once_and_says_it_once(trained, tmp_path):
    onnx = pytest.importorskip("onnx")
    out, err = _nnscratch("export", trained[0], "m.onnx", cwd=tmp_path, status=0)
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("wrote")] == ["wrote m.onnx"], out
    assert os.listdir(tmp_path) == ["m.onnx"] and err == ""
    onnx.checker.check_model(onnx.load(str(tmp_path / "m.onnx")))
    out, err = _nnscratch("export", trained[0], "m.onnx", cwd=tmp_path, status=2)  # the file is there now
    assert out == "" and err.count("error:") == 1 and "pass --force to replace it" in err, err


@needs_mpi
def test_plot_draws_each_picture_once_and_says_it_once(trained, tmp_path):
    pytest.importorskip("matplotlib")
    out, err = _nnscratch("plot", trained[1], "--out", "curves.png", cwd=tmp_path, status=0)
    assert out.splitlines() == ["saved curves.png"] and err == "", (out, err)
    assert os.listdir(tmp_path) == ["curves.png"]
    out, err = _nnscratch("plot", tmp_path / "missing.json", cwd=tmp_path, status=2)
    assert out == "" and err.count("error:") == 1 and "missing.json does not exist" in err, err


@needs_mpi
def test_bench_under_mpiexec_is_refused_once_and_every_rank_ends_with_2(tmp_path):
    out, err = _nnscratch("bench", "--epochs", "1", "--json", "b.json", cwd=tmp_path, status=2)
    assert out == "" and err.splitlines() == [err.strip()], err  # one line
    assert err.startswith("error: nnscratch bench times one process, and mpiexec started 2") and \
        "nnscratch bench --ranks N" in err, err
    assert os.listdir(tmp_path) == []  # no --json file, no folder


@needs_mpi
def test_a_usage_error_of_a_command_run_on_each_rank_is_said_once(tmp_path):
    out, err = _nnscratch("export", "m.npz", "m.onnx", "--bogus", cwd=tmp_path, status=2)
    assert err.strip() == "error: unrecognized arguments: --bogus (see `nnscratch export --help`)", err


@needs_mpi
def test_help_and_version_are_said_once(tmp_path):
    out, _ = _nnscratch("--version", cwd=tmp_path, status=0)
    assert out.count("nnscratch ") == 1, out
    out, _ = _nnscratch("train", "--help", cwd=tmp_path, status=0)
    assert out.count("usage:") == 1, out


@needs_mpi
@pytest.mark.parametrize("where", ["batch", "epoch"])
def test_ctrl_c_reaches_a_rank_waiting_for_the_others(where, tmp_path):
    """The Python API, Ctrl-C caught on every rank: before, rank 0 waited for ever in MPI's Allreduce
    (the gradient sum) or in mpi4py's allgather (the end of an epoch), where Python never sees a signal."""
    script = Path(__file__).parent / "mpi_scripts" / "ctrl_c_caught.py"
    out, err = _finish(_python(script, where, n=2, cwd=tmp_path))
    # the two ranks print at the same moment: their lines may run into one another
    assert out.count("caught Ctrl-C") == 2 and all(f"rank {r} caught" in out for r in (0, 1)), (out, err)
