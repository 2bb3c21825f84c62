"""The MPI communicator: mpi4py's, every collective waited for in Python (:mod:`.waiting`) and watched
for a rank whose ``fit`` failed (:mod:`.notice`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import ConfigError
from .._typing import Array
from . import notice, relay, waiting

if TYPE_CHECKING:
    from ..backend.core import Backend
T = TypeVar("T")


class MPIComm:
    """The MPI communicator (mpi4py), every collective waited for in Python (:mod:`.waiting`: Ctrl-C is
    seen there), with counters of the time spent summing gradients: ``seconds`` (the whole sum:
    pack, MPI, unpack) and ``mpi_seconds`` (the MPI call). With
    ``measure_wait = True`` (for benchmarks: it adds a barrier per step) ``wait_seconds``
    separates the time spent waiting for the slowest rank from the all-reduce itself. ``broken`` is None
    while the ranks are in step; after a ``fit`` failed on one rank (:mod:`.notice`), that failure
    ``(rank, type name, message)``, and every collective raises ``OutOfStepError`` at once.

    Parameters
    ----------
    comm : mpi4py communicator, optional
        Default ``MPI.COMM_WORLD``; ``MPIComm`` works on a duplicate of it (``Dup``).
    cuda_aware : bool
        Pass device buffers to MPI directly (needs an MPI built with CUDA support; untested here,
        no GPU). Default: through host memory.
    """

    def __init__(self, comm: Any = None, cuda_aware: bool = False) -> None:
        try:
            from mpi4py import MPI
        except ImportError:
            raise ConfigError('Data-parallel training needs mpi4py; install it with pip install '
                              '"nnscratch[mpi]" (or pip install mpi4py against your cluster\'s MPI).') from None
        # a duplicate: what a failed fit leaves pending (:mod:`.notice`) stays there, apart from other communicators,
        # and MPI_Finalize does not count it against MPI_COMM_WORLD ("Builtin communicator ... has pending references")
        self.MPI, self.comm, self.cuda_aware = MPI, (comm or MPI.COMM_WORLD).Dup(), bool(cuda_aware)
        self.broken: tuple[int, str, str] | None = None  # (rank, type, message) of the failure that put it out of step
        self.unsure = False  # out of step by this rank's own failure, unless every other rank failed too
        self.sent: list[Any] = []  # the notices this rank sent (:mod:`.notice`)
        self.heard: dict[int, Any] = {}  # notices read and not acted on yet, by sender (:func:`.notice.look`)
        self.pending: Any = None  # the request of the collective left pending, kept with its buffers
        self.done = 0  # collectives completed on it: a notice says the sender's (:func:`.notice.look`)
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        local = self.comm.Split_type(MPI.COMM_TYPE_SHARED)
        self.local_rank = local.Get_rank()
        local.Free()
        self.steps, self.seconds, self.mpi_seconds, self.wait_seconds = 0, 0.0, 0.0, 0.0
        self.measure_wait = False

    def sum_gradients(self, flat: Array, backend: Backend, weight: float = 1.0) -> Array:
        """``sum over ranks of weight * flat``, as a device array of ``backend``.

        Parameters
        ----------
        flat : array
            This rank's flat gradient buffer, on ``backend``'s device.
        backend : Backend
            The network's backend (device copies go through it).
        weight : float, default 1.0
            This rank's share of the batch (its rows over the batch's).
        """
        start = time.perf_counter()
        if self.cuda_aware and backend.name != "numpy":
            flat = flat * weight
            backend.synchronize()  # MPI reads the buffer outside the stream
            self._allreduce(flat)
        else:
            host = flat if backend.name == "numpy" else backend.to_numpy(flat)  # concat made it fresh
            if weight != 1.0:
                host *= weight
            self._allreduce(host)
            flat = host if backend.name == "numpy" else backend.asarray(host)
        self.steps += 1
        self.seconds += time.perf_counter() - start
        return flat

    def _allreduce(self, buffer):
        start = time.perf_counter()
        if self.measure_wait:
            self.comm.Barrier()
            self.wait_seconds += time.perf_counter() - start
        self._collective(lambda: waiting.wait(self.comm.Iallreduce(self.MPI.IN_PLACE, buffer, op=self.MPI.SUM),
                                              0.0, self._look))
        self.mpi_seconds += time.perf_counter() - start
        relay.raise_if_relayed(self)  # a SIGTERM sent to another rank alone stops the run here, on rank 0

    def _collective(self, run: Callable[[], T]) -> T:
        """``run()``, one collective waited for in Python: first :func:`.notice.settle` if the ranks may be out
        of step; a Ctrl-C inside leaves it pending, and the ranks out of step (:func:`.notice.interrupted`)."""
        if self.broken is not None:
            notice.settle(self)
        try:
            value = run()
        except KeyboardInterrupt as exc:
            notice.interrupted(self, getattr(exc, "pending", None))
            raise
        self.done += 1
        return value

    def _look(self, request: Any) -> None:
        notice.look(self, request)  # the wait loop's ``watch``: has another rank's fit failed?

    def bcast(self, obj: Any, root: int = 0) -> Any:
        return self._collective(lambda: waiting.bcast(self.comm, obj, root, self._look))

    def barrier(self, poll: float | None = None) -> None:
        """Wait until every rank is here; with ``poll``, sleeping ``poll`` seconds between looks, so no
        core spins while another rank works on. Always a nonblocking barrier (MPI matches a blocking
        barrier with blocking ones only), waited for in Python as every collective (:mod:`.waiting`).

        Parameters
        ----------
        poll : float, optional
            Seconds to sleep between looks; default: look again at once.
        """
        self._collective(lambda: waiting.wait(self.comm.Ibarrier(), poll or 0.0, self._look))

    def allgather(self, obj: Any) -> list[Any]:
        return self._collective(lambda: waiting.allgather(self.comm, obj, self._look))

    def abort(self, code: int = 1) -> None:
        self.comm.Abort(code)

    def __repr__(self):
        return f"MPIComm(rank={self.rank}, size={self.size}, local_rank={self.local_rank}, cuda_aware={self.cuda_aware})"
