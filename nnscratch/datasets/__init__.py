"""Datasets for nnscratch, as host NumPy arrays.

- :func:`load_mnist_sample` -- 10,000 real MNIST digits shipped in the package (offline).
- :func:`load_mnist`, :func:`load_fashion_mnist` -- the full sets from IDX files
  (found on disk or downloaded once with pinned SHA-256 checksums).
- :func:`load_digits_csv` -- Kaggle's digit-recognizer CSV.
- :func:`load_table`, :func:`load_npz`, :func:`from_arrays` -- any table (CSV, .npz, arrays).
- :func:`xor`, :func:`spirals`, :func:`moons`, :func:`blobs` -- seeded generators.
- :func:`scale_to_unit`, :func:`standardize`, :func:`one_hot`, :func:`train_val_split`.
- :func:`load_dataset` -- any of these by the name the command line uses.
"""

from .base import Dataset
from .catalog import NAMES, load_dataset
from .csv import load_digits_csv
from .fetch import load_fashion_mnist, load_mnist
from .idx import read_idx, write_idx
from .mnist_sample import load_mnist_sample
from .preprocessing import one_hot, scale_to_unit, standardize, train_val_split
from .synthetic import blobs, moons, spirals, xor
from .tables import TableDataset, load_table
from .arrays import from_arrays, load_npz

__all__ = [
    "Dataset", "NAMES", "load_dataset", "load_mnist_sample", "load_mnist", "load_fashion_mnist",
    "load_digits_csv", "read_idx", "write_idx", "xor", "spirals", "moons", "blobs",
    "scale_to_unit", "standardize", "one_hot", "train_val_split",
]
__all__ += ["TableDataset", "load_table", "load_npz", "from_arrays"]
