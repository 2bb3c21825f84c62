"""Issue 9: every ordinary use gives the right number or one clear error.

One test (or a few) per numbered item; each fails on the code before the fix.
"""

import copy
import subprocess
import sys
import warnings

import numpy as np
import pytest

from nnscratch import SGD, Dense, Identity, Network, ReLU, Sigmoid, Softmax, Tanh
from nnscratch.datasets import train_val_split
from nnscratch.errors import ConfigError, DataError, DataWarning


def _separable(rng, n=200):
    X = rng.normal(size=(n, 2)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


# 1. one output unit: a sigmoid by default; a 1-unit softmax or cross-entropy is refused
def test_one_output_unit_defaults_to_sigmoid_and_learns(rng):
    X, y = _separable(rng)
    net = Network.from_sizes(2, 8, 1, seed=0)
    assert isinstance(net.layers[-1], Sigmoid) and net.task == "binary"
    history = net.fit(X, y, epochs=30, optimizer=SGD(lr=0.5))
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert np.mean(net.predict(X) == y) > 0.9


def test_one_unit_softmax_is_refused_naming_the_fix():
    with pytest.raises(ConfigError, match="binary_cross_entropy.*Sigmoid|Sigmoid.*binary_cross_entropy"):
        Network([Dense(2, 1), Softmax()])
    with pytest.raises(ConfigError, match="Softmax over a single unit"):
        Network.from_sizes(2, 4, 1, output="softmax")


def test_cross_entropy_on_one_output_is_refused(rng):
    X, y = _separable(rng, 20)
    net = Network.from_sizes(2, 4, 1, output="identity", seed=0)
    with pytest.raises(ConfigError, match="binary_cross_entropy"):
        net.fit(X, y, loss="cross_entropy")


# 2. binary cross-entropy on logits: classes split at 0
def _logit_net():
    net = Network([Dense(1, 1), Identity()], seed=0, dtype="float64")
    net.set_weights([np.ones((1, 1)), np.zeros(1)])  # logit = x
    X = np.array([[-0.8], [-0.3], [0.1], [0.2], [0.4], [0.9]])
    return net, X, (X[:, 0] > 0).astype(np.int64)  # logits 0.1..0.4 are class 1 although < 0.5


def test_logit_output_with_bce_thresholds_at_zero():
    net, X, y = _logit_net()
    assert net.evaluate(X, y, loss="binary_cross_entropy")["accuracy"] == 1.0
    history = net.fit(X, y, loss="bce", epochs=1, batch_size=None, optimizer=SGD(lr=1e-9))
    assert history["accuracy"] == [1.0]
    assert net.task == "binary"
    np.testing.assert_array_equal(net.predict(X), y)
    assert net.evaluate(X, y)["accuracy"] == 1.0  # the loss fit used is the default afterwards
    np.testing.assert_allclose(net.predict_proba(X)[:, 0], 1 / (1 + np.exp(-X[:, 0])), rtol=1e-6)


# 3. the task: predict returns classes or values; saved with the model
def test_task_follows_output_layer_and_loss(rng):
    assert Network.from_sizes(2, 4, 3).task == "multiclass"
    assert Network.from_sizes(2, 4, 1).task == "binary"
    assert Network.from_sizes(2, 4, 2, output="identity").task == "regression"
    net = Network.from_sizes(2, 4, 3, output="identity", seed=0)
    net.fit(rng.normal(size=(10, 2)), rng.integers(0, 3, 10), loss="mse")
    assert net.task == "multiclass"  # integer labels on several outputs
    net.fit(rng.normal(size=(10, 2)), rng.dirichlet(np.ones(3), 10), loss="cross_entropy")
    assert net.task == "multiclass"
    with pytest.raises(ConfigError, match="task must be one of"):
        net.task = "clustering"


def test_regression_predicts_values_and_reports_no_accuracy(rng):
    X = rng.normal(size=(40, 2))
    y = (3 * X[:, 0] > 0).astype(np.int64) + 2  # integer-valued regression targets (counts 2, 3)
    net = Network.from_sizes(2, 8, 1, output="identity", seed=0, dtype="float64")
    net.fit(X, y, loss="mse", epochs=3)
    assert net.task == "regression"
    pred = net.predict(X)
    assert pred.shape == (40, 1) and pred.dtype == np.float64
    np.testing.assert_array_equal(pred, net.forward(X))
    logs = net.evaluate(X, y)
    assert set(logs) == {"loss", "r2", "mae", "rmse"}
    assert "accuracy" not in net.fit(X, y, loss="sse", epochs=1).history


def test_task_is_saved_and_older_files_derive_it(tmp_path):
    net, X, y = _logit_net()
    net.fit(X, y, loss="bce", epochs=1, batch_size=None, optimizer=SGD(lr=1e-9))
    net.save(tmp_path / "m.npz")
    back = Network.load(tmp_path / "m.npz")
    assert back.task == "binary"
    np.testing.assert_array_equal(back.predict(X), y)
    assert back.evaluate(X, y)["accuracy"] == 1.0
    old = {k: v for k, v in net.get_config().items() if k not in ("task", "loss")}
    assert Network.from_config(old).task == "regression"  # an Identity output with its default loss


# 4. one layer object, one place in one network; check_gradients checks the live network
@pytest.mark.parametrize("layers, says", [
    ([784, 128, 10], r"layers, not layer sizes; got \[784, 128, 10\]\. Build it from sizes with "
                     r"Network\.from_sizes\(784, 128, 10\)"),
    ([], r"non-empty list of layers such as \[Dense.*\]; got an empty list\.$"),
    (Dense(4, 2), r"got one layer, Dense\(n_in=4, n_out=2\); put it in a list: \[Dense\(n_in=4, n_out=2\)\]\.$"),
    ([Dense(4, 2), "relu"], r"got str 'relu' at position 1\.$"),
    ("784,128,10", r"got str '784,128,10'\.$"),
])
def test_what_is_not_a_list_of_layers_is_refused_in_one_line(layers, says):
    with pytest.raises(ConfigError, match=says) as caught:
        Network(layers)
    assert "\n" not in str(caught.value)


def test_a_layer_used_twice_is_refused():
    act = Tanh()
    with pytest.raises(ConfigError, match=r"Layer 3 \(Tanh\(\)\) is the same object as layer 1.*deepcopy"):
        Network([Dense(2, 4), act, Dense(4, 4), act, Dense(4, 1), Sigmoid()])
    Network([Dense(2, 4), act, Dense(4, 4), copy.deepcopy(act), Dense(4, 1), Sigmoid()])


def test_layers_of_a_built_network_are_refused_by_another():
    layers = [Dense(2, 3), Softmax()]
    first = Network(layers, seed=0)
    weights = first.get_weights()
    with pytest.raises(ConfigError, match="already belongs to another Network"):
        Network(layers, seed=1)
    for before, after in zip(weights, first.get_weights()):
        np.testing.assert_array_equal(before, after)
    Network.from_config(first.get_config())  # a copy is fine


def test_check_gradients_checks_the_live_network(rng):
    net = Network.from_sizes(3, 5, 2, seed=0)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    weights = net.get_weights()
    assert net.check_gradients(X, y) < 1e-6
    layer = net.layers[1]
    right = layer.backward
    layer.backward = lambda dy, need_input_grad=True: 2 * right(dy, need_input_grad)  # this instance only
    assert net.check_gradients(X, y) > 1e-2
    assert all(p.value.dtype == np.float32 for p in net.parameters())
    for before, after in zip(weights, net.get_weights()):
        np.testing.assert_array_equal(before, after)


# 5. nothing the user hands in is written
def test_set_weights_copies_and_fit_never_writes_user_arrays(backend, rng):
    X, y = _separable(rng, 30)
    net = Network.from_sizes(2, 4, 2, seed=0, backend=backend)
    mine = [rng.normal(size=w.shape).astype(np.float32) for w in net.get_weights()]
    kept = [w.copy() for w in mine]
    mine[0].setflags(write=False)  # read-only arrays train too
    X_val, y_val = X[:10].copy(), y[:10].copy()
    data = [a.copy() for a in (X, y, X_val, y_val)]
    device = backend.asarray(X)
    device_copy = backend.to_numpy(device)
    net.set_weights(mine)
    net.fit(X, y, epochs=2, validation_data=(X_val, y_val), optimizer=SGD(lr=0.1))
    net.fit(device, y, epochs=1)
    for before, after in zip(kept, mine):
        np.testing.assert_array_equal(before, after)
    for before, after in zip(data, (X, y, X_val, y_val)):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(device_copy, backend.to_numpy(device))
    assert not np.array_equal(net.get_weights()[0], kept[0])  # the copies did train


MMAP_SCRIPT = """
import numpy as np, sys, torch
from nnscratch import Network
d = sys.argv[1]
net = Network.from_sizes(2, 3, 1, seed=0, backend="torch")
for i, w in enumerate(net.get_weights()):
    np.save(f"{d}/{i}.npy", w)
maps = [np.load(f"{d}/{i}.npy", mmap_mode="r") for i in range(4)]
net.set_weights(maps)
X = np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32)
net.fit(X, (X[:, 0] > 0).astype(np.int64), epochs=2)
lin, out = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)
before = [t.detach().clone() for t in (lin.weight, out.weight)]
net.set_weights([lin.weight.T, lin.bias, out.weight.T, out.bias])
net.fit(X, (X[:, 0] > 0).astype(np.int64), epochs=2)
assert all(torch.equal(a, b) for a, b in zip(before, (lin.weight, out.weight)))
np.save(f"{d}/X.npy", X)
X_map = np.load(f"{d}/X.npy", mmap_mode="r")  # memory-mapped data, and data tracked by autograd
net.fit(X_map, (X[:, 0] > 0).astype(np.int64), epochs=1, validation_data=(X_map, (X[:, 0] > 0).astype(np.int64)))
tracked = torch.tensor(X, requires_grad=True)
net.fit(tracked, torch.tensor((X[:, 0] > 0).astype(np.int64)), epochs=1)
assert net.predict(tracked).shape == (16,) and torch.equal(tracked.detach(), torch.tensor(X))
print("ok")
"""


def test_memory_mapped_and_autograd_weights_on_torch(tmp_path):
    """In a subprocess: before the fix, memory-mapped weights crashed the process."""
    pytest.importorskip("torch")
    run = subprocess.run([sys.executable, "-c", MMAP_SCRIPT, str(tmp_path)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


# 8. integer inputs warn once
def test_unscaled_integer_inputs_warn_once(rng):
    X = rng.integers(0, 256, size=(40, 4)).astype(np.uint8)
    y = rng.integers(0, 3, 40)
    net = Network.from_sizes(4, 6, 3, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        net.fit(X, y, epochs=3, validation_data=(X[:10], y[:10]))
        net.fit(X / np.float32(255), y, epochs=1)
        net.fit((X > 127).astype(np.int64), y, epochs=1)  # 0/1 features are fine
    ours = [w for w in caught if issubclass(w.category, DataWarning)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    assert "uint8" in str(ours[0].message) and "255" in str(ours[0].message)
    assert ours[0].filename == __file__


# 9. too little data says so
def test_a_split_that_leaves_no_rows_says_so():
    X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    with pytest.warns(DataWarning, match="holds out no rows"):
        X_tr, _, X_val, _ = train_val_split(X, y, val_fraction=0.1)
    assert len(X_tr) == 5 and len(X_val) == 0
    with pytest.raises(DataError, match="no rows for training"):
        train_val_split(X, y, val_fraction=0.6)


def test_a_batch_larger_than_the_data_says_so(rng):
    X, y = _separable(rng, 5)
    net = Network.from_sizes(2, 3, 2, seed=0)
    with pytest.warns(DataWarning, match="batch_size=64 but the training set has only 5 samples"):
        net.fit(X, y, batch_size=64)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        net.fit(X, y)  # the default batch size on tiny data: no noise
        net.fit(X, y, batch_size=None)
    assert ReLU  # exported
