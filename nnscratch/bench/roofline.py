"""The GEMM roofline: the matrix products of an epoch, timed alone on one backend.

A training step of an MLP with sizes ``(n_0, n_1, ..., n_L)`` on a batch of
``m`` rows does, per Dense layer ``i`` (``W_i`` is ``(n_i, n_{i+1})``), the
forward product ``x @ W``, the weight gradient ``x.T @ dy`` and, for every
layer but the first, the input gradient ``dy @ W.T``. Timing exactly those
products on preallocated arrays of the same backend and device, and nothing
else, gives the floor for an epoch; ``epoch / roofline`` is the overhead.
"""

import time

import numpy as np


def gemm_shapes(sizes, m):
    """Every product of one step: ``(left_shape, left_T, right_shape, right_T)``."""
    shapes = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        shapes.append(((m, a), False, (a, b), False))           # x @ W
    for i, (a, b) in reversed(list(enumerate(zip(sizes[:-1], sizes[1:])))):
        shapes.append(((m, a), True, (m, b), False))            # x.T @ dy
        if i:
            shapes.append(((m, b), False, (a, b), True))        # dy @ W.T
    return shapes


def batch_rows(n, batch_size):
    """Rows per batch in an epoch: ``n // batch_size`` full ones, then the remainder."""
    full, rest = divmod(n, batch_size)
    return [batch_size] * full + ([rest] if rest else [])


def step_flops(sizes, m):
    """Floating-point operations (2 per multiply-add) of one step's products."""
    total = 0
    for left, left_t, right, right_t in gemm_shapes(sizes, m):
        rows, inner = (left[1], left[0]) if left_t else left
        cols = right[0] if right_t else right[1]
        total += 2 * rows * inner * cols
    return total


def epoch_flops(sizes, n, batch_size):
    """Floating-point operations of an epoch's matrix products."""
    return sum(step_flops(sizes, m) for m in batch_rows(n, batch_size))


def _operands(backend, sizes, m, rng):
    pairs = []
    for left, left_t, right, right_t in gemm_shapes(sizes, m):
        a, b = (backend.asarray(rng.standard_normal(s).astype(np.float32), dtype=backend.dtype)
                for s in (left, right))
        pairs.append((a.T if left_t else a, b.T if right_t else b))
    return pairs


class GemmEpoch:
    """The products of one epoch on ``backend``, as a contender: :meth:`epoch` returns the
    seconds of the best of ``repeats`` runs, so it can be timed alternately with training."""

    def __init__(self, backend, sizes, n, batch_size, repeats=1, seed=0):
        rng = np.random.default_rng(seed)
        self.backend, self.name, self.repeats = backend, f"GEMM {backend}", repeats
        self.rows = batch_rows(n, batch_size)
        self.operands = {m: _operands(backend, sizes, m, rng) for m in set(self.rows)}

    def _once(self):
        self.backend.synchronize()
        start = time.perf_counter()
        for m in self.rows:
            for a, b in self.operands[m]:
                a @ b
        self.backend.synchronize()
        return time.perf_counter() - start

    def epoch(self):
        return min(self._once() for _ in range(self.repeats))


def time_epoch_gemms(backend, sizes, n, batch_size, repeats=3, seed=0):
    """Seconds the epoch's products take alone, each of ``repeats`` runs (after one warm-up)."""
    gemm = GemmEpoch(backend, sizes, n, batch_size, seed=seed)
    gemm.epoch()
    return [gemm.epoch() for _ in range(repeats)]
