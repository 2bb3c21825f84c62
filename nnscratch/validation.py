"""Checks at the public boundary: once per call, never per batch.

Inputs arrive as host data (NumPy arrays, lists) or as arrays of the model's
backend; they leave as device arrays of the model's dtype, or as one clear
error from :mod:`nnscratch.errors`. With ``host=True`` they are checked the
same way but stay in host memory (for streaming data too large for the device).
"""

import math
import os
import sys
import warnings
from collections import namedtuple

import array_api_compat
import numpy as np

from .backend.core import backend_of, new_seed
from .errors import BackendMismatchError, ConfigError, DataError, DataWarning, ShapeError
from .layers import Sigmoid
from .losses import BinaryCrossEntropy, CrossEntropy
from .models.task import derive_task
from ._typing import is_int, is_real

Targets = namedtuple("Targets", "Y labels mode")
Targets.__doc__ = """Float targets ``Y (n, n_outputs)``, integer ``labels (n,)`` or None,
and ``mode``: "multiclass", "binary" or None (no accuracy, e.g. regression)."""

HOST_XP = array_api_compat.array_namespace(np.zeros(1))
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep  # the nnscratch folder


def is_device_array(x):
    """True for an array of a non-NumPy library (it must match the model's backend)."""
    return array_api_compat.is_array_api_obj(x) and not isinstance(x, np.ndarray)


def _to_host(data, name):
    if hasattr(data, "to_numpy") and not hasattr(data, "__array__"):
        data = data.to_numpy()  # table types (pandas, polars ...) without pandas as a dependency
    try:
        host = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a numeric array; could not convert it ({exc}). "
                        f"Pass a NumPy array of numbers.") from None
    if host.dtype.kind not in "biuf":
        text = host.dtype.kind in "USO"
        fix = (f"number the classes first: names, {name} = np.unique({name}, return_inverse=True) (or use "
               "nnscratch.sklearn.MLPClassifier, which takes labels of any kind)") if text and name.startswith("y") \
            else f"convert it first, e.g. {name}.astype('float32')"
        raise DataError(f"{name} must hold numbers (int or float); got an array of dtype {host.dtype}; {fix}.")
    return host


def _to_device(net, data, name, dtype, host=False, inputs=False):
    """``data`` on the model's backend (or checked on the host). The caller's array is
    never written: nnscratch only reads its inputs, and read-only buffers are copied
    where a library (torch) would otherwise share them."""
    backend = net.backend
    if is_device_array(data):
        source = backend_of(data)
        if (source.name, source.device_name) != (backend.name, backend.device_name):
            raise BackendMismatchError(
                f"{name} is an array of {source} but the model lives on {backend}; move it with "
                f"model.backend.asarray(nnscratch.backend_of({name}).to_numpy({name})), "
                f"or pass NumPy data, which is moved for you.")
        if getattr(data, "requires_grad", False):
            data = data.detach()  # a torch tensor tracked by autograd: read its values only
        if inputs:
            _warn_unscaled_integers(backend.xp, data, name)
        return data if dtype is None or data.dtype == dtype else backend.xp.astype(data, dtype)
    data = _to_host(data, name)
    if inputs:
        _warn_unscaled_integers(HOST_XP, data, name)
    if host:
        return data
    if dtype is None and data.dtype.kind == "f":
        dtype = net.dtype  # float targets compute in the model's dtype (a device may lack float64)
    if not data.flags.writeable and backend.name == "torch":
        data = np.array(data)  # torch would share (and warn about) a read-only or memory-mapped buffer
    return backend.asarray(data, dtype=dtype)


def _warn_unscaled_integers(xp, x, name):
    """Integer inputs beyond [-1, 1] (e.g. uint8 pixels 0..255) are used as they are, as
    Keras and scikit-learn do; warn once (per dtype and call site) that they look unscaled."""
    if not xp.isdtype(x.dtype, "integral") or math.prod(x.shape) == 0:
        return
    if max(abs(int(xp.min(x))), abs(int(xp.max(x)))) > 1:
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


def _check_not_empty(x, name, what):
    if x.ndim == 0 or math.prod(x.shape) == 0:
        raise DataError(f"{name} is empty (shape {tuple(x.shape)}); expected {what} with at least one "
                        "sample. Check that the data loaded correctly.")


def as_inputs(net, X, name="X", host=False):
    """``X`` as a device array ``(n_samples, *net.input_shape)`` of the model's dtype
    (``host=True``: a checked host NumPy array of its own dtype)."""
    xp, dtype = _namespace(net, host)
    x = _to_device(net, X, name, dtype, host, inputs=True)
    shape = net.input_shape
    if len(shape) == 1:
        _check_flat(x, name, shape[0])
    else:
        _check_shaped(net, x, name, shape)
    _check_finite(xp, x, name)
    return x


