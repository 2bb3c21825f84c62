"""The callbacks of a data-parallel ``fit``, called together: an error on one rank is raised on every rank.

Each rank calls its own callbacks (the same list, given the same logs), and what a callback
raises on one rank alone would leave the others waiting in the next collective for ever. So under
MPI ``fit`` calls them through one :class:`Together` callback: after each round of hooks
(``on_train_begin``, ``on_epoch_begin``, ``on_epoch_end``, ``on_train_end``) the ranks exchange
what failed (one small ``allgather``), and the error of the lowest rank that failed is raised on
every rank, marked ``collective`` (the command line says it once, from rank 0; each rank's
:mod:`nnscratch.distributed.comm` excepthook prints it once and ends without ``MPI_Abort``).

``on_batch_end`` exchanges nothing (no collective per batch): an error there is kept, the rank
calls no more per-batch hooks, and it is raised on every rank at the end of that epoch. A
``KeyboardInterrupt`` (Ctrl-C) is not caught: the command line's rank 0 ends the job on it.

Every rank's ``logs["seconds"]`` is made rank 0's before the hooks see it, so the logs (and each
rank's History) are identical everywhere, and a callback decides alike on every rank. The same exchange
compares the ranks' learning rates after each round: a callback that changes the rate on one rank alone
(``ReduceLROnPlateau`` given to rank 0 only, as one gives a checkpoint writer under Horovod) is refused
in one line on every rank, instead of leaving the ranks' weights silently apart.
"""

from __future__ import annotations

import pickle
import traceback
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..training.history import Callback

if TYPE_CHECKING:
    from .comm import MPIComm


def portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (as an MPI message), else a RuntimeError with its type and text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # an exception whose __init__ takes other arguments, or holding an unpicklable value
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def raise_together(comm: MPIComm, failure: BaseException | None, rate: float | None = None) -> None:
    """Exchange ``failure`` (None: this rank did well) and, if any rank failed, raise the error of the
    lowest such rank on every rank: on that rank its own exception, elsewhere a copy naming the rank
    and carrying its traceback as a note. Every rank must call this at the same point. ``rate``: this
    rank's learning rate for the next step, exchanged too: rates that differ are refused (:func:`same_rate`)."""
    sent = None if failure is None else (portable(failure), "".join(traceback.format_exception(failure)))
    everyone = comm.allgather((sent, rate))
    rank = next((r for r, (item, _) in enumerate(everyone) if item is not None), None)
    if rank is None:
        return same_rate(comm, [r for _, r in everyone])
    if rank == comm.rank and failure is not None:
        error = failure
    else:
        error, text = everyone[rank][0]
        if hasattr(error, "add_note"):  # Python 3.11+: the traceback prints it
            error.add_note(f"(raised on rank {rank} of {comm.size}; there:\n{text.rstrip()})")
    error.collective = True  # type: ignore[attr-defined]
    raise error


def same_rate(comm: MPIComm, rates: list[float | None]) -> None:
    """Refuse, on every rank alike, learning rates that differ between ranks: a callback that changes the rate
    (``ReduceLROnPlateau``, one's own) given to one rank alone would leave the ranks' weights apart, silently
    (each rank updates its own copy with the same summed gradient). ``CollectiveError``'s one line."""
    odd = next((r for r, rate in enumerate(rates) if rate != rates[0]), None)
    if odd is not None:
        error = ConfigError(f"Data-parallel training needs the same learning rate on every rank; after this epoch's "
                            f"callbacks rank 0 trains on with {rates[0]:.6g} but rank {odd} with {rates[odd]:.6g}. "
                            f"Give every rank the same callbacks (ReduceLROnPlateau included); one that only prints "
                            f"or writes can check self.is_root.")
        error.collective = True  # type: ignore[attr-defined]
        raise error


class Together(Callback):
    """The callbacks of one data-parallel ``fit`` as one callback whose rounds of hooks end together
    (see the module's docstring). ``callbacks`` keep their own state (checkpoints save them, not this)."""

    def __init__(self, callbacks: list[Callback], comm: MPIComm) -> None:
        self.callbacks, self.comm = list(callbacks), comm
        self.per_batch = [c for c in self.callbacks if type(c).on_batch_end is not Callback.on_batch_end]
        self.failure: BaseException | None = None  # what a per-batch hook raised this epoch

    def _round(self, hook: str, *args: Any) -> None:
        failure = self.failure
        if failure is None:
            try:
                for c in self.callbacks:
                    getattr(c, hook)(*args)
            except Exception as exc:  # raised below on every rank
                failure = exc
        self.failure = None
        rate = getattr(getattr(args[-1], "optimizer", None), "current_lr", None)  # args[-1]: the network
        raise_together(self.comm, failure, None if rate is None else float(rate))

    def on_train_begin(self, network):
        self._round("on_train_begin", network)

    def on_epoch_begin(self, epoch, network):
        self._round("on_epoch_begin", epoch, network)

    def on_epoch_end(self, epoch, logs, network):
        if "seconds" in logs:
            logs["seconds"] = self.comm.bcast(logs["seconds"])
        self._round("on_epoch_end", epoch, logs, network)

    def on_train_end(self, network):
        self._round("on_train_end", network)


class TogetherPerBatch(Together):
    """:class:`Together` for callbacks of which one overrides ``on_batch_end``."""

    def on_batch_end(self, batch, network):
        if self.failure is None:
            try:
                for c in self.per_batch:
                    c.on_batch_end(batch, network)
            except Exception as exc:  # kept: raised on every rank at the end of the epoch
                self.failure = exc


def together(callbacks: list[Callback], comm: MPIComm) -> Together:
    """The one callback through which a data-parallel ``fit`` calls ``callbacks``."""
    kind = TogetherPerBatch if any(type(c).on_batch_end is not Callback.on_batch_end for c in callbacks) \
        else Together
    return kind(callbacks, comm)
