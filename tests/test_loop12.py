"""Three defects of the training loop.

1. Under ``mpiexec``, a ``fit`` that failed on one rank alone BEFORE its epochs (its validation data, the
   checkpoint restore, a checkpoint path refused) left the other ranks waiting for ever in their next
   collective when user code caught the error: only the epoch loop told them (nnscratch/distributed/notice.py).
   Now the whole of ``fit`` does.
2. ``fit(augment=f)`` with an ``f`` that returns one value instead of ``(X_epoch, y_epoch)`` raised Python's
   own "too many values to unpack (expected 2)"; now one line says what ``f`` must return.
3. ``evaluate(X, y, loss="bce")`` on a regression network ending in a Sigmoid took R^2 and MAE of the logits
   (the loss fuses with the Sigmoid, so the step skips it); now of the values the network predicts.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import metrics
from nnscratch.errors import ConfigError
from nnscratch.layers import Dense, ReLU, Sigmoid, Softmax
from nnscratch.testing import assert_close

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import SCRIPTS, _finish, _python, needs_mpi  # noqa: E402

NAN_ROWS = "X_val contains NaN or infinity (or values too large for the model's dtype); clean or impute those " \
           "values before training."


def _told(kind, text):
    return ["RankFailedError", f"Rank 1 of 2 failed in fit ({kind}: {text}); rank 0 stopped waiting for it in a "
                               f"collective and cannot go on without it.", 1]


@needs_mpi
def test_one_ranks_error_before_the_epochs_caught_ends_every_rank(tmp_path):
    """Rank 1's validation inputs hold a NaN (``validation``), its checkpoint restore fails (``restore``): rank 1
    raises its own error, rank 0 is told (no hang), and both are out of step afterwards. A file of the user's at
    the checkpoint path (``checkpoint``) is rank 0's to find, as it alone writes checkpoints: every rank raises its
    refusal together, and goes on in step; the files are left as they were on both ranks' nodes."""
    _finish(_python(SCRIPTS / "early_rank_error.py", "r", "validation", "restore", "checkpoint", n=2, cwd=tmp_path))
    ranks = [json.loads((tmp_path / f"r-{rank}.json").read_text()) for rank in range(2)]
    unread = ["OSError", "rank 1 could not read r-restore.ckpt"]
    for case, (kind, text) in {"validation": ("DataError", NAN_ROWS), "restore": unread}.items():
        assert ranks[1][case]["first"] == [kind, text, None], case  # its own error, unchanged
        assert ranks[0][case]["first"] == _told(kind, text), case
        for rank in ranks:
            assert rank[case]["second"][0] == "OutOfStepError", case
            assert f"after rank 1 of 2 failed in fit ({kind}: {text})" in rank[case]["second"][1], case
    refused = ("'r-notes-0.txt' exists and is not an nnscratch checkpoint; nnscratch replaces a file only with one of "
               "the same kind: choose another path, or move that file away.")
    for rank in ranks:
        assert rank["checkpoint"]["first"][:2] == ["ConfigError", refused], rank["checkpoint"]
        assert rank["checkpoint"]["second"] is None  # refused together: still in step
    for rank in range(2):  # the user's files are left as they were
        assert (tmp_path / f"r-notes-{rank}.txt").read_text() == f"the user's notes on rank {rank}'s node\n"


def _data(rng, n=40):
    X = rng.random((n, 4)).astype(np.float32)
    return X, (X[:, 0] > 0.5).astype(np.int64)


@pytest.mark.parametrize("returned, got", [
    (lambda X, y: X, "a ndarray of shape (40, 4)"),
    (lambda X, y: None, "a NoneType"),
    (lambda X, y: (X, y, 1), "a tuple of length 3"),
    (lambda X, y: X[:2], "a ndarray of shape (2, 4)"),  # two rows: unpacked silently into two rows before
], ids=["inputs", "none", "three", "two_rows"])
def test_an_augment_that_returns_no_pair_is_told_what_to_return(rng, returned, got):
    X, y = _data(rng)

    def distort(X, y, rng):
        return returned(X, y)

    net = nn.Network.from_sizes(4, 6, 2, seed=0, backend="numpy")
    with pytest.raises(ConfigError) as info:
        net.fit(X, y, epochs=1, augment=distort)
    assert str(info.value) == ("fit(augment=f): f(X, y, rng) must return the epoch's pair (X_epoch, y_epoch); "
                               f"distort returned {got}. End it with 'return X_epoch, y_epoch'.")


def test_an_augment_that_returns_a_list_pair_trains(rng):
    X, y = _data(rng)
    net = nn.Network.from_sizes(4, 6, 2, seed=0, backend="numpy")
    history = net.fit(X, y, epochs=2, augment=lambda X, y, rng: [X[::-1], y[::-1]])
    assert len(history.history["loss"]) == 2


