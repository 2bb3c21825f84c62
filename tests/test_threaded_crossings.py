"""A convolutional network's batches split over threads (nnscratch/training/threaded.py) against the
rest of ``fit``: what a user or a callback does to the network gives the model one thread trains.

Each test runs the same thing split (``two_threads``) and unsplit (``thread_count`` patched to 1).
"""

import copy
import pickle
import threading

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import Network
from nnscratch.backend import threads
from nnscratch.errors import DivergenceError
from nnscratch.layers.base import Layer
from nnscratch.training import threaded
from test_combinations import BATCH, data, named, state
from test_threaded_step import one_thread, two_threads  # noqa: F401  (a fixture)

pytestmark = pytest.mark.skipif(threads.blas_info() is None, reason="needs a BLAS threadpoolctl can limit")


def assert_close(a, b, tol=1e-5):
    assert a["rng"] == b["rng"]
    for u, v in zip(a["weights"] + list(a["buffers"].values()) + [a["proba"]],
                    b["weights"] + list(b["buffers"].values()) + [b["proba"]], strict=True):
        np.testing.assert_allclose(u, v, rtol=tol, atol=tol)


def split_and_alone(run, monkeypatch, split_steps=True):
    """``run()`` split over two threads, then in one; asserts that the first did split."""
    calls = []
    original = threaded.ThreadedStep.backward
    monkeypatch.setattr(threaded.ThreadedStep, "backward",
                        lambda self, x, Y, scale=1.0: (calls.append(x.shape[0]), original(self, x, Y, scale))[1])
    split = run()
    assert bool(calls) == split_steps
    monkeypatch.undo()
    one_thread(monkeypatch)
    return split, run()


class Scaled(Layer):
    """A layer of one's own whose ``get_config`` (the base one) cannot rebuild it: ``y = factor * x``."""

    def __init__(self, factor):
        self.factor = factor

    def forward(self, x, training=False):
        return self.factor * x

    def backward(self, dy, need_input_grad=True):
        return self.factor * dy


def small_cnn(middle, dtype="float32"):
    net = Network([nn.Reshape((1, 6, 6)), nn.Conv2D(1, 2, 3, padding=1), middle, nn.ReLU(), nn.MaxPool2D(2),
                   nn.Flatten(), nn.Dropout(0.3), nn.Dense(18, 3), nn.Softmax()], seed=0, backend="numpy",
                  dtype=dtype)
    net.metadata["case"] = "cnn"
    return net


def test_a_layer_of_ones_own_that_cannot_be_copied_trains_as_in_one_thread(two_threads, monkeypatch):
    """The threads' copies of the network are rebuilt from get_config; where that cannot be done
    fit trains in one thread instead of failing with "Cannot copy layer"."""
    def run():
        net = small_cnn(Scaled(3.0))
        net.fit(*data("cnn"), epochs=2, batch_size=BATCH)
        return state(net)

    split, alone = split_and_alone(run, monkeypatch, split_steps=False)
    assert_close(split, alone, tol=0)


def test_attributes_of_ones_own_on_the_network_are_not_copied_for_the_threads(two_threads, monkeypatch):
    """A lock, an open file, a writer kept on the network: fit splits as before and leaves them alone."""
    def run():
        net, _ = named("cnn")
        lock = net.lock = threading.Lock()
        net.fit(*data("cnn"), epochs=2, batch_size=BATCH)
        assert net.lock is lock
        return state(net)

    assert_close(*split_and_alone(run, monkeypatch))


