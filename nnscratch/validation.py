"""Checks of the data at the public boundary: once per call, never per batch.

Inputs arrive as host data (NumPy arrays, lists) or as arrays of the model's
backend; they leave as device arrays of the model's dtype, or as one clear
error from :mod:`nnscratch.errors`. With ``host=True`` they are checked the
same way but stay in host memory (for streaming data too large for the device).
Targets, weights and buffers are checked here too; the option values (epochs,
seed, callbacks, ...) in :mod:`nnscratch.options`.
"""

import math
import os
import sys
import warnings
from collections import namedtuple

import array_api_compat
import numpy as np

from .backend.core import backend_of
from .errors import BackendMismatchError, DataError, DataWarning, ShapeError
from .host_arrays import not_numbers, refuse_sparse, to_host, zero_one_rows
from .input_shapes import check_input_shape
from .layers import Sigmoid
from .losses import BinaryCrossEntropy, CrossEntropy
from .models.shapes import refuse_unflat_output
from .models.task import derive_task

Targets = namedtuple("Targets", "Y labels mode")
Targets.__doc__ = """Float targets ``Y (n, n_outputs)``, integer ``labels (n,)`` or None,
(indicator rows ``(n, k)`` for "multilabel") and ``mode``: "multiclass", "binary", "multilabel" or None
(no accuracy, e.g. regression)."""

HOST_XP = array_api_compat.array_namespace(np.zeros(1))
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep  # the nnscratch folder


def is_device_array(x):
    """True for an array of a non-NumPy library (it must match the model's backend)."""
    return array_api_compat.is_array_api_obj(x) and not isinstance(x, np.ndarray)


def check_library(net, data, name):
    """BackendMismatchError when ``data`` is an array of another library or device than the model's."""
    if not is_device_array(data):
        return
    source, backend = backend_of(data), net.backend
    if (source.name, source.device_name) != (backend.name, backend.device_name):
        raise BackendMismatchError(
            f"{name} is an array of {source} but the model lives on {backend}; move it with "
            f"model.backend.asarray(nnscratch.backend_of({name}).to_numpy({name})), "
            f"or pass NumPy data, which is moved for you.")


def _to_device(net, data, name, dtype, host=False, inputs=False):
    """``data`` on the model's backend (or checked on the host). The caller's array is
    never written: nnscratch only reads its inputs, and read-only buffers are copied
    where a library (torch) would otherwise share them."""
    backend = net.backend
    if is_device_array(data):
        refuse_sparse(data, name)
        check_library(net, data, name)
        if not backend.xp.isdtype(data.dtype, ("bool", "integral", "real floating")):
            raise not_numbers(name, data.dtype, device=True)  # complex: torch dropped the imaginary part
        if getattr(data, "requires_grad", False):
            data = data.detach()  # a torch tensor tracked by autograd: read its values only
        converted = data if dtype is None or data.dtype == dtype else backend.xp.astype(data, dtype)
        if inputs:  # read from the floats: torch has no min or max of uint16, uint32, uint64
            _warn_unscaled_integers(backend.xp, data, name, converted)
        return converted
    data = to_host(data, name)
    if inputs:
        _warn_unscaled_integers(HOST_XP, data, name)
    if host:
        return data
    if dtype is None and data.dtype.kind == "f":
        dtype = net.dtype  # float targets compute in the model's dtype (a device may lack float64)
    if not data.flags.writeable and backend.name == "torch":
        data = np.array(data)  # torch would share (and warn about) a read-only or memory-mapped buffer
    return backend.asarray(data, dtype=dtype)


def _warn_unscaled_integers(xp, x, name, values=None):
    """Integer inputs beyond [-1, 1] (e.g. uint8 pixels 0..255) are used as they are, as
    Keras and scikit-learn do; warn once (per dtype and call site) that they look unscaled.
    ``values``: ``x`` converted (to the model's float dtype), where its extremes are read."""
    if not xp.isdtype(x.dtype, "integral") or math.prod(x.shape) == 0:
        return
    values = x if values is None else values
    if max(abs(int(xp.min(values))), abs(int(xp.max(values)))) > 1:
        warnings.warn(f"The inputs hold integers ({x.dtype}) beyond [-1, 1], and nnscratch does not rescale "
                      f"inputs: values this large make training unstable (a first loss in the hundreds). "
                      f"Scale them first, e.g. X / 255.0 for 8-bit images (nnscratch.datasets loaders do), or "
                      f"nnscratch.datasets.standardize(X).", DataWarning, stacklevel=user_stacklevel())


