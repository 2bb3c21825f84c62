"""Datasets by name, as the ``--dataset`` option of the command line spells them."""

import pathlib

from ..errors import DataFormatError, unknown_name
from . import synthetic
from .base import Dataset, DIGITS
from .csv import load_digits_csv
from .fetch import load_idx_dataset
from .mnist_sample import load_mnist_sample
from .preprocessing import train_val_split

NAMES = ("mnist-sample", "mnist", "fashion-mnist", "csv:PATH", "npz:PATH", "npy:X.npy,y.npy", "xor", "spirals",
         "moons", "blobs")
"""The data set names :func:`load_dataset` and ``nnscratch train --dataset`` accept (``PATH``: a file of yours)."""
GENERATED = {
    "spirals": lambda seed: synthetic.spirals(375, 3, seed=seed),
    "moons": lambda seed: synthetic.moons(1250, noise=0.2, seed=seed),
    "blobs": lambda seed: synthetic.blobs(1250, centers=4, seed=seed),
}


def _split(name, X, y, seed, class_names=()):
    X_train, y_train, X_test, y_test = train_val_split(X, y, val_fraction=0.2, seed=seed)
    return Dataset(X_train, y_train, X_test, y_test, name=name, class_names=class_names)


def _table(name, seed, target=None, task=None, test_fraction=0.2):
    """A TableDataset for csv:/npz:/npy: specs and .csv/.npz paths (digit CSVs excepted), else None."""
    from .arrays import load_npy_pair, load_npz
    from .csv import digits_layout
    from .tables import load_table
    kind, _, path = name.partition(":")
    if kind not in ("csv", "npz", "npy"):
        kind, path = pathlib.Path(name).suffix[1:].lower(), name
        if kind not in ("csv", "npz") or not pathlib.Path(path).is_file():
            return None
    options = dict(task=task, seed=seed, test_fraction=test_fraction)
    if kind == "npz":
        return load_npz(path, **options)
    if kind == "npy":
        return load_npy_pair(path, **options)
    if pathlib.Path(path).is_file() and target in (None, "label", "0", 0) and digits_layout(path) and task is None:
        return None  # Kaggle's digit recognizer: pixels scaled to [0, 1], below
    return load_table(path, target, **options, name="csv")


def load_dataset(spec="mnist-sample", data_dir=None, seed=0, download=True, **table_options):
    """Load a dataset by name and return a :class:`Dataset` (host NumPy arrays).

    ``mnist-sample`` (shipped, 8,000/2,000), ``mnist`` and ``fashion-mnist`` (IDX
    files, see :mod:`nnscratch.datasets.fetch`), ``csv:PATH`` (a labelled
    digit-recognizer CSV, 20% held out as a stratified test set with ``seed``),
    ``xor`` (the truth table, trained and tested on the same 4 rows), and
    ``spirals`` (3 x 375, noise 0.2), ``moons`` (1,250), ``blobs`` (1,250, 4 centres),
    generated with ``seed`` and split 80/20.

    Tables: ``csv:PATH`` of any other layout, ``npz:PATH``, ``npy:X.npy,y.npy``
    (or a path ending in .csv/.npz), with ``table_options`` ``target=``,
    ``task=``, ``test_fraction=`` (see :mod:`nnscratch.datasets.tables`).
    """
    name = str(spec).strip()
    if name == "mnist-sample":
        return load_mnist_sample()
    if name in ("mnist", "fashion-mnist"):
        return load_idx_dataset(name, data_dir, download=download)
    table = _table(name, seed, **table_options)
    if table is not None:
        return table
    if name.startswith("csv:"):
        X, y = load_digits_csv(name[4:])
        if y is None:
            raise DataFormatError(f"{name[4:]} has no label column; training and evaluation "
                                  "need Kaggle's train.csv (label,pixel0..pixel783).")
        return _split("csv", X, y, seed, DIGITS)
    if name == "xor":
        X, y = synthetic.xor()
        return Dataset(X, y, X, y, name="xor", class_names=("0", "1"))
    if name in GENERATED:
        return _split(name, *GENERATED[name](seed), seed)
    raise unknown_name("dataset", name, NAMES)