def test_a_layer_setting_changed_by_a_callback_reaches_every_thread(two_threads, monkeypatch):
    """A callback that anneals Dropout's rate and LeakyReLU's slope mid-fit: every thread's rows see the
    new values from the next batch on, as one thread's would."""
    class Anneal(nn.Callback):
        def on_batch_end(self, batch, network):
            network.layers[6].rate = min(0.9, network.layers[6].rate + 0.2)
            network.layers[2].alpha = 0.5

    def run():
        net = small_cnn(nn.LeakyReLU(0.01), dtype="float64")  # rounding 1e-15; a thread left behind: 5e-3
        net.fit(*data("cnn"), epochs=2, batch_size=BATCH, callbacks=[Anneal()], optimizer=nn.SGD(lr=0.5))
        return state(net)

    assert_close(*split_and_alone(run, monkeypatch), tol=1e-9)


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_callback_that_raises_mid_epoch_leaves_the_threads_and_the_next_fit_as_they_were(error, two_threads,
                                                                                              monkeypatch):
    class Raise(nn.Callback):
        def on_batch_end(self, batch, network):
            if batch == 1:
                raise error("from the callback")

    def run():
        net, _ = named("cnn")
        with pytest.raises(error, match="from the callback"):
            net.fit(*data("cnn"), epochs=2, batch_size=BATCH, callbacks=[Raise()])
        assert threads.blas_threads() == 2 and threads.workers() == threads.own_threads(2)
        net.fit(*data("cnn"), epochs=2, batch_size=BATCH)  # continues from the interrupted fit's weights
        return state(net)

    assert_close(*split_and_alone(run, monkeypatch))


def test_copies_predictions_and_rates_taken_mid_fit_are_the_one_thread_ones(two_threads, monkeypatch, tmp_path):
    """on_batch_end deep-copies, pickles, saves, predicts and evaluates; on_epoch_end halves the rate."""
    X, y = data("cnn")

    class Look(nn.Callback):
        def __init__(self):
            self.seen = []

        def on_batch_end(self, batch, network):
            copies = [copy.deepcopy(network), pickle.loads(pickle.dumps(network)),
                      Network.load(network.save(tmp_path / "mid.npz"))]
            self.seen.append([network.predict_proba(X)] + [c.predict_proba(X) for c in copies]
                             + [network.evaluate(X, y)["loss"]])

        def on_epoch_end(self, epoch, logs, network):
            network.optimizer.lr = network.optimizer.lr * 0.5

    def run():
        net, _ = named("cnn")
        look = Look()
        net.fit(X, y, epochs=3, batch_size=BATCH, optimizer=nn.SGD(lr=0.1, momentum=0.9), callbacks=[look],
                validation_data=data("cnn", n=7, seed=1))
        return dict(state(net), seen=look.seen)

    split, alone = split_and_alone(run, monkeypatch)
    assert_close(split, alone)
    for ours, theirs in zip(split["seen"], alone["seen"], strict=True):
        for u, v in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


def test_a_diverged_fit_keeps_its_last_finite_weights_and_the_next_fit_trains_from_them(two_threads, monkeypatch):
    X, y = data("cnn")

    def run():
        net, _ = named("cnn")
        net.fit(X, y, epochs=1, batch_size=BATCH, optimizer=nn.SGD(lr=0.1))
        before = net.get_weights()
        with pytest.raises(DivergenceError):
            net.fit(X * 1e30, y, epochs=2, batch_size=BATCH, optimizer=nn.SGD(lr=1e10))
        for u, v in zip(net.get_weights(), before, strict=True):
            np.testing.assert_array_equal(u, v)
        net.fit(X, y, epochs=2, batch_size=None, optimizer=nn.SGD(lr=0.1))  # full batch too
        return state(net)

    assert_close(*split_and_alone(run, monkeypatch))


def test_limits_taken_at_once_by_two_threads_leave_the_threads_as_they_were(two_threads, monkeypatch):
    """Two fits that split, in two threads (a search over settings run in a thread pool), take the
    cores at about the same time: the second to enter saw the first's one thread, and must not put
    it back when it leaves last (every later fit would run nnscratch's own copies in one thread)."""
    monkeypatch.setattr(threads, "spin_exponent", lambda: threads.SPIN)  # own_threads(2) is 2
    threads.set_threads(2)
    first_in, first_out = threading.Event(), threading.Event()
    second_in, seen = threading.Event(), []

    def first():
        with threads.limited(1):
            first_in.set()
            second_in.wait(30)
        first_out.set()

    other = threading.Thread(target=first)
    other.start()
    first_in.wait(30)
    with threads.limited(1):  # the second, in this thread
        second_in.set()
        first_out.wait(30)
        seen.append(threads.workers())  # still one each: this fit's shards still run
    other.join(30)
    assert seen == [1]
    assert threads.blas_threads() == 2 and threads.workers() == 2
