"""Checkpoints on a cluster whose scratch space is each node's own: rank 0 alone writes the checkpoint, checks
its path and reads it to resume, and every other rank receives what it found (or its error) without
touching the file, which is on rank 0's node alone. Before, ``fit(checkpoint=...)`` refused a folder missing
on rank 1 ("the folder ... does not exist", on rank 1 alone), ``nnscratch train --resume PATH`` said "no such
checkpoint" on rank 1 alone, and ``--resume`` alone resumed rank 0 while the others started afresh (a float64
checkpoint: refused, "rank 0 has 'float64' but rank 1 has 'float32'").

tests/mpi_scripts/node_local.py simulates the nodes: every rank but 0 runs in an empty folder of its own, and a
relative checkpoint path names a file only rank 0 sees. Each resumed 2-rank run ends as one process trained
straight through, and the other ranks' folders stay empty.
"""

import os
import re
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nnscratch
from nnscratch import cli

sys.path.insert(0, str(Path(__file__).parent))
from test_sigterm14 import default_signals  # noqa: E402
from test_mpi import SCRIPTS, _finish, _python, needs_mpi  # noqa: E402
import test_mpi14_resume as resume_cases  # noqa: E402

SCRIPT = SCRIPTS / "node_local.py"


def _on_nodes(tmp_path, *args, status=0):
    """``mpiexec -n 2 node_local.py`` in ``tmp_path`` (rank 0's node; rank 1's: ``tmp_path/scratch/rank1``,
    new and empty); ``(stdout, stderr)``, after checking the status and that rank 1 wrote nothing there."""
    scratch = tmp_path / "scratch"
    if scratch.exists():
        (scratch / "rank1").rmdir()  # empty, as checked below (the process ids beside it are replaced)
    said = _finish(_python(SCRIPT, scratch, *args, n=2, cwd=tmp_path), status=status)
    assert os.listdir(scratch / "rank1") == [], "rank 1 wrote in its own folder"
    return said


@pytest.fixture(scope="module")
def straight():
    """The CNN case (BatchNorm, Dropout) trained straight through by one process."""
    return resume_cases.results(*resume_cases.run("straight", "cnn", None))


@needs_mpi
@pytest.mark.parametrize("how", ["resume", "again"])
def test_fit_checkpoints_and_resumes_where_rank_0_alone_sees_the_file(tmp_path, straight, how):
    (tmp_path / "ck").mkdir()  # on rank 0's node only
    _on_nodes(tmp_path, "api", "first", "cnn", "ck/cnn.ckpt", 2)
    assert nnscratch.saving.checkpoint.load(tmp_path / "ck/cnn.ckpt")[0]["epoch"] == 1
    _on_nodes(tmp_path, "api", how, "cnn", "ck/cnn.ckpt", tmp_path / "out.npz")  # resume=path; resume=True
    resume_cases._same_model(np.load(tmp_path / "out.npz"), straight)


@needs_mpi
@pytest.mark.parametrize("path, expected", [
    ("ck/none.ckpt", "ModelNotFoundError: No checkpoint at 'ck/none.ckpt'"),
    ("gone/run.ckpt", "ConfigError: Cannot write 'gone/run.ckpt': the folder "),  # a folder rank 0 lacks
])
def test_a_checkpoint_rank_0_cannot_use_is_the_same_error_on_every_rank(tmp_path, path, expected):
    (tmp_path / "ck").mkdir()
    _on_nodes(tmp_path, "api", "missing", "cnn", path, tmp_path / "said.npz")
    said = list(np.load(tmp_path / "said.npz")["said"])
    assert len(said) == 2 and said[0] == said[1] and said[0].startswith(expected), said
    if path.startswith("gone"):
        assert f"{tmp_path / 'gone'}" in said[0]  # rank 0's folder, not rank 1's


TRAIN = ["cli", "train", "--dataset", "xor", "--batch-size", "2", "--backend", "numpy", "--quiet"]


