"""Layers where they meet the other features: copies of built layers, layers used before they are
built, a predict between a training forward and its backward, Conv2D's padding names and settings
given as NumPy integers."""

import copy
import json
import pickle

import numpy as np
import pytest

from nnscratch import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, Glorot, He, LeakyReLU, MaxPool2D, Network,
                       ReLU, Reshape, Sigmoid, Softmax)
from nnscratch.errors import ConfigError, DataError, ShapeError
from nnscratch.layers.initializers import Initializer


def _host(net, a):
    return np.asarray(net.backend.to_numpy(a))


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda layer: pickle.loads(pickle.dumps(layer))],
                         ids=["deepcopy", "pickle"])
def test_a_built_layer_copies_with_its_weights_and_belongs_to_no_network(backend, copier):
    net = Network([Conv2D(1, 2, 3), BatchNorm(2), ReLU(), MaxPool2D(2), Dropout(0.3), Flatten(), Dense(8, 2)],
                  input_shape=(1, 6, 6), seed=0, backend=backend)
    x = backend.asarray(np.random.default_rng(0).normal(size=(3, 1, 6, 6)), dtype=backend.dtype)
    for layer in net.layers:
        twin = copier(layer)  # was TypeError: cannot pickle 'module' object
        y = layer.forward(x)
        assert np.array_equal(_host(net, twin.forward(x)), _host(net, y))
        twin.forward(x, training=True)
        twin.backward(twin.forward(x, training=True))
        for mine, theirs in zip(layer.params, twin.params):
            assert not theirs.bound
            kept = _host(net, mine.value).copy()
            theirs.value = theirs.value + 1  # the copy's weights are its own
            assert np.array_equal(_host(net, mine.value), kept)
        x = y
    again = Network([copy.deepcopy(layer) for layer in net.layers], input_shape=(1, 6, 6), seed=1, backend=backend)
    assert [type(layer) for layer in again.layers] == [type(layer) for layer in net.layers]


def test_from_sizes_takes_an_activation_of_a_built_network():
    net = Network.from_sizes(3, 4, 2, hidden=LeakyReLU(0.2), seed=0)
    other = Network.from_sizes(3, 5, 2, hidden=net.layers[1], output=net.layers[3], seed=0)  # was TypeError
    assert repr(other.layers[1]) == "LeakyReLU(alpha=0.2)" and isinstance(other.layers[3], Softmax)


@pytest.mark.parametrize("layer, x, name", [(Dense(3, 2), np.ones((2, 3)), "weight"),
                                            (Conv2D(1, 2, 3), np.ones((2, 1, 4, 4)), "weight"),
                                            (BatchNorm(2), np.ones((3, 2)), "running_mean")])
def test_a_layer_not_built_says_how_to_build_it(layer, x, name):
    for training in (False, True):
        with pytest.raises(AttributeError, match=rf"has no {name} yet: .*Network\(\[{type(layer).__name__}"
                                                 r"\(\.\.\.\), \.\.\.\]\).*layer\.build\(") as info:
            layer.forward(x, training=training)
        assert "\n" not in str(info.value)
    assert not hasattr(layer, "bias") and getattr(layer, "gamma", None) is None  # still an AttributeError


@pytest.mark.parametrize("pool", [lambda: AvgPool2D(2), lambda: MaxPool2D(2), lambda: AvgPool2D((2, 3), stride=1)])
def test_a_predict_between_forward_and_backward_leaves_the_gradient_alone(pool):
    x = np.random.default_rng(0).normal(size=(2, 1, 4, 6))
    grads = []
    for predict_between in (False, True):
        net = Network([Conv2D(1, 1, 1), pool(), Dropout(0.5)], input_shape=(1, None, None), seed=0, dtype="float64")
        pooling, drop = net.layers[1:]
        y = drop.forward(pooling.forward(x, training=True), training=True)
        if predict_between:  # on another size: AvgPool2D's gradient took that size, Dropout lost its mask
            net.predict(np.ones((3, 1, 8, 10)))
        grads.append(pooling.backward(drop.backward(np.ones_like(y))))
    assert grads[1].shape == x.shape
    np.testing.assert_array_equal(grads[1], grads[0])


def test_conv2d_padding_names():
    assert Conv2D(1, 2, 3, padding="SAME").padding == "same"
    assert Conv2D(1, 2, 3, padding="Valid").padding == (0, 0)
    with pytest.raises(ConfigError, match=r"padding must be 'same', 'valid', an int >= 0 or a pair of them.*"
                                          r"got 'full'\.$"):
        Conv2D(1, 2, 3, padding="full")
    with pytest.raises(ConfigError, match="padding='same' needs stride 1"):
        Conv2D(1, 2, 3, stride=2, padding="SAME")


def test_conv2d_channels_given_as_a_numpy_integer_keep_the_config_json():
    net = Network([Conv2D(np.int64(1), 2, 3), ReLU()])
    assert net.input_shape == (1, None, None) and type(net.input_shape[0]) is int
    assert json.loads(json.dumps(net.get_config()))["input_shape"] == [1, None, None]


