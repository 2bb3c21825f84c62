"""SIGTERM sent to one rank alone of ``nnscratch train``, relayed to rank 0, which stops the job as if sent it.

``mpiexec`` passes SIGTERM (and Ctrl-C) on to every rank; in training rank 0 alone acts on it (it says where the
run stopped and ends the job with status 143) and the others ignore theirs. But a signal can reach one rank
alone: ``kill PID``, a watchdog that ends one process (earlyoom, low on memory, sends SIGTERM first), a job
script's cleanup. Ignored on a rank other than 0, it was lost: the job trained on, and stopping it took a
second signal to ``mpiexec``. So the command line has each other rank relay it (:func:`relay_to_root`): one
small message to rank 0, and the rank trains on, ignoring any further one. Rank 0 looks for it after each
gradient sum's all-reduce (:func:`raise_if_relayed`: one ``Iprobe`` a step, no collective) and raises
:class:`StoppedElsewhere`, a ``KeyboardInterrupt`` with SIGTERM's status and words, so the command line's path
for SIGTERM runs there: one message naming the last checkpoint and ``--resume``, the folders it created
removed, the job ended with status 143.

The library installs no handler: with the Python API SIGTERM keeps Python's default, which ends the rank it is
sent to, and ``mpiexec`` the job. Nothing relayed, nothing is raised.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .mpicomm import MPIComm

RELAY_TAG = 7180
"""The tag of a relayed signal (``report_error``'s messages use 7177, :mod:`.notice`'s 7178 and 7179)."""


class StoppedElsewhere(KeyboardInterrupt):
    """Raised on rank 0 when another rank relayed a SIGTERM sent to it alone (:func:`relay_to_root`); as the
    command line's own ``Terminated``, its ``status`` is 143 and ``words`` say what stopped the run."""

    def __init__(self, rank: int, size: int, signum: int) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"{name} sent to rank {rank} of {size}")
        self.rank, self.status = rank, 128 + signum
        self.words = f"stopped by {name} sent to rank {rank} of {size} (a time limit, kill or timeout)"


def relay_to_root(comm: MPIComm) -> None:
    """On a rank other than 0: from now on a SIGTERM sent to this rank is sent on to rank 0 (once; later ones are
    ignored), which stops the job. Left alone on rank 0, outside the main thread (no handler can be set there)
    and where SIGTERM is ignored (the parent asked so)."""
    if comm.rank == 0 or threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) in (signal.SIG_IGN, None):
        return

    def relay(signum: int, frame: Any) -> None:
        signal.signal(signum, signal.SIG_IGN)  # rank 0 ends the job: a second one would change nothing
        comm.sent.append(comm.comm.isend(signum, dest=0, tag=RELAY_TAG))

    signal.signal(signal.SIGTERM, relay)


def raise_if_relayed(comm: MPIComm) -> None:
    """On rank 0: raise :class:`StoppedElsewhere` if another rank has relayed a signal (the first one sent); not
    where rank 0 has met SIGTERM itself (the command line ignores any later one from then on): sent to ``mpiexec``,
    which passes it on to every rank, rank 0's own is said, as before (``Terminated``, raised at the batch's end
    where it landed in a finaliser)."""
    if comm.rank != 0 or not comm.comm.Iprobe(source=comm.MPI.ANY_SOURCE, tag=RELAY_TAG) or \
            signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        return
    status = comm.MPI.Status()
    signum = comm.comm.recv(source=comm.MPI.ANY_SOURCE, tag=RELAY_TAG, status=status)
    raise StoppedElsewhere(status.Get_source(), comm.size, signum)
