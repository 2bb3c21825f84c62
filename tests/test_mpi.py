"""Data-parallel training over MPI: N processes train the model one process trains.

The MPI tests launch ``mpiexec -n 2`` (and ``-n 3`` for uneven shards) on the
scripts in ``tests/mpi_scripts/`` with a timeout, and compare with the same
scripts run as one process. They skip when mpi4py or mpiexec is missing
(``pip install "nnscratch[mpi]"``).
"""

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nnscratch
from nnscratch import cli
from nnscratch import distributed
from nnscratch.saving.checkpoint import load as load_checkpoint

ROOT = Path(nnscratch.__file__).resolve().parent.parent  # the tree under test
SCRIPTS = Path(__file__).parent / "mpi_scripts"
MPIEXEC = next((str(p) for p in (Path(sys.executable).parent / "mpiexec", shutil.which("mpiexec") or "")
                if str(p) and os.access(p, os.X_OK)), None)
HAVE_MPI4PY = importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(not (HAVE_MPI4PY and MPIEXEC),
                               reason='needs mpi4py and mpiexec: pip install "nnscratch[mpi]"')
TIMEOUT = 90
sys.path.insert(0, str(SCRIPTS))  # the scripts also run in this process, as the one-process reference
import fit_cases  # noqa: E402
import killable  # noqa: E402


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "MPI_", "PMIX_"))}
    env.update(PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MPIR_CVAR_ENABLE_HEAVY_YIELD="1")  # MPICH: waiting ranks yield the core (3 ranks on 2 cores)
    return env


def _launch(command, **popen):
    """Popen in a session of its own (a hung job is killed whole), output captured as text."""
    return subprocess.Popen(command, env=_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, **popen)


def _python(*args, n=None, **popen):
    """``[mpiexec -n N] python ARGS``."""
    launcher = [] if n is None else [MPIEXEC, "-n", str(n)]
    return _launch([*launcher, sys.executable, *map(str, args)], **popen)


def _finish(proc, status=0):
    """Wait (at most TIMEOUT) and check the exit status (None: any failure); ``(stdout, stderr)``."""
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"the MPI job did not end within {TIMEOUT} s (a hang)")
    assert proc.returncode != 0 if status is None else proc.returncode == status, err
    return out, err


def _fit_cases(tmp_path, n, cases):
    """Run the cases under ``mpiexec -n n`` and as one process (in this one, meanwhile)."""
    paths = tmp_path / "one.npz", tmp_path / f"n{n}.npz"
    job = _python(SCRIPTS / "fit_cases.py", paths[1], *cases, n=n)
    fit_cases.main(paths[0], cases)
    _finish(job)
    return [np.load(p) for p in paths]


@needs_mpi
@pytest.mark.parametrize("n, cases", [
    (2, ["sgd", "momentum", "adam_val", "rmsprop", "augment", "streamed", "full_batch_mse", "early_stop",
         "diverge", "one_rank_stops"]),
    (3, ["sgd_uneven", "adam_val"]),  # batches of 10 = 4+3+3 rows, the last of 1 (two ranks idle), validation 50
])
def test_n_processes_train_the_one_process_model(tmp_path, n, cases):
    one, many = _fit_cases(tmp_path, n, cases)
    for case in cases:
        assert bool(many[f"same/{case}"]), f"{case}: the ranks ended with different weights"
        assert len(many[f"loss/{case}"]) == len(one[f"loss/{case}"]), f"{case}: stopped at another epoch"
        np.testing.assert_allclose(many[f"loss/{case}"], one[f"loss/{case}"], rtol=1e-5, err_msg=case)
        assert np.max(np.abs(many[f"w/{case}"] - one[f"w/{case}"])) < 1e-5, case
        assert np.max(np.abs(one[f"w/{case}"])) > 0.05  # trained weights, not a degenerate zero


@needs_mpi
def test_command_line_under_mpiexec_prints_and_saves_once(tmp_path, capsys):
    common = ["train", "--dataset", "moons", "--epochs", "4", "--batch-size", "25", "--json"]
    job = _python("-m", "nnscratch", *common, "--out", tmp_path / "two.npz", "--history", tmp_path / "h.json",
                  n=2, cwd=tmp_path)
    assert cli.main([*common, "--out", str(tmp_path / "one.npz")]) == 0
    out, err = _finish(job)
    lines = out.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["epochs"] == 4, out  # rank 0 alone printed
    two, one = nnscratch.Network.load(tmp_path / "two.npz"), nnscratch.Network.load(tmp_path / "one.npz")
    for a, b in zip(two.get_weights(), one.get_weights()):
        assert np.max(np.abs(a - b)) < 1e-5
    assert sorted(os.listdir(tmp_path)) == ["h.json", "one.npz", "two.npz"]


