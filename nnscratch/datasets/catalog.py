"""Datasets by name, as the ``--dataset`` option of the command line spells them."""

from __future__ import annotations

import os
import pathlib
from typing import Any

from ..errors import DataFormatError, DatasetNotFoundError, unknown_name
from . import synthetic
from .base import Dataset, DIGITS
from .csv import load_digits_csv
from .fetch import load_idx_dataset
from .mnist_sample import load_mnist_sample
from .preprocessing import train_val_split
from .._typing import PathLike

TEST_FRACTION = 0.2  # held out as the test split of data that come without one
NAMES = ("mnist-sample", "mnist", "fashion-mnist", "csv:PATH", "npz:PATH", "npy:X.npy,y.npy", "xor", "spirals",
         "moons", "blobs")
"""The data set names :func:`load_dataset` and ``nnscratch train --dataset`` accept (``PATH``: a file of yours)."""
GENERATED = {
    "spirals": lambda seed: synthetic.spirals(375, 3, seed=seed),
    "moons": lambda seed: synthetic.moons(1250, noise=0.2, seed=seed),
    "blobs": lambda seed: synthetic.blobs(1250, centers=4, seed=seed),
}


def _split(name, X, y, seed, class_names=(), test_fraction=None):
    fraction = TEST_FRACTION if test_fraction is None else test_fraction
    X_train, y_train, X_test, y_test = train_val_split(X, y, val_fraction=fraction, seed=seed)
    return Dataset(X_train, y_train, X_test, y_test, name=name, class_names=class_names)


def file_kind(name):
    """``(kind, path)`` for a dataset read from a file (csv:/npz:/npy: or a path ending in .csv/.npz/.npy;
    .tsv is a csv kind: the table reader finds its tabs), else ``(None, None)``. ``path`` is as the shell would have made it: ``~`` expanded (no shell does so
    after ``csv:``), and the two files of an npy pair stripped of the spaces around their comma."""
    kind, sep, path = name.partition(":")
    if not (sep and kind in ("csv", "npz", "npy")):
        kind, path = pathlib.Path(name).suffix[1:].lower(), name
        kind = "csv" if kind == "tsv" else kind
        if kind not in ("csv", "npz", "npy"):
            return None, None
    return kind, ",".join(os.path.expanduser(p.strip()) for p in _parts(kind, path))


def _parts(kind, path):
    """The files of a file dataset's path: two for an npy pair, else one (whose name may hold a comma)."""
    return path.split(",") if kind == "npy" else [path]


def _table(name, seed, target=None, task=None, test_fraction=None, one_class=False, features=None):
    """A TableDataset for csv:/npz:/npy: specs and .csv/.npz paths (digit CSVs excepted), else None.
    ``one_class``: a target (CSV column or array of labels) of one class is read (to evaluate a model on),
    not refused. ``features``: a trained model's feature names, the only columns of a CSV read besides
    its target where it has them all (:func:`~nnscratch.datasets.tables.read_table`)."""
    from .arrays import load_npy_pair, load_npz
    from .not_data import nnscratch_file
    from .csv import digits_layout
    from .tables import load_table
    kind, path = file_kind(name)
    if kind is None:
        return None
    if kind == "npy" and ":" not in name:
        raise DataFormatError(f"{name}: an .npy pair is named npy:X.npy,y.npy (features, then targets).")
    if not all(_parts(kind, path)):
        example = "npy:X.npy,y.npy (features, then targets)" if kind == "npy" else f"{kind}:data/table.{kind}"
        raise DataFormatError(f"dataset {name!r} names no file; name one, e.g. {example}.")
    if not all(pathlib.Path(p).is_file() for p in _parts(kind, path)):
        missing = next(p for p in _parts(kind, path) if not pathlib.Path(p).is_file())
        what = "is a folder" if pathlib.Path(missing).is_dir() else "does not exist"
        raise DatasetNotFoundError(f"{kind} file {missing} {what} (the current folder is {pathlib.Path.cwd()}); "
                                   f"name an existing file, e.g. {kind}:data/table.{kind}.")
    model = next((error for error in map(nnscratch_file, _parts(kind, path)) if error), None)
    if model:  # whatever the prefix says (csv:model.npz): what the file is, not why it is no CSV
        raise model
    options = dict(task=task, seed=seed, test_fraction=TEST_FRACTION if test_fraction is None else test_fraction)
    if kind == "npz":
        return load_npz(path, **options, one_class=one_class)
    if kind == "npy":
        return load_npy_pair(path, **options, one_class=one_class)
    if pathlib.Path(path).is_file() and target in (None, "label", "0", 0) and digits_layout(path) and task is None:
        return None  # Kaggle's digit recognizer: pixels scaled to [0, 1], below
    return load_table(path, target, **options, name=table_name(path), one_class=one_class, features=features)


def table_name(path):
    """A table's name in messages and in its model's metadata: the file's base name (``iris.csv``), or
    ``csv:NAME`` where that is a name of this catalog (a file called ``mnist`` is not MNIST: their
    defaults differ)."""
    base = pathlib.Path(path).name
    return f"csv:{base}" if base in GENERATED or base in NAMES or base == "csv" else base


def load_dataset(spec: str = "mnist-sample", data_dir: PathLike | None = None, seed: int = 0, download: bool = True,
                 **table_options: Any) -> Dataset:
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

    Parameters
    ----------
    spec : str, default "mnist-sample"
        A name above, or ``csv:PATH``, ``npz:PATH``, ``npy:X.npy,y.npy``.
    data_dir : str or Path, optional
        A folder holding MNIST's or Fashion-MNIST's IDX files; default: the search of :func:`load_mnist`.
    seed : int, default 0
        Seeds the synthetic data and the held-out test split of a table.
    download : bool, default True
        Download MNIST or Fashion-MNIST when not found; False never downloads.
    **table_options
        ``target=``, ``task=``, ``test_fraction=`` for a table, as :func:`load_table` takes them.
    """
    name = str(spec).strip()
    if name == "mnist-sample":
        return load_mnist_sample()
    if name in ("mnist", "fashion-mnist"):
        return load_idx_dataset(name, data_dir, download=download)
    table = _table(name, seed, **table_options)
    if table is not None:
        return table
    kind, path = file_kind(name)
    if kind == "csv":  # a digit CSV, as csv:PATH or as PATH
        X, y = load_digits_csv(path)
        if y is None:
            raise DataFormatError(f"{path} has no label column; training and evaluation "
                                  "need Kaggle's train.csv (label,pixel0..pixel783).")
        return _split("csv", X, y, seed, DIGITS, table_options.get("test_fraction"))
    if name == "xor":
        X, y = synthetic.xor()
        return Dataset(X, y, X, y, name="xor", class_names=("0", "1"))
    if name in GENERATED:
        return _split(name, *GENERATED[name](seed), seed, test_fraction=table_options.get("test_fraction"))
    if name and pathlib.Path(name).expanduser().is_dir():
        raise _a_folder(name)
    raise unknown_name("dataset", name, NAMES)


def _a_folder(name):
    """A dataset named by a folder: which files it may hold, and how to name them."""
    named = ", ".join(n for n in NAMES if ":" not in n)
    return DataFormatError(f"dataset {name!r} is a folder; name a file (csv:PATH, npz:PATH, npy:X.npy,y.npy) or one of "
                           f"{named}. For the IDX files of MNIST or Fashion-MNIST "
                           f"in it: --dataset mnist --data-dir {name} (folders of images are not read: save them as an "
                           ".npz of X and y).")