def _regression_figures(net, X, Y, loss):
    figures, predicted = net.evaluate(X, Y, loss=loss), net.predict(X)
    return figures, {"r2": float(metrics.r2(Y, predicted)), "mae": float(metrics.mae(Y, predicted))}


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_a_regression_evaluated_with_a_fused_loss_scores_what_it_predicts(backend, rng, loss):
    """A reconstruction in (0, 1) trained with squared error, then scored by binary cross-entropy (which fuses
    with the Sigmoid): its R^2, MAE and RMSE are those of ``predict``, as with the unfused ``mse``."""
    X = rng.random((64, 6)).astype(np.float32)
    net = nn.Network([Dense(6, 3), ReLU(), Dense(3, 6), Sigmoid()], seed=0, backend=backend)
    net.fit(X, X, loss="mse", epochs=3, batch_size=16)
    assert net.task == "regression"
    figures, expected = _regression_figures(net, X, X, loss)
    predicted = backend.to_numpy(net.predict(X))
    assert sorted(figures) == ["loss", "mae", "r2", "rmse"]
    assert_close(figures["r2"], expected["r2"], rtol=1e-4, atol=1e-5)
    assert_close(figures["mae"], expected["mae"], rtol=1e-4, atol=1e-6)
    assert_close(figures["rmse"], float(np.sqrt(np.mean((predicted - X) ** 2))), rtol=1e-4, atol=1e-6)


def test_a_softmax_regression_evaluated_with_cross_entropy_scores_its_probabilities(rng):
    """Shares (rows summing to 1) predicted by a Softmax: the same, for cross-entropy."""
    X, Y = rng.random((50, 3)).astype(np.float32), rng.dirichlet(np.ones(4), 50).astype(np.float32)
    net = nn.Network([Dense(3, 4), Softmax()], seed=0, backend="numpy")
    net.task = "regression"
    figures, expected = _regression_figures(net, X, Y, "cross_entropy")
    assert_close(figures["r2"], expected["r2"], rtol=1e-4, atol=1e-5)
    assert_close(figures["mae"], expected["mae"], rtol=1e-4, atol=1e-6)


def test_a_classifier_evaluated_with_a_fused_loss_is_unchanged(rng):
    """The classification path still thresholds the logits at 0: the accuracy is predict's."""
    X, y = _data(rng)
    net = nn.Network([Dense(4, 1), Sigmoid()], seed=0, backend="numpy")
    net.fit(X, y, loss="bce", epochs=2, batch_size=8)
    figures = net.evaluate(X, y, loss="bce")
    assert sorted(figures) == ["accuracy", "loss"]
    assert figures["accuracy"] == float(np.mean(net.predict(X) == y))


# ------------------------------------------------- a notice from a rank that had completed the collective

class _Messages:
    """The mpi4py communicator as :mod:`nnscratch.distributed.notice` uses it, for one rank: the notices that
    came (``came[source]``, oldest first) and the ones it sent."""

    ANY_SOURCE = -1

    def __init__(self, came):
        self.came, self.sent = came, []

    def Iprobe(self, source, tag):  # noqa: N802 (mpi4py's names)
        return any(self.came.values()) if source == self.ANY_SOURCE else bool(self.came.get(source))

    def recv(self, source, tag):
        if source == self.ANY_SOURCE:
            source = next(rank for rank, notices in self.came.items() if notices)
        return self.came[source].pop(0)

    def isend(self, notice, dest, tag):
        self.sent.append((dest, notice))
        return dest


def _waiting_rank(came, done, rank=1, size=3):
    """What an ``MPIComm`` of rank ``rank`` that completed ``done`` collectives holds."""
    from types import SimpleNamespace
    messages = _Messages(came)
    return SimpleNamespace(rank=rank, size=size, comm=messages, MPI=messages, broken=None, unsure=False, sent=[],
                           heard={}, done=done, pending=None)


FAILED_2 = (2, "ValueError", "a shard of 5 rows has a bad row")


def test_a_rank_slower_to_see_a_collective_complete_waits_on_and_is_told_in_the_next():
    """Rank 2 completed collective 5 and failed right after it; rank 1, still waiting for collective 5 to
    complete (it will: rank 2 did its part), raised RankFailedError there now and then (a flaky
    test_two_of_three_ranks_fail...), though it was to fail at the same point itself. It waits on; in
    collective 6, which rank 2 never reaches, it stops and says so."""
    from nnscratch.distributed import notice
    comm = _waiting_rank({2: [("failed", FAILED_2, 5)]}, done=4)
    notice.look(comm, "request 5")  # collective 5 completes: no error, nothing said
    assert comm.broken is None and comm.comm.sent == [] and comm.comm.came == {2: []}
    comm.done = 5
    with pytest.raises(notice.RankFailedError) as info:
        notice.look(comm, "request 6")
    assert info.value.follows == 2 and str(info.value).startswith("Rank 2 of 3 failed in fit (ValueError: a shard")
    assert comm.pending == "request 6"
    assert comm.comm.sent == [(0, ("stopped", FAILED_2, 5)), (2, ("stopped", FAILED_2, 5))]


def test_a_rank_that_failed_after_hearing_of_another_counts_that_notice_when_it_settles():
    """Rank 1 kept rank 2's notice (above) and then failed at the same point itself: its next collective hears
    from rank 0 and counts rank 2's notice it has read already (none comes again, it would wait for ever)."""
    from nnscratch.distributed import notice
    for rank_0_said, in_step in (("failed", True), ("stopped", False)):
        comm = _waiting_rank({2: [("failed", FAILED_2, 5)]}, done=4)
        notice.look(comm, "request 5")
        comm.done = 5
        notice.tell_others(comm, ValueError("a shard of 5 rows has a bad row"))
        comm.comm.came[0] = [(rank_0_said, (1, "ValueError", "..."), 5)]
        if in_step:
            notice.settle(comm)  # every rank failed at the same point: in step, it goes on
            assert comm.broken is None and comm.heard == {}
        else:
            with pytest.raises(notice.OutOfStepError):
                notice.settle(comm)
