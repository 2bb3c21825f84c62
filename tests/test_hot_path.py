"""The training step's shortcuts change nothing: ``Loss.gradient`` scales exactly and is
the derivative of ``Loss.value``, the one-buffer SGD step is the plain per-parameter one,
and an epoch's loss/accuracy taken from its outputs equal the per-batch sums. And the step
stays within its operation budget (every array operation is a kernel launch on a GPU)."""

import numpy as np
import pytest

from nnscratch import SGD, Network
from nnscratch.losses import BinaryCrossEntropy, CrossEntropy, MeanSquaredError, SumSquaredError
from nnscratch.training.step import DeviceData, Step, predicted_labels, run_epoch
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


def test_buffer_sgd_step_equals_the_plain_update(backend, rng):
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


@pytest.mark.parametrize("spec", ["torch:cpu", "array_api_strict"])
@pytest.mark.parametrize("optimizer, ceiling", [("sgd", 42), ("adam", 62)])
def test_operations_per_step_stay_within_budget(spec, optimizer, ceiling):
    """Three Dense layers with ReLU, softmax cross-entropy, per extra batch: 42 (SGD) and 53
    (Adam) today; before the parameter buffer 51 and 123, with 2 host-made tensors per batch on
    PyTorch. The count depends on the layers, not their widths: small ones keep the test fast
    (``nnscratch bench`` counts 784-256-128-10 at batch 128 and gets the same)."""
    from nnscratch.bench.counting import count_step
    from nnscratch.errors import BackendUnavailableError

    try:
        counted = count_step(spec, sizes=(12, 16, 8, 10), batch_size=16, optimizer=optimizer, batches=3)
    except BackendUnavailableError as exc:
        pytest.skip(str(exc))
    assert counted["ops"] <= ceiling, counted["by_op"]
    assert counted["transfers"] == 0, counted


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpys_axpy_is_one_blas_call_with_the_two_pass_numbers(dtype, monkeypatch):
    """Plain SGD's update on NumPy: the BLAS ?axpy NumPy is linked with (one pass, as PyTorch's
    ``add_``), the same numbers as the multiply-and-add fallback to one rounding."""
    from nnscratch.backend import kernels
    from nnscratch.backend.core import get_backend
    k = kernels.Kernels(get_backend("numpy", dtype=dtype))
    if k._blas is None:
        pytest.skip("no BLAS ?axpy found for NumPy here (the two-pass fallback runs)")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=1000).astype(dtype), rng.normal(size=1000).astype(dtype)
    calls = []
    blas = k._blas
    monkeypatch.setattr(k, "_blas", lambda *args: (calls.append(args), blas(*args)))
    fused, twice = y.copy(), y.copy()
    assert k.axpy(-0.3, x, fused) is fused and len(calls) == 1
    np.add(twice, np.multiply(x, -0.3), out=twice)
    np.testing.assert_allclose(fused, twice, rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)
    k.axpy(-0.3, x[::2], fused[::2])  # not contiguous: the fallback, still in place
    assert len(calls) == 1


def test_the_optimizer_follows_a_new_tuple_of_holders(backend, rng):
    """The step reuses the holders of its last call only for the same buffer or tuple: another
    network's parameters start afresh, and a list is looked at every time."""
    net, X, y = _net_and_data(backend, rng)
    other = net.to(backend)
    opt = SGD(lr=0.1, momentum=0.9)
    net.fit(X, y, epochs=1, batch_size=16, optimizer=opt)
    assert opt.t > 0 and opt._owner == [net.parameter_buffer]
    other.fit(X, y, epochs=1, batch_size=16, optimizer=opt)
    assert opt._owner == [other.parameter_buffer] and opt.t == -(-len(X) // 16)
