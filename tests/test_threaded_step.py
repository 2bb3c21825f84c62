"""A convolutional network's batches split over threads on NumPy (nnscratch/training/threaded.py):
the model one thread trains, to rounding, on every path ``fit`` takes.

The suite runs with one BLAS thread, where nothing splits; ``two_threads`` sets two (as a
2-core machine runs by default), and ``MIN_ROWS`` is lowered so that the tiny batches of
``tests/test_combinations.py`` split too (3 + 2 rows, and 1 + 1 for the short last batch).
"""

import threading

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import Network
from nnscratch.backend import threads
from nnscratch.training import threaded
from nnscratch.training.step import Step
from test_combinations import BATCH, NETWORKS, assert_same_state, callbacks, data, named, resumable_fit, state

pytestmark = pytest.mark.skipif(threads.blas_info() is None, reason="needs a BLAS threadpoolctl can limit")


@pytest.fixture
def two_threads(monkeypatch):
    """Two BLAS threads (restored after), and shards of one row upwards."""
    before = threads.blas_threads()
    monkeypatch.setattr(threaded, "MIN_ROWS", 1)
    threads.set_threads(2)
    yield
    threads.set_threads(before)


def one_thread(monkeypatch):
    monkeypatch.setattr(threaded, "thread_count", lambda net, comm=None: 1)


SPLIT = [name for name in NETWORKS if name.startswith("cnn")]


def test_only_convolutional_networks_on_numpy_split(two_threads):
    assert threaded.thread_count(named("cnn")[0]) == 2
    assert threaded.thread_count(named("dense")[0]) == 1  # a few large products: the BLAS threads them
    assert threaded.thread_count(named("cnn", backend="array_api_strict")[0]) == 1
    assert threaded.thread_count(named("cnn")[0], comm=type("Comm", (), {"size": 2})()) == 1  # a rank of mpiexec
    assert type(threaded.make_step(named("dense")[0])) is Step


@pytest.mark.parametrize("name", SPLIT)
def test_split_fit_is_the_one_thread_model_to_rounding(name, two_threads, monkeypatch):
    """float64, momentum, validation data, BatchNorm and Dropout: weights, running statistics,
    RNG, losses and predictions as one thread's."""
    def run():
        net = Network(NETWORKS[name][0]()[0], seed=0, backend="numpy", dtype="float64")
        net.metadata["case"] = name
        history = net.fit(*data(name), epochs=3, batch_size=BATCH, optimizer=nn.SGD(lr=0.1, momentum=0.9),
                          validation_data=data(name, n=7, seed=1))
        return net, history

    calls = []
    original = threaded.ThreadedStep.backward
    monkeypatch.setattr(threaded.ThreadedStep, "backward",
                        lambda self, x, Y, scale=1.0: (calls.append(x.shape[0]), original(self, x, Y, scale))[1])
    split, split_history = run()
    assert calls and set(calls) == {5, 2}  # every batch went through the split step
    monkeypatch.undo()
    one_thread(monkeypatch)
    alone, history = run()
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(split_history[key], history[key], rtol=1e-12)
    a, b = state(split), state(alone)
    assert a["rng"] == b["rng"]
    for u, v in zip(a["weights"] + list(a["buffers"].values()) + [a["proba"]],
                    b["weights"] + list(b["buffers"].values()) + [b["proba"]], strict=True):
        np.testing.assert_allclose(u, v, rtol=0, atol=1e-12)


def test_split_leaves_the_blas_threads_as_they_were(two_threads):
    net, _ = named("cnn")
    net.fit(*data("cnn"), epochs=1, batch_size=BATCH)
    assert threads.blas_threads() == 2
    assert threads.workers() == threads.own_threads(2)


@pytest.mark.parametrize("name", SPLIT)
def test_killed_and_resumed_split_run_ends_as_the_uninterrupted_one(name, two_threads, tmp_path):
    """Every resumable option (schedule, clipping, plateau, early stopping with restore_best) with
    the batches split: the resumed run is the uninterrupted one, bit for bit (the same splits)."""
    from test_checkpoint import _Kill as Kill
    reference, options = named(name)
    ref_history = resumable_fit(reference, options, callbacks(False))
    killed, _ = named(name)
    with pytest.raises(KeyboardInterrupt):
        resumable_fit(killed, options, callbacks(False) + [Kill(2)], checkpoint=tmp_path / "run.ckpt")
    resumed, _ = named(name, seed=1)
    history = resumable_fit(resumed, options, callbacks(False), resume=tmp_path / "run.ckpt")
    assert history.epoch == ref_history.epoch
    np.testing.assert_array_equal(history["val_loss"], ref_history["val_loss"])
    assert_same_state(state(resumed), state(reference), grads=False)


@pytest.mark.parametrize("how", ["stream", "augment"])
def test_streamed_and_augmented_split_runs_are_the_one_thread_runs(how, two_threads, monkeypatch):
    X, y = data("cnn", n=20)

    def augment(X, y, rng):
        return np.concatenate([X, X + rng.normal(scale=0.1, size=X.shape).astype(X.dtype)]), np.concatenate([y, y])

    options = {"stream": True} if how == "stream" else {"augment": augment}

    def run():
        net, _ = named("cnn")
        net.fit(X, y, epochs=2, batch_size=6, optimizer=nn.SGD(lr=0.1), **options)
        return state(net)

    split = run()
    one_thread(monkeypatch)
    alone = run()
    assert split["rng"] == alone["rng"]
    for u, v in zip(split["weights"] + [split["proba"]], alone["weights"] + [alone["proba"]], strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)  # float32


def test_a_callback_sees_and_sets_the_weights_the_threads_train(two_threads, monkeypatch):
    """set_weights between batches reaches every thread: the weights are shared, not copied."""
    class Halve(nn.Callback):
        def on_batch_end(self, batch, network):
            if batch == 1:
                network.set_weights([w * 0.5 for w in network.get_weights()])

    def run():
        net, _ = named("cnn")
        net.fit(*data("cnn"), epochs=2, batch_size=BATCH, optimizer=nn.SGD(lr=0.1), callbacks=[Halve()])
        return state(net)

    split = run()
    one_thread(monkeypatch)
    for u, v in zip(split["weights"], run()["weights"], strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


def test_an_error_in_one_thread_is_raised_and_the_next_fit_runs(two_threads, monkeypatch):
    """A thread that fails releases the one waiting for it in BatchNorm's gather: fit raises the
    error (not a hang, not BrokenBarrierError), and the step works again afterwards."""
    net, _ = named("cnn")
    step = threaded.make_step(net)
    replica_conv = step.shards[1].net.layers[1]
    real = replica_conv.forward
    failing = [True]

    def forward(x, training=False):
        if failing[0]:
            raise ValueError("broken on purpose")
        return real(x, training)

    monkeypatch.setattr(replica_conv, "forward", forward)
    step.shards[1]._forwards[1] = forward
    X, y = data("cnn")
    Y = np.eye(3, dtype=np.float32)[y]
    x = net.backend.asarray(X)
    with step.cores(), pytest.raises(ValueError, match="broken on purpose"):
        step.backward(x[:5], Y[:5])
    assert threading.active_count() >= 1
    failing[0] = False
    with step.cores():
        out = step.backward(x[:5], Y[:5])
    assert out.shape == (5, 3)
