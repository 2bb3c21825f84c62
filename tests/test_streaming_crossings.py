"""Streaming (data kept on the host, moved one batch at a time) together with the other features."""

import warnings

import numpy as np
import pytest

from nnscratch import Network
from nnscratch.backend.staging import Stager
from nnscratch.training import streaming


def _data(n=64, features=5):
    rng = np.random.default_rng(0)
    X = rng.random((n, features)).astype(np.float32)
    return X, (X[:, 0] > X[:, 1]).astype(int) + (X[:, 2] > 0.5).astype(int)


def _moved(monkeypatch):
    """The rows of every host -> device copy of a streamed batch, as (first, last + 1) or a count."""
    moved, put = [], Stager.put

    def counting(self, source, rows, dtype=None):
        moved.append((rows.start, rows.stop) if isinstance(rows, slice) else len(rows))
        return put(self, source, rows, dtype)
    monkeypatch.setattr(Stager, "put", counting)
    return moved


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_streamed_rank_copies_its_own_rows_once_per_batch(monkeypatch, shuffle):
    """Under data-parallel training each rank trains its shard of every global batch; the copy it starts
    one batch ahead is its shard of the next batch (it was the next rows, which another rank trains on)."""
    from test_mpi import TwinComm  # rank 0 of two, without MPI
    X, y = _data()
    moved = _moved(monkeypatch)
    net = Network.from_sizes(5, 8, 3, seed=0)
    net.fit(X, y, epochs=1, batch_size=16, shuffle=shuffle, stream=True, comm=TwinComm())
    assert len(moved) == 2 * 4, moved  # 4 global batches: one copy of inputs and one of targets each
    if not shuffle:  # rank 0's shards: the first 8 rows of every batch of 16
        assert moved == [(a, a + 8) for a in (0, 16, 32, 48) for _ in range(2)], moved
