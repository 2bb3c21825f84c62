"""Building, running, training, saving: the Network API on every backend."""

import json

import numpy as np
import pytest

import nnscratch
from nnscratch import Callback, Dense, History, Network, ReLU, Sigmoid, Softmax, Uniform
from nnscratch.errors import ConfigError


def blobs(rng, n=120, k=3, d=4):
    centers = rng.normal(scale=4.0, size=(k, d))
    y = rng.integers(0, k, n)
    return (centers[y] + rng.normal(size=(n, d))).astype(np.float32), y


def test_from_sizes_builds_dense_and_activations():
    net = Network.from_sizes(784, 128, 64, 10, hidden="relu", output="softmax", seed=0)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Dense", "ReLU", "Dense", "ReLU", "Dense", "Softmax"]
    assert net.sizes == (784, 128, 64, 10)
    assert [p.name for p in net.parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert tuple(net.parameters()[0].value.shape) == (784, 128)


def test_default_init_he_for_relu_glorot_otherwise():
    net = Network.from_sizes(400, 300, 10, seed=0)
    he, glorot = net.get_weights()[0], net.get_weights()[2]
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.05)
    assert np.abs(glorot).max() <= np.sqrt(6 / 310) and glorot.std() == pytest.approx(np.sqrt(2 / 310), rel=0.1)


def test_per_network_and_per_layer_initialisers():
    net = Network([Dense(3, 4, init=Uniform(0.05, biases=True)), ReLU(), Dense(4, 2), Softmax()],
                  init="normal", seed=0)
    w0, b0, w1, _ = net.get_weights()
    assert np.abs(w0).max() <= 0.05 and np.abs(b0).max() <= 0.05 and np.any(b0 != 0)
    assert np.abs(w1).max() > 0.3   # standard normal (seed 004)


def test_bad_construction_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"do not chain at layer 2.*Dense\(4, 2\)"):
        Network([Dense(3, 4), ReLU(), Dense(5, 2)])
    with pytest.raises(ConfigError, match="at least an input and an output"):
        Network.from_sizes(3)
    with pytest.raises(ConfigError, match="Unknown activation 'relu6'"):
        Network.from_sizes(3, 2, hidden="relu6")
    with pytest.raises(ConfigError, match="positive integer"):
        Dense(0, 3)
    with pytest.raises(ConfigError, match="Unknown initializer"):
        Network.from_sizes(3, 2, init="orthogonal")



def test_numpy_scalars_build_layers_and_optimizers_that_save(tmp_path):
    """Sizes and rates computed with NumPy (np.prod(shape), an array of sizes) are accepted and
    kept as plain numbers, so the model's config is JSON and the file saves."""
    i = np.int64
    net = Network([nnscratch.Reshape((i(1), i(4), i(4))), nnscratch.Conv2D(i(1), i(2), i(3), padding=i(1)),
                   nnscratch.BatchNorm(i(2)), nnscratch.MaxPool2D(i(2)), nnscratch.Dropout(np.float32(0.25)),
                   nnscratch.Flatten(), Dense(np.prod((2, 2, 2)), i(3)), Softmax()], input_shape=(i(16),), seed=0)
    X = np.random.default_rng(0).normal(size=(12, 16)).astype(np.float32)
    net.fit(X, np.arange(12) % 3, epochs=1, optimizer=nnscratch.SGD(lr=np.float32(0.1)))
    assert Network.load(net.save(tmp_path / "m.npz")).get_config()["layers"] == net.get_config()["layers"]
    assert Network.from_sizes(*np.array([4, 8, 3]), seed=0).sizes == (4, 8, 3)
    assert type(net.layers[1].kernel_size[0]) is int and type(net.optimizer.lr) is float


@pytest.mark.parametrize("seed", ["a", -1, 1.5, True])
def test_a_bad_seed_is_a_clear_error(seed):
    with pytest.raises(ConfigError, match=r"seed must be a non-negative integer.*got"):
        Network.from_sizes(3, 2, seed=seed)


