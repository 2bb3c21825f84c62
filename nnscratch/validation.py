"""Checks at the public boundary: once per call, never per batch.

Inputs arrive as host data (NumPy arrays, lists) or as arrays of the model's
backend; they leave as device arrays of the model's dtype, or as one clear
error from :mod:`nnscratch.errors`.
"""

from collections import namedtuple

import array_api_compat
import numpy as np

from .backend import backend_of
from .errors import BackendMismatchError, ConfigError, DataError, ShapeError
from .layers import Sigmoid, Softmax
from .losses import BinaryCrossEntropy, CrossEntropy

Targets = namedtuple("Targets", "Y labels mode")
Targets.__doc__ = """Float targets ``Y (n, n_outputs)``, integer ``labels (n,)`` or None,
and ``mode``: "multiclass", "binary" or None (no accuracy, e.g. regression)."""


def is_device_array(x):
    """True for an array of a non-NumPy library (it must match the model's backend)."""
    return array_api_compat.is_array_api_obj(x) and not isinstance(x, np.ndarray)


def _to_device(net, data, name, dtype):
    backend = net.backend
    if is_device_array(data):
        source = backend_of(data)
        if (source.name, source.device_name) != (backend.name, backend.device_name):
            raise BackendMismatchError(
                f"{name} is an array of {source} but the model lives on {backend}; move it with "
                f"model.backend.asarray(nnscratch.backend_of({name}).to_numpy({name})), "
                f"or pass NumPy data, which is moved for you.")
        return data if dtype is None or data.dtype == dtype else backend.xp.astype(data, dtype)
    try:
        host = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a numeric array; could not convert it ({exc}).") from None
    if host.dtype.kind not in "biuf":
        raise DataError(f"{name} must hold numbers; got an array of dtype {host.dtype}.")
    return backend.asarray(host, dtype=dtype)


def _check_finite(xp, x, name):
    if xp.isdtype(x.dtype, "real floating") and not bool(xp.all(xp.isfinite(x))):
        raise DataError(f"{name} contains NaN or infinity; clean or impute those values before training.")


def as_inputs(net, X, name="X"):
    """``X`` as a device array ``(n_samples, n_inputs)`` of the model's dtype."""
    x = _to_device(net, X, name, net.dtype)
    if x.ndim != 2:
        raise ShapeError(f"{name} must be 2-D (n_samples, {net.n_inputs}); got shape {tuple(x.shape)}. "
                         f"Reshape a single sample with X.reshape(1, -1) and images with X.reshape(len(X), -1).")
    if x.shape[1] != net.n_inputs:
        raise ShapeError(f"{name} has {x.shape[1]} features per sample but the network's input layer "
                         f"expects {net.n_inputs}; check the data or build the network with "
                         f"{x.shape[1]} inputs.")
    if x.shape[0] == 0:
        raise DataError(f"{name} is empty (0 samples); pass at least one sample.")
    _check_finite(net.xp, x, name)
    return x


def as_targets(net, y, loss, n_samples, name="y"):
    """``y`` (integer labels ``(n,)`` or targets ``(n, n_outputs)``) as :class:`Targets`."""
    xp, k = net.xp, net.n_outputs
    t = _to_device(net, y, name, None)
    if t.shape[:1] != (n_samples,):
        raise ShapeError(f"X has {n_samples} samples but {name} has {t.shape[0] if t.ndim else 0}; "
                         "they must have one target per sample.")
    given_labels = t.ndim == 1 and (xp.isdtype(t.dtype, "integral") or xp.isdtype(t.dtype, "bool"))
    mode = _mode(net, loss, given_labels)
    if given_labels and k > 1:
        labels = _check_labels(xp, xp.astype(t, xp.int64), k, name)
        Y = xp.astype(xp.reshape(labels, (-1, 1)) == xp.reshape(xp.arange(k, device=labels.device), (1, -1)),
                      net.dtype)
        return Targets(Y, labels, mode)
    if t.ndim == 1:
        t = xp.reshape(t, (-1, 1))
    if t.ndim != 2 or t.shape[1] != k:
        raise ShapeError(f"{name} has shape {tuple(t.shape)}; the network has {k} outputs, so pass integer "
                         f"class labels of shape ({n_samples},) or targets of shape ({n_samples}, {k}).")
    Y = xp.astype(t, net.dtype)
    _check_finite(xp, Y, name)
    return Targets(Y, _labels_of(xp, Y, mode), mode)


def _mode(net, loss, given_labels):
    out, k = net.layers[-1], net.n_outputs
    if k > 1 and (given_labels or isinstance(out, Softmax) or isinstance(loss, CrossEntropy)):
        return "multiclass"
    if k == 1 and (given_labels or isinstance(out, Sigmoid) or isinstance(loss, BinaryCrossEntropy)):
        return "binary"
    return None


def _labels_of(xp, Y, mode):
    if mode == "multiclass":
        return xp.argmax(Y, axis=1)
    if mode == "binary":
        return xp.astype(Y[:, 0] > 0.5, xp.int64)
    return None


def _check_labels(xp, labels, k, name):
    low, high = int(xp.min(labels)), int(xp.max(labels))
    if low < 0 or high >= k:
        raise DataError(f"{name} holds class labels from {low} to {high} but the output layer has {k} units "
                        f"(labels 0..{k - 1}); build the network with {high + 1} outputs or fix the labels.")
    return labels


def check_positive_int(name, value, allow_none=False):
    """``value`` as a positive int, or a ConfigError naming ``name``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def check_weights(params, weights):
    """Every array in ``weights`` matches the shape of its parameter."""
    if len(weights) != len(params):
        raise ShapeError(f"Expected {len(params)} weight arrays, got {len(weights)}.")
    for p, w in zip(params, weights):
        if tuple(np.shape(w)) != tuple(p.value.shape):
            raise ShapeError(f"Weight {p.name} must have shape {tuple(p.value.shape)}; got {tuple(np.shape(w))}.")
