"""CNNs as networks: shape checks at build time, training, save/load, exact resume, backends."""

import numpy as np
import pytest

from nnscratch import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, Network, ReLU, Reshape,
                       Softmax)
from nnscratch.errors import ConfigError, ModelFileError, ShapeError


def cnn(backend="numpy", seed=0, **options):
    """Conv-ReLU-BN-pool-dropout, then dense: every new layer in one small network. (BN after
    ReLU: a conv bias right before BN has a zero gradient up to rounding, which Adam would
    blow up into rounding-driven steps.)"""
    return Network([Conv2D(1, 4, 3, padding=1), ReLU(), BatchNorm(4), MaxPool2D(2), Dropout(0.25),
                    Conv2D(4, 6, 3, stride=2), ReLU(), Flatten(), Dense(6 * 2 * 2, 3), Softmax()],
                   input_shape=(1, 10, 10), seed=seed, backend=backend, **options)


def data(n=48):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 1, 10, 10)).astype(np.float32)
    y = (X[:, 0, :5].mean(axis=(1, 2)) > X[:, 0, 5:].mean(axis=(1, 2))).astype(int) + (X[:, 0, 2, 2] > 1)
    return X, y


def test_shapes_are_inferred_and_checked_at_build():
    assert cnn().output_shape == (3,)
    net = Network([Conv2D(1, 16, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(), Dense(16 * 14 * 14, 10)],
                  input_shape=(1, 28, 28))
    assert net.shape_after((1, 28, 28)) == (10,)
    with pytest.raises(ConfigError, match=r"layer 4: .*receives 3136; use Dense\(3136, 10\)"):
        Network([Conv2D(1, 16, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(), Dense(100, 10)],
                input_shape=(1, 28, 28))
    with pytest.raises(ConfigError, match=r"expects 3 input channels but receives 1; use Conv2D\(1, 8"):
        Network([Conv2D(3, 8, 3), Flatten(), Dense(8, 2)], input_shape=(1, 5, 5))
    with pytest.raises(ConfigError, match=r"smaller than its 5x5 kernel"):
        Network([Conv2D(1, 8, 5), Flatten(), Dense(8, 2)], input_shape=(1, 4, 4))
    with pytest.raises(ConfigError, match=r"BatchNorm\(n_features=4.*receives per-sample shape \(8, 3, 3\); use BatchNorm\(8\)"):
        Network([Conv2D(1, 8, 3), BatchNorm(4), Flatten(), Dense(72, 2)], input_shape=(1, 5, 5))
    with pytest.raises(ConfigError, match=r"padding='same' needs stride 1"):
        Conv2D(1, 2, 3, stride=2, padding="same")


def test_without_input_shape_the_check_happens_when_data_arrives():
    net = Network([Conv2D(1, 2, 3), Flatten(), Dense(2 * 3 * 3, 2), Softmax()], seed=0)
    assert net.input_shape == (1, None, None)
    assert net.predict(np.zeros((2, 1, 5, 5))).shape == (2,)
    with pytest.raises(ShapeError, match=r"receives 32; use Dense\(32, 2\)"):
        net.predict(np.zeros((2, 1, 6, 6)))
    with pytest.raises(ShapeError, match=r"must have shape \(n_samples, 1, \?, \?\)"):
        net.predict(np.zeros((2, 25)))


def test_reshape_lets_a_cnn_take_flat_rows():
    net = Network([Reshape((1, 6, 6)), Conv2D(1, 2, 3), Flatten(), Dense(32, 2), Softmax()], seed=0)
    assert net.input_shape == (36,)
    X = np.random.default_rng(0).normal(size=(4, 36))
    np.testing.assert_allclose(net.predict_proba(X), net.layers[1:] and _apply(net.layers[1:], X.reshape(4, 1, 6, 6)),
                               rtol=1e-6)


def _apply(layers, x):
    x = x.astype(np.float32)
    for layer in layers:
        x = layer.forward(x)
    return x


def test_training_learns_and_modes_differ():
    X, y = data()
    net = cnn()
    history = net.fit(X, y, epochs=15, batch_size=16, optimizer="adam")
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    first = net.predict_proba(X)
    np.testing.assert_array_equal(first, net.predict_proba(X))  # predict: no dropout, running statistics
    bn = net.layers[2]
    assert not np.allclose(net.backend.to_numpy(bn.running_var.value), 1.0)


def test_save_load_keeps_running_statistics_across_backends(backend, tmp_path):
    X, y = data()
    net = cnn()
    net.fit(X, y, epochs=2, batch_size=16)
    path = net.save(tmp_path / "cnn.npz")
    loaded = Network.load(path, backend=backend)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in net.layers]
    assert set(net.get_buffers()) == {"2.running_mean", "2.running_var"}
    for name, value in net.get_buffers().items():
        np.testing.assert_array_equal(loaded.get_buffers()[name], value)
    np.testing.assert_allclose(backend.to_numpy(loaded.predict_proba(X)), net.predict_proba(X), rtol=1e-4, atol=1e-6)


def test_a_file_without_running_statistics_still_loads(tmp_path):
    from nnscratch.saving import serialize
    net = cnn()
    path = net.save(tmp_path / "cnn.npz")
    header, arrays = serialize.load_arrays(path)
    old = {k: v for k, v in arrays.items() if "running" not in k}
    serialize.save_arrays(tmp_path / "old.npz", header, old)
    loaded = Network.load(tmp_path / "old.npz")
    np.testing.assert_array_equal(loaded.get_buffers()["2.running_var"], np.ones(4, np.float32))


def test_resume_is_exact_with_dropout_and_batchnorm(backend, tmp_path):
    X, y = data()
    reference = cnn(backend)
    ref = reference.fit(X, y, epochs=4, batch_size=16, validation_data=(X, y))
    first = cnn(backend)
    first.fit(X, y, epochs=2, batch_size=16, validation_data=(X, y), checkpoint=tmp_path / "c.ckpt")
    resumed = cnn(backend, seed=99)  # the checkpoint brings weights, running statistics and the RNG
    history = resumed.fit(X, y, epochs=4, batch_size=16, validation_data=(X, y), resume=tmp_path / "c.ckpt")
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for name, value in reference.get_buffers().items():
        np.testing.assert_allclose(resumed.get_buffers()[name], value, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history["val_loss"], ref["val_loss"], rtol=1e-5)


def test_same_seed_same_run_on_every_backend(backend):
    X, y = data()
    ours = cnn(backend, seed=5)
    reference = cnn("numpy", seed=5)
    for a, b in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    h1 = ours.fit(X, y, epochs=3, batch_size=16)
    h2 = reference.fit(X, y, epochs=3, batch_size=16)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_dropout_masks_change_per_batch_and_follow_the_seed():
    layer_masks = []
    for seed in (1, 1, 2):
        net = Network([Flatten(), Dropout(0.5), Dense(8, 2)], input_shape=(8,), seed=seed)
        x = np.ones((4, 8), np.float32)
        net.layers[1].forward(x, training=True)
        m1 = net.layers[1].mask
        net.layers[1].forward(x, training=True)
        layer_masks.append((m1, net.layers[1].mask))
    assert not np.array_equal(*layer_masks[0])
    np.testing.assert_array_equal(layer_masks[0][0], layer_masks[1][0])
    assert not np.array_equal(layer_masks[0][0], layer_masks[2][0])
    assert set(np.unique(layer_masks[0][0])) == {0.0, 2.0}


def test_layer_configs_round_trip():
    net = Network([Conv2D(1, 2, (3, 2), stride=(2, 1), padding=(1, 0)), AvgPool2D(2, 1),
                   Dropout(0.1), Flatten(), BatchNorm(2 * 3 * 4), Dense(24, 2)], input_shape=(1, 7, 6), seed=0)
    clone = Network.from_config(net.get_config())
    assert [layer.get_config() for layer in clone.layers] == [layer.get_config() for layer in net.layers]
    assert repr(clone.layers[0]) == "Conv2D(in_channels=1, out_channels=2, kernel_size=[3, 2], stride=[2, 1], padding=[1, 0])"


def test_sizes_describe_an_mlp_and_a_cnn_says_what_to_use_instead():
    net = cnn()
    assert net.output_shapes == ((4, 10, 10), (4, 10, 10), (4, 10, 10), (4, 5, 5), (4, 5, 5), (6, 2, 2), (6, 2, 2),
                                 (24,), (3,), (3,))
    assert not net.is_mlp
    with pytest.raises(ConfigError, match=r"sizes lists an MLP's widths.*Conv2D.*net\.output_shapes.*summary\(\)"):
        net.sizes
    flat_images = Network([Flatten(), Dense(784, 16), ReLU(), BatchNorm(16), Dropout(0.2), Dense(16, 10), Softmax()],
                          input_shape=(1, 28, 28))
    assert flat_images.is_mlp and flat_images.sizes == (784, 16, 10)
    assert Network([Conv2D(1, 2, 3), Flatten(), Dense(2 * 3 * 3, 2)], seed=0).output_shapes[0] == (2, None, None)


def test_summary_lists_every_layer_with_its_output_shape_and_parameters():
    lines = []
    cnn().summary(print_fn=lines.append)
    rows = "\n".join(lines).splitlines()
    assert rows[0].split() == ["Layer", "Output", "shape", "Parameters"] and set(rows[1]) == {"-"}
    assert rows[2].split() == ["input", "(1,", "10,", "10)"]
    assert rows[3].split() == ["0", "Conv2D", "(4,", "10,", "10)", "40"]
    assert rows[5].split() == ["2", "BatchNorm", "(4,", "10,", "10)", "8"]
    assert rows[11].split() == ["8", "Dense", "(3,)", "75"]
    assert rows[-1] == "345 parameters (+ 8 running statistics), float32 on numpy"


def test_resuming_another_cnn_is_refused_with_both_architectures(tmp_path):
    X, y = data(16)
    cnn().fit(X, y, epochs=1, batch_size=16, checkpoint=tmp_path / "c.ckpt")
    other = Network([Conv2D(1, 2, 3), ReLU(), Flatten(), Dense(2 * 8 * 8, 3), Softmax()], input_shape=(1, 10, 10))
    with pytest.raises(ModelFileError, match=r"another network \(conv4x3p1,relu,bn,.* on inputs \(1, 10, 10\); "
                                             r"this one is conv2x3,relu,flatten,dense3,softmax on inputs"):
        other.fit(X, y, epochs=2, resume=tmp_path / "c.ckpt")


def test_pooling_before_relu_trains_exactly_as_relu_before_pooling():
    """The default CNN pools before its ReLUs (a quarter of the ReLU work); max and ReLU commute, and
    He initialisation looks past the pooling, so training is bit for bit the same as the usual order."""
    X, y = data()

    def trained(*middle):
        net = Network([Conv2D(1, 4, 3, padding=1), *middle, Flatten(), Dense(4 * 5 * 5, 3), Softmax()],
                      input_shape=(1, 10, 10), seed=5, backend="numpy", dtype="float64")
        net.fit(X, y, epochs=3, batch_size=16)
        return net.get_weights()

    for a, b in zip(trained(ReLU(), MaxPool2D(2)), trained(MaxPool2D(2), ReLU())):
        np.testing.assert_array_equal(a, b)


def test_an_output_size_that_depends_on_an_open_image_size_is_one_clear_error():
    net = Network([Conv2D(1, 4, 3, padding=1), ReLU(), MaxPool2D(2), Conv2D(4, 10, 1), AvgPool2D(14), Flatten(),
                   Softmax()], input_shape=(1, None, None), seed=0)
    X = np.random.default_rng(0).random((8, 1, 28, 28)).astype(np.float32)
    with pytest.raises(ShapeError, match=r"number of outputs depends on the input size.*input_shape=\(1, 28, 28\)"):
        net.fit(X, np.arange(8) % 10, epochs=1, batch_size=4)
