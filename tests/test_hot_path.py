"""The training step's shortcuts change nothing: ``Loss.gradient`` scales exactly and is
the derivative of ``Loss.value``, the folded-learning-rate SGD step is the plain one,
and an epoch's loss/accuracy taken from its outputs equal the per-batch sums."""

import numpy as np
import pytest

from nnscratch import SGD, Network
from nnscratch.losses import BinaryCrossEntropy, CrossEntropy, MeanSquaredError, SumSquaredError
from nnscratch.step import DeviceData, Step, predicted_labels, run_epoch
from nnscratch.testing import assert_close
from nnscratch import validation  # noqa: I001


@pytest.mark.parametrize("loss", [CrossEntropy(), BinaryCrossEntropy(), MeanSquaredError(), SumSquaredError()],
                         ids=lambda loss: loss.name)
def test_gradient_scales_and_is_the_derivative_of_value(backend, loss, rng):
    from nnscratch.testing import numerical_gradient

    out0, y0 = rng.standard_normal((7, 3)), np.eye(3)[rng.integers(0, 3, 7)]
    out, y = (backend.asarray(a, dtype=backend.dtype) for a in (out0, y0))
    grad = loss.gradient(out, y)
    assert_close(loss.gradient(out, y, 0.25), grad * 0.25)
    numeric = numerical_gradient(lambda o: float(loss.value(o, y0)), out0)
    np.testing.assert_allclose(backend.to_numpy(grad), numeric, rtol=1e-4, atol=1e-6)


def _net_and_data(backend, rng, n=40):
    X = rng.standard_normal((n, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)
    net = Network.from_sizes(4, 6, 3, seed=3, backend=backend)
    return net, X, y


def test_folded_sgd_step_equals_the_plain_update(backend, rng):
    net, X, y = _net_and_data(backend, rng)
    twin = net.to(backend)
    folded, plain = Step(net, None, SGD(lr=0.1)), Step(twin, None, SGD(lr=0.1))
    data = validation.as_inputs(net, X), validation.as_targets(net, y, folded.loss, len(X))
    folded.train_batch(data[0], data[1].Y)
    plain.gradients(data[0], data[1].Y)
    for p in plain.params:
        p.value -= 0.1 * p.grad
    for a, b in zip(net.parameters(), twin.parameters()):
        assert_close(a.value, b.value, rtol=1e-5, atol=1e-6)


def test_epoch_sums_equal_per_batch_sums(backend, rng):
    net, X, y = _net_and_data(backend, rng)
    twin = net.to(backend)
    step = Step(net, None, SGD(lr=0.1))
    data = validation.as_inputs(net, X), validation.as_targets(net, y, step.loss, len(X))
    sums = run_epoch(net, step, DeviceData(net, *data), 16, False, [])
    twin_step, loss_sum, correct = Step(twin, None, SGD(lr=0.1)), 0.0, 0
    for start in range(0, len(X), 16):
        stop = min(start + 16, len(X))
        xb, Yb = data[0][start:stop, ...], data[1].Y[start:stop, ...]
        out = twin_step.train_batch(xb, Yb)
        value = twin_step.loss.value(out, Yb)
        loss_sum += float(value) * xb.shape[0]
        hits = predicted_labels(out, 3, 0.0) == data[1].labels[start:stop]
        correct += int(np.sum(twin.backend.to_numpy(hits)))
    got = twin.backend.to_numpy(twin.xp.stack([sums["loss"], sums["accuracy"]]))
    assert got[0] == pytest.approx(loss_sum, rel=1e-4)
    assert got[1] == correct
