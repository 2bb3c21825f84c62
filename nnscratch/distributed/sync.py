"""What the layers of a data-parallel step need from the other ranks.

Each rank runs the layers on its shard of the global batch. Most layers need
nothing else: their gradients are sums over rows, and the all-reduce of the
gradient buffer adds the shards up. Two need to see the global batch:

- ``Dropout`` keys its masks by the row's index in the **global** batch
  (:attr:`ShardContext.row_offset` + the row's index in the shard), so the ranks
  together draw the masks one process draws for the whole batch.
- ``BatchNorm`` normalises with the statistics of the **global** batch (a
  synchronised BatchNorm, as PyTorch's ``SyncBatchNorm``): in forward every rank's
  per-channel count, mean and sum of squared deviations are gathered and combined
  (:meth:`ShardContext.moments`, one collective); in backward the per-channel sums
  of ``dy`` and ``dy * xhat`` are summed over ranks (:meth:`ShardContext.weighted_sum`,
  one collective).

The step hands the layers a :class:`ShardContext` as their ``training`` flag (it is
true, so a layer that needs nothing of it behaves as in any training step). Both
collectives gather host vectors and combine them in rank order, in float64: every
rank computes the same bits, so the running statistics stay identical everywhere.
"""

import numpy as np


class ShardContext:
    """The ``training`` flag of one rank's data-parallel step (true).

    Attributes
    ----------
    row_offset : int
        Index, in the global batch, of this rank's first row (0 on rank 0).
    weight : float
        This rank's share of the global batch (``rows / batch``): its loss gradient
        is the mean over its own rows, so its sums count ``weight`` times.
    """

    def __init__(self, parallel):
        self.parallel = parallel
        self.row_offset, self.weight = 0, 1.0

    def __bool__(self):
        return True

    def moments(self, count, mean, m2):
        """Global per-channel ``(mean, var, total_count)`` from this rank's ``count`` (a Python
        int), ``mean`` and ``m2 = sum((x - mean)**2)`` (device vectors): the biased variance of
        the global batch, ``sum_r (m2_r + count_r (mean_r - mean)**2) / total``, a two-pass
        formula (no cancellation), as device vectors in the dtype of ``mean``: one copy to the host
        and one back."""
        backend, xp = self.parallel.backend, self.parallel.net.xp
        local = backend.to_numpy(xp.concat([mean, m2])).astype(np.float64)
        everyone = self.parallel.comm.allgather((int(count), local))
        total = sum(c for c, _ in everyone)
        f = local.shape[0] // 2
        global_mean = sum(c * v[:f] for c, v in everyone) / max(total, 1)
        m2_sum = sum(v[f:] + c * (v[:f] - global_mean) ** 2 for c, v in everyone)
        both = backend.asarray(np.concatenate([global_mean, m2_sum / max(total, 1)]), dtype=mean.dtype)
        return both[:f], both[f:], total

    def weighted_sum(self, vector):
        """``sum over ranks of weight_r * vector_r`` (a device vector, same dtype), added in rank order."""
        backend = self.parallel.backend
        local = backend.to_numpy(vector).astype(np.float64) * self.weight
        total = np.zeros_like(local)
        for part in self.parallel.comm.allgather(local):
            total += part
        return backend.asarray(total, dtype=vector.dtype)
