"""Any table as a dataset: CSV files of numbers, ``.npz`` archives and ``.npy`` pairs.

``load_table("iris.csv")`` finds the target column (``target=`` a name or an
index; several names, ``"cat,dog"``, for several columns; default: a column named label/target/class/y, else
the last: :mod:`nnscratch.datasets.columns`), reads the other columns as numeric features, decides the task
(string or integer targets with few values: classification, their names kept as the class
names; fractional values or many distinct integers: regression, see
:mod:`nnscratch.datasets.targets`; several columns of 0/1: multilabel, see
:mod:`nnscratch.datasets.multitarget`) and holds out a seeded test split
(stratified for classes) when the file has none. Every problem is one
:class:`DataFormatError` naming the row (line of the file) and the column
(how a cell reads as a number, and which first row is a header: :mod:`nnscratch.datasets.cells`).
Host-side: NumPy only.
"""

from __future__ import annotations

import pathlib
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import DataError, DataFormatError, DataWarning
from .base import Dataset
from .cells import _features, _target_column, is_header
from .columns import TARGET_NAMES, _named_target, _one_column, feature_columns, split_header, target_columns
from .csv_text import read_rows, separator
from .multitarget import encode_columns
from .preprocessing import train_val_split
from .row_ids import warn_row_numbers
from .targets import encode_target
from .._typing import PathLike

__all__ = ["TARGET_NAMES", "TableDataset", "input_rows", "load_table", "read_rows", "read_table", "separator",
           "split_table"]


@dataclass(frozen=True, repr=False)
class TableDataset(Dataset):
    """A :class:`Dataset` read from a table, with what the command line reports about it.

    ``task`` is "classification", "regression" (then ``y`` holds float
    targets and ``n_classes`` is the number of target columns) or "multilabel" (``y`` holds
    float rows of 0/1, one column per label, named by the table's columns, or ``"0"``, ``"1"``, ... for arrays); ``standardize``:
    features should be standardised on the training split (tables: yes; arrays of images to classify: no, as
    MNIST's are not). The
    features stay float64, as read, until they are standardised. ``image_shape``:
    the per-sample ``(C, H, W)`` of arrays read as images (``(n, C, H, W)``,
    ``(n, H, W)`` or ``(n, H, W, 1)``), whose rows are those images flattened;
    None for a table (and for channels-last colour images, kept in their order). ``array_shape``: the
    per-sample shape of the array the file held, before its rows were flattened (``(32, 32, 3)`` for
    channels-last colour images, which the command line refuses for a channels-first model); None for a table.

    Attributes
    ----------
    task : {"classification", "regression", "multilabel"}
        What ``y`` holds: class labels, float targets, or rows of 0/1 labels.
    target_name : str
        The header of the target column ("" when the table has none).
    feature_names : tuple of str
        The header of each feature column, in the order of ``X``'s columns.
    notes : tuple of str
        What reading the table decided (a dropped column, a guessed task), one line each.
    standardize : bool
        Whether features should be standardised on the training split (False for images to classify).
    image_shape : tuple of int or None
        Per-sample ``(C, H, W)`` of arrays read as images; None for a table.
    array_shape : tuple of int or None
        Per-sample shape of the array the file held, before flattening; None for a table.
    """

    task: str = "classification"
    target_name: str = ""
    feature_names: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    standardize: bool = True
    image_shape: tuple[int, ...] | None = None
    array_shape: tuple[int, ...] | None = None

    @property
    def n_classes(self) -> int:
        if self.task == "regression":
            return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])
        return super().n_classes


def input_rows(path, n_inputs):
    """Rows of numbers from a CSV for a model that knows no column names (``predict`` of an image or
    generated-data model): a header is optional; of ``n_inputs + 1`` columns, the one the header names
    label/target/class/y is skipped, else the first (Kaggle's digit CSVs)."""
    rows = read_rows(path)
    if len(rows) == 1 and is_header(rows[0][1]):
        raise DataFormatError(f"{path}: no rows of numbers (a header line alone); give one row of {n_inputs} "
                              "comma-separated inputs per sample.")
    names, data, header = split_header(path, rows)
    columns = list(range(len(names)))
    if len(names) == n_inputs + 1:
        named = _named_target(names) if header else None
        columns.remove(0 if named is None else named)
    return _features(path, names, data, columns)


