"""A column of targets as classes or a regression: the task a table or an array pair asks for.

String targets, and integer ones with at most :data:`MAX_CLASSES` distinct values, are
classes (``y``: int64 indices into the sorted distinct values, whose text becomes the
class names); fractional values or more distinct integers are a regression (``y``
float32). ``task=`` overrides the choice ("multilabel" on one column of 0/1: a binary classification, as scikit-learn
reads one such column; several columns: :mod:`nnscratch.datasets.multitarget`); what cannot be learnt (one class, one class
per row, one value as a regression, text as a regression) is one
:class:`~nnscratch.errors.DataFormatError`. Rows to score a trained model on may all be of one
class or hold one value (``one_class=True``): the model knows its other classes.
Host-side: NumPy only.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataFormatError
from .cells import _is_number

MAX_CLASSES = 50
TASKS = ("classification", "regression", "multilabel", "multiclass")
"""What ``task=`` (``--task``) may ask; "multiclass" is "classification" (the network's word for it)."""


def encode_target(values, task=None, where="the target", lines=None, one_class=False):
    """``(y, class_names, task, note)`` from a column of target values (strings or numbers).

    Classification: ``y`` int64 indices into the sorted distinct values, whose
    text becomes the class names. Regression: ``y`` float32. ``one_class``: a target
    of a single class is read (rows to evaluate a trained classifier on), not refused.
    """
    values = np.asarray(values)
    if task not in (None, *TASKS):
        raise ConfigError(f"Unknown task {task!r}; expected one of: {', '.join(TASKS)} (or none: decided "
                          "from the target).")
    task = "classification" if task == "multiclass" else task
    if values.ndim > 1:
        return _rows_of_targets(values, task, where)
    numeric, numbers = _numeric(values)
    if task == "multilabel":  # one label: has it or not, two classes (scikit-learn's "binary" target)
        _one_label(values, numeric, numbers, where)
        y, names, _, _ = encode_target(numbers, "classification", where, one_class=one_class)
        return y, names, "classification", "one label column of 0/1: a binary classification (0: without " \
            "the label, 1: with it; several labels are several columns, --target a,b,c)"
    if numeric and task != "classification":
        integral = bool(np.all(numbers == np.round(numbers)))
        distinct = len(np.unique(numbers))
        if task == "regression" or not integral or distinct > MAX_CLASSES:
            if distinct == 1 and len(numbers) > 1 and not one_class:  # one row: "add rows" says it
                raise DataFormatError(f"{where} holds one value ({_name(numbers.flat[0])}) in every row; a regression "
                                      "needs targets that vary. Choose another --target.")
            why = "as asked" if task == "regression" else (
                "fractional values" if not integral else f"{distinct} distinct values")
            return numbers.astype(np.float32), (), "regression", f"regression ({why})"
    if not numeric and task == "regression":
        text = next((str(v) for v in values.ravel() if not _is_number(str(v))), str(values.flat[0]))
        fix = ("fix or drop the rows that hold text (the model is a regression)" if one_class else
               "Pass --task classification or choose another --target")
        raise DataFormatError(f"{where} holds non-numbers (e.g. {text!r}); regression needs numbers: {fix}.")
    keys = numbers if numeric else values.astype(str)
    classes, y = np.unique(keys, return_inverse=True)
    if len(classes) < 2 and len(keys) > 1 and not one_class:
        raise DataFormatError(f"{where} has only one class ({_name(classes[0])!r}); classification needs at "
                              "least two. Choose another --target, or --task regression.")
    if len(classes) > MAX_CLASSES and 2 * len(classes) > len(keys):
        raise DataFormatError(_one_class_per_row(where, len(classes), len(keys), numeric, numbers))
    names = tuple(_name(c) for c in classes)
    why = f" (whole numbers, {MAX_CLASSES} distinct or fewer: --task regression if they are counts or amounts)" \
        if numeric and task is None and len(names) > 2 else ""
    return y.astype(np.int64).reshape(-1), names, "classification", f"{len(names)} classes{why}"


def _rows_of_targets(values, task, where):
    """Several numbers per sample (an image each, ``(n, C, H, W)``): a regression on each sample's values,
    flattened to one row of targets as its features are (a network's outputs are rows of values)."""
    numeric, numbers = _numeric(values)
    if not numeric or task in ("classification", "multilabel"):
        got = "non-numbers" if not numeric else "several values per sample"
        raise DataFormatError(f"{where} has shape {values.shape}, {got}; a target of that shape is a regression on "
                              "numbers (each sample's values learnt as one row); for classes pass one label per "
                              "sample, shape (n,), for labels rows of 0/1, shape (n, k).")
    rows = numbers.reshape(len(numbers), -1).astype(np.float32)
    return rows, (), "regression", f"{rows.shape[1]} targets (each sample's {values.shape[1:]} values, in rows)"


def _one_label(values, numeric, numbers, where):
    """A DataFormatError unless one column of targets holds only 0s and 1s (what --task multilabel learns)."""
    if numeric and np.all((numbers == 0) | (numbers == 1)):
        return
    bad = (numbers != 0) & (numbers != 1) if numeric else np.ones(values.shape, dtype=bool)
    other = _name(values.ravel()[int(np.argmax(bad.ravel()))])
    raise DataFormatError(f"{where} holds {other!r}, not 0 or 1; --task multilabel learns 0/1 labels (1: the sample "
                          "has the label), one column each (--target a,b,c; an array: rows of 0/1, shape (n, k)): "
                          "give such labels, or drop --task to learn this target as it is.")


def _one_class_per_row(where, distinct, n, numeric, numbers):
    """Classes of one row each (an ID or a measured value taken as classes) cannot be learnt or split."""
    kind = "fractional " if numeric and np.any(numbers != np.round(numbers)) else ""
    rows = "one class per row" if distinct == n else f"{n} rows, fewer than two per class"
    fix = "use --task regression" if numeric else "choose another --target (this one looks like a name or an ID)"
    return f"{where} has {distinct} distinct {kind}values, {rows}; classification needs several rows per class: {fix}."


def _numeric(values):
    """``(True, float64 values)`` for a column of numbers, else ``(False, None)``: text, which includes
    cells with an underscore (``2021_03``: a code, as pandas reads it, though ``float()`` takes it)."""
    if values.dtype.kind in "biuf":
        return True, values.astype(np.float64)
    if any("_" in str(v) for v in values.ravel()):
        return False, None
    try:
        return True, values.astype(np.float64)
    except ValueError:
        return False, None


def _name(value):
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)
