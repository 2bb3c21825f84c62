"""``fit`` fails on one rank alone under ``mpiexec`` and user code catches the error: every rank must end.

Before, the other ranks waited for ever in their next collective (the gradient sum, BatchNorm's gather):
the job hung. Now the failed rank tells them (nnscratch/distributed/notice.py): each raises one line
naming that rank and its error, and any later collective on the communicator says at once that the ranks
are out of step. The command line and an uncaught error end the job as before: said once, by the rank
that failed.

Launched as tests/test_mpi.py launches its jobs (skipped without mpi4py or mpiexec).
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import SCRIPTS, _finish, _python, needs_mpi  # noqa: E402

BAD_ROW = "a shard of {} rows has a bad row"


def _ranks(tmp_path, n, *cases):
    _finish(_python(SCRIPTS / "rank_error.py", "r", *cases, n=n, cwd=tmp_path))  # within the timeout: no hang
    return [json.loads((tmp_path / f"r-{rank}.json").read_text()) for rank in range(n)]


def _told(rank, n, kind, text):
    """What a rank that waited for rank 1 raises."""
    return ["RankFailedError", f"Rank 1 of {n} failed in fit ({kind}: {text}); rank {rank} stopped waiting for it "
                               f"in a collective and cannot go on without it.", 1]


def _out_of_step(n, kind, text):
    return ["OutOfStepError", f"The ranks of this job are out of step after rank 1 of {n} failed in fit ({kind}: "
                              f"{text}): a collective it left pending never completes. Start the processes again "
                              f"(mpiexec) to train on.", None]


@needs_mpi
def test_an_error_of_one_ranks_layer_caught_on_every_rank_ends_every_rank(tmp_path):
    """Rank 1's layer raises in epoch 2, rank 0 waits in the gradient sum (``dense``) or in BatchNorm's
    gather (``batchnorm``); a second fit raises at once on every rank."""
    ranks = _ranks(tmp_path, 2, "dense", "batchnorm")
    for case in ("dense", "batchnorm"):
        bad = BAD_ROW.format(8)
        assert ranks[1][case]["first"] == ["ValueError", bad, None], case  # its own error, unchanged
        assert ranks[0][case]["first"] == _told(0, 2, "ValueError", bad), case
        for rank in ranks:
            assert rank[case]["second"] == _out_of_step(2, "ValueError", bad), case


@needs_mpi
def test_three_ranks_each_waiting_rank_names_the_one_that_failed(tmp_path):
    ranks = _ranks(tmp_path, 3, "dense")
    bad = BAD_ROW.format(5)  # 16 rows over 3 ranks: rank 1 has 5
    assert ranks[1]["dense"]["first"] == ["ValueError", bad, None]
    assert ranks[0]["dense"]["first"] == _told(0, 3, "ValueError", bad)
    assert ranks[2]["dense"]["first"] == _told(2, 3, "ValueError", bad)
    assert all(rank["dense"]["second"] == _out_of_step(3, "ValueError", bad) for rank in ranks)


@needs_mpi
def test_a_rank_that_fails_after_the_last_collective_stops_the_others_next_collective(tmp_path):
    """Rank 0 has left ``fit`` well: the notice waits until it next waits for rank 1 (the next fit), and
    the job still ends (a notice nobody reads, a collective left pending, do not stop MPI_Finalize)."""
    ranks = _ranks(tmp_path, 2, "after_last")
    memory = ["MemoryError", "rank 1 ran out of memory after training"]
    assert ranks[0]["after_last"] == {"first": None, "second": _told(0, 2, *memory)}
    assert ranks[1]["after_last"] == {"first": [*memory, None], "second": _out_of_step(2, *memory)}


@needs_mpi
def test_an_error_every_rank_meets_at_once_leaves_the_ranks_in_step(tmp_path):
    """No rank waits for another: each raises its own, and a second fit trains on every rank (as before)."""
    ranks = _ranks(tmp_path, 2, "every_rank")
    for rank in ranks:
        assert rank["every_rank"] == {"first": ["ValueError", BAD_ROW.format(8), None], "second": None}


@needs_mpi
def test_two_of_three_ranks_fail_the_third_is_told_and_every_rank_is_out_of_step(tmp_path):
    ranks = _ranks(tmp_path, 3, "but_rank_0")
    told = ranks[0]["but_rank_0"]["first"]
    assert told[0] == "RankFailedError" and told[2] in (1, 2), told  # whichever notice came first
    bad = BAD_ROW.format(5)  # ranks 1 and 2 have 5 rows each
    assert told[1].startswith(f"Rank {told[2]} of 3 failed in fit (ValueError: {bad}); rank 0 stopped"), told
    for rank in ranks[1:]:
        assert rank["but_rank_0"]["first"] == ["ValueError", bad, None]
    for rank in ranks:
        assert rank["but_rank_0"]["second"][0] == "OutOfStepError"


@needs_mpi
def test_an_uncaught_error_of_one_rank_is_one_traceback_and_ends_the_job(tmp_path):
    """The rank that waited for it says nothing of its own (it would only repeat it) and is ended with the job."""
    _, err = _finish(_python(SCRIPTS / "rank_error.py", "u", "uncaught", n=2, cwd=tmp_path), status=None)
    assert err.count("Traceback (most recent call last)") == 1, err
    assert f"ValueError: {BAD_ROW.format(8)}" in err and "RankFailedError" not in err, err


FAILS_ON_RANK_1 = """
import os, sys
from nnscratch import cli
from nnscratch.layers import dense
real, calls = dense.Dense.forward, []
def forward(self, x, training=False):  # rank 1's layer fails in its 20th training step
    calls.append(1) if training else None
    if os.environ.get("PMI_RANK") == "1" and len(calls) == 20:
        raise ValueError("rank 1's own layer failed")
    return real(self, x, training)
dense.Dense.forward = forward
sys.exit(cli.main(sys.argv[1:]))
"""


@needs_mpi
def test_the_command_line_says_one_ranks_error_once_as_before(tmp_path):
    args = ["-c", FAILS_ON_RANK_1, "train", "--dataset", "moons", "--epochs", "5", "--no-save", "--quiet",
            "--backend", "numpy"]
    _, err = _finish(_python(*args, n=2, cwd=tmp_path), status=1)  # a crash: 1; rank 0, told, says nothing
    assert err.count("error:") == 1 and "Rank 1 of 2 failed" not in err, err
    assert ("[rank 1 of 2] error: ValueError: rank 1's own layer failed (run with --debug for the "
            "traceback)\n") in err, err


class _Request:
    def __init__(self, looks):
        self.looks = looks

    def Test(self):  # noqa: N802 (mpi4py's name)
        self.looks -= 1
        return self.looks <= 0


def test_the_wait_looks_for_a_notice_every_look_every_polls_only():
    """A gradient sum ends within a few hundred polls: it never looks; a long wait looks now and then."""
    from nnscratch.distributed import waiting
    seen = []
    waiting.wait(_Request(waiting.LOOK_EVERY // 2), watch=seen.append)
    assert seen == []
    request = _Request(2 * waiting.LOOK_EVERY + 10)
    waiting.wait(request, watch=seen.append)
    assert request.looks == 0 and seen == [request, request]
