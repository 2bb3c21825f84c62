"""Feature standardisation for tables, fitted on the training split and kept with the model.

``Standardizer.fit(X_train)`` learns each feature's mean and standard
deviation; ``transform`` maps any later data the same way. The figures travel
in the model's metadata (``net.metadata["standardize"] = {"mean": [...],
"std": [...]}``), so ``nnscratch evaluate`` and ``predict`` scale raw rows
exactly as training did. Images are not standardised: they keep their [0, 1]
scaling. Host-side (NumPy), like the rest of the data edge.
"""

import numpy as np

from ..datasets.preprocessing import mean_std
from ..errors import ModelFileError, ShapeError

KEY = "standardize"


class Standardizer:
    """``z = (x - mean) / std`` per feature; a constant feature keeps std 1."""

    def __init__(self, mean=None, std=None):
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.std = None if std is None else np.asarray(std, dtype=np.float64)

    def fit(self, X):
        """Learn each feature's mean and std by :func:`~nnscratch.datasets.preprocessing.mean_std`'s rule: a
        constant column keeps std 1 (its float64 std is ~1e-17, not 0: a later 0.1000001 would become 1e10)."""
        self.mean, self.std = mean_std(X)
        return self

    def transform(self, X, dtype=np.float32):
        """``(X - mean) / std`` as ``dtype``; ``X`` itself is not modified."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise ShapeError(f"The model standardises {len(self.mean)} features per row; got data of shape "
                             f"{X.shape}. Pass rows with the training table's {len(self.mean)} feature columns.")
        return ((X.astype(np.float64) - self.mean) / self.std).astype(dtype)

    def fit_transform(self, X, dtype=np.float32):
        return self.fit(X).transform(X, dtype)

    def to_metadata(self):
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_metadata(cls, metadata):
        """The Standardizer saved in a model's metadata, or None if it has none."""
        entry = (metadata or {}).get(KEY)
        if entry is None:
            return None
        try:
            scaler = cls(entry["mean"], entry["std"])
        except (KeyError, TypeError, ValueError):
            scaler = None
        if scaler is None or not _fitted(scaler.mean, scaler.std):  # what fit() gives: one finite mean, std > 0 each
            raise ModelFileError(f"The model's {KEY!r} metadata is damaged ({entry!r}); "
                                 "train and save the model again.")
        return scaler


def _fitted(mean, std):
    """Whether ``mean`` and ``std`` are what :meth:`Standardizer.fit` gives: one finite value per feature each,
    every std above 0."""
    return (mean.ndim == std.ndim == 1 and mean.shape == std.shape and bool(np.all(np.isfinite(mean)))
            and bool(np.all(np.isfinite(std))) and bool(np.all(std > 0)))


def standardize_for(net, X):
    """``X`` scaled as ``net`` was trained (its metadata's standardisation) in the network's own dtype
    (a float64 model sees float64 rows, as its ONNX graph does), or ``X`` unchanged."""
    scaler = Standardizer.from_metadata(getattr(net, "metadata", None))
    backend = getattr(net, "backend", None)
    return X if scaler is None else scaler.transform(X, getattr(backend, "dtype_name", None) or np.float32)
