"""MPI where features meet: Ctrl-C caught inside a collective, the command line's exit status of one rank's
crash, the notice of a failed rank on other backends, and resuming after a failure.

Launched as tests/test_mpi.py launches its jobs (skipped without mpi4py or mpiexec).
"""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import SCRIPTS, _finish, _python, needs_mpi  # noqa: E402
from test_mpi_rank_error import BAD_ROW, _out_of_step, _ranks, _told  # noqa: E402

import nnscratch  # noqa: E402


@needs_mpi
@pytest.mark.parametrize("where", ["batch", "epoch"])
def test_ctrl_c_caught_in_a_collective_leaves_the_ranks_out_of_step_said_in_one_line(where, tmp_path):
    """Rank 0 is interrupted while it waits in a collective (the gradient sum, the epoch's exchange), rank 1
    outside one; both catch it and fit again. Before, rank 0's collective stayed pending unmarked and rank 1's
    next collective was matched with it: the second fit hung (or trained on garbage)."""
    out, err = _finish(_python(SCRIPTS / "ctrl_c_caught.py", where, "again", n=2, cwd=tmp_path))
    for rank in (0, 1):  # the ranks print at the same moment: a line may end after the other's
        assert out.count(" again: ") == 2 and (
            f"rank {rank} again: OutOfStepError: The ranks of this job are out of step after rank {rank} of 2 was "
            f"interrupted in fit (Ctrl-C): a collective it left pending never completes. Start the processes again "
            f"(mpiexec) to train on.") in out, (out, err)


@needs_mpi
def test_ctrl_c_met_by_every_rank_outside_a_collective_leaves_the_ranks_in_step(tmp_path):
    out, err = _finish(_python(SCRIPTS / "ctrl_c_caught.py", "outside", "again", n=2, cwd=tmp_path))
    assert out.count(" again: ") == 2 and "rank 0 again: None" in out and "rank 1 again: None" in out, (out, err)


@needs_mpi
def test_ctrl_c_caught_on_one_rank_alone_is_told_to_the_rank_waiting_for_it(tmp_path):
    """Rank 1 alone leaves ``fit`` with a KeyboardInterrupt (outside any collective) and catches it. Before,
    rank 0 waited for it for ever in the exchange that ends the epoch; now it is told, as of a failure."""
    out, err = _finish(_python(SCRIPTS / "ctrl_c_caught.py", "rank_1", "again", n=2, cwd=tmp_path))
    after = ("OutOfStepError: The ranks of this job are out of step after rank 1 of 2 was interrupted in fit "
             "(Ctrl-C): a collective it left pending never completes. Start the processes again (mpiexec) to train on.")
    assert "rank 1 caught Ctrl-C" in out and ("rank 0 first: RankFailedError: Rank 1 of 2 was interrupted in fit "
                                              "(Ctrl-C); rank 0 stopped waiting for it in a collective and cannot "
                                              "go on without it.") in out, (out, err)
    assert out.count(after) == 2 and f"rank 0 again: {after}" in out and f"rank 1 again: {after}" in out, (out, err)


QUITS_ON_RANK_1 = """
import sys, numpy as np, nnscratch as nn
from nnscratch import distributed
comm = distributed.from_environment()
class Quit(nn.Callback):
    def on_epoch_end(self, epoch, logs, network):
        if comm.rank == 1 and epoch == 1:
            sys.exit("rank 1 quits")
rng = np.random.default_rng(0)
X = rng.standard_normal((64, 3)).astype(np.float32)
net = nn.Network.from_sizes(3, 4, 2, seed=0, backend="numpy")
try:
    net.fit(X, (X[:, 0] > 0).astype(int), epochs=4, batch_size=16, callbacks=[Quit()], comm=comm)
except Exception as exc:
    print(f"rank {comm.rank}: {type(exc).__name__}: {exc}", flush=True)
"""


@needs_mpi
def test_sys_exit_in_one_ranks_callback_is_told_to_the_others(tmp_path):
    """Before, rank 0 waited for rank 1 for ever in the exchange that ends the epoch, and so did mpiexec."""
    out, err = _finish(_python("-c", QUITS_ON_RANK_1, n=2, cwd=tmp_path), status=1)  # sys.exit("...") is 1
    assert "rank 1 quits" in err and out == ("rank 0: RankFailedError: Rank 1 of 2 failed in fit (SystemExit: rank 1 "
                                             "quits); rank 0 stopped waiting for it in a collective and cannot go on "
                                             "without it.\n"), (out, err)


CRASHES_ON_RANK_1 = """
import os, sys
from nnscratch import cli, errors
from nnscratch.layers import dense
real, calls = dense.Dense.forward, []
def forward(self, x, training=False):  # rank 1's layer fails in its 20th training step
    calls.append(1) if training else None
    if os.environ.get("PMI_RANK") == "1" and len(calls) == 20:
        raise {error}
    return real(self, x, training)
dense.Dense.forward = forward
sys.exit(cli.main(sys.argv[1:]))
"""


@needs_mpi
@pytest.mark.parametrize("error, status, line", [
    ("ValueError('a bug on rank 1')", 1, "error: ValueError: a bug on rank 1 (run with --debug for the traceback)"),
    ("errors.ConfigError('a mistake on rank 1')", 2, "error: a mistake on rank 1"),
])
def test_one_ranks_error_ends_the_job_with_the_command_lines_status(error, status, line, tmp_path):
    """A crash exits 1 and a user's mistake 2, as ``nnscratch train`` does in one process (before: 2 for both)."""
    args = ["-c", CRASHES_ON_RANK_1.format(error=error), "train", "--dataset", "moons", "--epochs", "5",
            "--no-save", "--quiet", "--backend", "numpy"]
    _, err = _finish(_python(*args, n=2, cwd=tmp_path), status=status)
    assert err.count("error:") == 1 and f"[rank 1 of 2] {line}\n" in err, err


