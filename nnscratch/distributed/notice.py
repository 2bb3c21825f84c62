"""When ``fit`` fails on one rank alone: a notice to the others, so that none waits for it for ever.

Every collective of nnscratch's waits in :func:`.waiting.wait`. When ``fit`` leaves with an ordinary
exception on one rank (a layer of one's own that raises on that rank's shard, a ``MemoryError``) that
is not raised on every rank together (``collective``: a callback's error, a refused checkpoint, a
diverging run), the others would wait for it in their next collective (the gradient sum, BatchNorm's
gather, the epoch's figures) for ever; the command line and an uncaught exception abort the job, but
code that catches the error goes on. So, on its way out of ``fit`` (anywhere in it), that rank sends every other rank a
notice, ``("failed", (rank, type name, one-line message), collectives completed)``, a nonblocking
point-to-point message with the tag :data:`NOTICE_TAG` (``report_error`` uses
:data:`~nnscratch.distributed.comm.ERROR_TAG`), and raises its own error unchanged. A waiting rank looks
for a notice every ``waiting.LOOK_EVERY`` polls (never in a 0.13 ms gradient sum), tells the others it
stopped (``"stopped"``, with the same failure) and raises :class:`RankFailedError`, which names the failed
rank; unless the failed rank had completed the collective it waits in (the counts say so: this rank was
only slower to see it complete, and the rank that failed may have failed right after it, at a point this
rank then reaches too), then it waits on.

The collective a waiting rank leaves pending never completes: from then on the communicator is out of
step (``MPIComm.broken``) and every later collective on it raises :class:`OutOfStepError` at once,
instead of waiting or matching the wrong one. The failed rank's next collective first hears from every
other rank (:func:`settle`): when each failed too, at the same point (an error every rank meets, none
waiting), the ranks are in step and it goes on; else it raises the same error. ``MPIComm`` runs on a
duplicate of its communicator, so what is left pending there, and a notice nobody read (a rank that
failed after the fit's last collective), reaches no other communicator and lets ``MPI_Finalize`` end.

``SystemExit`` (``sys.exit`` in a callback) is told as a failure, and so is Ctrl-C (``KeyboardInterrupt``,
which user code or a notebook may catch): met outside a collective, as a failure (``"failed"``: when every rank met it there, the ranks are still in step); met inside
one (:func:`interrupted`), that collective stays pending, the communicator is out of step for good, and the
others are told ``"stopped"``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, cast

from ..errors import NNScratchError

NOTICE_TAG = 7178
"""The tag of the notices of a failed ``fit`` (``report_error``'s messages use 7177)."""
ENDING_TAG = 7179
"""The tag of :func:`ending`'s messages: the failed rank is ending the job."""
F = TypeVar("F", bound=Callable[..., Any])
LONGEST = 400  # characters of the failed rank's message sent (a notice stays one small, eager message)


class RankFailedError(NNScratchError, RuntimeError):
    """Raised on a rank that waited in a collective for a rank whose ``fit`` failed. ``follows`` is that rank,
    which raised its own error: the command line and the excepthook leave saying it and ending the job to it."""

    follows: int


class OutOfStepError(NNScratchError, RuntimeError):
    """A collective asked of a communicator whose ranks a failed ``fit`` left out of step."""


def failure_line(comm: Any) -> str:
    """``rank k of N failed in fit (Type: message)`` of the failure ``comm.broken`` records (``rank k of N was
    interrupted in fit (Ctrl-C)`` for a ``KeyboardInterrupt``)."""
    rank, kind, text = comm.broken
    if kind == "KeyboardInterrupt":
        return f"rank {rank} of {comm.size} was interrupted in fit (Ctrl-C)"
    return f"rank {rank} of {comm.size} failed in fit ({kind}: {text})"


def _send(comm: Any, notice: tuple[str, tuple[int, str, str], int]) -> None:
    try:
        comm.sent += [comm.comm.isend(notice, dest=rank, tag=NOTICE_TAG) for rank in range(comm.size)
                      if rank != comm.rank]
    except Exception:  # MPI itself failing: the error on its way up says more than this one would
        pass


def tell_others(comm: Any, exc: BaseException) -> None:
    """Send every other rank the notice of ``exc`` (``"failed"``, nonblocking) and mark ``comm`` out of step,
    unless every other rank failed too (:func:`settle`); nothing when it is out of step already."""
    if comm.broken is not None:
        return
    text = " ".join(str(exc).split()) or "(no message)"
    comm.broken = (comm.rank, type(exc).__name__, text if len(text) <= LONGEST else text[:LONGEST - 3] + "...")
    comm.unsure = True
    _send(comm, ("failed", comm.broken, comm.done))


def ending(comm: Any) -> None:
    """Tell every other rank that this one, failed alone, is now ending the job (the command line's
    ``report_error``, the excepthook: a few seconds' wait for the others' errors, then ``MPI_Abort``): a rank that
    follows its failure (:class:`RankFailedError`) waits for that, however slow this rank is
    (:func:`~nnscratch.distributed.comm.wait_in_mpi`), instead of giving up and ending the job in its own words."""
    try:
        comm.sent += [comm.comm.isend(True, dest=rank, tag=ENDING_TAG) for rank in range(comm.size)
                      if rank != comm.rank]
    except Exception:  # MPI itself failing: the job ends anyway
        pass


def interrupted(comm: Any, request: Any) -> None:
    """Ctrl-C inside a collective's wait: ``request`` stays pending (kept on ``comm`` with its buffers) and
    can never be matched again, so ``comm`` is out of step for good (not :func:`settle`'s ``unsure``). Every
    other rank is told as by a rank that stopped waiting for a failed one (``"stopped"``): one waiting in a
    collective raises :class:`RankFailedError`, one interrupted outside a collective hears it in :func:`settle`
    and raises :class:`OutOfStepError`, as this rank's next collective does."""
    comm.broken, comm.unsure, comm.pending = (comm.rank, "KeyboardInterrupt", "Ctrl-C"), False, request
    _send(comm, ("stopped", comm.broken, comm.done))


def _read(comm: Any) -> None:
    """Every notice come since the last look into ``comm.heard``, by sender (one a sender, per failure)."""
    for rank in range(comm.size):
        if rank != comm.rank and rank not in comm.heard and comm.comm.Iprobe(source=rank, tag=NOTICE_TAG):
            comm.heard[rank] = comm.comm.recv(source=rank, tag=NOTICE_TAG)


def look(comm: Any, request: Any) -> None:
    """Raise :class:`RankFailedError` if a notice has come from a rank that will not join the collective this one
    waits in (the wait loop calls this every few polls), after telling every other rank that this one stopped
    (``"stopped"``); ``request``, left pending with its buffer, is kept on ``comm``. A notice from a rank that had
    completed this collective (its count of them, ``comm.done``, is higher: this rank was only slower to see it
    complete) is kept in ``comm.heard`` until this rank waits in one that rank did not reach."""
    if not comm.heard and not comm.comm.Iprobe(source=comm.MPI.ANY_SOURCE, tag=NOTICE_TAG):
        return
    _read(comm)
    behind = [notice for notice in comm.heard.values() if notice[2] <= comm.done]
    if not behind:
        return
    comm.broken, comm.pending = tuple(behind[0][1]), request
    _send(comm, ("stopped", comm.broken, comm.done))
    error = RankFailedError(f"R{failure_line(comm)[1:]}; rank {comm.rank} stopped waiting for it in a collective "
                            f"and cannot go on without it.")
    error.follows = comm.broken[0]
    raise error


def settle(comm: Any) -> None:
    """Before a collective on ``comm`` out of step: raise :class:`OutOfStepError`, unless this rank's own
    failure put it there and every other rank failed too, each at the same point outside a collective (each
    said ``"failed"``, none ``"stopped"``): then the ranks are in step, and this returns. Each other rank
    says one or the other (it fails, or it waits in a collective and finds the notice): this waits for
    every one of them."""
    if comm.unsure:
        said = [notice[0] for notice in comm.heard.values()]  # this failure's, read while waiting
        left = [rank for rank in range(comm.size) if rank != comm.rank and rank not in comm.heard]
        comm.unsure, comm.heard = False, {}
        while left:
            for rank in [r for r in left if comm.comm.Iprobe(source=r, tag=NOTICE_TAG)]:
                said.append(comm.comm.recv(source=rank, tag=NOTICE_TAG)[0])  # its oldest: this failure's
                left.remove(rank)
            if left:
                time.sleep(0.001)
        if all(kind == "failed" for kind in said):
            comm.broken = None
            return
    raise OutOfStepError(f"The ranks of this job are out of step after {failure_line(comm)}: a collective it "
                         f"left pending never completes. Start the processes again (mpiexec) to train on.")


def tells_on_failure(fit: F) -> F:
    """Decorate ``fit(..., comm=None)``: an exception that leaves it on this rank alone (not ``collective``),
    anywhere in it, is told to the other ranks (:func:`tell_others`; nothing more when a Ctrl-C inside a
    collective told them already: :func:`interrupted`) and goes on up unchanged: an ordinary one, a
    ``KeyboardInterrupt`` (Ctrl-C) or a ``SystemExit`` (``sys.exit`` in a callback of one rank: before, the
    others waited for it for ever, and so did ``mpiexec``).
    Without a communicator, or with one other than ``MPIComm`` (no ``broken``), nothing is told."""
    @functools.wraps(fit)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _Teller(kwargs.get("comm")):
            return fit(*args, **kwargs)
    return cast(F, wrapper)


class _Teller:
    def __init__(self, comm: Any) -> None:
        self.comm = comm

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if exc is not None and not getattr(exc, "collective", False) and hasattr(self.comm, "broken"):
            tell_others(self.comm, exc)  # and the exception goes on up
