"""A rank that another rank's failure stopped (``RankFailedError``, ``follows``) waits for that rank to say its
error and end the job (nnscratch/distributed/comm.py, ``wait_in_mpi``). It used to give up after
``FOLLOW_WAIT`` s whatever the failed rank was doing, and end the job itself, with status 2 and in its own
words: a failed rank slower than that (a loaded node) lost its message and status. Now the failed rank says
it is ending the job (``notice.ending``), and from then the follower waits for it; one that never says so is
still given up on after ``FOLLOW_WAIT`` s. The tests shrink ``FOLLOW_WAIT`` to a second on every rank,
so the failed rank's own few seconds of waiting (``RANK_WAIT``) stand for a slow one.
(A healthy rank that is slow is never followed: tests/test_mpi14_resume.py.)"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import _finish, _python, needs_mpi  # noqa: E402
from test_mpi_rank_error import FAILS_ON_RANK_1  # noqa: E402

SHORT_FOLLOW_WAIT = """
import os, sys
from nnscratch.distributed import comm
comm.FOLLOW_WAIT = 1.0
"""

CLI_FAILS_ON_RANK_1 = SHORT_FOLLOW_WAIT + FAILS_ON_RANK_1.replace("import os, sys\n", "", 1)  # rank 1 fails in step 20

CAUGHT_ON_RANK_1 = SHORT_FOLLOW_WAIT + """
import numpy as np
import nnscratch as nn
from nnscratch import distributed
world = distributed.from_environment()

from nnscratch.layers import dense
real, calls = dense.Dense.forward, []
def forward(self, x, training=False):  # rank 1's layer fails in its 10th training step
    calls.append(1) if training else None
    if world.rank == 1 and len(calls) == 10:
        raise ValueError("rank 1 fails")
    return real(self, x, training)
dense.Dense.forward = forward

rng = np.random.default_rng(0)
X = rng.standard_normal((64, 3))
net = nn.Network.from_sizes(3, 4, 2, seed=0, backend="numpy")
try:
    net.fit(X, (X[:, 0] > 0).astype(int), epochs=4, batch_size=16, comm=world)
except ValueError:  # rank 1 catches its own error and ends normally: rank 0's error is uncaught
    sys.stdout.write("rank 1 caught its error\\n")
"""


@needs_mpi
def test_a_failed_rank_slower_than_the_follow_wait_still_says_its_own_error_with_its_status(tmp_path):
    """Rank 0 follows rank 1's failure; rank 1 takes longer than FOLLOW_WAIT to end the job (its RANK_WAIT):
    before, rank 0 gave up first and the job ended with 2 and rank 0's line; now rank 1's line and its 1."""
    args = ["-c", CLI_FAILS_ON_RANK_1, "train", "--dataset", "moons", "--epochs", "5", "--no-save", "--quiet",
            "--backend", "numpy"]
    _, err = _finish(_python(*args, n=2, cwd=tmp_path), status=1)  # a crash: 1
    assert err.count("error:") == 1 and "Rank 1 of 2 failed" not in err, err
    assert "[rank 1 of 2] error: ValueError: rank 1's own layer failed (run with --debug" in err, err


@needs_mpi
def test_a_failed_rank_that_never_ends_the_job_is_still_given_up_on(tmp_path):
    """Rank 1 catches its error and ends normally, without ending the job; rank 0's RankFailedError is
    uncaught: after FOLLOW_WAIT it says its own error and ends the job (mpiexec would wait for it for ever)."""
    out, err = _finish(_python("-c", CAUGHT_ON_RANK_1, n=2, cwd=tmp_path), status=1)
    assert out == "rank 1 caught its error\n", (out, err)
    assert "RankFailedError: Rank 1 of 2 failed in fit (ValueError: rank 1 fails)" in err, err
