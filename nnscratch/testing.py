"""Tools for checking the math: finite-difference gradients and array comparison.

Public, so that users who change a layer or a loss can check their work the
way nnscratch's own tests do.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import array_api_compat
import numpy as np

from . import validation
from .backend.core import backend_of, on_device
from .layers.checks import refuse_one_value_per_channel
from .training.guard import left_as_it_was
from .training.step import Step
from ._typing import Array

if TYPE_CHECKING:
    from .models.network import Network
    from .losses import Loss


@on_device  # under CuPy's rules the gradients are made on the network's device
def check_gradients(net: Network, X: Array, y: Array, loss: str | Loss | None = None, eps: float = 1e-6,
                    max_entries: int = 64) -> float:
    """Worst relative error between backprop and central finite differences.

    The network is checked as it is: the same layer objects, so a layer whose
    backward is wrong, or state shared between layers, shows up. For the check
    its parameters are swapped for float64 copies and restored afterwards,
    gradients included (a backend without float64 checks a float64 NumPy copy). For each parameter, up to ``max_entries`` entries (a seeded
    sample) are perturbed by ``+-eps``; the error of a parameter is
    ``||num - ana|| / max(||num|| + ||ana||, floor)`` over those entries. The
    floor, ``1e6 * sqrt(entries) * |loss| * 2.2e-16 / eps``, is a million times
    the smallest gradient central differences resolve: a parameter whose true
    gradient is exactly zero (a bias just before BatchNorm) reads as rounding
    noise over that floor (about 1e-7), not as noise over noise (about 1).

    The network is checked as it trains: every loss is a training-mode forward
    pass (BatchNorm on the batch's statistics, Dropout with the same masks as
    the backward pass), and the check leaves no trace: the host RNG and the
    running statistics are as they were before.

    Parameters
    ----------
    net : Network
        The network to check, built (its layers and weights are used as they are).
    X : array, (n_samples, ...)
        A small batch of inputs; a few rows suffice.
    y : array
        Their labels or targets, as ``fit`` takes them.
    loss : str or Loss, optional
        The loss to differentiate; default: the network's (as ``fit`` would pick it).
    eps : float, default 1e-6
        Step of the central differences, in the units of the weights.
    max_entries : int, default 64
        Entries of each parameter perturbed (a seeded sample); more is slower and surer.
    """
    X, y = (_to_host(a) for a in (X, y))
    if not net.backend.has_float64:  # no float64 on that device: check a float64 host copy of it
        net = net.to("numpy", dtype="float64")
    with left_as_it_was(net) as replay, _in_float64(net) as wide:
        step = Step(net, loss)
        x = validation.as_inputs(net, X)
        refuse_one_value_per_channel(net.layers, x.shape[1:], x.shape[0])
        Y = wide(validation.as_targets(net, y, step.loss, x.shape[0]).Y)
        x = wide(x)
        resolution = np.finfo(np.float64).eps * max(abs(float(step.gradients(x, Y)[0])), 1.0) / eps

        def loss_at():
            replay()  # the dropout masks of the backward pass
            return float(step.loss.value(step.forward(x, training=True), Y))

        rng, worst = np.random.default_rng(0), 0.0
        for p in step.params:
            size = math.prod(p.value.shape)
            flat = np.arange(size) if size <= max_entries else rng.choice(size, max_entries, replace=False)
            entries = [tuple(int(j) for j in np.unravel_index(i, tuple(p.value.shape))) for i in flat]
            analytic = np.array([float(p.grad[e]) for e in entries])
            numeric = np.array([_central_difference(p.value, e, eps, loss_at) for e in entries])
            floor = 1e6 * resolution * math.sqrt(len(entries))
            scale = max(np.linalg.norm(numeric) + np.linalg.norm(analytic), floor)
            worst = max(worst, float(np.linalg.norm(numeric - analytic) / scale))
    return worst


@contextlib.contextmanager
def _in_float64(net):
    """Swap ``net``'s parameters for float64 copies (unbound from the parameter
    buffer for the check, bound again after); yield the function that widens an array."""
    params = net.parameters()
    saved = [(p.value, p.grad, p.bound) for p in params]
    xp = net.xp
    wide = lambda a: xp.astype(a, xp.float64)  # noqa: E731
    try:
        for p in params:
            p.unbind()
            p.value, p.grad = wide(p.value), None
        yield wide
    finally:
        for p, (value, grad, bound) in zip(params, saved):
            if bound:
                p.bind(value, grad)
            else:
                p.value, p.grad = value, grad


def _central_difference(value, index, eps, loss_at):
    original = float(value[index])
    value[index] = original + eps
    plus = loss_at()
    value[index] = original - eps
    minus = loss_at()
    value[index] = original
    return (plus - minus) / (2 * eps)


def _to_host(a):
    return backend_of(a).to_numpy(a) if validation.is_device_array(a) else a


def numerical_gradient(f: Callable[[np.ndarray], float], x: Array, eps: float = 1e-6,
                       entries: Sequence[int] | None = None) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f`` at the host array ``x`` (float64).

    ``entries`` (flat indices into ``x``): only those, as a 1-D array in that order.

    Parameters
    ----------
    f : callable
        Takes a float64 array shaped like ``x`` and returns a float (the loss).
    x : array
        The point to differentiate at; copied to the host in float64, never changed.
    eps : float, default 1e-6
        Step of the central differences ``(f(x + eps) - f(x - eps)) / (2 eps)``.
    entries : sequence of int, optional
        Flat indices of the entries to differentiate; default: all, in the shape of ``x``.
    """
    x = np.array(x, dtype=np.float64)
    flat = range(x.size) if entries is None else entries
    values = np.zeros(len(flat))
    for k, i in enumerate(flat):
        index = np.unravel_index(i, x.shape)
        original = x[index]
        x[index] = original + eps
        plus = f(x)
        x[index] = original - eps
        minus = f(x)
        x[index] = original
        values[k] = (plus - minus) / (2 * eps)
    return values.reshape(x.shape) if entries is None else values


def assert_close(actual: Array, expected: Array, rtol: float | None = None, atol: float = 0.0,
                 xp: Any = None) -> None:
    """Assert ``actual`` matches ``expected``, checking the namespace as well.

    ``xp``: the namespace ``actual`` must belong to (when given). The default
    ``rtol`` follows the dtype: 1e-5 for float32, 1e-10 for float64.

    Parameters
    ----------
    actual : array
        The computed array, of any backend.
    expected : array
        The reference values (copied to the host to compare).
    rtol : float, optional
        Relative tolerance; default: 1e-5 for float32, 1e-10 for float64.
    atol : float, default 0
        Absolute tolerance, for entries near zero.
    xp : namespace, optional
        The array namespace ``actual`` must belong to; default: not checked.
    """
    if xp is not None:
        got = array_api_compat.array_namespace(actual)
        assert got is xp, f"expected an array of {xp.__name__}, got one of {got.__name__}"
    a = _to_host(actual)
    b = _to_host(expected)
    a, b = np.asarray(a), np.asarray(b)
    if rtol is None:
        rtol = 1e-5 if np.float32 in (a.dtype, b.dtype) else 1e-10
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


__all__ = ["assert_close", "check_gradients", "numerical_gradient"]
