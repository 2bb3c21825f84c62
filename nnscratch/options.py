"""Checks of the option values ``fit``, ``evaluate`` and ``Network`` take: once per call.

Counts (``epochs``, ``batch_size``), ``shuffle``, ``seed``, ``callbacks``,
``validation_data`` and ``validation_split`` (the held-out rows), and a
``batch_size`` larger than the data. A wrong value is one
:class:`~nnscratch.errors.ConfigError` naming the option and the fix; the data
and targets themselves are checked in :mod:`nnscratch.validation`.
"""

import math
import warnings

import numpy as np

from .backend.core import new_seed
from .errors import ConfigError, DataError, DataWarning, ShapeError
from .validation import is_device_array, user_stacklevel
from ._typing import is_int, is_real


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
    if fraction is None or (is_real(fraction) and fraction == 0):  # Keras's default, 0.0: nothing held out
        return X, y, validation_data
    if validation_data is not None:
        raise ConfigError("Pass validation_data=(X_val, y_val) or validation_split=, not both; "
                          "validation_split holds out the last rows of X and y.")
    if not is_real(fraction) or not 0 < fraction < 1:
        raise ConfigError(f"validation_split must be a fraction from 0 (none held out) to below 1, e.g. 0.1; "
                          f"got {fraction!r}.")
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


def warn_small_batch(batch_size, X, validation_split=None):
    """Say so when ``batch_size`` asks for more samples than the training set has (what
    ``validation_split`` leaves of ``X``)."""
    try:
        n = int(X.shape[0]) if hasattr(X, "shape") else len(X)
    except (TypeError, IndexError):
        return  # fit's own checks report it
    if is_real(validation_split) and 0 < validation_split < 1:
        n = math.floor(n * (1.0 - validation_split))
    if isinstance(batch_size, int) and not isinstance(batch_size, bool) and 0 < n < batch_size:
        warnings.warn(f"batch_size={batch_size} but the training set has only {n} sample{'s' * (n != 1)}, "
                      f"so every epoch is one full-batch step. Pass batch_size=None to ask for that, "
                      f"or use more data.", DataWarning, stacklevel=user_stacklevel())
