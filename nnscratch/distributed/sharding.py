"""Each rank's share of the global batches: the rows it trains on, and the data source it sees."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..training.streaming import HostData
from .._typing import Array, Rng

if TYPE_CHECKING:
    from .parallel import DataParallel


def shard(start: int, stop: int, rank: int, size: int) -> tuple[int, int]:
    """Rows ``(a, b)`` of batch ``start:stop`` that ``rank`` of ``size`` trains on (contiguous,
    sizes differing by at most one, the larger ones first).

    Parameters
    ----------
    start, stop : int
        The global batch's rows, ``start:stop``.
    rank, size : int
        This process's rank, and the number of processes.
    """
    base, extra = divmod(stop - start, size)
    a = start + rank * base + min(rank, extra)
    return a, a + base + (1 if rank < extra else 0)


class ShardedData:
    """A data source (DeviceData or HostData) seen by one rank: the global batches,
    of which this rank trains and evaluates only its shard.

    ``n`` stays the global row count, so the epoch loop walks the global batches and
    the per-epoch means divide the rank-summed figures by the global count.

    Parameters
    ----------
    data : DeviceData or HostData
        The whole data set, as one process sees it.
    parallel : DataParallel
        Whose rank and size cut each batch.
    """

    rows: list[tuple[int, int]]

    def __init__(self, data: Any, parallel: DataParallel) -> None:
        self.data, self.parallel = data, parallel
        self.n, self.mode = data.n, data.mode
        self.rows = []  # this rank's (a, b) since the last all_targets(), in order

    def permutation(self, rng: Rng) -> Array:
        return self.data.permutation(rng)

    def _mine(self, start, stop):
        a, b = shard(start, stop, self.parallel.comm.rank, self.parallel.comm.size)
        self.rows.append((a, b))
        return a, b

    def batch(self, order: Array | None, start: int, stop: int) -> Any:
        a, b = self._mine(start, stop)
        self.parallel.weight = self.parallel.context.weight = (b - a) / (stop - start)
        self.parallel.context.row_offset = a - start
        if isinstance(self.data, HostData):  # the copy it starts ahead: this rank's rows of the next batch
            return self.data.batch(order, a, b, self._next(start, stop))
        return self.data.batch(order, a, b)

    def inputs(self, start: int, stop: int) -> Array:
        a, b = self._mine(start, stop)
        if isinstance(self.data, HostData):
            return self.data.inputs(a, b, following=self._next(start, stop))
        return self.data.inputs(a, b)

    def _next(self, start: int, stop: int) -> tuple[int, int]:
        """This rank's rows of the global batch after ``start:stop`` (none after the last)."""
        return shard(stop, min(stop + (stop - start), self.n), self.parallel.comm.rank, self.parallel.comm.size)

    def all_targets(self, order: Array | None = None) -> Any:
        """Targets of the rows this rank used since the last call, in the order it used them.

        Parameters
        ----------
        order : array, optional
            The epoch's shuffle, as the data source's ``all_targets`` takes it.
        """
        idx = np.concatenate([np.arange(a, b) for a, b in self.rows])
        self.rows = []
        if isinstance(self.data, HostData) or isinstance(order, np.ndarray):
            return self.data.all_targets(idx if order is None else order[idx])
        local = self.data.backend.asarray(idx)
        return self.data.all_targets(local if order is None else self.data.xp.take(order, local, axis=0))