@needs_mpi
def test_ranks_with_different_settings_are_refused(tmp_path):
    args = [sys.executable, "-m", "nnscratch", "train", "--dataset", "blobs", "--epochs", "2", "--no-save"]
    _, err = _finish(_launch([MPIEXEC, "-n", "1", *args, ":", "-n", "1", *args, "--batch-size", "64"], cwd=tmp_path),
                     status=2)
    assert err.count("error:") == 1, err  # said once, by rank 0
    assert "same batch_size on every rank; rank 0 has 32 but rank 1 has 64" in err


@needs_mpi
@pytest.mark.parametrize("mistake", [["--no-such-option"], ["--dataset", "csv:missing.csv"], ["--epochs", "0"],
                                     ["--lr", "1e8", "--optimizer", "sgd"]])  # the last diverges while training
def test_an_error_every_rank_meets_is_said_once_as_one_process_says_it(tmp_path, mistake):
    args = ["-m", "nnscratch", "train", "--dataset", "moons", "--epochs", "2", "--no-save", "--quiet", *mistake]
    _, alone = _finish(_python(*args, cwd=tmp_path), status=2)
    _, err = _finish(_python(*args, n=2, cwd=tmp_path), status=2)  # every rank exits normally: no MPI_Abort
    assert err == alone and alone.count("error:") == 1, err


@needs_mpi
@pytest.mark.parametrize("options, expected", [([], "error: --out model.npz exists and is not"),
                                               (["--live", "run.txt"], "error: --live saves a .gif or .mp4")])
def test_an_error_of_the_rank_that_writes_is_said_once(tmp_path, options, expected):
    (tmp_path / "model.npz").write_bytes(b"not a model")
    args = ["-m", "nnscratch", "train", "--dataset", "moons", "--epochs", "1", *options]
    _, err = _finish(_python(*args, n=3, cwd=tmp_path), status=2)  # rank 0 alone checks what it will write
    assert err.count("error:") == 1 and err.startswith(expected), err
    assert (tmp_path / "model.npz").read_bytes() == b"not a model"


@needs_mpi
def test_a_command_that_runs_whole_on_each_rank_fails_on_one_without_waiting_for_the_others(tmp_path):
    nnscratch.Network.from_sizes(2, 4, 2, seed=0).save(tmp_path / "m.npz")
    args = [sys.executable, "-m", "nnscratch", "evaluate"]
    job = _launch([MPIEXEC, "-n", "1", *args, "missing.npz", ":", "-n", "1", *args, "m.npz", "--dataset", "moons"],
                  cwd=tmp_path)  # rank 1 ends well without ever joining MPI; rank 0 must not wait for it
    out, err = _finish(job, status=2)  # (ranks other than 0 say nothing: tests/test_writers4.py)
    assert err.count("error:") == 1 and "model file missing.npz does not exist" in err, err
    assert out == "", out


@needs_mpi
def test_a_failing_rank_ends_the_whole_job_promptly():
    start = time.monotonic()
    _, err = _finish(_python(SCRIPTS / "fail_on_rank.py", n=2), status=None)  # rank 0 would train for ever
    assert "rank 1 failed on purpose in epoch 3" in err
    assert time.monotonic() - start < 30


@needs_mpi
def test_a_usage_error_on_one_rank_aborts_the_job(tmp_path):
    args = [sys.executable, "-m", "nnscratch", "train", "--dataset", "blobs", "--epochs", "2", "--no-save"]
    _, err = _finish(_launch([MPIEXEC, "-n", "1", *args, ":", "-n", "1", *args, "--no-such-option"], cwd=tmp_path),
                     status=2)  # rank 1 fails before any MPI call; it must still end rank 0
    assert "[rank 1 of 2] error: unrecognized arguments: --no-such-option (see `nnscratch train --help`)" in err, err


