"""Backprop agrees with central finite differences (float64) for every layer,
activation and loss, on every backend."""

import numpy as np
import pytest

from nnscratch import BatchNorm, Conv2D, Dense, Dropout, Flatten, Network, ReLU, Softmax
from nnscratch.layers import ACTIVATIONS, Identity, LeakyReLU, Sigmoid, Tanh
from nnscratch.losses import BinaryCrossEntropy, CrossEntropy, MeanSquaredError, SumSquaredError
from nnscratch.testing import numerical_gradient

CASES = [  # (hidden, output, loss, n_outputs, targets)
    ("relu", "softmax", CrossEntropy(), 3, "labels"),
    ("tanh", "identity", CrossEntropy(), 3, "onehot"),
    ("sigmoid", "sigmoid", BinaryCrossEntropy(), 1, "binary"),
    ("leaky_relu", "identity", BinaryCrossEntropy(), 2, "multilabel"),
    ("tanh", "softmax", MeanSquaredError(), 3, "onehot"),
    ("leaky_relu", "sigmoid", SumSquaredError(), 2, "regression01"),
    ("identity", "tanh", MeanSquaredError(), 2, "regression"),
    ("relu", "identity", SumSquaredError(), 2, "regression"),
]


def make_targets(kind, rng, n, k):
    return {"labels": lambda: rng.integers(0, k, n),
            "onehot": lambda: np.eye(k)[rng.integers(0, k, n)],
            "binary": lambda: rng.integers(0, 2, n),
            "multilabel": lambda: rng.integers(0, 2, (n, k)).astype(float),
            "regression01": lambda: rng.uniform(0, 1, (n, k)),
            "regression": lambda: rng.normal(size=(n, k))}[kind]()


@pytest.mark.parametrize("hidden,output,loss,k,kind", CASES, ids=[f"{c[0]}-{c[1]}-{c[2].name}" for c in CASES])
def test_backprop_matches_finite_differences(any_backend, hidden, output, loss, k, kind, rng):
    net = Network.from_sizes(4, 5, 4, k, hidden=hidden, output=output, seed=3, backend=any_backend)
    X = rng.normal(size=(7, 4))
    y = make_targets(kind, rng, 7, k)
    assert net.check_gradients(X, y, loss=loss, max_entries=40) < 1e-6


def test_check_gradients_catches_a_wrong_derivative(rng, monkeypatch):
    """The checker is not vacuous: break ReLU's derivative and it reports it."""
    net = Network.from_sizes(3, 6, 2, seed=0, dtype="float64")
    monkeypatch.setattr(ReLU, "_df", lambda self, xp, x, y, dy: dy)
    assert net.check_gradients(rng.normal(size=(5, 3)), rng.integers(0, 2, 5)) > 1e-2


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"linear"}))
def test_activation_backward_is_the_jacobian_product(name, rng):
    """Each activation's backward against numerical_gradient of sum(f(x) * w)."""
    from nnscratch.layers import get_activation

    layer = get_activation(name)
    x0, w = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    layer.forward(x0, training=True)
    analytic = layer.backward(w)
    numeric = numerical_gradient(lambda x: float(np.sum(layer.forward(x) * w)), x0)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="before forward"):
        Dense(2, 3).backward(np.ones((1, 3)))
    with pytest.raises(RuntimeError, match="before forward"):
        Softmax().backward(np.ones((1, 3)))


def test_fused_softmax_cross_entropy_gradient_is_p_minus_y_over_n(rng):
    net = Network([Dense(3, 4), Softmax()], seed=0, dtype="float64")
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 4, 6)
    _, grads = net.compute_gradients(X, y)
    p = net.predict_proba(X)
    delta = (p - np.eye(4)[y]) / 6
    np.testing.assert_allclose(grads[0], X.T @ delta, rtol=1e-12)
    np.testing.assert_allclose(grads[1], delta.sum(axis=0), rtol=1e-12, atol=1e-15)


def test_identity_and_others_exported():
    assert {Identity, LeakyReLU, Sigmoid, Tanh}


def _with_batchnorm_and_dropout(kind, backend="numpy"):
    """BN after ReLU, so every parameter has a gradient to resolve (a bias right before BN has
    none: see test_a_bias_just_before_batchnorm_is_checked_against_the_rounding_floor)."""
    if kind == "dense":
        layers = [Dense(4, 6), ReLU(), BatchNorm(6), Dropout(0.3), Dense(6, 3), Softmax()]
        shape = (4,)
    else:
        layers = [Conv2D(1, 2, 3), ReLU(), BatchNorm(2), Dropout(0.3), Flatten(), Dense(2 * 3 * 3, 3), Softmax()]
        shape = (1, 5, 5)
    return Network(layers, input_shape=shape, seed=2, backend=backend), shape


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_check_gradients_checks_batchnorm_and_dropout_as_they_train(any_backend, kind, rng):
    """Finite differences of the training-mode loss (batch statistics, the same dropout masks
    on every evaluation) against backprop; the check leaves no trace on the network."""
    net, shape = _with_batchnorm_and_dropout(kind, any_backend)
    X, y = rng.normal(size=(8, *shape)), rng.integers(0, 3, 8)
    buffers, rng_state, weights = net.get_buffers(), net.rng.bit_generator.state, net.get_weights()
    assert net.check_gradients(X, y) < 1e-6
    after = net.get_buffers()
    for name, value in buffers.items():
        np.testing.assert_array_equal(after[name], value)
        assert after[name].dtype == value.dtype
    assert net.rng.bit_generator.state == rng_state
    for before, now in zip(weights, net.get_weights()):
        np.testing.assert_array_equal(before, now)


