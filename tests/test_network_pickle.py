"""``pickle`` and ``copy.deepcopy`` of a Network: the same model, whose training goes on as the original's.

A copy holds the config, weights and BatchNorm statistics on the same backend and dtype, the
task and loss of the last fit, metadata, the optimizer with its state (step count, moments,
schedule, lr scale) and the RNG (shuffling, dropout, augmentation): continuing ``fit`` on the
copy gives, bit for bit, what continuing on the original gives.
"""

import copy
import os
import pathlib
import pickle
import subprocess
import sys

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.layers import (BatchNorm, Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D, ReLU, Softmax,
                              Identity)
from nnscratch.losses import MeanSquaredError
from nnscratch.optim.optimizers import SGD
from nnscratch.optim.schedules import Cosine


def _joblib_round_trip(net, tmp_path):
    joblib = pytest.importorskip("joblib")
    joblib.dump(net, tmp_path / "net.joblib")
    return joblib.load(tmp_path / "net.joblib")


COPIERS = {"pickle": lambda net, tmp_path: pickle.loads(pickle.dumps(net)),
           "deepcopy": lambda net, tmp_path: copy.deepcopy(net),
           "joblib": _joblib_round_trip}


def _mlp(backend):
    return nn.Network([Dense(5, 8), BatchNorm(8), ReLU(), Dropout(0.25), Dense(8, 3), Softmax()], seed=3,
                      backend=backend, metadata={"classes": ["a", "b", "c"]})


def _cnn(backend):
    layers = [Conv2D(1, 2, 3, padding="same"), BatchNorm(2), ReLU(), MaxPool2D(2), Flatten(), Dropout(0.2),
              Dense(2 * 3 * 3, 3), Softmax()]
    return nn.Network(layers, seed=4, backend=backend, input_shape=(1, 6, 6))


def _data(net):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, *net.input_shape)).astype(np.float32)
    return X, np.arange(24) % 3


def _jitter(X, y, rng):  # an augmentation drawing from the network's RNG
    return X + rng.normal(scale=0.1, size=X.shape).astype(X.dtype), y


def _fit(net, X, y):
    return net.fit(X, y, epochs=2, batch_size=8, augment=_jitter).history["loss"]


def _assert_same_state(a, b):
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(x, y)
    for name, x in a.get_buffers().items():
        np.testing.assert_array_equal(x, b.get_buffers()[name])


@pytest.mark.parametrize("make", [_mlp, _cnn], ids=["mlp", "cnn"])
@pytest.mark.parametrize("how", list(COPIERS))
def test_a_copy_is_the_same_model_and_trains_on_as_the_original(backend, make, how, tmp_path):
    net = make(backend)
    X, y = _data(net)
    optimizer = SGD(lr=Cosine(0.05, total=40, warmup=2), momentum=0.9)
    net.fit(X, y, epochs=1, batch_size=8, optimizer=optimizer)
    net.optimizer.lr_scale = 0.5  # as ReduceLROnPlateau leaves it
    net.stop_training = True
    clone = COPIERS[how](net, tmp_path)

    assert type(clone) is type(net) and clone is not net
    assert clone.backend == net.backend and clone.dtype == net.dtype
    assert clone.get_config() == net.get_config() and clone.metadata == net.metadata
    assert clone.task == net.task and type(clone.resolve_loss()) is type(net.resolve_loss())
    assert clone.stop_training is True
    opt, other = clone.optimizer, net.optimizer
    assert type(opt) is SGD and opt.get_config() == other.get_config()
    assert (opt.t, opt.state_t, opt.lr_scale, opt.current_lr) == (other.t, other.state_t, other.lr_scale,
                                                                 other.current_lr)
    assert clone.rng.bit_generator.state == net.rng.bit_generator.state
    _assert_same_state(clone, net)
    assert all(net.backend.owns(p.value) for p in clone.parameters() + clone.buffers())
    to_host = net.backend.to_numpy
    np.testing.assert_array_equal(to_host(clone.predict_proba(X)), to_host(net.predict_proba(X)))

    assert _fit(clone, X, y) == _fit(net, X, y)  # shuffling, dropout masks, augmentation, momentum: one run
    _assert_same_state(clone, net)
    assert clone.optimizer.t == net.optimizer.t == 9


