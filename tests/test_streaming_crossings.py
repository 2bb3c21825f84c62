"""Streaming (data kept on the host, moved one batch at a time) together with the other features."""

import warnings

import numpy as np
import pytest

from nnscratch import Network
from nnscratch.backend.staging import Stager
from nnscratch.training import memory, streaming


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


def _jitter(X, y, rng):
    """The rows and two noisy copies, drawn from the network's RNG."""
    noisy = [X + 0.05 * rng.standard_normal(X.shape).astype(np.float32) for _ in range(2)]
    return np.concatenate([X, *noisy]), np.concatenate([y, y, y])


def test_augmented_rows_that_do_not_fit_stream_though_the_original_rows_fit(monkeypatch):
    """The placement counts each epoch's data: three times the rows here, too many for the budget."""
    X, y = _data(200)
    probe = Network.from_sizes(5, 8, 3, seed=0)
    fits = memory.training_bytes(probe, X, batch_size=16)
    grown = memory.training_bytes(probe, *_jitter(X, y, np.random.default_rng(0))[:1], batch_size=16)
    budget = (fits + grown) / 2 / streaming.FRACTION  # X fits, its augmented epoch does not
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", str(int(budget)))
    assert not streaming.should_stream(probe, X, y, batch_size=16)
    results = []
    for stream in (None, False):
        net = Network.from_sizes(5, 8, 3, seed=0)
        history = net.fit(X, y, epochs=2, batch_size=16, augment=_jitter, stream=stream)
        results.append((history.params["streamed"], net.get_weights()))
    assert results[0][0] and not results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("budget, said", [("2K", True), ("1G", False), (None, False)])
def test_fit_says_once_when_the_memory_budget_holds_less_than_one_batch(monkeypatch, budget, said):
    """As the command line does, in its words, naming fit's batch_size; the run trains as streamed runs do."""
    if budget:
        monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", budget)
    else:
        monkeypatch.delenv("NNSCRATCH_DEVICE_MEMORY", raising=False)
    X, y = _data()
    net = Network.from_sizes(5, 8, 3, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = net.fit(X, y, epochs=2, batch_size=16, stream=True)
    notes = [str(w.message) for w in caught if "holds less than one batch" in str(w.message)]
    assert history.params["streamed"] and len(notes) == (1 if said else 0), notes
    if said:
        assert notes[0].startswith(f"NNSCRATCH_DEVICE_MEMORY={budget} holds less than one batch (a training step "
                                   "on 16 samples needs about ") and "\n" not in notes[0]
        assert notes[0].endswith("or lower batch_size") and "copied to the device on its own" in notes[0]
        assert [w.filename for w in caught if str(w.message) == notes[0]] == [__file__]  # the caller's line


def test_training_rows_stream_when_the_validation_data_is_already_on_the_device():
    """fit(stream=True) keeps X on the host though X_val, y_val are device arrays (they stay there)."""
    pytest.importorskip("array_api_strict")
    X, y = _data(80)
    results = []
    for on_device in (True, False):
        net = Network.from_sizes(5, 8, 3, seed=0, backend="array_api_strict:device1")
        val = (net.backend.asarray(X[:20]), net.backend.asarray(y[:20])) if on_device else (X[:20], y[:20])
        history = net.fit(X, y, epochs=2, batch_size=16, stream=True, validation_data=val)
        results.append((history.params["streamed"], history.history["val_loss"], net.get_weights()))
    assert results[0][0] and results[1][0]
    assert results[0][1] == results[1][1]
    for a, b in zip(results[0][2], results[1][2]):
        np.testing.assert_array_equal(a, b)
