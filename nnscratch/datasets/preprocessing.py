"""Host-side helpers: scaling, standardising, one-hot labels, a seeded split."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError, DataError, DataWarning
from ..validation import user_stacklevel
from .._typing import Array

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


def scale_to_unit(X: Array) -> np.ndarray:
    """Scale to [0, 1]: uint8 images divide by 255, anything else by its min/max range.

    Parameters
    ----------
    X : array
        Inputs of any shape: uint8 pixels (0-255) or numbers of any range.
    """
    X = np.asarray(X)
    if X.dtype == np.uint8:
        return X.astype(np.float32) / np.float32(255.0)
    X = X.astype(np.float32, copy=False)
    low, high = X.min(), X.max()
    return (X - low) / (high - low) if high > low else np.zeros_like(X)


def standardize(X: Array, mean: Array | None = None,
                std: Array | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zero mean and unit variance per feature.

    Returns ``(Z, mean, std)``: ``Z`` float32, ``mean`` and ``std`` float64 (computed
    in float64, so a column such as 1.7e12 +- 1e5 keeps its spread); pass the training
    set's ``mean`` and ``std`` to transform validation and test data the same way.
    Constant features keep std 1.

    Parameters
    ----------
    X : array, (n_samples, n_features)
        The rows to scale.
    mean, std : array, (n_features,), optional
        The training set's figures, to scale other data alike; default: computed from ``X``.
    """
    X = np.asarray(X, dtype=np.float64)  # float64 until scaled: 1.7e12 +- 1e5 keeps its spread
    if mean is None or std is None:  # the training set's figures (given ones win)
        fitted = mean_std(X)
        mean, std = fitted[0] if mean is None else mean, fitted[1] if std is None else std
    mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
    return ((X - mean) / std).astype(np.float32), mean, std


def mean_std(X: Array) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's float64 mean and standard deviation, the figures :func:`standardize` scales by.

    A constant feature (all its values equal) keeps std 1: the float64 standard deviation of a column of
    0.1 is 1.4e-17, not 0, and dividing by it would send a later row of 0.1000001 to 1e10.
    """
    X = np.asarray(X, dtype=np.float64)
    constant = np.all(X == X[:1], axis=0)
    return X.mean(axis=0), np.where(constant, 1.0, X.std(axis=0))


def one_hot(y: Array, n_classes: int | None = None, dtype: DTypeLike = np.float32) -> np.ndarray:
    """Integer labels (n,) to a one-hot matrix (n, n_classes).

    Labels saved as whole floats (``1.0``) or as one column ``(n, 1)`` are read as the integers they hold.

    Parameters
    ----------
    y : array, (n,)
        Whole-number class labels from 0.
    n_classes : int, optional
        Columns of the result; default: the largest label + 1.
    dtype : numpy dtype, default float32
        Type of the 0/1 entries.
    """
    y = np.asarray(y)
    y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    whole = y.dtype.kind == "f" and y.size > 0 and bool(np.all(np.isfinite(y) & (y == np.round(y))))
    y = y.astype(np.int64) if whole else y
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise DataError(f"one_hot expects a non-empty 1-D array of whole-number labels >= 0; "
                        f"received shape {y.shape}, dtype {y.dtype}.")
    n_classes = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if y.max() >= n_classes:
        raise DataError(f"label {int(y.max())} does not fit n_classes={n_classes}.")
    out = np.zeros((y.size, n_classes), dtype=dtype)
    out[np.arange(y.size), y] = 1
    return out


def train_val_split(X: Array, y: Array, val_fraction: float = 0.1, seed: int | None = 0,
                    stratify: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split off a seeded validation set.

    With ``stratify`` every class (integer or string labels) keeps (about) the same share in both parts.
    Returns ``(X_train, y_train, X_val, y_val)``.

    Parameters
    ----------
    X : array, (n_samples, ...)
        The inputs, one row per sample.
    y : array, (n_samples,) or (n_samples, n_outputs)
        The labels or targets, one row per sample.
    val_fraction : float, default 0.1
        Share of the rows held out for validation, in ``(0, 1)``.
    seed : int or None, default 0
        Seeds the random draws: the same seed gives the same data; None draws afresh each call.
    stratify : bool, default True
        Keep each class's share in both parts (class labels only; regression targets are split plainly).
    """
    X, y = np.asarray(X), np.asarray(y)
    if not 0 < val_fraction < 1:
        raise ConfigError(f"val_fraction must be between 0 and 1; received {val_fraction}.")
    if len(X) != len(y):
        raise DataError(f"X has {len(X)} rows but y has {len(y)}; they must match.")
    rng = np.random.default_rng(seed)
    by_class = stratify and y.ndim == 1 and y.dtype.kind in "biuUS"  # float targets (regression): no strata
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if by_class else [np.arange(len(y))]
    val = []
    for members in groups:
        n_val = int(round(len(members) * val_fraction))
        val.append(rng.permutation(members)[:n_val])
    is_val = np.zeros(len(y), dtype=bool)
    is_val[np.concatenate(val)] = True
    _check_split_sizes(len(y), int(is_val.sum()), val_fraction)
    return X[~is_val], y[~is_val], X[is_val], y[is_val]


def _check_split_sizes(n, n_val, val_fraction):
    """No training rows is an error; no validation rows is said (Keras refuses both)."""
    if n_val == n:
        raise DataError(f"val_fraction={val_fraction} of {n} rows leaves no rows for training; "
                        "use a smaller val_fraction or more data.")
    if n_val == 0:
        warnings.warn(f"val_fraction={val_fraction} of {n} rows (rounded per class) holds out no rows: the "
                      "validation set is empty. Use a larger val_fraction or more data, or train without "
                      "a validation set.", DataWarning, stacklevel=user_stacklevel())