def _check_flat(x, name, n_inputs):
    _check_not_empty(x, name, f"shape (n_samples, {n_inputs})")
    if x.ndim != 2:
        raise ShapeError(f"{name} must be 2-D (n_samples, {n_inputs}); got shape {tuple(x.shape)}. "
                         f"Reshape a single sample with X.reshape(1, -1) and images with X.reshape(len(X), -1).")
    if x.shape[1] != n_inputs:
        raise ShapeError(f"{name} has {x.shape[1]} features per sample but the network's input layer "
                         f"expects {n_inputs}; check the data or build the network with "
                         f"{x.shape[1]} inputs.")


def _check_shaped(net, x, name, shape):
    wanted = "(n_samples, " + ", ".join("?" if n is None else str(n) for n in shape) + ")"
    _check_not_empty(x, name, f"shape {wanted}")
    fits = x.ndim == len(shape) + 1 and all(n is None or n == m for n, m in zip(shape, x.shape[1:]))
    if not fits:
        raise ShapeError(f"{name} must have shape {wanted}; got {tuple(x.shape)}. "
                         f"Reshape flat images with X.reshape(len(X), {', '.join(str(n or -1) for n in shape)}).")
    net.shape_after(tuple(x.shape[1:]))


def as_targets(net, y, loss, n_samples, name="y", host=False):
    """``y`` (integer labels ``(n,)`` or ``(n, 1)``, or targets ``(n, n_outputs)``) as :class:`Targets`."""
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
    mode = _mode(net, loss, given_labels)
    if given_labels and (k > 1 or _is_binary_classifier(net, loss)):
        labels = _check_labels(xp, xp.astype(t, xp.int64), k, name)
        if k > 1:
            Y = xp.astype(xp.reshape(labels, (-1, 1)) == xp.reshape(xp.arange(k, device=labels.device), (1, -1)),
                          dtype)
            return Targets(Y, labels, mode)
    if t.ndim == 1:
        t = xp.reshape(t, (-1, 1))
    if t.ndim != 2 or t.shape[1] != k:
        one = len(shape) == 1 or shape[1:] == (1,)
        held = " of fractional values" if one and xp.isdtype(t.dtype, "real floating") else ""
        raise ShapeError(f"{name} has shape {shape}{held}; the network has {k} outputs, so pass integer "
                         f"class labels of shape ({n_samples},) or targets of shape ({n_samples}, {k}).")
    Y = xp.astype(t, dtype)
    _check_finite(xp, Y, name)
    if isinstance(loss, (CrossEntropy, BinaryCrossEntropy)):
        _check_probabilities(xp, Y, loss, name)
    return Targets(Y, _labels_of(xp, Y, mode), mode)


def _mode(net, loss, given_labels):
    """The network's task ("multiclass", "binary"), or None for regression (no accuracy)."""
    task = net._task or derive_task(net.layers[-1], net.n_outputs, loss, given_labels)
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


def warn_small_batch(batch_size, X):
    """Say so when ``batch_size`` asks for more samples than the training set has."""
    try:
        n = int(X.shape[0]) if hasattr(X, "shape") else len(X)
    except (TypeError, IndexError):
        return  # fit's own checks report it
    if isinstance(batch_size, int) and not isinstance(batch_size, bool) and 0 < n < batch_size:
        warnings.warn(f"batch_size={batch_size} but the training set has only {n} sample{'s' * (n != 1)}, "
                      f"so every epoch is one full-batch step. Pass batch_size=None to ask for that, "
                      f"or use more data.", DataWarning, stacklevel=user_stacklevel())


def _is_binary_classifier(net, loss):
    return isinstance(net.layers[-1], Sigmoid) or isinstance(loss, BinaryCrossEntropy)


def _labels_of(xp, Y, mode):
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


def _check_probabilities(xp, Y, loss, name):
    low, high = float(xp.min(Y)), float(xp.max(Y))
    if low < 0 or high > 1:
        raise DataError(f"{name} holds targets from {low:g} to {high:g} but the {loss.name} loss needs "
                        "probabilities in [0, 1] (e.g. one-hot rows) or integer class labels; fix the "
                        "targets, or use loss='mse' for regression.")