def read_table(path, target=None, task=None, one_class=False, features=None):
    """``(X float64 (n, d), y, class_names, task, info)`` from a CSV table.

    ``info``: dict with target_name, feature_names, note (how the task was decided). ``one_class``:
    a target of one class is read, not refused (rows to evaluate a classifier on). ``features``: the
    column names a trained model takes; where the table has them all (and the target is none of them) only
    those are read, in that order, so a column the model never used (notes, gaps) is skipped, as
    ``predict`` skips it. Otherwise (and for training) every other column is a feature.
    """
    rows = read_rows(path)
    needed = ("add rows to score the model on",) if one_class else ()  # evaluate's words, else training's
    names, data, header = split_header(path, rows, *needed, known=features or ())
    if len(names) < 2:
        raise DataFormatError(_one_column(path, rows[0]))
    targets = target_columns(names, target, header, path)
    values = [_target_column(path, names, data, j) for j in targets]
    columns = feature_columns(names, targets, features)
    X = _features(path, names, data, columns)
    if features is None:  # training: a model reading the table by its names already chose its columns
        warn_row_numbers(path, names, X, columns)
    target_names = [names[j] for j in targets]
    if len(targets) == 1:
        y, class_names, task, note = encode_target(values[0], task, f"{path}, column {names[targets[0]]!r} (the "
                                                   "target)", one_class=one_class)
    else:  # several columns: rows of labels (multilabel) or of values
        y, class_names, task, note = encode_columns(np.array(values).T, target_names, task, str(path),
                                                    [line for line, _ in data], one_class)
    info = {"target_name": ",".join(target_names), "feature_names": tuple(names[k] for k in columns), "note": note,
            "path": path}
    return X, y, class_names, task, info


def split_table(name, X, y, class_names, task, info, seed=0, test_fraction=0.2, X_test=None, y_test=None):
    """A TableDataset: the given test split, or a seeded one (stratified for classes) held out of ``X``."""
    notes, where = [f"target {info['target_name']!r}: {info['note']}", *info.get("notes", ())], info.get("path", name)
    if X_test is None:
        if len(X) < 2:
            raise DataFormatError(f"{where}: one row of data cannot be split into training and test rows; add rows "
                                  "(a few hundred, for test scores that say something).")
        with warnings.catch_warnings():  # an empty split is refused here, in the table's words
            warnings.simplefilter("ignore", DataWarning)
            try:
                X, y, X_test, y_test = train_val_split(X, y, test_fraction, seed=seed,
                                                       stratify=task == "classification")
            except DataError:  # the test split takes every row (X and y always match here)
                raise DataFormatError(f"{where}: a {test_fraction:g} test split of {len(X)} rows leaves none for "
                                      "training; lower --test-fraction or add rows.") from None
        if len(X_test) == 0 or len(X) == 0:
            per_class = f" ({len(class_names)} classes: no class has enough rows for one)" if class_names else ""
            raise DataFormatError(f"{where}: a {test_fraction:g} test split of {len(X) + len(X_test)} rows holds "
                                  f"none{per_class}; raise --test-fraction, add rows or provide a test split.")
        strat = ", stratified" if task == "classification" else ""
        rows = f"{len(X_test)} row{'s' * (len(X_test) != 1)}"
        notes.append(f"held out {rows} ({test_fraction:.0%}, seed {seed}{strat}) as the test split")
    return TableDataset(X.astype(np.float64), y, X_test.astype(np.float64), y_test, name=name,
                        class_names=class_names, task=task, target_name=info["target_name"],
                        feature_names=info["feature_names"], notes=tuple(notes), image_shape=info.get("image_shape"),
                        array_shape=info.get("array_shape"), standardize=info.get("standardize", True))


def load_table(path: PathLike, target: str | int | None = None, task: str | None = None, seed: int = 0,
               test_fraction: float = 0.2, name: str | None = None, one_class: bool = False,
               features: tuple[str, ...] | None = None) -> TableDataset:
    """Read a CSV table and hold out a test split: a :class:`TableDataset`. ``one_class=True`` reads a
    target of a single class (rows to evaluate a trained classifier on), which training refuses.
    ``features``: a trained model's feature names, the only columns read besides the target where the
    table has them all (:func:`read_table`).

    Parameters
    ----------
    path : str or Path
        The CSV file: one row per sample, numbers or class names, a header optional.
    target : str or int, optional
        The target column, by name or index; default: a column named label/target/class/y, else the last.
        Several comma-separated names (``"cat,dog,bird"``): columns of 0/1 labels (a multilabel task), or
        of values (a regression of several targets).
    task : {None, "classification", "regression", "multilabel"}, optional
        What to learn; default: decided from the target (text or few whole numbers: classes; several
        columns of 0/1: multilabel). "multilabel" on one column of 0/1 is a binary classification.
    seed : int, default 0
        Seeds the held-out test split: the same seed holds out the same rows.
    test_fraction : float, default 0.2
        Share of the rows held out as the test split (stratified by class).
    name : str, optional
        The data set's name in reports; default: the file name.
    one_class : bool, default False
        Accept a target of a single class (rows to evaluate a trained classifier on).
    features : tuple of str, optional
        A trained model's feature names: read only those columns (and the target) when the table has them all.
    """
    X, y, class_names, task, info = read_table(path, target, task, one_class, features)
    return split_table(name or pathlib.Path(path).name, X, y, class_names, task, info, seed, test_fraction)
