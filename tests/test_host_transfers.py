"""Training keeps its data on the device: host transfers and synchronisations per
epoch do not grow with the number of batches.

A counting backend wrapper (a :class:`~nnscratch.Backend` subclass) counts the
explicit doors (``asarray``, ``to_numpy``, ``synchronize``); patched methods of
array-api-strict's array type count the implicit ones (``float()``, ``bool()``,
``int()``, ``__array__``, ``to_device``). On ``device1``, which stands in for a
GPU, that is every way an array can reach the host.
"""

from collections import Counter

import numpy as np
import pytest

import nnscratch
from nnscratch import SGD, Adam, Network
from nnscratch.backend.core import Backend

pytest.importorskip("array_api_strict")
IMPLICIT = ("__float__", "__bool__", "__int__", "__index__", "__array__", "to_device")


class CountingBackend(Backend):
    """A backend that counts every explicit host<->device door and device sync."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = Counter()

    def asarray(self, x, dtype=None):
        self.calls["asarray"] += 1
        return super().asarray(x, dtype)

    def to_numpy(self, x):
        self.calls["to_numpy"] += 1
        return super().to_numpy(x)

    def synchronize(self):
        self.calls["synchronize"] += 1
        return super().synchronize()


@pytest.fixture
def counting(monkeypatch):
    """``(backend, calls)``: a device1 CountingBackend and one counter for explicit and implicit reads."""
    backend = CountingBackend("array_api_strict", "device1")
    array_type = type(backend.xp.zeros(1, device=backend.device))
    for name in IMPLICIT:
        original = getattr(array_type, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            backend.calls[_name] += 1
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(array_type, name, counted)
    return backend, backend.calls


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)


def _calls_for(backend, calls, epochs, batch_size, optimizer):
    X, y = _data()
    net = Network.from_sizes(5, 8, 3, seed=0, backend=backend)
    calls.clear()
    net.fit(X, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer, validation_data=(X[:20], y[:20]))
    return dict(calls)


@pytest.mark.parametrize("optimizer", [lambda: SGD(lr=0.1), lambda: Adam(lr=0.01)], ids=["sgd", "adam"])
def test_transfers_per_epoch_do_not_grow_with_batches(counting, optimizer):
    backend, calls = counting
    per_fit = {b: _calls_for(backend, calls, 2, b, optimizer()) for b in (96, 32, 4)}  # 1, 3, 24 batches
    assert per_fit[96] == per_fit[32] == per_fit[4], per_fit
    one, three = (_calls_for(backend, calls, e, 4, optimizer()) for e in (1, 3))
    per_epoch = {k: (three.get(k, 0) - one.get(k, 0)) / 2 for k in set(one) | set(three)}
    assert all(v <= 3 for v in per_epoch.values()), per_epoch  # permutation in, figures out


def test_full_fit_on_device1_stays_on_the_device(counting):
    backend, calls = counting
    X, y = _data(200)
    net = Network.from_sizes(5, 16, 3, seed=0, backend=backend)
    history = net.fit(X, y, epochs=4, batch_size=16, optimizer=SGD(lr=0.1, momentum=0.9))
    assert history["loss"][-1] < history["loss"][0]
    assert 0.0 <= history["accuracy"][-1] <= 1.0
    for p in net.parameters():
        assert str(p.value.device) == str(backend.device)
    assert calls["__array__"] <= calls["to_numpy"]  # every array read goes through the backend's door


def test_counting_wrapper_sees_every_door(counting):
    backend, calls = counting
    a = backend.asarray(np.ones(3, dtype=np.float32))
    backend.to_numpy(a)
    float(backend.xp.sum(a))
    backend.synchronize()
    assert calls["asarray"] == 1 and calls["to_numpy"] == 1 and calls["__float__"] == 1
    assert calls["synchronize"] == 1 and isinstance(nnscratch.get_backend(backend), CountingBackend)


# ---------------------------------------------------------------- PyTorch: the dispatcher sees every op
OPTIMIZERS = {"sgd": lambda: SGD(lr=0.1), "momentum": lambda: SGD(lr=0.1, momentum=0.9),
              "nesterov": lambda: SGD(lr=0.1, momentum=0.9, nesterov=True), "adam": lambda: Adam(lr=0.01),
              "rmsprop": lambda: nnscratch.RMSProp(lr=0.01)}


def _jitter(X, y, rng):
    return X + rng.normal(0.0, 0.01, X.shape).astype(X.dtype), y


def _torch_traffic(optimizer, batches, augment):
    """Host-made tensors, host reads and device copies during one fit of ``batches`` batches on torch:cpu."""
    from nnscratch.bench.counting import torch_counter

    X, y = _data(8 * batches)
    net = Network.from_sizes(5, 8, 3, seed=0, backend="torch:cpu")
    with torch_counter() as counter:
        net.fit(X, y, epochs=2, batch_size=8, optimizer=OPTIMIZERS[optimizer](),
                validation_data=(X[:20], y[:20]), augment=_jitter if augment else None)
    return dict(counter.transfers)


@pytest.mark.parametrize("augment", [False, True], ids=["plain", "augment"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_torch_host_traffic_does_not_grow_with_batches(optimizer, augment):
    pytest.importorskip("torch")
    ten, twenty = _torch_traffic(optimizer, 10, augment), _torch_traffic(optimizer, 20, augment)
    assert ten == twenty, (ten, twenty)
