"""What ``fit(resume=...)`` continues from a checkpoint: the file (checked and read by rank 0 alone under
``mpiexec``, every rank receiving it), the optimizer it trained with (its cosine schedule stretched over a run of
another length, :mod:`nnscratch.training.schedule_span`) and the history it recorded.

The weights, optimizer state, RNG, divergence guard and callbacks' states are put back by
:func:`nnscratch.saving.checkpoint.restore`.
"""

import warnings

from .. import distributed
from ..optim.optimizers import Adam, get_optimizer
from ..saving import checkpoint as checkpoints
from ..saving.kinds import refuse_foreign
from ..validation import user_stacklevel
from .schedule_span import stretched


def checkpoint_to_resume(resume, checkpoint, comm):
    """``(path, (header, arrays))`` of the checkpoint to resume from, or ``(None, None)``, after checking that
    ``checkpoint`` (the file to write) can take one: a file of another kind there is never replaced, and a
    missing folder is said before any training.

    In a parallel run rank 0 alone looks at the file system, as it alone writes the checkpoints: it checks
    the path, reads the checkpoint, and every rank receives what it found (the weights, optimizer state, RNG,
    history, callbacks' states), or its error, raised on every rank together
    (:func:`~nnscratch.distributed.from_root`). The others never touch the file: on a cluster whose scratch
    space is each node's own, it is on rank 0's node alone."""
    def load():
        if checkpoint is not None:
            refuse_foreign(checkpoint, "checkpoint")
        source = checkpoints.resume_path(resume, checkpoint)
        return source, (checkpoints.load(source) if source is not None else None)

    if comm is None or comm.size < 2:
        return load()
    return distributed.from_root(comm, load)


def _says(comm):
    """Whether this process warns: the only one, or rank 0 of a parallel run (said once)."""
    return comm is None or comm.rank == 0


def resolve_optimizer(net, optimizer, saved=None, epochs=None, batches=None, source=None, comm=None):
    """The optimizer ``fit`` trains with: the one given, else the checkpoint's when resuming (for a run of
    ``epochs`` of ``batches`` steps, with epochs left: its cosine schedule stretched as the command line's
    is, :func:`~nnscratch.training.schedule_span.stretched`), else the network's previous one, else ``Adam()``."""
    if saved is not None:
        header = saved[0]
        if optimizer is None and int(header["epoch"]) + 1 < epochs and not header.get("stopped"):
            header = stretched(header, epochs, batches, source if _says(comm) else None)
        return checkpoints.optimizer_from(header, optimizer)
    if optimizer is None:
        return net.optimizer or Adam()
    return get_optimizer(optimizer)


def continue_history(history, header, first, epochs, source, comm=None):
    """Give ``history`` the checkpoint's epochs and figures; say (once) when the checkpoint has trained
    more than ``epochs`` already (as Keras, nothing is trained; the command line refuses this)."""
    history.history, history.epoch = header["history"]["history"], header["history"]["epoch"]
    if first > epochs and _says(comm):
        warnings.warn(f"fit(epochs={epochs}) resumes {source}, which has trained {first} epochs: nothing is trained "
                      f"and the network keeps those {first}; pass epochs above {first} to train on.",
                      stacklevel=user_stacklevel())
