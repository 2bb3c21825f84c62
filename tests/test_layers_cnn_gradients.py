"""Finite-difference gradient checks (float64) for the CNN layers, on every backend.

Each layer is checked on its own: the loss is ``sum(layer(x) * R)`` for a fixed
random ``R``, so ``dL/dy = R``; the input gradient and every parameter gradient
from ``backward`` must match central differences to a relative error < 1e-6.
"""

import numpy as np
import pytest

from nnscratch import AvgPool2D, BatchNorm, Conv2D, Dropout, Flatten, MaxPool2D, Reshape
from nnscratch.testing import numerical_gradient
from nnscratch.layers.initializers import He


def rel_error(a, b):
    a, b = np.ravel(a), np.ravel(b)
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale else 0.0


def build(layer, backend):
    layer.build(backend, np.random.default_rng(0), He(), 0)
    if layer.params:  # nonzero biases, so their gradients matter too
        for p in layer.params:
            p.value = backend.asarray(np.random.default_rng(5).normal(size=tuple(p.value.shape)), dtype="float64")
    return layer


def check_layer(layer, backend, x, reset=lambda: None, eps=1e-6):
    """Worst relative error over dL/dx and every dL/dparam."""
    xp = backend.xp
    x = np.asarray(x, dtype=np.float64)
    reset()
    y = layer.forward(backend.asarray(x, dtype="float64"), training=True)
    R = np.random.default_rng(1).normal(size=tuple(y.shape))
    Rd = backend.asarray(R, dtype="float64")
    dx = backend.to_numpy(layer.backward(Rd))
    grads = [backend.to_numpy(p.grad) for p in layer.params]

    def loss(xh):
        reset()
        return float(xp.sum(layer.forward(backend.asarray(xh, dtype="float64"), training=True) * Rd))

    errors = [compare(dx, loss, x, eps)]
    for p, grad in zip(layer.params, grads):
        host = backend.to_numpy(p.value)

        def loss_p(value, p=p):
            p.value = backend.asarray(value, dtype="float64")
            return loss(x)

        errors.append(compare(grad, loss_p, host, eps))
        p.value = backend.asarray(host, dtype="float64")
    return max(errors)


def numeric(f, x, eps, max_entries=20):
    """Central differences of ``f`` at up to ``max_entries`` entries of ``x`` (a seeded
    sample): ``(flat indices, values)``."""
    picks = np.random.default_rng(9).permutation(np.size(x))[:max_entries]
    return picks, numerical_gradient(f, x, eps, entries=picks)


def compare(analytic, f, x, eps):
    picks, values = numeric(f, x, eps)
    return rel_error(np.ravel(analytic)[picks], values)


def f64(backend):
    if not backend.has_float64:
        pytest.skip(f"{backend} has no float64")
    return backend.with_dtype("float64")


CONVS = {
    "k3-p1": dict(kernel_size=3, padding=1),
    "k3x2-s2x1-p1x0": dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
    "k2x4-same": dict(kernel_size=(2, 4), padding="same"),
    "k3-s3-p2": dict(kernel_size=3, stride=3, padding=2),
}


@pytest.mark.parametrize("options", CONVS.values(), ids=CONVS.keys())
def test_conv2d_gradients(backend, options):
    backend = f64(backend)
    x = np.random.default_rng(2).normal(size=(2, 3, 7, 6))
    assert check_layer(build(Conv2D(3, 2, **options), backend), backend, x) < 1e-6


POOLS = {"k2": dict(kernel_size=2), "k3-s2": dict(kernel_size=3, stride=2),
         "k2x3-s1x2": dict(kernel_size=(2, 3), stride=(1, 2)), "k3-s1": dict(kernel_size=3, stride=1)}


@pytest.mark.parametrize("kind", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("options", POOLS.values(), ids=POOLS.keys())
def test_pool_gradients(backend, kind, options):
    backend = f64(backend)
    x = np.random.default_rng(3).normal(size=(2, 2, 7, 6))  # odd sizes: floor mode drops the last row
    assert check_layer(build(kind(**options), backend), backend, x) < 1e-6


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 3, 2)], ids=["NF", "NCHW"])
def test_batchnorm_gradients(backend, shape):
    backend = f64(backend)
    x = np.random.default_rng(4).normal(2.0, 3.0, size=shape)
    assert check_layer(build(BatchNorm(3), backend), backend, x) < 1e-6


def test_dropout_gradient(backend):
    backend = f64(backend)
    layer = build(Dropout(0.4), backend)
    layer._rng = np.random.default_rng(7)
    start = layer._rng.bit_generator.state

    def reset():  # the same mask on every call
        layer._rng.bit_generator.state = start
    x = np.random.default_rng(6).normal(size=(5, 3, 4))
    assert check_layer(layer, backend, x, reset) < 1e-6
    assert 0 < float(backend.xp.sum(backend.xp.astype(layer.mask == 0, backend.dtype))) < x.size


@pytest.mark.parametrize("layer", [Flatten(), Reshape((2, 12))], ids=["Flatten", "Reshape"])
def test_shape_layer_gradients(backend, layer):
    backend = f64(backend)
    x = np.random.default_rng(8).normal(size=(3, 2, 3, 4)) if isinstance(layer, Flatten) \
        else np.random.default_rng(8).normal(size=(3, 24))
    assert check_layer(build(layer, backend), backend, x) < 1e-6