def test_a_numpy_seed_is_kept_as_a_plain_int_and_saves(tmp_path):
    net = Network.from_sizes(3, 2, seed=np.int64(7))
    assert type(net.seed) is int and Network.load(net.save(tmp_path / "m.npz")).seed == 7
    assert all((a == b).all() for a, b in zip(net.get_weights(), Network.from_sizes(3, 2, seed=7).get_weights()))


def test_same_seed_same_initial_weights_on_every_backend(backend):
    ref = Network.from_sizes(5, 7, 3, seed=42, backend="numpy").get_weights()
    got = Network.from_sizes(5, 7, 3, seed=42, backend=backend).get_weights()
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)


def test_same_seed_same_losses_on_every_backend(backend, rng):
    X, y = blobs(rng)
    def run(b):
        net = Network.from_sizes(4, 16, 3, seed=5, backend=b)
        return net.fit(X, y, epochs=4, batch_size=16, optimizer="momentum").history["loss"]
    np.testing.assert_allclose(run(backend), run("numpy"), rtol=1e-5)


def test_forward_return_all_gives_z_and_activations(backend, rng):
    net = Network.from_sizes(4, 6, 3, seed=0, backend=backend)
    X = rng.normal(size=(5, 4))
    outs = net.forward(X, return_all=True)
    z1, a1, z2, p = (backend.to_numpy(o) for o in outs)
    w = net.get_weights()
    np.testing.assert_allclose(z1, X.astype(np.float32) @ w[0] + w[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a1, np.maximum(z1, 0))
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    assert backend.owns(outs[-1])


def test_predict_evaluate_and_device_inputs(backend, rng):
    X, y = blobs(rng)
    net = Network.from_sizes(4, 16, 3, seed=1, backend=backend)
    net.fit(backend.asarray(X), backend.asarray(y), epochs=30, batch_size=32, optimizer=nnscratch.Adam(lr=0.01))
    classes = backend.to_numpy(net.predict(X))
    assert (classes == y).mean() > 0.95
    result = net.evaluate(X, y)
    assert set(result) == {"loss", "accuracy"} and result["accuracy"] == pytest.approx((classes == y).mean())
    assert backend.to_numpy(net.predict_proba(X)).shape == (len(X), 3)


@pytest.mark.parametrize("batch_size", [0, -5, 2.5, "32"])
def test_evaluate_refuses_a_bad_batch_size_in_one_line(batch_size, rng):
    X, y = blobs(rng, n=20)
    with pytest.raises(ConfigError, match=r"batch_size must be a positive integer.*got"):
        Network.from_sizes(4, 8, 3, seed=0).evaluate(X, y, batch_size=batch_size)


def test_full_batch_and_per_sample_training(rng):
    X, y = blobs(rng, n=40)
    full = Network.from_sizes(4, 8, 3, seed=0).fit(X, y, epochs=3, batch_size=None, optimizer="sgd")
    single = Network.from_sizes(4, 8, 3, seed=0).fit(X, y, epochs=3, batch_size=1, optimizer="sgd")
    assert single.history["loss"][-1] < full.history["loss"][-1]


def test_history_validation_and_json(tmp_path, rng):
    X, y = blobs(rng)
    net = Network.from_sizes(4, 8, 3, seed=0)
    history = net.fit(X[:90], y[:90], epochs=3, validation_data=(X[90:], y[90:]))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert history.epoch == [0, 1, 2] and len(history["val_accuracy"]) == 3
    path = tmp_path / "history.json"
    history.to_json(path)
    again = History.from_json(path)
    assert again.history == json.loads(history.to_json())["history"] and again.params["loss"] == "cross_entropy"


def test_callbacks_run_per_epoch_and_can_stop(rng):
    X, y = blobs(rng)

    class StopAtTwo(Callback):
        def __init__(self):
            self.seen = []

        def on_epoch_end(self, epoch, logs, network):
            self.seen.append(round(logs["loss"], 6))
            network.stop_training = epoch == 1

    cb = StopAtTwo()
    history = Network.from_sizes(4, 8, 3, seed=0).fit(X, y, epochs=10, callbacks=[cb])
    assert len(cb.seen) == 2 and cb.seen == [round(v, 6) for v in history.history["loss"]]



def test_one_callback_alone_is_taken_and_a_wrong_one_is_a_clear_error(rng):
    X, y = blobs(rng, n=30)
    net = Network.from_sizes(4, 8, 3, seed=0)
    stop = nnscratch.EarlyStopping(patience=1, monitor="accuracy", min_delta=1.0)  # never improves enough
    assert net.fit(X, y, epochs=10, callbacks=stop).epoch == [0, 1]  # as Keras: not only in a list
    for wrong, fix in ((nnscratch.EarlyStopping, r"pass an instance, EarlyStopping\(\)"),
                       (lambda *args: None, "subclass nnscratch.Callback"), ("early", "subclass")):
        with pytest.raises(ConfigError, match=rf"callbacks must be a list of Callback objects.*got .*; {fix}"):
            net.fit(X, y, epochs=1, callbacks=[wrong])


def test_training_continues_with_the_same_optimizer(rng):
    X, y = blobs(rng)
    net = Network.from_sizes(4, 8, 3, seed=0)
    net.fit(X, y, epochs=1)
    first = net.optimizer
    net.fit(X, y, epochs=1)
    assert net.optimizer is first and first.t == 2 * int(np.ceil(len(X) / 32))


@pytest.mark.parametrize("target", ["numpy", "array_api_strict:device1", "torch:cpu"])
def test_save_load_round_trip_across_backends(backend, target, tmp_path, rng):
    if target.startswith("torch"):
        pytest.importorskip("torch")
    X, y = blobs(rng)
    net = Network([Dense(4, 6), Sigmoid(), Dense(6, 3), Softmax()], seed=3, backend=backend)
    net.fit(X, y, epochs=2)
    path = tmp_path / "model.npz"
    net.save(path)
    loaded = Network.load(path, backend=target)
    assert str(loaded.backend).startswith(target.split(":")[0])
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in net.layers]
    for a, b in zip(net.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(loaded.backend.to_numpy(loaded.predict_proba(X)),
                               backend.to_numpy(net.predict_proba(X)), rtol=1e-5, atol=1e-6)


def test_model_file_has_no_pickle(tmp_path):
    path = tmp_path / "m.npz"
    Network.from_sizes(2, 3, 1, seed=0).save(path)
    with np.load(path, allow_pickle=False) as data:
        assert all(data[k].dtype != object for k in data.files)


def test_to_copies_between_backends_and_dtypes(backend):
    net = Network.from_sizes(3, 4, 2, seed=0)
    moved = net.to(backend)
    assert moved.backend.name == backend.name and moved.dtype == backend.xp.float32
    moved.parameters()[0].value += 1.0
    assert not np.allclose(net.get_weights()[0], moved.get_weights()[0])
    assert net.to(dtype="float64").backend.dtype_name == "float64"


def test_augment_draws_fresh_data_each_epoch_and_resumes_exactly(tmp_path, rng):
    X, y = blobs(rng)
    calls = []

    def jitter(X, y, r):
        calls.append(len(X))
        return X + r.normal(scale=0.3, size=X.shape).astype(np.float32), y

    full = Network.from_sizes(4, 8, 3, seed=0)
    full.fit(X, y, epochs=4, augment=jitter)
    assert calls == [len(X)] * 4
    plain = Network.from_sizes(4, 8, 3, seed=0)
    plain.fit(X, y, epochs=4)
    assert not np.allclose(plain.get_weights()[0], full.get_weights()[0])

    ckpt = tmp_path / "run.ckpt"
    Network.from_sizes(4, 8, 3, seed=0).fit(X, y, epochs=2, augment=jitter, checkpoint=ckpt)
    resumed = Network.from_sizes(4, 8, 3, seed=0)
    resumed.fit(X, y, epochs=4, augment=jitter, checkpoint=ckpt, resume=ckpt)
    for a, b in zip(full.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