BACKENDS = [pytest.param("torch:cpu", marks=pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                                                reason="needs torch")),
            pytest.param("array_api_strict", marks=pytest.mark.skipif(
                importlib.util.find_spec("array_api_strict") is None, reason="needs array-api-strict"))]


@needs_mpi
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_notice_of_a_failed_rank_on_torch_and_array_api_strict_ranks(backend, tmp_path, monkeypatch):
    """As on NumPy (tests/test_mpi_rank_error.py): rank 0 waits in the gradient sum or BatchNorm's gather."""
    monkeypatch.setenv("NNSCRATCH_BACKEND", backend)
    ranks = _ranks(tmp_path, 2, "dense", "batchnorm")
    for case in ("dense", "batchnorm"):
        bad = BAD_ROW.format(8)
        assert ranks[1][case]["first"] == ["ValueError", bad, None], case
        assert ranks[0][case]["first"] == _told(0, 2, "ValueError", bad), case
        assert all(rank[case]["second"] == _out_of_step(2, "ValueError", bad) for rank in ranks), case


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_resume_after_one_ranks_caught_failure_trains_the_uninterrupted_model(ranks, tmp_path):
    """Rank 1 of 2 fails in epoch 3 of 4, caught: ``fit(resume=...)`` on the same communicator is one line (the
    ranks are out of step); a new job of ``ranks`` processes resumes from the checkpoint of epoch 2 and ends
    where one process does (the gradient of each global batch does not depend on how many ranks share it)."""
    ckpt, script = tmp_path / "run.ckpt", SCRIPTS / "resume_after_failure.py"
    _finish(_python(script, ckpt, tmp_path / "r", "fail", n=2))
    ranks = [json.loads((tmp_path / f"r-{rank}.json").read_text()) for rank in (0, 1)]
    failed = "rank 1's layer failed in epoch 3"
    assert ranks[1]["first"] == ["ValueError", failed]
    assert ranks[0]["first"] == _told(0, 2, "ValueError", failed)[:2]
    assert all(rank["second"] == _out_of_step(2, "ValueError", failed)[:2] for rank in ranks), ranks
    from nnscratch.saving.checkpoint import load
    assert load(ckpt)[0]["epoch"] == 1  # the second epoch's: nothing of the failed one was written
    job = _python(script, ckpt, tmp_path / "resumed", "resume", n=ranks)
    _finish(_python(script, ckpt, tmp_path / "plain", "plain"))
    _finish(job)
    resumed, plain = (nnscratch.Network.load(tmp_path / f"{name}.npz") for name in ("resumed", "plain"))
    for a, b in zip(resumed.get_weights(), plain.get_weights()):
        assert np.max(np.abs(a - b)) < 1e-5


RATE_ON_RANK_0 = """
import numpy as np, nnscratch as nn
from nnscratch import distributed
from nnscratch.training.callbacks import ReduceLROnPlateau
comm = distributed.from_environment()
rng = np.random.default_rng(0)
X = rng.standard_normal((64, 3)).astype(np.float32)
y = (X[:, 0] > 0).astype(int)
net = nn.Network.from_sizes(3, 4, 2, seed=0, backend="numpy")
callbacks = [ReduceLROnPlateau(monitor="loss", patience=1, min_delta=10.0)] if comm.rank == 0 else []
try:
    net.fit(X, y, epochs=4, batch_size=16, optimizer="sgd", callbacks=callbacks, comm=comm)
    print(f"rank {comm.rank}: trained", flush=True)
except Exception as exc:
    print(f"rank {comm.rank}: {type(exc).__name__}: {exc}", flush=True)
"""


@needs_mpi
def test_a_learning_rate_callback_on_one_rank_alone_is_refused_on_every_rank(tmp_path):
    """ReduceLROnPlateau given to rank 0 only (as Horovod users give it a checkpoint writer): before, rank 0
    trained on with a tenth of the rate and the ranks' weights drifted apart, silently."""
    out, err = _finish(_python("-c", RATE_ON_RANK_0, n=2, cwd=tmp_path))
    line = ("ConfigError: Data-parallel training needs the same learning rate on every rank; after this epoch's "
            "callbacks rank 0 trains on with 0.001 but rank 1 with 0.01. Give every rank the same callbacks "
            "(ReduceLROnPlateau included); one that only prints or writes can check self.is_root.")
    assert out.count(line) == 2 and f"rank 0: {line}" in out and f"rank 1: {line}" in out, (out, err)


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_early_stopping_and_plateau_on_a_validation_split_stop_every_rank_alike(n, tmp_path):
    """Every rank ends with the same History (``seconds`` too), rate and stopping epoch: one process's."""
    script = SCRIPTS / "plateau_history.py"
    job = _python(script, tmp_path / "many", n=n)
    _finish(_python(script, tmp_path / "one"))
    _finish(job)
    one = json.loads((tmp_path / "one-0.json").read_text())
    ranks = [json.loads((tmp_path / f"many-{rank}.json").read_text()) for rank in range(n)]
    assert all(rank == ranks[0] for rank in ranks[1:])
    many = ranks[0]
    assert one["lr_scale"] == many["lr_scale"] == 0.0625 and one["stopped"] == many["stopped"] > 0
    assert one["epoch"] == many["epoch"] and len(one["epoch"]) < 20
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(many["history"][key], one["history"][key], rtol=1e-9, err_msg=key)
