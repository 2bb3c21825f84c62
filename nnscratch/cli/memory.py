"""A device-memory budget (``$NNSCRATCH_DEVICE_MEMORY``) too small for one batch: said once, as a warning.

The library streams data that does not fit the budget batch by batch
(:mod:`nnscratch.training.streaming`); one batch is the least it moves at a time, so a
budget below one batch cannot be kept. The command line says so before the work starts,
in the library's words (:func:`nnscratch.training.streaming.budget_note`) with its own option.
Under ``mpiexec`` a process trains on its share of each batch (:func:`nnscratch.training.memory.batch_rows`):
the note is about that share, and says so.
"""

import contextlib
import warnings

from ..training import streaming


def budget_note(net, X, batch_size, training=True, option="--batch-size"):
    """:func:`nnscratch.training.streaming.budget_note`, naming the command line's ``option`` (under
    ``mpiexec`` it counts one process's share of a batch, and says so)."""
    return streaming.budget_note(net, X, batch_size, training=training, option=option)


def warn_budget(net, X, batch_size, training=True, option="--batch-size"):
    """:func:`budget_note` as a ``warning: ...`` line, if there is one (the library's warning)."""
    streaming.warn_budget(net, X, batch_size, training=training, option=option)


@contextlib.contextmanager
def said_before():
    """The library's own budget warning (``fit``, ``evaluate``, ``predict``) silenced inside: the command
    line said its note before the work started, naming its own options."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="NNSCRATCH_DEVICE_MEMORY=")
        yield
