"""Datasets from NumPy files: an ``.npz`` archive or a pair of ``.npy`` files.

``.npz``: arrays ``X`` and ``y`` (a seeded test split is held out), or
``X_train``, ``y_train``, ``X_test``, ``y_test`` (in any case: Keras' ``x_train``). ``.npy``: ``X.npy,y.npy``.
Targets are encoded as in CSV tables (:func:`~nnscratch.datasets.targets.encode_target`):
string or few-valued integer targets are classes, fractional ones regression; one-hot
rows (Keras' ``to_categorical``) are classes, multi-hot rows of 0/1 (scikit-learn's multilabel indicator
rows) a "multilabel" task, other rows of targets a regression. Images (``(n, H, W)``, ``(n, C, H, W)``) to
classify are learnt as the MNIST ones are: not standardised, whole numbers 0..255 divided by 255 (images
whose targets are values are standardised as a table's features are, as every regression's are).
Files are read without pickle.
"""

from __future__ import annotations

import pathlib
import zipfile
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DataFormatError, DatasetNotFoundError
from .multitarget import encode_columns
from .not_data import nnscratch_file
from .tables import split_table
from .targets import encode_target
from .._typing import Array, PathLike

if TYPE_CHECKING:
    from .tables import TableDataset

PAIRS = (("X", "y"), ("X_train", "y_train", "X_test", "y_test"))


MAGIC = {"npz": b"PK\x03\x04", "npy": b"\x93NUMPY"}  # how a zip archive (savez) and an .npy (save) begin
NOUN = {"npz": ".npz archive", "npy": ".npy array"}
WRITE = {"npz": "write one with numpy.savez(PATH, X=X, y=y)", "npy": "write one with numpy.save(PATH, array)"}


def load_array(path, kind="npy"):
    """The array (``kind`` "npy") or archive ("npz") in ``path``, read without pickle; a file that
    is not one is a :class:`DataFormatError` saying what it is instead."""
    path = pathlib.Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise DatasetNotFoundError(f"{path} {what}; pass an .npz with arrays X, y (or X_train, y_train, X_test, "
                                   "y_test) or two .npy files as npy:X.npy,y.npy.")
    with open(path, "rb") as f:
        start = f.read(len(MAGIC["npy"]))
    if not start.startswith(MAGIC[kind]):
        other = next((k for k, magic in MAGIC.items() if start.startswith(magic)), None)
        what = (f"it is a NumPy {NOUN[other]}" if other else "it is empty" if not start else
                "it holds text; a CSV table is read as csv:PATH" if _is_text(path) else
                f"it does not begin as a NumPy {NOUN[kind]} does")
        raise DataFormatError(f"{path}: not a readable {NOUN[kind]} ({what}); {WRITE[kind]}.")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _unreadable(path, kind, exc) from None


def _unreadable(path, kind, exc):
    if "pickle" in str(exc):
        return DataFormatError(f"{path} holds Python objects (an object array), which are read only with pickle; "
                               "save the values as an array of numbers (or strings for targets).")
    return DataFormatError(f"{path}: a damaged NumPy .{kind} file ({exc}); write it again.")


def _is_text(path):
    with open(path, "rb") as f:
        head = f.read(4096)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut by the 4096th byte is still text
        return exc.start > len(head) - 4 and b"\0" not in head
    return b"\0" not in head


def _features(path, name, X, n):
    X = np.asarray(X)
    if X.ndim == 0:
        raise DataFormatError(f"{path}: {name} is a single value, shape (); features are one row per sample, "
                              "shape (n_samples, n_features) (or images (n, H, W)).")
    if X.dtype.kind not in "biuf":
        raise DataFormatError(f"{path}: {name} has dtype {X.dtype}; features must be numbers.")
    X = X.reshape(len(X), -1) if X.ndim != 2 else X
    if len(X) != n:
        raise DataFormatError(f"{path}: {name} has {len(X)} rows but its targets {n}; they must match.")
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        row, col = bad[0]
        raise DataFormatError(f"{path}: {name} row {row}, column {col} is {X[row, col]} (missing or infinite); "
                              "fill in or drop those rows first.")
    return X


def _squeezed(y):
    """``y`` as an array, a column ``(n, 1)`` as ``(n,)``."""
    y = np.asarray(y)
    return y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y


def _rows(*ys):
    """"one-hot", "multi-hot" or None: what the rows of 0/1 of every given target array (train and test
    alike) are, as :func:`~nnscratch.host_arrays.zero_one_rows` says it."""
    from ..host_arrays import zero_one_rows
    ys = [_squeezed(y) for y in ys if y is not None]
    if any(y.ndim != 2 or y.dtype.kind not in "biuf" for y in ys) or len({y.shape[1] for y in ys}) != 1:
        return None
    kinds = {zero_one_rows(y) for y in ys}
    return None if None in kinds else "multi-hot" if "multi-hot" in kinds else "one-hot"


