"""Waiting for the other ranks in Python, where a signal is seen.

A Python signal handler runs between calls: a rank inside one of MPI's blocking collectives
(``Allreduce``, mpi4py's ``allgather`` and ``bcast``) never sees Ctrl-C. Under ``mpiexec``, Ctrl-C
reaches every rank wherever it is; with the Python API and the ``KeyboardInterrupt`` caught, a rank
that met it outside MPI left ``fit``, and one that met it inside waited there for the other for ever.
So :class:`~nnscratch.distributed.mpicomm.MPIComm` starts each collective as a nonblocking one and
:func:`wait` polls it (``Test`` in a Python loop, as fast as MPI's own wait).
The objects are pickled as mpi4py pickles them: their sizes first, then the bytes.

MPI matches a nonblocking collective with nonblocking ones only: every rank must call these (every
collective of nnscratch's goes through ``MPIComm``).

Every ``LOOK_EVERY`` polls the loop calls ``watch(request)``, which looks whether another rank's ``fit``
has failed (:mod:`.notice`): a gradient sum (0.94 MB on 2 ranks: 0.13 ms, a few hundred polls) never
reaches it, a rank waiting for a slower one looks every half millisecond or so.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from typing import Any

import numpy as np


LOOK_EVERY = 1000  # polls between two calls of ``watch``


def _nothing(request: Any) -> None:
    return None


def wait(request: Any, poll: float = 0.0, watch: Callable[[Any], None] = _nothing) -> None:
    """Wait for a nonblocking MPI ``request``, sleeping ``poll`` seconds between looks; with no ``poll``,
    looking again at once, as MPI's blocking calls spin. The loop is Python's, so a signal is still seen.
    (``time.sleep(0)`` between looks, a system call each, made a 0.94 MB gradient sum on 2 ranks take
    0.5 ms instead of MPI's 0.13 ms.) ``watch(request)`` is called after every ``LOOK_EVERY`` looks
    (every look with a ``poll``); what it raises ends the wait. A ``KeyboardInterrupt`` (Ctrl-C) leaves with
    ``request``, still pending, as its ``pending``: the communicator keeps it (:func:`.notice.interrupted`)."""
    try:
        _poll(request, poll, watch)
    except KeyboardInterrupt as exc:
        exc.pending = request  # type: ignore[attr-defined]  # MPI may still write into its buffers: kept alive
        raise


def _poll(request: Any, poll: float, watch: Callable[[Any], None]) -> None:
    test = request.Test
    if poll:
        while not test():
            watch(request)
            time.sleep(poll)
        return
    while not test():
        for _ in range(LOOK_EVERY):
            if test():
                return
        watch(request)


def allgather(comm: Any, obj: Any, watch: Callable[[Any], None] = _nothing) -> list[Any]:
    """Every rank's ``obj``, in rank order, over the mpi4py communicator ``comm`` (``watch``: as :func:`wait`'s)."""
    mine = np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), dtype=np.uint8)
    sizes = np.zeros(comm.Get_size(), dtype=np.int64)
    wait(comm.Iallgather(np.array([mine.size], dtype=np.int64), sizes), 0.0, watch)
    everyone = np.empty(int(sizes.sum()), dtype=np.uint8)
    wait(comm.Iallgatherv(mine, [everyone, sizes]), 0.0, watch)
    ends = np.cumsum(sizes)
    return [pickle.loads(everyone[end - size:end].tobytes()) for size, end in zip(sizes, ends)]


def bcast(comm: Any, obj: Any, root: int = 0, watch: Callable[[Any], None] = _nothing) -> Any:
    """``obj`` of rank ``root`` on every rank (the object itself on ``root``, as mpi4py's ``bcast``)."""
    at_root = comm.Get_rank() == root
    data = np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), dtype=np.uint8) if at_root else None
    size = np.array([0 if data is None else data.size], dtype=np.int64)
    wait(comm.Ibcast(size, root=root), 0.0, watch)
    buffer = data.copy() if data is not None else np.empty(int(size[0]), dtype=np.uint8)
    wait(comm.Ibcast(buffer, root=root), 0.0, watch)
    return obj if at_root else pickle.loads(buffer.tobytes())
