"""Crossings under ``mpiexec -n 2`` and ``-n 3``, where N ranks must behave as one process: a user's
mistake is one clear line, printed once, and every rank ends promptly.

- A callback that raises on one rank alone (a log file rank 0 alone writes): the error is raised on
  every rank (the lowest failing rank's, marked ``collective``), the command line says it once, an
  uncaught one is one traceback; the logs every rank's callbacks see are identical, so EarlyStopping
  stops every rank at the epoch one process stops at.
- The memory-budget note counts one process's share of a batch.

Launched as tests/test_mpi.py launches its jobs (skipped without mpi4py or mpiexec).
"""

import json
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import SCRIPTS, _finish, _python, needs_mpi  # noqa: E402

import callback_fails  # noqa: E402  (tests/mpi_scripts, on the path test_mpi set)

CASES = ["epoch_end_rank0", "batch_end_rank1", "odd_rank1", "every_rank", "early", "save_every_rank"]


@needs_mpi
def test_a_callback_that_raises_on_one_rank_raises_on_every_rank(tmp_path, monkeypatch):
    """Before: the other rank waited for ever in the next collective (fit(comm=...) never returned)."""
    _finish(_python(SCRIPTS / "callback_fails.py", "r", *CASES, n=2, cwd=tmp_path))
    ranks = [json.loads((tmp_path / f"r-{rank}.json").read_text()) for rank in (0, 1)]
    missing = ["FileNotFoundError", "[Errno 2] No such file or directory: 'missing-folder/log.txt'", True]
    for rank in ranks:
        assert rank["epoch_end_rank0"]["raised"] == missing
        assert rank["batch_end_rank1"]["raised"] == ["ValueError", "rank 1's per-batch hook failed", True]
        assert rank["every_rank"]["raised"] == ["RuntimeError", "every rank fails, this is rank 0", True]
    # where the exception does not survive pickling, the other ranks raise a RuntimeError naming it
    assert ranks[1]["odd_rank1"]["raised"] == ["Odd", "odd failure 7: on rank 1", True]
    assert ranks[0]["odd_rank1"]["raised"] == ["RuntimeError", "Odd: odd failure 7: on rank 1", True]
    for case in ("epoch_end_rank0", "every_rank", "early", "save_every_rank"):  # the same logs, seconds too
        assert ranks[0][case]["logs"] == ranks[1][case]["logs"], case
    monkeypatch.chdir(tmp_path)
    alone = callback_fails.run("early", None)
    assert alone["raised"] is None and 3 <= alone["epochs"] < 50  # EarlyStopping did stop it
    for rank in ranks:
        assert rank["early"]["epochs"] == alone["epochs"] and rank["save_every_rank"]["raised"] is None
        np.testing.assert_allclose([e["val_loss"] for e in rank["early"]["logs"]],
                                   [e["val_loss"] for e in alone["logs"]], rtol=1e-5)
    import nnscratch
    assert nnscratch.Network.load(tmp_path / "every-epoch.npz").n_inputs == 4  # two ranks saving: one whole file


@needs_mpi
def test_an_uncaught_error_of_one_ranks_callback_is_one_traceback_without_mpi_abort(tmp_path):
    _, err = _finish(_python(SCRIPTS / "callback_fails.py", "u", "uncaught", n=2, cwd=tmp_path), status=1)
    assert err.count("Traceback (most recent call last)") == 1, err
    assert err.rstrip().endswith("FileNotFoundError: [Errno 2] No such file or directory: 'missing-folder/log.txt'")
    assert "Abort" not in err and "BAD TERMINATION" not in err, err


RANK_0_FAILS = """
import errno, sys
from nnscratch import cli
from nnscratch.cli import progress
def epoch_line(*args):  # rank 0 alone prints the epoch lines: its terminal has gone away
    raise OSError(errno.EIO, "Input/output error")
progress.epoch_line = epoch_line
sys.exit(cli.main(sys.argv[1:]))
"""


@needs_mpi
def test_the_command_line_says_an_error_of_rank_0s_callback_once(tmp_path):
    """Before: '[rank 0 of 2] error: ...' after a 3 s wait for rank 1 (stuck in a collective), then MPI_Abort."""
    args = ["-c", RANK_0_FAILS, "train", "--dataset", "xor", "--epochs", "3", "--no-save", "--backend", "numpy"]
    _, alone = _finish(_python(*args, cwd=tmp_path), status=2)
    _, err = _finish(_python(*args, n=2, cwd=tmp_path), status=2)
    assert alone == "error: OSError: [Errno 5] Input/output error (run with --debug for the traceback)\n", alone
    assert err == alone, err  # once, without a rank's name or MPI's abort line


