"""The container every dataset loader returns, and the pixel conversion they share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """A train/test split of host NumPy arrays.

    Unpacks like a tuple: ``X_train, y_train, X_test, y_test = load_mnist_sample()``.

    Attributes
    ----------
    X_train, X_test : ndarray, shape (n_samples, n_features)
        float32 in [0, 1] for images (or uint8 0..255 with ``raw=True``).
    y_train, y_test : ndarray of int64, shape (n_samples,)
        Class labels ``0 .. n_classes - 1``.
    name : str
        Short name, e.g. ``"mnist-sample"``.
    class_names : tuple of str
        Human-readable name of each class.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str = ""
    class_names: tuple[str, ...] = field(default=())

    def __iter__(self):
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names) or int(max(self.y_train.max(), self.y_test.max())) + 1

    def __repr__(self):
        return (f"Dataset({self.name!r}, X_train={self.X_train.shape} {self.X_train.dtype}, "
                f"X_test={self.X_test.shape}, n_classes={self.n_classes})")


def pixels(images, raw=False):
    """Flatten uint8 images to ``(n, h*w)``: float32 in [0, 1], or uint8 when ``raw``."""
    flat = np.asarray(images).reshape(len(images), -1)
    if raw:
        return flat.astype(np.uint8, copy=False)
    return flat.astype(np.float32) / np.float32(255.0)


def labels(values):
    """Class labels as a 1-D int64 array."""
    return np.asarray(values).astype(np.int64).reshape(-1)


DIGITS = tuple(str(d) for d in range(10))