def check_positive_int(name, value, allow_none=False):
    """``value`` as a positive int, or a ConfigError naming ``name``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        extra = " (or None for the whole data set)" if allow_none else ""
        raise ConfigError(f"{name} must be a positive integer{extra}; got {value!r}. "
                          f"Pass e.g. {name}={32 if 'batch' in name else 10}.")
    return int(value)


def check_shuffle(shuffle):
    """``shuffle`` as a bool (NumPy's included), or a ConfigError: any other value (Keras's "batch",
    a 0/1, a string) would otherwise be taken as true."""
    if not isinstance(shuffle, (bool, np.bool_)):
        batch = " (nnscratch has no Keras-style 'batch' mode: it shuffles whole rows)" if isinstance(shuffle, str) else ""
        raise ConfigError(f"shuffle must be True or False; got {shuffle!r}{batch}; pass shuffle=True to reshuffle "
                          f"the rows every epoch, or shuffle=False to keep their order.")
    return bool(shuffle)


def check_seed(seed):
    """``seed`` as a non-negative int (a fresh one for None), or a ConfigError."""
    if seed is None:
        return new_seed()
    if not is_int(seed) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, e.g. seed=0 (or None for a fresh one); "
                          f"got {seed!r}.")
    return int(seed)  # a NumPy integer as a plain int, so the model's config saves as JSON


def check_callbacks(callbacks):
    """``callbacks`` as a list of Callback instances (one alone is put in a list), or a ConfigError."""
    from .training.history import Callback
    if callbacks is None or isinstance(callbacks, Callback):
        return [] if callbacks is None else [callbacks]
    items = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
    for c in items:
        if not isinstance(c, Callback):
            fix = (f"pass an instance, {c.__name__}()" if isinstance(c, type) and issubclass(c, Callback) else
                   "subclass nnscratch.Callback and override its hooks (on_epoch_end, ...)")
            raise ConfigError(f"callbacks must be a list of Callback objects such as [nn.EarlyStopping(patience=5)]; "
                              f"got {c!r:.80}; {fix}.")
    return items


def check_pair(name, value):
    """``value`` as an ``(X, y)`` pair, or a ConfigError naming ``name``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        got = f"a {type(value).__name__}" + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
        raise ConfigError(f"{name} must be a pair (X_val, y_val); got {got}. "
                          f"Pass {name}=(X_val, y_val).")
    return value


def hold_out(X, y, fraction, validation_data=None):
    """``(X, y, validation_data)`` with the last ``fraction`` of the rows held out, as Keras's
    ``fit(validation_split=...)`` does: the first ``floor(n * (1 - fraction))`` rows train, the
    rest validate, before any shuffling (shuffle ordered data first). Slices: nothing is copied."""
    if fraction is None:
        return X, y, validation_data
    if validation_data is not None:
        raise ConfigError("Pass validation_data=(X_val, y_val) or validation_split=, not both; "
                          "validation_split holds out the last rows of X and y.")
    if not is_real(fraction) or not 0 < fraction < 1:
        raise ConfigError(f"validation_split must be a fraction strictly between 0 and 1, e.g. 0.1; got {fraction!r}.")
    n, m = _rows(X, "X"), _rows(y, "y")
    if n != m:
        raise ShapeError(f"X has {n} samples but y has {m}; they must have one target per sample.")
    split = math.floor(n * (1.0 - fraction))
    if split in (0, n):
        raise DataError(f"validation_split={fraction} of {n} rows leaves {split} for training and {n - split} for "
                        "validation; each needs at least one: use more data or another fraction.")
    return _rows_of(X, 0, split), _rows_of(y, 0, split), (_rows_of(X, split, n), _rows_of(y, split, n))


def _rows_of(a, start, stop):
    """Rows ``start:stop`` of ``a``: a view of an array of any library (the array API asks for the
    trailing ``...``), the rows at those positions of a pandas table, a slice of a list."""
    if is_device_array(a) or isinstance(a, np.ndarray):
        return a[start:stop, ...]
    return a.iloc[start:stop] if hasattr(a, "iloc") else a[start:stop]


def _rows(a, name):
    try:
        return int(a.shape[0]) if getattr(a, "shape", None) else len(a)
    except (TypeError, IndexError):
        raise DataError(f"{name} must be an array with one row per sample; got a {type(a).__name__}.") from None


def check_weights(params, weights):
    """Every array in ``weights`` matches the shape of its parameter."""
    if len(weights) != len(params):
        raise ShapeError(f"Expected {len(params)} weight arrays, got {len(weights)}; "
                         "pass one array per network.parameters() entry.")
    for p, w in zip(params, weights):
        if tuple(np.shape(w)) != tuple(p.value.shape):
            raise ShapeError(f"Weight {p.name} must have shape {tuple(p.value.shape)}; got {tuple(np.shape(w))}. "
                             "The weights come from a network of another architecture.")