def _budget(tmp_path, monkeypatch, budget, n=None):
    """``nnscratch train`` (a 2-16-2 MLP on moons, batches of 64) under ``$NNSCRATCH_DEVICE_MEMORY=budget``:
    its stderr."""
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", str(budget))  # _env() passes it on to every rank
    args = ["-m", "nnscratch", "train", "--dataset", "moons", "--layers", "2,16,2", "--batch-size", "64",
            "--epochs", "1", "--no-save", "--quiet", "--backend", "numpy"]
    return _finish(_python(*args, n=n, cwd=tmp_path))[1]


@needs_mpi
def test_the_memory_budget_note_counts_one_processs_share_of_a_batch(tmp_path, monkeypatch):
    import nnscratch
    from nnscratch.training import memory
    net = nnscratch.Network.from_sizes(2, 16, 2, seed=0, backend="numpy")
    X = np.zeros((64, 2), dtype=np.float32)
    whole, half = memory.training_bytes(net, X, batch_size=64), memory.training_bytes(net, X[:32], batch_size=32)
    fits_half = int((whole + half) / 2 / 0.8)  # holds one process's 32 rows, not the whole batch of 64
    alone = _budget(tmp_path, monkeypatch, fits_half)
    assert f"(a training step on 64 samples needs about {memory.size(whole)} on the device" in alone, alone
    assert _budget(tmp_path, monkeypatch, fits_half, n=2) == ""  # before: the same note, about 64 rows
    err = _budget(tmp_path, monkeypatch, "1K", n=2)
    assert err.count("\n") == 1 and f"a training step on 32 samples needs about {memory.size(half)}" in err, err
    assert err.rstrip().endswith("(each of the 2 processes trains on up to 32 of each batch's 64 rows)"), err


@needs_mpi
def test_ctrl_c_under_mpiexec_n3_is_one_line_and_a_batchnorm_dropout_cnn_resumes_bit_for_bit(tmp_path):
    """Ctrl-C (SIGINT to mpiexec) during a 3-rank run of a CNN with BatchNorm and Dropout (batches of 16:
    shares of 6, 5 and 5 rows): one line, no MPI_Abort line after it (before: MPICH's 'Abort(130) on node 0
    ...'), and the checkpoint it leaves resumes to the very weights of the uninterrupted 3-rank run."""
    rng = np.random.default_rng(4)
    np.save(tmp_path / "X.npy", rng.standard_normal((90, 1, 8, 8)).astype(np.float32))
    np.save(tmp_path / "y.npy", np.arange(90) % 2)
    args = ["-m", "nnscratch", "train", "--dataset", "npy:X.npy,y.npy", "--layers",
            "conv4x3p1,bn,relu,maxpool2,dropout0.25,dense2", "--epochs", "40", "--batch-size", "16",
            "--backend", "numpy"]
    job = _python(*args, "--checkpoint", "run.ckpt", "--out", "resumed.npz", n=3, cwd=tmp_path,
                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    epochs = 0
    for line in job.stdout:
        epochs += line.startswith("epoch")
        if epochs == 2:
            break
    job.send_signal(signal.SIGINT)  # as Ctrl-C in a terminal
    _, err = _finish(job, status=130)
    said = err.splitlines()  # the test set's size is warned about before training (a small data set)
    assert said[-1].startswith("interrupted during epoch ") and err.count("interrupted") == 1, err
    assert said[:-1] == [line for line in said if line.startswith("warning: only 18 test samples")], err
    assert "--resume run.ckpt" in err and not (tmp_path / "resumed.npz").exists()
    _finish(_python(*args, "--resume", "run.ckpt", "--out", "resumed.npz", "--quiet", n=3, cwd=tmp_path))
    _finish(_python(*args, "--out", "straight.npz", "--quiet", n=3, cwd=tmp_path))
    import nnscratch
    resumed, straight = (nnscratch.Network.load(tmp_path / name) for name in ("resumed.npz", "straight.npz"))
    for a, b in zip(resumed.get_weights() + list(resumed.get_buffers().values()),
                    straight.get_weights() + list(straight.get_buffers().values())):
        assert np.array_equal(a, b)
