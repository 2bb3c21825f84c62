"""fit(augment=...) makes each next epoch's data in a background thread while the current
epoch trains; the numbers must be exactly those of making it in order."""

import threading

import numpy as np
import pytest

from nnscratch import Callback, Network
from nnscratch.prefetch import Prefetch


def _data(rng):
    X = rng.normal(size=(90, 4)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)


def _jitter(threads):
    def jitter(X, y, r):
        threads.append(threading.current_thread().name)
        return X + r.normal(scale=0.3, size=X.shape).astype(np.float32), y
    return jitter


def _train(X, y, augment, callbacks=None, epochs=5):
    net = Network.from_sizes(4, 8, 3, seed=0)
    net.fit(X, y, epochs=epochs, batch_size=16, augment=augment, callbacks=callbacks)
    return net


def test_prefetched_epochs_train_exactly_as_sequential_ones(rng, monkeypatch):
    X, y = _data(rng)
    threads = []
    prefetched = _train(X, y, _jitter(threads))
    assert threads[0] == threading.current_thread().name  # the first epoch's data is made in place
    assert threads[1:] == ["nnscratch-prefetch"] * 4  # the others in the background
    monkeypatch.setattr(Prefetch, "start", lambda self: None)  # nothing prefetched: all made in order
    in_order = []
    sequential = _train(X, y, _jitter(in_order))
    assert in_order == [threading.current_thread().name] * 5
    for a, b in zip(prefetched.get_weights(), sequential.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert prefetched.rng.bit_generator.state == sequential.rng.bit_generator.state


class _Draws(Callback):
    """A callback that draws from the network's RNG after each epoch."""

    def on_epoch_end(self, epoch, logs, net):
        net.rng.normal()


def test_a_callback_drawing_from_the_rng_gets_the_sequential_numbers(rng, monkeypatch):
    X, y = _data(rng)
    threads = []
    prefetched = _train(X, y, _jitter(threads), callbacks=[_Draws()])
    monkeypatch.setattr(Prefetch, "start", lambda self: None)
    sequential = _train(X, y, _jitter([]), callbacks=[_Draws()])
    for a, b in zip(prefetched.get_weights(), sequential.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert prefetched.rng.bit_generator.state == sequential.rng.bit_generator.state


def test_an_error_in_a_prefetched_augment_reaches_the_caller(rng):
    X, y = _data(rng)
    calls = []

    def fails_in_epoch_three(X, y, r):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("augment broke on its third call")
        return X, y
    with pytest.raises(ValueError, match="third call"):
        _train(X, y, fails_in_epoch_three)
    assert not any(t.name == "nnscratch-prefetch" for t in threading.enumerate())


def test_no_prefetch_for_after_the_last_epoch(rng):
    X, y = _data(rng)
    threads = []
    _train(X, y, _jitter(threads), epochs=3)
    assert len(threads) == 3
