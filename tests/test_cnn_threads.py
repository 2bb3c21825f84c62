"""The convolution's copies and elementwise work split over threads on NumPy
(nnscratch/backend/kernels.py ``Kernels.pieces``): the same bits as one thread, every layer option."""

import numpy as np
import pytest

from nnscratch import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, Network, ReLU, SGD, Softmax
from nnscratch.backend import kernels, threads
from nnscratch.training import threaded


def small_cnn(seed=0):
    return Network([Conv2D(1, 4, 3, padding=1), MaxPool2D(2), ReLU(), Conv2D(4, 6, (3, 2), stride=(2, 1)),
                    ReLU(), AvgPool2D(2, stride=1), Conv2D(6, 5, 2, padding="same"), MaxPool2D(3, stride=2),
                    Flatten(), Dense(15, 3), Softmax()], input_shape=(1, 20, 18), seed=seed, backend="numpy",
                   dtype="float64")


def train(workers, monkeypatch):
    monkeypatch.setattr(threads, "_workers", [workers])
    monkeypatch.setattr(threaded, "thread_count", lambda net, comm=None: 1)  # fit's batches whole: the copies split
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 1, 20, 18)), rng.integers(0, 3, 40)
    net = small_cnn()
    net.fit(X, y, epochs=2, batch_size=16, optimizer=SGD(lr=0.05))
    return net.parameter_buffer.values.copy(), net.parameter_buffer.grads.copy(), net.predict_proba(X)


@pytest.mark.parametrize("workers", [2, 3])
def test_split_work_gives_the_same_bits_as_one_thread(workers, monkeypatch):
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 1)  # split even these tiny arrays
    calls = []
    run = kernels._run
    monkeypatch.setattr(kernels, "_run", lambda tasks: (calls.append(len(tasks)), run(tasks)))
    one = train(1, monkeypatch)
    assert not calls
    many = train(workers, monkeypatch)
    assert calls and max(calls) == workers  # the work really was split
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)


def test_small_arrays_and_other_libraries_stay_in_one_call(monkeypatch):
    monkeypatch.setattr(threads, "_workers", [4])
    from nnscratch.backend.core import get_backend
    k = kernels.Kernels(get_backend("numpy"))
    assert k.pieces(np.zeros((4, 4))) is None                          # below PARALLEL_MIN
    pieces = k.pieces(np.zeros((2, 128, 32, 32)))
    assert [p[1] for p in pieces] == [slice(0, 32), slice(32, 64), slice(64, 96), slice(96, 128)]
    strict = pytest.importorskip("array_api_strict")
    ks = kernels.Kernels(get_backend("array_api_strict"))
    assert ks.pieces(strict.zeros((2, 128, 32, 32))) is None