@needs_mpi
def test_train_resumes_a_checkpoint_on_rank_0s_node_alone(tmp_path):
    """--checkpoint in a folder rank 0 creates; --resume alone, in the checkpoint's dtype (float64: before, rank 1
    started afresh in float32, refused); --resume PATH (before: "no such checkpoint" on rank 1); a missing one,
    said once. The model ends as one process trains it straight through."""
    _on_nodes(tmp_path, *TRAIN, "--epochs", "2", "--dtype", "float64", "--checkpoint", "ck/run.ckpt", "--out", "a.npz")
    out, err = _on_nodes(tmp_path, *TRAIN[:-1], "--epochs", "4", "--checkpoint", "ck/run.ckpt", "--resume",
                         "--out", "b.npz")
    assert "resuming from epoch 3 of 4 (ck/run.ckpt)" in out and "error" not in err, (out, err)
    _on_nodes(tmp_path, *TRAIN, "--epochs", "6", "--resume", "ck/run.ckpt", "--out", "c.npz")
    assert cli.main([*TRAIN[1:], "--epochs", "6", "--dtype", "float64", "--out", str(tmp_path / "one.npz")]) == 0
    two, one = (nnscratch.Network.load(tmp_path / name) for name in ("c.npz", "one.npz"))
    assert two.get_config()["dtype"] == one.get_config()["dtype"] == "float64"
    for a, b in zip(two.get_weights(), one.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    out, err = _on_nodes(tmp_path, *TRAIN, "--epochs", "6", "--resume", "ck/none.ckpt", status=2)
    assert err.strip().splitlines() == ["error: --resume ck/none.ckpt: no such checkpoint; give the file a run "
                                        "wrote with --checkpoint PATH."], err


@needs_mpi
def test_train_resumes_class_weights_from_a_checkpoint_on_rank_0s_node_alone(tmp_path):
    """--resume without --class-weight keeps the run's weights, read from the checkpoint rank 0 alone sees (the
    two features crossed: before, every rank read the checkpoint's header for them, and rank 1 found no file);
    the model ends as one process trains it straight through."""
    spirals = ["cli", "train", "--dataset", "spirals", "--batch-size", "32", "--backend", "numpy", "--quiet",
               "--dtype", "float64"]
    _on_nodes(tmp_path, *spirals, "--epochs", "2", "--class-weight", "0:1,1:3", "--checkpoint", "ck/run.ckpt",
              "--out", "a.npz")
    out, err = _on_nodes(tmp_path, *spirals, "--epochs", "4", "--resume", "ck/run.ckpt", "--out", "b.npz")
    assert "error" not in err and "class-weight" not in err, err
    assert cli.main([*spirals[1:], "--epochs", "4", "--class-weight", "0:1,1:3", "--out", str(tmp_path / "one.npz")]) == 0
    two, one = (nnscratch.Network.load(tmp_path / name) for name in ("b.npz", "one.npz"))
    assert two.metadata["training"]["class_weight"] == {"0": 1.0, "1": 3.0}
    for a, b in zip(two.get_weights(), one.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@needs_mpi
def test_a_run_that_diverges_names_the_checkpoint_on_rank_0s_node_once(tmp_path):
    """The checkpoint that holds the epochs before the divergence is rank 0's: said once, in its words (before, each
    rank said its own line, rank 1's without the checkpoint, which it cannot see)."""
    out, err = _on_nodes(tmp_path, "diverging", *TRAIN[1:], "--epochs", "5", "--checkpoint", "ck/run.ckpt",
                         "--no-save", status=2)
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == 1 and lines[0].startswith("error: Training diverged in epoch 3 of 5") and \
        "ck/run.ckpt holds the epochs before it" in lines[0], err


_default_signals = default_signals  # Ctrl-C, SIGTERM and SIGHUP as a user's terminal leaves them


SPIRALS = ["cli", "train", "--dataset", "spirals", "--backend", "numpy"]


def _training(tmp_path):
    """``nnscratch train`` under ``mpiexec -n 2`` (rank 1 on a node of its own), checkpointing, with --out in a
    folder it creates, once its second epoch is done."""
    job = _python(SCRIPT, tmp_path / "scratch", *SPIRALS, "--epochs", "100000", "--checkpoint", "ck/run.ckpt",
                  "--out", "sub/m.npz", n=2, cwd=tmp_path, preexec_fn=_default_signals)
    epochs = 0
    for line in job.stdout:
        epochs += line.startswith("epoch")
        if epochs == 2:
            return job
    pytest.fail(f"the job ended before its second epoch: {job.communicate()}")


def _resumes(tmp_path, done):
    """The checkpoint of ``done`` epochs (on rank 0's node alone) resumes."""
    out, _ = _on_nodes(tmp_path, *SPIRALS, "--epochs", str(done + 1), "--checkpoint", "ck/run.ckpt", "--resume",
                       "--no-save")
    assert f"resuming from epoch {done + 1} of {done + 1} (ck/run.ckpt)" in out, out


@needs_mpi
@pytest.mark.parametrize("signum, rank, said", [
    (signal.SIGTERM, 1, r"stopped by SIGTERM sent to rank 1 of 2 \(a time limit, kill or timeout\)"),
    (signal.SIGINT, 1, r"interrupted by SIGINT \(Ctrl-C\) sent to rank 1 of 2"),
    (signal.SIGHUP, 1, r"stopped by SIGHUP sent to rank 1 of 2 \(kill -HUP or a hangup\)"),
    (signal.SIGHUP, 0, r"stopped by SIGHUP \(the terminal closed or the ssh session dropped\)"),
], ids=["SIGTERM-rank1", "SIGINT-rank1", "SIGHUP-rank1", "SIGHUP-rank0"])
def test_a_signal_sent_to_one_rank_alone_stops_the_job_said_once_by_rank_0(tmp_path, signum, rank, said):
    """``kill PID`` of one rank (``kill -INT``, ``kill -HUP``), a watchdog ending one process: before, a rank other
    than 0 ignored it and the job trained on (SIGTERM was relayed first, then Ctrl-C and SIGHUP). Now it relays it
    to rank 0, which says where the run stopped (its checkpoint, on its node alone) and ends the job with the
    signal's status (143, 130, 129), removing the folder it created for --out; the checkpoint resumes. SIGHUP sent
    to rank 0 itself stops the job the same way."""
    job = _training(tmp_path)
    os.kill(int((tmp_path / "scratch" / f"pid{rank}").read_text()), signum)
    _, err = _finish(job, status=128 + signum)
    found = re.findall(said + r" (?:during|after) epoch \d+ of 100000; the last checkpoint is ck/run\.ckpt "
                       r"\((\d+) of 100000 epochs done", err)
    assert len(found) == 1 and err.count("--resume ck/run.ckpt") == 1, err
    assert "Traceback" not in err and "Abort(" not in err and "error" not in err, err
    assert sorted(os.listdir(tmp_path)) == ["ck", "scratch"] and os.listdir(tmp_path / "scratch" / "rank1") == []
    _resumes(tmp_path, int(found[0]))


@needs_mpi
def test_sighup_sent_to_mpiexec_ends_the_job_at_once_and_its_checkpoint_resumes(tmp_path):
    """What closing the terminal does (the ranks, each in a session of its own, have none: ``mpiexec`` alone is
    sent SIGHUP): MPICH's hydra has no handler for SIGHUP, so ``mpiexec`` dies of it (status 129 in a shell)
    and its proxy kills every rank with SIGKILL, which no handler sees: no message, the folder created for --out
    left. Out of the command's reach (the docs say to use nohup, tmux or a batch job); the checkpoint, written
    whole or not at all, resumes."""
    job = _training(tmp_path)
    pids = [int((tmp_path / "scratch" / f"pid{rank}").read_text()) for rank in (0, 1)]
    job.send_signal(signal.SIGHUP)
    _, err = _finish(job, status=-signal.SIGHUP)
    assert "stopped by" not in err, err
    for pid in pids:
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"rank {pids.index(pid)} outlived mpiexec")
    assert sorted(os.listdir(tmp_path)) == ["ck", "scratch", "sub"]
    _resumes(tmp_path, nnscratch.saving.checkpoint.load(tmp_path / "ck/run.ckpt")[0]["epoch"] + 1)  # 0-based


@pytest.mark.parametrize("signum, status, words", [
    (signal.SIGTERM, 143, "stopped by SIGTERM sent to rank 2 of 3 (a time limit, kill or timeout)"),
    (signal.SIGINT, 130, "interrupted by SIGINT (Ctrl-C) sent to rank 2 of 3"),
    (signal.SIGHUP, 129, "stopped by SIGHUP sent to rank 2 of 3 (kill -HUP or a hangup)"),
])
def test_a_relayed_signal_takes_the_command_lines_path_for_it_on_rank_0(signum, status, words):
    """What rank 0 raises for a signal another rank relayed: a KeyboardInterrupt (every cleanup for Ctrl-C runs)
    with the signal's status and words naming the rank, as the command line says them."""
    from nnscratch.cli import resuming, stopping
    from nnscratch.distributed.relay import StoppedElsewhere
    exc = StoppedElsewhere(2, 3, signum)
    assert isinstance(exc, KeyboardInterrupt) and stopping.status(exc) == status
    assert resuming.interrupted(None, 4, 20, stopping.words(exc)).startswith(
        f"{words} during epoch 5 of 20; nothing was saved")


@pytest.mark.skipif(signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL or
                    signal.getsignal(signal.SIGHUP) is not signal.SIG_DFL,
                    reason="SIGTERM or SIGHUP not at Python's default here (nohup, a handler installed)")
def test_after_ctrl_c_the_command_ignores_sigterm_and_sighup_a_second_ctrl_c_still_raises():
    """Rank 0 stopping on its own Ctrl-C (mpiexec passes it on to every rank) knows that a signal another rank relays
    is the same one: SIGTERM is ignored from then on, as after SIGTERM (a scheduler's during the cleanup would break
    it off). A second Ctrl-C still raises, as Python's does."""
    from nnscratch.cli import stopping
    with stopping.sigterm_as_ctrl_c():
        assert type(stopping.stop(signal.SIGINT)) is KeyboardInterrupt
        assert signal.getsignal(signal.SIGTERM) is signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert type(stopping.stop(signal.SIGINT)) is KeyboardInterrupt
    assert signal.getsignal(signal.SIGTERM) is signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