def user_stacklevel():
    """The ``stacklevel`` that points a warning at the first caller outside nnscratch."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def _namespace(net, host):
    return (HOST_XP, np.dtype(net.backend.dtype_name)) if host else (net.xp, net.dtype)


def _check_finite(xp, x, name):
    if xp.isdtype(x.dtype, "real floating") and not bool(xp.all(xp.isfinite(x))):
        raise DataError(f"{name} contains NaN or infinity (or values too large for the model's dtype); "
                        "clean or impute those values before training.")


def as_inputs(net, X, name="X", host=False):
    """``X`` as a device array ``(n_samples, *net.input_shape)`` of the model's dtype
    (``host=True``: a checked host NumPy array of its own dtype)."""
    xp, dtype = _namespace(net, host)
    x = _to_device(net, X, name, dtype, host, inputs=True)
    check_input_shape(net, x, name)
    _check_finite(xp, x, name)
    return x


def as_targets(net, y, loss, n_samples, name="y", host=False):
    """``y`` (integer labels ``(n,)`` or ``(n, 1)``, targets ``(n, n_outputs)``, or targets of any per-sample
    shape of ``n_outputs`` values, e.g. ``(n, C, H, W)`` before a Flatten, as its rows) as :class:`Targets`."""
    refuse_unflat_output(net.output_shape)
    (xp, dtype), k = _namespace(net, host), net.n_outputs
    t = _to_device(net, y, name, None, host)
    if t.shape[:1] != (n_samples,):
        raise ShapeError(f"X has {n_samples} samples but {name} has {t.shape[0] if t.ndim else 0}; "
                         "they must have one target per sample.")
    shape = tuple(t.shape)
    if _label_column(xp, t, k, _is_binary_classifier(net, loss)):
        t = xp.reshape(t, (-1,))  # a column of class labels (Keras takes it too); a view, never written
    given_labels = t.ndim == 1 and (xp.isdtype(t.dtype, "integral") or xp.isdtype(t.dtype, "bool"))
    if t.ndim == 1 and k > 1 and not given_labels and xp.isdtype(t.dtype, "real floating") \
            and bool(xp.all(t == xp.round(t))):  # whole numbers as floats (np.loadtxt's labels): labels
        t, given_labels = xp.astype(t, xp.int64), True
    mode = _mode(net, loss, given_labels, t)
    if given_labels and (k > 1 or _is_binary_classifier(net, loss)):
        labels = _check_labels(xp, xp.astype(t, xp.int64), k, name)
        if k > 1:
            Y = xp.astype(xp.reshape(labels, (-1, 1)) == xp.reshape(xp.arange(k, device=labels.device), (1, -1)),
                          dtype)
            return Targets(Y, _labels_of(xp, Y, mode) if mode == "multilabel" else labels, mode)
    if t.ndim == 1 or (t.ndim > 2 and math.prod(t.shape[1:]) == k):
        t = xp.reshape(t, (n_samples, -1))  # a column, or rows in a Flatten's (C, H, W) order
    if t.ndim != 2 or t.shape[1] != k:
        one = len(shape) == 1 or shape[1:] == (1,)
        if xp.isdtype(t.dtype, "real floating"):
            _check_finite(xp, t, name)  # a missing label (NaN, pandas' NA) is not a fractional one
        held = " of fractional values" if one and xp.isdtype(t.dtype, "real floating") else ""
        raise ShapeError(f"{name} has shape {shape}{held}; the network has {k} outputs, so pass integer "
                         f"class labels of shape ({n_samples},) or targets of shape ({n_samples}, {k}).")
    Y = xp.astype(t, dtype)
    _check_finite(xp, Y, name)
    if isinstance(loss, (CrossEntropy, BinaryCrossEntropy)):
        _check_probabilities(xp, Y, loss, name)
    return Targets(Y, _labels_of(xp, Y, mode), mode)


def _mode(net, loss, given_labels, t):
    """The network's task ("multiclass", "binary", "multilabel"), or None for regression (no accuracy);
    before any ``fit`` fixed it, the one a fit on targets ``t`` would fix."""
    task = net._task or derive_task(net.layers[-1], net.n_outputs, loss, given_labels,
                                    None if given_labels else zero_one_rows(t))
    return None if task == "regression" else task


def _label_column(xp, t, k, binary):
    """True for a column ``(n, 1)`` that :func:`as_targets` reads as labels ``(n,)``: any column on
    ``k > 1`` outputs (it cannot be their targets), an integer (or bool) one on a one-unit
    ``binary`` classifier. A float column on one output stays what it was: targets (regression,
    or a sigmoid's probabilities)."""
    if t.ndim != 2 or t.shape[1] != 1:
        return False
    return k > 1 or (binary and (xp.isdtype(t.dtype, "integral") or xp.isdtype(t.dtype, "bool")))


def labels_given(y):
    """True when ``y`` holds integer (or bool) class labels: shape ``(n,)``, or a column ``(n, 1)``."""
    if is_device_array(y):
        xp = array_api_compat.array_namespace(y)
        integral = xp.isdtype(y.dtype, "integral") or xp.isdtype(y.dtype, "bool")
    else:
        try:
            y = np.asarray(y)
        except (TypeError, ValueError):
            return False  # as_targets reports it
        integral = y.dtype.kind in "biu"
    return integral and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1))


