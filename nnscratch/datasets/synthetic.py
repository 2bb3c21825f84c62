"""Small generated classification sets, seeded and NumPy-only.

Each returns ``(X, y)``: ``X`` float32 of shape (n_samples, 2) (or
``n_features``), ``y`` int64 class labels of shape (n_samples,).
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .._typing import Array


def _check(n, what="n_samples", minimum=1):
    if int(n) != n or n < minimum:
        raise ConfigError(f"{what} must be an integer >= {minimum}; received {n!r}.")
    return int(n)


def _out(X, y):
    return np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.int64)


def xor(n_samples: int = 4, noise: float = 0.0, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: class ``a != b`` for inputs ``a, b`` in {0, 1}.

    ``xor()`` is the four-row truth table; with ``n_samples > 4`` corners are
    drawn at random and moved by Gaussian ``noise``.

    Parameters
    ----------
    n_samples : int, default 4
        Rows; 4 gives the truth table itself, more draws corners at random.
    noise : float, default 0
        Standard deviation of the Gaussian noise added to each input; 0: exact corners.
    seed : int or None, default 0
        Seeds the random draws: the same seed gives the same data; None draws afresh each call.
    """
    n = _check(n_samples)
    rng = np.random.default_rng(seed)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    X = corners[np.arange(n) % 4] if n <= 4 else corners[rng.integers(0, 4, n)]
    y = (X[:, 0] != X[:, 1]).astype(np.int64)
    return _out(X + noise * rng.standard_normal(X.shape), y)


def spirals(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2,
            seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spirals, one arm per class (the "spiral data" of nnfs / CS231n).

    Radius grows linearly from 0 to 1 along each arm; the angle gets Gaussian
    ``noise``. Samples are ordered class by class.

    Parameters
    ----------
    n_per_class : int, default 100
        Points on each arm.
    n_classes : int, default 3
        Arms, one class each.
    noise : float, default 0.2
        Standard deviation of the Gaussian noise on each point's angle (radians / 2.5).
    seed : int or None, default 0
        Seeds the random draws: the same seed gives the same data; None draws afresh each call.
    """
    n, k = _check(n_per_class, "n_per_class"), _check(n_classes, "n_classes")
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c in range(k):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, n) + rng.standard_normal(n) * noise
        X.append(np.column_stack([r * np.sin(t * 2.5), r * np.cos(t * 2.5)]))
        y.append(np.full(n, c))
    return _out(np.concatenate(X), np.concatenate(y))


def moons(n_samples: int = 200, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (class 0 on top, class 1 below), shuffled.

    Parameters
    ----------
    n_samples : int, default 200
        Rows in all, split evenly between the two moons.
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int or None, default 0
        Seeds the random draws: the same seed gives the same data; None draws afresh each call.
    """
    n = _check(n_samples, minimum=2)
    rng = np.random.default_rng(seed)
    n_top = n // 2
    t_top, t_bottom = np.linspace(0, np.pi, n_top), np.linspace(0, np.pi, n - n_top)
    top = np.column_stack([np.cos(t_top), np.sin(t_top)])
    bottom = np.column_stack([1 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)])
    X = np.concatenate([top, bottom]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n_top), np.ones(n - n_top)])
    order = rng.permutation(n)
    return _out(X[order], y[order])


def blobs(n_samples: int = 300, centers: int | Array = 3, n_features: int = 2, cluster_std: float = 1.0,
          seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs around ``centers`` (a count, drawn in [-10, 10], or an array).

    Parameters
    ----------
    n_samples : int, default 300
        Rows in all, shared out in turn between the blobs.
    centers : int or array of shape (n_centers, n_features), default 3
        How many blobs (their centres drawn in ``[-10, 10]``), or the centres themselves.
    n_features : int, default 2
        Columns of ``X`` when ``centers`` is a count.
    cluster_std : float, default 1.0
        Standard deviation of each blob around its centre.
    seed : int or None, default 0
        Seeds the random draws: the same seed gives the same data; None draws afresh each call.
    """
    n = _check(n_samples)
    rng = np.random.default_rng(seed)
    if np.ndim(centers) == 0:
        centers = rng.uniform(-10.0, 10.0, (_check(centers, "centers"), n_features))
    centers = np.asarray(centers, dtype=np.float64)
    y = np.arange(n) % len(centers)
    X = centers[y] + cluster_std * rng.standard_normal((n, centers.shape[1]))
    order = rng.permutation(n)
    return _out(X[order], y[order])
