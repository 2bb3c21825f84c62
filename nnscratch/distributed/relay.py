"""Ctrl-C, SIGTERM or SIGHUP sent to one rank alone of ``nnscratch train``, relayed to rank 0, which stops the
job as if sent it.

``mpiexec`` passes SIGTERM and Ctrl-C on to every rank; in training rank 0 alone acts on it (it says where the
run stopped and ends the job with status 143, or 130) and the others wait for it. But a signal can reach one
rank alone: ``kill PID`` (``kill -INT``, ``kill -HUP``), a watchdog that ends one process (earlyoom, low on
memory, sends SIGTERM first), a job script's cleanup. Ignored on a rank other than 0, it was lost: the job
trained on, and stopping it took a second signal to ``mpiexec``. So the command line has each other rank relay
it while it trains (:func:`relaying`): one small message to rank 0, and the rank trains on, ignoring any
further one. Rank 0 looks for it after each gradient sum's all-reduce (:func:`raise_if_relayed`: one ``Iprobe`` a
step, no collective) and raises :class:`StoppedElsewhere`, a ``KeyboardInterrupt`` with the signal's status (130 for
SIGINT, 129 for SIGHUP, 143 for SIGTERM) and words, so the command line's path for Ctrl-C runs there: one
message naming the last checkpoint and ``--resume``, the folders it created removed, the job ended with that
status.

SIGHUP sent to ``mpiexec`` itself (the terminal closed: the ranks, each in a session of its own, have none) is
beyond reach: MPICH's hydra has no handler for it, so ``mpiexec`` ends at once, and its proxy, cut off, kills
every rank with SIGKILL, which no process can handle. The checkpoint, written whole or not at all, resumes.

The library installs no handler: with the Python API each signal keeps Python's default (SIGTERM and SIGHUP
end the rank they are sent to, and ``mpiexec`` the job; Ctrl-C raises ``KeyboardInterrupt`` there). Nothing
relayed, nothing is raised.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from .mpicomm import MPIComm

RELAY_TAG = 7180
"""The tag of a relayed signal (``report_error``'s messages use 7177, :mod:`.notice`'s 7178 and 7179)."""


RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""The signals a rank other than 0 sends on to rank 0 (the command line's stops: Ctrl-C, SIGTERM, SIGHUP)."""

WHY = {signal.SIGTERM: "stopped by SIGTERM sent to {where} (a time limit, kill or timeout)",
       signal.SIGHUP: "stopped by SIGHUP sent to {where} (kill -HUP or a hangup)",
       signal.SIGINT: "interrupted by SIGINT (Ctrl-C) sent to {where}"}
"""What stopped the run, as rank 0's line says it, for each relayed signal."""


class StoppedElsewhere(KeyboardInterrupt):
    """Raised on rank 0 when another rank relayed a signal sent to it alone (:func:`relaying`); as the
    command line's own ``Terminated``, its ``status`` is 128 + the signal's number (130 for SIGINT, 129 for
    SIGHUP, 143 for SIGTERM) and ``words`` say what stopped the run."""

    def __init__(self, rank: int, size: int, signum: int) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"{name} sent to rank {rank} of {size}")
        self.rank, self.status = rank, 128 + signum
        self.words = WHY[signal.Signals(signum)].format(where=f"rank {rank} of {size}")


@contextlib.contextmanager
def relaying(comm: MPIComm | None) -> Iterator[None]:
    """Inside (the command line's training, :func:`nnscratch.cli.progress.ctrl_c`), on a rank other than 0: Ctrl-C
    (SIGINT), SIGTERM or SIGHUP sent to this rank is sent on to rank 0 (the first; all three are ignored after
    it), which stops the job; the handlers are put back after. Nothing is done on rank 0, with no ``comm`` and
    outside the main thread (no handler can be set there); a signal ignored here (the parent asked so) stays
    ignored. Outside training rank 0 looks for no relayed signal, and each rank acts on its own: ``mpiexec``
    passes Ctrl-C and SIGTERM on to every rank, which all stop (relayed and ignored there, a rank would wait for
    rank 0 forever)."""
    if comm is None or comm.rank == 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def relay(signum: int, frame: Any) -> None:
        for each in previous:  # rank 0 ends the job: a second one would change nothing
            signal.signal(each, signal.SIG_IGN)
        comm.sent.append(comm.comm.isend(signum, dest=0, tag=RELAY_TAG))

    previous = {signum: signal.getsignal(signum) for signum in RELAYED
                if signal.getsignal(signum) not in (signal.SIG_IGN, None)}
    for signum in previous:
        signal.signal(signum, relay)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def raise_if_relayed(comm: MPIComm) -> None:
    """On rank 0: raise :class:`StoppedElsewhere` if another rank has relayed a signal (the first one sent); not
    where rank 0 is stopping already (the command line ignores SIGTERM from its first Ctrl-C, SIGTERM or SIGHUP
    on): sent to ``mpiexec``, which passes it on to every rank, rank 0's own is said, as before (raised at the
    batch's end where it landed in a finaliser). Raised, SIGTERM and SIGHUP are ignored from then on, as the
    command line does for its own: ``mpiexec`` may pass one on to rank 0 after another rank relayed it, and it
    would break off the cleanup."""
    if comm.rank != 0 or not comm.comm.Iprobe(source=comm.MPI.ANY_SOURCE, tag=RELAY_TAG) or \
            signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        return
    status = comm.MPI.Status()
    signum = comm.comm.recv(source=comm.MPI.ANY_SOURCE, tag=RELAY_TAG, status=status)
    for each in (signal.SIGTERM, signal.SIGHUP):
        if callable(signal.getsignal(each)) and threading.current_thread() is threading.main_thread():
            signal.signal(each, signal.SIG_IGN)  # the command line's handler (the library installs none)
    raise StoppedElsewhere(status.Get_source(), comm.size, signum)
