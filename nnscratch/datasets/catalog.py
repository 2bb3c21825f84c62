"""Datasets by name, as the ``--dataset`` option of the command line spells them."""

from ..errors import DataFormatError, unknown_name
from . import synthetic
from .base import Dataset, DIGITS
from .csv import load_digits_csv
from .fetch import load_idx_dataset
from .mnist_sample import load_mnist_sample
from .preprocessing import train_val_split

NAMES = ("mnist-sample", "mnist", "fashion-mnist", "csv:PATH", "xor", "spirals", "moons", "blobs")
GENERATED = {
    "spirals": lambda seed: synthetic.spirals(375, 3, seed=seed),
    "moons": lambda seed: synthetic.moons(1250, noise=0.2, seed=seed),
    "blobs": lambda seed: synthetic.blobs(1250, centers=4, seed=seed),
}


def _split(name, X, y, seed, class_names=()):
    X_train, y_train, X_test, y_test = train_val_split(X, y, val_fraction=0.2, seed=seed)
    return Dataset(X_train, y_train, X_test, y_test, name=name, class_names=class_names)


def load_dataset(spec="mnist-sample", data_dir=None, seed=0, download=True):
    """Load a dataset by name and return a :class:`Dataset` (host NumPy arrays).

    ``mnist-sample`` (shipped, 8,000/2,000), ``mnist`` and ``fashion-mnist`` (IDX
    files, see :mod:`nnscratch.datasets.fetch`), ``csv:PATH`` (a labelled
    digit-recognizer CSV, 20% held out as a stratified test set with ``seed``),
    ``xor`` (the truth table, trained and tested on the same 4 rows), and
    ``spirals`` (3 x 375, noise 0.2), ``moons`` (1,250), ``blobs`` (1,250, 4 centres),
    generated with ``seed`` and split 80/20.
    """
    name = str(spec).strip()
    if name == "mnist-sample":
        return load_mnist_sample()
    if name in ("mnist", "fashion-mnist"):
        return load_idx_dataset(name, data_dir, download=download)
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