@needs_mpi
def test_ctrl_c_under_mpiexec_is_said_once_and_ends_every_rank(tmp_path):
    args = ["-m", "nnscratch", "train", "--dataset", "moons", "--epochs", "100000", "--no-save", "--backend", "numpy",
            "--checkpoint", "run.ckpt"]
    job = _python(*args, n=2, cwd=tmp_path, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    epochs = 0
    for line in job.stdout:
        epochs += line.startswith("epoch")
        if epochs == 2:
            break
    job.send_signal(signal.SIGINT)  # to mpiexec, as Ctrl-C in a terminal: the ranks have process groups of their own
    _, err = _finish(job, status=130)  # no rank left waiting for another
    assert err.count("interrupted during epoch") == 1 and "--resume run.ckpt" in err, err


@needs_mpi
def test_sigkill_under_mpiexec_then_resume_matches_uninterrupted(tmp_path):
    ckpt = tmp_path / "run.ckpt"
    killed = _python(SCRIPTS / "killable.py", ckpt, tmp_path / "killed.npz", "checkpoint", 0.15, n=2)
    deadline = time.monotonic() + TIMEOUT
    while not ckpt.exists() and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # into a later epoch
    assert killed.poll() is None, killed.communicate()[1]
    os.killpg(killed.pid, signal.SIGKILL)  # mpiexec and both ranks at once
    killed.communicate()
    reached = load_checkpoint(ckpt)[0]["epoch"]
    assert 0 <= reached < 9 and not (tmp_path / "killed.npz").exists()
    job = _python(SCRIPTS / "killable.py", ckpt, tmp_path / "resumed.npz", "resume", 0, n=2)
    plain = killable.train(None, "plain")
    _finish(job)
    resumed = nnscratch.Network.load(tmp_path / "resumed.npz")
    for a, b in zip(resumed.get_weights(), plain.get_weights()):
        assert np.max(np.abs(a - b)) < 1e-5


@needs_mpi
@pytest.mark.parametrize("options, expected", [
    (["--dataset", "no-such-data"], "the 2-process run failed: Unknown dataset 'no-such-data'; expected one of"),
    (["--batch-sizes", "1"], "got --batch-sizes 1. Use a batch size of at least 2."),  # before any launch
])
def test_bench_ranks_says_why_a_run_cannot_start_in_one_line(options, expected, capsys, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    assert cli.main(["bench", "--ranks", "2", "--epochs", "1", *options]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err, err


NO_MPI4PY = """
import sys, numpy as np, nnscratch
from nnscratch import cli, distributed
assert distributed.from_environment() is None
net = nnscratch.Network.from_sizes(3, 4, 2, seed=0)
net.fit(np.eye(3, dtype=np.float32), [0, 1, 0], epochs=2, batch_size=2)
assert cli.main(['train', '--dataset', 'xor', '--epochs', '2', '--no-save', '--quiet']) == 0
assert 'mpi4py' not in sys.modules, 'mpi4py was imported'
"""


def test_one_process_never_imports_mpi4py(monkeypatch, capsys):
    if "mpi4py" in sys.modules:  # something else in this process imported it: check in a fresh one
        _finish(_python("-c", NO_MPI4PY))
        return
    for name in [k for k in os.environ if k.startswith(distributed.SIZE_VARIABLES)]:
        monkeypatch.delenv(name)
    exec(NO_MPI4PY, {})


def test_launched_size_reads_the_launchers_variables():
    assert distributed.launched_size({}) == 1
    assert distributed.launched_size({"PMI_SIZE": "4"}) == 4
    assert distributed.launched_size({"OMPI_COMM_WORLD_SIZE": "3"}) == 3


@pytest.mark.parametrize("m, size", [(16, 3), (13, 3), (1, 3), (10, 4), (128, 2)])
def test_shards_cover_the_batch_once_and_differ_by_at_most_one_row(m, size):
    parts = [distributed.shard(100, 100 + m, rank, size) for rank in range(size)]
    assert parts[0][0] == 100 and parts[-1][1] == 100 + m
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))  # contiguous, in rank order
    counts = [b - a for a, b in parts]
    assert max(counts) - min(counts) <= 1 and sum(counts) == m


@pytest.mark.parametrize("n, batch_size, val, expected", [
    (4, None, None, "needs at least 5 training rows (one per process); got 4. Use at most 4 processes"),
    (4, 2, None, "needs at least 5 training rows"),  # more processes than rows: no batch size helps
    (100, 1, None, "got batch_size=1. Use a batch_size (--batch-size) of at least 5, or at most 1 process."),
    (100, 32, 3, "needs at least 5 validation rows (one per process); got 3. Hold out more rows"),
])
def test_too_few_rows_for_the_processes_says_what_to_change(n, batch_size, val, expected):
    assert expected in distributed.parallel.too_few_rows(5, n, batch_size, val)
    assert distributed.parallel.too_few_rows(5, 5, None, 5) is None  # one row each is enough


def test_each_rank_takes_the_gpu_of_its_local_rank():
    assert distributed.local_device("cupy", 1, count=2) == "cupy:1"
    assert distributed.local_device("torch:cuda", 3, count=4) == "torch:cuda:3"
    assert distributed.local_device("cupy:0", 1) == "cupy:0"  # a named device is kept
    assert distributed.local_device("numpy", 1) == "numpy"


def test_more_ranks_than_gpus_share_them_in_turn():
    assert distributed.local_device("cupy", 1, count=1) == "cupy:0"  # two ranks on a one-GPU node
    assert distributed.local_device("torch:cuda", 3, count=2) == "torch:cuda:1"
    assert distributed.local_device("cupy", 2, count=4) == "cupy:2"


class TwinComm(distributed.MPIComm):
    """Rank 0 of two whose twin returns the same gradients: the host path, without MPI."""

    def __init__(self):
        self.rank, self.size, self.local_rank, self.cuda_aware = 0, 2, 0, False
        self.steps, self.seconds, self.mpi_seconds, self.wait_seconds = 0, 0.0, 0.0, 0.0
        self.measure_wait = False

    def _allreduce(self, buffer):
        buffer *= 2.0

    def bcast(self, obj, root=0):
        return obj

    def allgather(self, obj):
        return [obj, obj]


def test_host_path_moves_the_gradient_buffer_once_each_way_per_step():
    pytest.importorskip("array_api_strict")
    from test_host_transfers import CountingBackend  # device1 refuses any implicit host conversion

    X, y = fit_cases.data(n=96)
    counts = {}
    for batch in (32, 4):  # 3 and 24 steps per epoch
        backend = CountingBackend("array_api_strict", "device1")
        net = nnscratch.Network.from_sizes(5, 8, 3, seed=0, backend=backend)
        backend.calls.clear()
        net.fit(X, y, epochs=2, batch_size=batch, optimizer=nnscratch.Adam(), comm=TwinComm())
        counts[batch] = dict(backend.calls)
    extra_steps = 2 * (24 - 3)
    assert counts[4]["to_numpy"] - counts[32]["to_numpy"] == extra_steps, counts
    assert counts[4]["asarray"] - counts[32]["asarray"] == extra_steps, counts


def _fake_download(tmp_path, monkeypatch, mode, n=2):
    """``nnscratch train --dataset mnist`` under ``mpiexec -n n`` on an empty cache, the download faked
    (tests/mpi_scripts/fake_download.py); ``(stdout, stderr, ranks that downloaded)``."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("NNSCRATCH_DATA", "NNSCRATCH_OFFLINE", "NNSCRATCH_DATA_URL"):
        monkeypatch.delenv(name, raising=False)
    calls = tmp_path / "calls.txt"
    calls.touch()
    args = ["train", "--dataset", "mnist", "--epochs", "1", "--batch-size", "20", "--augment", "0",
            "--validation", "0", "--backend", "numpy", "--json", "--out", tmp_path / "m.npz"]
    out, err = _finish(_python(SCRIPTS / "fake_download.py", calls, mode, *args, n=n, cwd=tmp_path),
                       status=0 if mode == "ok" else 2)
    return out, err, calls.read_text().split()


@needs_mpi
def test_under_mpiexec_rank_0_downloads_mnist_once_and_the_others_read_the_cache(tmp_path, monkeypatch):
    out, err, downloaded = _fake_download(tmp_path, monkeypatch, "ok")
    assert downloaded == ["0"], (downloaded, err)  # not once per rank
    assert len(out.splitlines()) == 1 and json.loads(out)["dataset"] == "mnist", out
    assert len(list((tmp_path / "cache" / "nnscratch" / "mnist").iterdir())) == 4


@needs_mpi
def test_under_mpiexec_a_failed_download_on_rank_0_ends_every_rank_with_one_message(tmp_path, monkeypatch):
    start = time.monotonic()
    _, err, downloaded = _fake_download(tmp_path, monkeypatch, "fail")
    assert downloaded == ["0"], (downloaded, err)  # the others did not try again
    assert err.count("error:") == 1 and err.startswith("error: MNIST not found") and "no connection" in err, err
    assert time.monotonic() - start < 30  # every rank ended, none waited for the others