def _target(path, name, y, task=None, rows=None):
    """``y`` as one column of targets, or (regression) one row of them per sample, or an image per sample
    ``(n, C, H, W)`` (an image-to-image regression: :func:`~nnscratch.datasets.targets.encode_target` reads
    its rows); one-hot rows (Keras' ``to_categorical``) become the class indices, unless ``task`` is
    "regression"; multi-hot rows (``rows``, of the train and test targets together) stay rows of labels."""
    y = _squeezed(y)
    if y.ndim not in (1, 2, 4):
        raise DataFormatError(f"{path}: {name} has shape {y.shape}; targets are one per sample, shape (n,), "
                              "or one row per sample, (n, k): one-hot classes or k regression targets, or an "
                              "image per sample, (n, C, H, W).")
    if len(y) == 0:
        raise DataFormatError(f"{path}: {name} is empty; the file has no rows.")
    missing = np.argwhere(~np.isfinite(y)) if y.dtype.kind == "f" else ()
    if len(missing):
        raise DataFormatError(f"{path}: {name} row {missing[0][0]} is {y[tuple(missing[0])]} (missing or infinite); "
                              "drop or fill in those rows first.")
    if rows == "one-hot" and task not in ("regression", "multilabel"):
        return y.argmax(axis=1)
    if y.ndim == 2 and task == "classification":
        labels = ("; rows of 0/1 labels are learnt as a multilabel classification without --task" if rows else "")
        raise DataFormatError(f"{path}: {name} has shape {y.shape}, several targets per sample, and is not one-hot; "
                              "classification needs one class per sample: pass labels of shape (n,) or one-hot rows"
                              f"{labels}.")
    return y


def from_arrays(name: str, X: Array, y: Array, X_test: Array | None = None,
                y_test: Array | None = None, task: str | None = None, seed: int = 0, test_fraction: float = 0.2,
                path: PathLike | None = None, one_class: bool = False) -> TableDataset:
    """A TableDataset from arrays (a test split is held out when none is given). ``one_class=True`` reads
    labels of a single class (rows to evaluate a trained classifier on), which training refuses.

    Parameters
    ----------
    name : str
        The data set's name in reports and error messages.
    X : array, (n_samples, ...)
        Inputs, one row (or image) per sample; images are flattened into rows.
    y : array, (n_samples,) or (n_samples, n_targets)
        Class labels (numbers or text), one-hot or multi-hot rows of 0/1 (a "multilabel" task), or
        regression targets.
    X_test, y_test : array, optional
        A test split of your own; default: one is held out from ``X`` and ``y``.
    task : {None, "classification", "multiclass", "regression", "multilabel"}, optional
        What to learn; default: decided from the target (text or few whole numbers: classes; multi-hot
        rows: "multilabel"). "multiclass" is "classification". "regression" learns rows of 0/1 as values.
    seed : int, default 0
        Seeds the held-out test split: the same seed holds out the same rows.
    test_fraction : float, default 0.2
        Share of the rows held out as the test split when none is given.
    path : str or Path, optional
        The file the arrays came from, named in error messages instead of ``name``.
    one_class : bool, default False
        Accept a target of a single class (rows to evaluate a trained classifier on).
    """
    where = path or name
    task = "classification" if task == "multiclass" else task  # as the command line's --task reads it
    X_given = np.shape(X)
    rows = _rows(y, y_test)
    y = _target(where, "y", y, task, rows)
    X = _features(where, "X" if X_test is None else "X_train", X, len(y))
    if X_test is not None:
        test_given = np.shape(X_test)
        if min(len(X_given), len(test_given)) > 2 and X_given[1:] != test_given[1:]:  # images laid out otherwise
            raise DataFormatError(f"{where}: X_train holds samples of shape {X_given[1:]} but X_test "
                                  f"{test_given[1:]}; save both in the same layout, e.g. (n, C, H, W).")
        y_test = _target(where, "y_test", y_test, task, rows)
        X_test = _features(where, "X_test", X_test, len(y_test))
        if X_test.shape[1] != X.shape[1]:
            raise DataFormatError(f"{where}: X_train has {X.shape[1]} features but X_test {X_test.shape[1]}.")
    both = y if X_test is None else np.concatenate([y, y_test])
    if both.ndim == 2 and task == "multilabel":  # asked for: rows of 0/1 or one line saying which cell is not
        codes, class_names, task, note = encode_columns(both, [str(j) for j in range(both.shape[1])], task,
                                                        f"{where}: y", one_class=one_class)
    elif both.ndim == 2 and rows == "multi-hot" and task != "regression":  # scikit-learn's multilabel indicator rows
        codes, class_names, task = both.astype(np.float32), tuple(str(j) for j in range(both.shape[1])), "multilabel"
        note = (f"{both.shape[1]} labels per sample (rows of 0/1, any number of 1s: a multilabel classification; "
                "--task regression learns them as values)")
    elif both.ndim == 2:  # several regression targets
        codes, class_names, task, note = both.astype(np.float32), (), "regression", f"{both.shape[1]} targets"
    else:
        codes, class_names, task, note = encode_target(both, task, f"{where}: y", one_class=one_class)
    image = _image_shape(X_given)
    classes = image is not None and task != "regression"  # images to classify: learnt as MNIST's are
    X, X_test, grey = _grey_levels(X, X_test) if classes else (X, X_test, ())
    info = {"target_name": "y", "feature_names": tuple(f"x{j}" for j in range(X.shape[1])), "note": note,
            "image_shape": image, "array_shape": tuple(int(n) for n in X_given[1:]) or None, "notes": grey,
            "standardize": not classes}
    if X_test is not None:
        return split_table(name, X, codes[:len(y)], class_names, task, info, X_test=X_test, y_test=codes[len(y):])
    return split_table(name, X, codes, class_names, task, info, seed, test_fraction)