def test_a_deep_copy_is_independent_of_the_original(backend):
    net = _mlp(backend)
    X, y = _data(net)
    net.fit(X, y, epochs=1, batch_size=8)
    net.metadata["nested"] = {"names": ["x"]}
    weights, buffers, t = net.get_weights(), net.get_buffers(), net.optimizer.t
    rng_state = net.rng.bit_generator.state
    clone = copy.deepcopy(net)
    clone.fit(X, y, epochs=1, batch_size=8)
    clone.metadata["nested"]["names"].append("y")
    assert any((a != b).any() for a, b in zip(clone.get_weights(), weights))  # the copy did train
    for a, b in zip(net.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    for name, a in net.get_buffers().items():
        np.testing.assert_array_equal(a, buffers[name])
    assert net.optimizer.t == t and net.rng.bit_generator.state == rng_state
    assert net.metadata["nested"] == {"names": ["x"]}
    assert all(layer._network() is clone for layer in clone.layers)


class HalfSquaredError(MeanSquaredError):
    """A loss of one's own (the config names built-in losses only)."""

    def gradient(self, out, y, scale=1.0):
        return super().gradient(out, y, 0.5 * scale)


class Doubled(Layer):
    """A layer of one's own, not registered: ``y = 2x``."""

    def forward(self, x, training=False):
        return 2 * x

    def backward(self, dy, need_input_grad=True):
        return 2 * dy


class WideDense(Dense):
    """A subclass of a built-in layer."""


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_layers_losses_and_attributes_of_ones_own_survive(how, tmp_path):
    net = nn.Network([WideDense(3, 4), Doubled(), ReLU(), Dense(4, 2), Identity()], seed=0, backend="numpy",
                     dtype="float64", init="normal")
    X, y = np.random.default_rng(1).normal(size=(10, 3)), np.random.default_rng(2).normal(size=(10, 2))
    net.fit(X, y, epochs=1, batch_size=5, loss=HalfSquaredError())
    net.notes = {"run": 7}
    clone = COPIERS[how](net, tmp_path)
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in net.layers]
    assert clone.backend.dtype_name == "float64"
    assert type(clone.resolve_loss()) is HalfSquaredError and clone.notes == {"run": 7}
    assert clone.init.get_config() == net.init.get_config() and clone.task == "regression"
    np.testing.assert_array_equal(clone.predict(X), net.predict(X))
    clone.fit(X, y, epochs=1, batch_size=5)
    net.fit(X, y, epochs=1, batch_size=5)
    _assert_same_state(clone, net)


def test_to_keeps_the_loss_and_initialiser_of_ones_own():
    net = nn.Network.from_sizes(3, 4, 2, output=None, seed=0, backend="numpy", init="normal")
    X, y = np.ones((4, 3), dtype=np.float32), np.zeros((4, 2), dtype=np.float32)
    net.fit(X, y, epochs=1, loss=HalfSquaredError())
    moved = net.to("array_api_strict")
    assert type(moved.resolve_loss()) is HalfSquaredError and moved.init.get_config() == net.init.get_config()


def test_a_pickle_of_a_backend_missing_here_says_so_in_one_line():
    pytest.importorskip("torch")
    data = pickle.dumps(nn.Network.from_sizes(3, 4, 2, seed=0, backend="torch:cpu"))
    code = ("import pickle, sys; sys.modules['torch'] = None\n"
            "from nnscratch.errors import BackendUnavailableError\n"
            "try:\n    pickle.loads(sys.stdin.buffer.read())\n"
            "except BackendUnavailableError as exc:\n    print('unavailable:', exc)\n")
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(nn.__file__).parents[1]))  # this tree's nnscratch
    out = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, check=True, env=env).stdout
    line = out.decode().strip()
    assert line.startswith("unavailable: Backend 'torch' is not installed") and "\n" not in line


class _Snapshots(nn.Callback):
    """Keeps ``copy.deepcopy(network)`` after every epoch, the way one keeps the best model in a loop."""

    def __init__(self):
        self.copies = []

    def on_epoch_end(self, epoch, logs, network):
        self.copies.append(copy.deepcopy(network))


def test_snapshots_taken_while_training_leave_the_run_as_it_was():
    X, y = _data(_mlp("numpy"))
    plain, watched, snapshots = _mlp("numpy"), _mlp("numpy"), _Snapshots()
    assert _fit(plain, X, y) == watched.fit(X, y, epochs=2, batch_size=8, augment=_jitter,
                                            callbacks=[snapshots]).history["loss"]
    _assert_same_state(watched, plain)
    _assert_same_state(snapshots.copies[-1], plain)
    assert [c.optimizer.t for c in snapshots.copies] == [3, 6]


class Square(Dense):
    """A subclass whose ``__init__`` differs from its parent's and whose get_config does not say so."""

    def __init__(self, n):
        super().__init__(n, n)


def test_a_layer_its_config_cannot_rebuild_is_named_in_one_line():
    net = nn.Network([Square(3), Dense(3, 2)], seed=0, backend="numpy")
    with pytest.raises(nn.errors.ConfigError, match=r"^Cannot copy layer Square: .*get_config\(\)") as info:
        copy.deepcopy(net)
    assert "\n" not in str(info.value)