def test_an_initializer_class_is_made_with_its_defaults():
    net = Network([Dense(3, 4, init=He), ReLU(), Dense(4, 2)], init=Glorot, seed=0)  # TypeError: He() takes no ...
    assert net.layers[0].get_config()["init"] == {"name": "he"} and net.get_config()["init"] == {"name": "glorot"}
    same = Network([Dense(3, 4, init=He()), ReLU(), Dense(4, 2)], init=Glorot(), seed=0)
    for a, b in zip(net.get_weights(), same.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("layer, init, got", [
    (Dense(3, 4), lambda rng, n_in, n_out: (np.ones((n_out, n_in)), None), r"a pair shaped \(\(4, 3\), None\)"),
    (Dense(2, 4), lambda rng, n_in, n_out: rng.normal(size=(n_in, n_out)), r"an array of shape \(2, 4\)"),
    (Dense(3, 4), lambda rng, n_in, n_out: (np.ones((n_in, n_out)), np.ones(3)), r"a pair shaped \(\(3, 4\), \(3,\)\)"),
    (Conv2D(1, 2, 2), lambda rng, n_in, n_out: (np.ones((n_in + 1, n_out)), None), r"a pair shaped \(\(5, 2\), None\)"),
])
def test_an_initializer_of_ones_own_that_returns_other_shapes_is_one_config_error(layer, init, got):
    layer.init = init  # what Dense(..., init=function) keeps
    with pytest.raises(ConfigError, match=rf"^The initializer of {type(layer).__name__}\(.*\) returned {got}; "
                                          r"init\(rng, n_in=\d, n_out=\d\) must return \(weights of shape"):
        Network([layer, Flatten(), Dense(2, 2)] if isinstance(layer, Conv2D) else [layer, Dense(4, 2)],
                input_shape=(1, 2, 2) if isinstance(layer, Conv2D) else None, seed=0)
    layer.init = lambda rng, n_in, n_out: (rng.normal(size=(n_in, n_out)), None)
    Network([layer, Flatten(), Dense(2, 2)] if isinstance(layer, Conv2D) else [layer, Dense(4, 2)],
            input_shape=(1, 2, 2) if isinstance(layer, Conv2D) else None, seed=0)  # the shapes it asks for build


def test_an_init_dict_without_a_name_says_so():
    with pytest.raises(ConfigError, match=r"An init dict names its initializer, e.g. \{'name': 'normal'"):
        Dense(3, 4, init={"std": 0.1})


@pytest.mark.parametrize("config, said", [
    ({"type": "Dense", "n_in": 3}, r"^The layer config \{'type': 'Dense', 'n_in': 3\} does not rebuild a Dense "
                                   r"\(.*missing 1 required positional argument: 'n_out'\); Dense takes n_in, n_out, "
                                   r"init\.$"),
    ({"type": "Dense", "n_in": 3, "n_out": 2, "units": 4}, r"unexpected keyword argument 'units'.*takes n_in, n_out"),
    ({"type": "ReLU", "alpha": 0.1}, r"does not rebuild a ReLU .*; ReLU takes no arguments\.$"),
    ("Dense", r"^A layer config is a dict as Layer\.get_config\(\) returns, .*; got 'Dense'\.$"),
])
def test_a_layer_config_that_does_not_rebuild_is_one_config_error(config, said):
    from nnscratch.layers import layer_from_config
    with pytest.raises(ConfigError, match=said):  # was TypeError (or ValueError: 'dictionary update sequence')
        layer_from_config(config)
    if isinstance(config, dict):
        with pytest.raises(ConfigError, match=said):
            Network.from_config({"layers": [config]})


@pytest.mark.parametrize("make, words", [
    (lambda: Dense(units=10), r"^Dense\(\) got an unexpected keyword argument 'units': nnscratch's Dense takes both "
                              r"sizes: Dense\(n_in, n_out\)"),
    (lambda: Dense(3, 4, activation="relu"), r"'activation': put the activation after it as a layer of its own"),
    (lambda: Conv2D(filters=16, kernel_size=3), r"^Conv2D\(\) got .* 'filters': nnscratch calls it out_channels="),
    (lambda: MaxPool2D(pool_size=2), r"^MaxPool2D\(\) got .* 'pool_size': nnscratch calls it kernel_size="),
    (lambda: AvgPool2D(2, strides=2), r"^AvgPool2D\(\) got .* 'strides': nnscratch calls it stride="),
    (lambda: Dropout(p=0.5), r"^Dropout\(\) got .* 'p': nnscratch calls it rate="),
    (lambda: LeakyReLU(negative_slope=0.2), r"'negative_slope': nnscratch calls it alpha="),
    (lambda: BatchNorm(num_features=3), r"'num_features': nnscratch calls it n_features="),
    (lambda: Reshape(target_shape=(1, 2)), r"'target_shape': nnscratch calls it shape="),
    (lambda: Dense(3, 4, int="he"), r"'int'; did you mean init=\?$"),
])
def test_a_layer_argument_spelled_the_keras_or_pytorch_way_says_what_nnscratch_calls_it(make, words):
    with pytest.raises(ConfigError, match=words) as info:  # was TypeError: "... unexpected keyword argument 'p'"
        make()
    assert isinstance(info.value, TypeError) and "\n" not in str(info.value)


def test_get_activation_takes_an_activation_class():
    from nnscratch.layers import Tanh, get_activation
    assert isinstance(get_activation(Tanh), Tanh)  # was "Unknown activation <class '...Tanh'>"
    assert repr(get_activation(LeakyReLU)) == "LeakyReLU(alpha=0.01)"
    with pytest.raises(ConfigError, match="Unknown activation"):
        get_activation(Dense)


def test_a_parameter_of_a_network_refuses_another_shape_or_library(backend):
    net = Network([Dense(3, 2), Softmax()], seed=0, backend=backend)
    weight = net.layers[0].weight
    kept = _host(net, weight.value).copy()
    for wrong in (np.ones(2, np.float32), np.ones((2, 3), np.float32)):  # NumPy broadcast the (2,) into each row
        with pytest.raises(ShapeError, match=r"^Parameter '0.weight' is \(3, 2\); got an array of shape \(\d(, 3)?,?\)\. "
                                             r"Assign one of its shape, or set them all with net.set_weights"):
            weight.value = backend.asarray(wrong, dtype=backend.dtype)
    np.testing.assert_array_equal(_host(net, weight.value), kept)
    weight.value = backend.asarray(np.ones((3, 2)), dtype=backend.dtype)
    weight.value = 0.5  # a scalar fills it
    np.testing.assert_array_equal(_host(net, weight.value), np.full((3, 2), 0.5, np.float32))
    if backend.name != "numpy":
        with pytest.raises(DataError, match=r"^Parameter '0.weight' takes an array of its network's backend; got "
                                            r"numpy.ndarray .*Convert it with net.backend.asarray\(x\)"):
            weight.value = np.ones((3, 2), np.float32)  # was torch's TypeError, array-api-strict's 'mismatched devices'


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_keeps_its_relative_precision_in_the_tails(any_backend, dtype):
    if dtype == "float64" and not any_backend.has_float64:
        pytest.skip(f"{any_backend} has no float64")
    torch = pytest.importorskip("torch")
    net = Network([Dense(1, 1), Sigmoid()], seed=0, backend=any_backend, dtype=dtype)
    x = np.array([[30.0], [5.0], [0.0], [-5.0], [-10.0], [-15.0], [-20.0], [-40.0], [-80.0]], dtype=dtype)
    x = x[:-2] if dtype == "float32" else x  # float32 ends near 1e-38
    ours = _host(net, net.layers[1].forward(any_backend.asarray(x, dtype=any_backend.dtype)))
    expected = torch.sigmoid(torch.tensor(x, dtype=torch.float64)).numpy()
    # was (tanh(x/2) + 1) / 2: 2.6% off at -15 in float32, 0.0 from -17 (float32) or -37 (float64) down
    np.testing.assert_allclose(ours, expected, rtol=8 * np.finfo(dtype).eps, atol=0)
    big = any_backend.asarray(np.array([[-1e30], [-1e4]], dtype), dtype=any_backend.dtype)
    tiny = _host(net, net.layers[1].forward(big))
    assert np.all(tiny > 0) and np.all(tiny < 1e-37) and np.all(np.isfinite(tiny))  # no overflow, no 0 or nan


class _Tenths(Initializer):
    """An initializer of one's own: every weight 0.1."""

    name = "tenths"

    def weights(self, rng, n_in, n_out):
        return np.full((n_in, n_out), 0.1)


def test_a_model_with_an_initializer_of_ones_own_saves_loads_and_copies(tmp_path):
    net = Network([Conv2D(1, 2, 3, init=_Tenths()), Flatten(), Dense(8, 3, init=_Tenths()), Softmax()],
                  input_shape=(1, 4, 4), seed=0)
    assert "init" not in net.get_config()["layers"][0]  # was {'name': 'tenths'}, which nothing rebuilds
    path = net.save(tmp_path / "m.npz")  # Network.load: ModelFileError "... the file is damaged"
    for twin in (Network.load(path), copy.deepcopy(net), pickle.loads(pickle.dumps(net))):  # ConfigError
        for a, b in zip(net.get_weights(), twin.get_weights()):
            np.testing.assert_array_equal(a, b)
    assert Network.from_config(net.get_config()).get_config() == net.get_config()
    assert net.layers[0].weight.value[0, 0, 0, 0] == np.float32(0.1)


def test_a_network_with_an_initializer_of_ones_own_saves_and_loads(tmp_path):
    """Network(init=...) of one's own: its name rebuilt nothing, so the saved file was called damaged;
    the network's config now keeps only a built-in initialiser (the weights hold what it drew)."""
    net = Network.from_sizes(3, 4, 2, init=_Tenths(), seed=0)
    assert "init" not in net.get_config()
    net.save(tmp_path / "m.npz")
    loaded = Network.load(tmp_path / "m.npz")
    X = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