def _grey_levels(X, X_test):
    """``(X, X_test, notes)``: images of whole numbers 0..255 divided by 255, as the MNIST files' are (and as
    ``nnscratch predict`` divides such images for an image classifier); images of other values as they are."""
    arrays = [a for a in (X, X_test) if a is not None]
    if any(a.dtype.kind not in "biu" or a.size and (a.min() < 0 or a.max() > 255) for a in arrays):
        return X, X_test, ()
    scaled = [None if a is None else a.astype(np.float32) / np.float32(255.0) for a in (X, X_test)]
    return scaled[0], scaled[1], ("pixels: grey levels 0..255 divided by 255, as MNIST's are",)


def _image_shape(shape):
    """The per-sample ``(C, H, W)`` of images ``(n, C, H, W)``, ``(n, H, W)`` or ``(n, H, W, 1)`` (one
    channel: Keras' MNIST), else None. Channels-last colour images ``(n, H, W, 3)`` are not read as images:
    their flat rows (what an MLP is trained on) are not those of ``(C, H, W)``."""
    if len(shape) == 4 and shape[3] == 1 and shape[1] > 4:
        return (1, int(shape[1]), int(shape[2]))
    if len(shape) == 4:
        return None if shape[3] in (3, 4) and shape[1] > 4 else tuple(int(n) for n in shape[1:])
    return (1, int(shape[1]), int(shape[2])) if len(shape) == 3 else None


def load_npz(path: PathLike, task: str | None = None, seed: int = 0, test_fraction: float = 0.2,
             one_class: bool = False) -> TableDataset:
    """A TableDataset from an ``.npz`` holding X, y or X_train, y_train, X_test, y_test (``one_class``: as
    :func:`from_arrays`).

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file, holding ``X``, ``y`` or ``X_train``, ``y_train``, ``X_test``, ``y_test``.
    task : {None, "classification", "regression", "multilabel"}, optional
        What to learn; default: decided from the target (text or few whole numbers: classes; multi-hot rows: "multilabel").
    seed : int, default 0
        Seeds the held-out test split: the same seed holds out the same rows.
    test_fraction : float, default 0.2
        Share of the rows held out as the test split (stratified by class).
    one_class : bool, default False
        Accept a target of a single class (rows to evaluate a trained classifier on).
    """
    with load_array(path, "npz") as archive:
        keys = set(archive.files)
        for names in PAIRS[::-1]:
            found = _keys(keys, names)
            if found:
                try:
                    arrays = [archive[k] for k in found]
                except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
                    raise _unreadable(path, "npz", exc) from None
                break
        else:
            model = nnscratch_file(path) if "__header__" in keys else None
            if model:
                raise model
            raise DataFormatError(f"{path}: holds arrays {sorted(keys)}; expected X and y, or X_train, "
                                  "y_train, X_test and y_test: save them by those names, as in "
                                  "numpy.savez(PATH, X=X, y=y).")
    return from_arrays(pathlib.Path(path).name, *arrays, task=task, seed=seed, test_fraction=test_fraction,
                       path=path, one_class=one_class)  # type: ignore[misc]  # arrays: 2 or 4 of them, never more


def _keys(keys, names):
    """The archive's keys for ``names``: the same, else the same but for case (Keras' ``x_train``), else None."""
    lower = {}
    for key in sorted(keys):
        lower.setdefault(key.lower(), key)
    found = [name if name in keys else lower.get(name.lower()) for name in names]
    return found if all(found) else None


def load_npy_pair(spec, task=None, seed=0, test_fraction=0.2, one_class=False):
    """A TableDataset from ``"X.npy,y.npy"`` (``one_class``: as :func:`from_arrays`)."""
    parts = [p.strip() for p in str(spec).split(",")]
    if len(parts) != 2:
        raise DataFormatError(f"npy:{spec}: expected two files, features and targets, as npy:X.npy,y.npy.")
    X, y = (load_array(p, "npy") for p in parts)
    return from_arrays(pathlib.Path(parts[0]).name, X, y, task=task, seed=seed, test_fraction=test_fraction,
                       path=parts[0], one_class=one_class)