def _statistics_taken_as_constants(right):
    """BatchNorm's backward as if the batch mean and variance did not depend on x."""
    def backward(self, dy, need_input_grad=True):
        right(self, dy, need_input_grad)  # the parameter gradients are right
        shape = (1, -1) if dy.ndim == 2 else (1, -1, 1, 1)
        return self._inv * dy * self._xp(dy).reshape(self.gamma.value, shape)
    return backward


@pytest.mark.parametrize("broken", ["dropout without its mask", "batchnorm statistics as constants"])
def test_check_gradients_catches_a_wrong_batchnorm_or_dropout_backward(broken, rng, monkeypatch):
    if broken.startswith("dropout"):
        monkeypatch.setattr(Dropout, "backward", lambda self, dy, need_input_grad=True: dy)
    else:
        monkeypatch.setattr(BatchNorm, "backward", _statistics_taken_as_constants(BatchNorm.backward))
    net, shape = _with_batchnorm_and_dropout("dense")
    assert net.check_gradients(rng.normal(size=(8, *shape)), rng.integers(0, 3, 8)) > 1e-2


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_a_bias_just_before_batchnorm_is_checked_against_the_rounding_floor(kind, rng):
    """Its true gradient is exactly zero (BatchNorm subtracts the batch mean): finite differences give
    rounding noise, about 1e-10, which must read as a tiny error, not as noise over noise (about 1)."""
    if kind == "dense":
        layers, shape = [Dense(4, 6), BatchNorm(6), ReLU(), Dense(6, 3), Softmax()], (4,)
    else:
        layers, shape = [Conv2D(1, 2, 3), BatchNorm(2), ReLU(), Flatten(), Dense(2 * 3 * 3, 3), Softmax()], (1, 5, 5)
    net = Network(layers, input_shape=shape, seed=0, dtype="float64")
    X, y = rng.normal(size=(8, *shape)), rng.integers(0, 3, 8)
    assert net.check_gradients(X, y) < 1e-6


def test_the_rounding_floor_does_not_hide_a_wrong_small_gradient(rng, monkeypatch):
    """A bias gradient of 1e-4 that is 10% wrong still fails the check by far."""
    net = Network([Dense(4, 6), BatchNorm(6), ReLU(), Dense(6, 3), Softmax()], input_shape=(4,), seed=0,
                  dtype="float64")
    right = BatchNorm.backward

    def off_by_a_little(self, dy, need_input_grad=True):
        dx = right(self, dy, need_input_grad)
        return dx + 1e-5  # the Dense bias below gets n * 1e-5 of gradient it should not have
    monkeypatch.setattr(BatchNorm, "backward", off_by_a_little)
    assert net.check_gradients(rng.normal(size=(8, 4)), rng.integers(0, 3, 8)) > 1e-3


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_compute_gradients_leaves_the_model_as_it_was(backend, kind, rng):
    """Issue 20, item 8: compute_gradients moved BatchNorm's running statistics (predict_proba
    moved by 0.145) and advanced the RNG that draws dropout masks. It now runs in the same
    left_as_it_was block as check_gradients."""
    net, shape = _with_batchnorm_and_dropout(kind, backend)
    X, y = rng.normal(size=(8, *shape)), rng.integers(0, 3, 8)
    net.fit(X, y, epochs=1, batch_size=4)
    grads_before = [backend.to_numpy(p.grad).copy() for p in net.parameters()]
    buffers, state, proba = net.get_buffers(), net.rng.bit_generator.state, backend.to_numpy(net.predict_proba(X))
    loss, grads = net.compute_gradients(X, y)
    again, grads_again = net.compute_gradients(X, y)
    assert again == loss  # the same dropout masks: the RNG was put back
    for a, b in zip(grads, grads_again):
        np.testing.assert_array_equal(backend.to_numpy(a), backend.to_numpy(b))
    assert net.rng.bit_generator.state == state
    for name, value in buffers.items():
        np.testing.assert_array_equal(net.get_buffers()[name], value)
    np.testing.assert_array_equal(backend.to_numpy(net.predict_proba(X)), proba)
    for before, p in zip(grads_before, net.parameters()):
        np.testing.assert_array_equal(backend.to_numpy(p.grad), before)