def host_copy(w, dtype):
    """A new host NumPy array of ``dtype`` holding the values of ``w`` (any backend's array,
    read-only, memory-mapped, or a torch tensor that requires grad); ``w`` is not touched."""
    try:
        if is_device_array(w):
            return np.asarray(backend_of(w).to_numpy(w), dtype=dtype)
        return np.array(w, dtype=dtype, copy=True)
    except (TypeError, ValueError) as exc:
        raise DataError(f"Weights must be numeric arrays; could not convert a {type(w).__name__} ({exc}).") from None


def _is_binary_classifier(net, loss):
    return isinstance(net.layers[-1], Sigmoid) or isinstance(loss, BinaryCrossEntropy)


def _labels_of(xp, Y, mode):
    """What :func:`~nnscratch.training.step.predicted_labels` is scored against: class labels ``(n,)``,
    or for "multilabel" indicator rows ``(n, k)`` of int 0/1."""
    if mode == "multilabel":
        return xp.astype(Y > 0.5, xp.int64)
    if mode == "multiclass":
        return xp.argmax(Y, axis=1)
    if mode == "binary":
        return xp.astype(Y[:, 0] > 0.5, xp.int64)
    return None


def _check_labels(xp, labels, units, name):
    """``labels`` when each is a class of an output of ``units`` units (one unit: a sigmoid's 0 or 1)."""
    low, high = int(xp.min(labels)), int(xp.max(labels))
    if low < 0:
        raise DataError(f"{name} holds class labels from {low} to {high}; class labels count from 0: map them "
                        f"to 0..{high - low} (e.g. {name} - {name}.min()).")
    if high >= max(units, 2):
        outputs = "1 unit (labels 0 or 1)" if units == 1 else f"{units} units (labels 0..{units - 1})"
        raise DataError(f"{name} holds class labels from {low} to {high} but the output layer has {outputs}; "
                        f"build the network with {high + 1} outputs or fix the labels.")
    return labels


ROW_SUM_TOLERANCE = 1e-3
"""How far a cross-entropy target row's sum may be from 1: float32 rounding of a sum over thousands of
classes (label smoothing, softmax outputs) stays far below it, a missing or extra label is 1 off."""


def _check_probabilities(xp, Y, loss, name):
    """DataError unless ``Y`` holds probabilities in [0, 1] and, for cross-entropy, rows that sum to 1: its
    gradient ``(p - y) / n`` is ``(p * sum(y) - y) / n`` only for such rows. One host read when they do."""
    sums = xp.sum(Y, axis=1) if isinstance(loss, CrossEntropy) else None
    fine = xp.all((Y >= 0) & (Y <= 1))
    if sums is not None:
        fine = fine & xp.all(xp.abs(sums - 1.0) <= ROW_SUM_TOLERANCE)
    if bool(fine):
        return
    low, high = float(xp.min(Y)), float(xp.max(Y))
    if low < 0 or high > 1:
        raise DataError(f"{name} holds targets from {low:g} to {high:g} but the {loss.name} loss needs "
                        "probabilities in [0, 1] (e.g. one-hot rows) or integer class labels; fix the "
                        "targets, or use loss='mse' for regression.")
    row = int(xp.argmax(xp.astype(xp.abs(sums - 1.0) > ROW_SUM_TOLERANCE, Y.dtype)))
    raise DataError(f"The {loss.name} loss expects each row of {name} to sum to 1 (one-hot rows or probabilities); "
                    f"row {row} sums to {float(sums[row]):g}. For several labels per sample use a Sigmoid output "
                    "with binary cross-entropy (loss='bce'); for one label per sample pass one-hot rows or "
                    "integer class labels.")


def check_weights(params, weights):
    """Every array in ``weights`` matches the shape of its parameter."""
    if len(weights) != len(params):
        raise ShapeError(f"Expected {len(params)} weight arrays, got {len(weights)}; "
                         "pass one array per network.parameters() entry.")
    for p, w in zip(params, weights):
        if tuple(np.shape(w)) != tuple(p.value.shape):
            raise ShapeError(f"Weight {p.name} must have shape {tuple(p.value.shape)}; got {tuple(np.shape(w))}. "
                             "The weights come from a network of another architecture.")
