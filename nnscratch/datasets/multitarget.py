"""Several target columns of a table (``--target cat,dog,bird``): rows of 0/1 labels or rows of values.

What the columns hold decides the task, as :func:`~nnscratch.datasets.arrays.from_arrays` decides it for
rows of targets in an array (scikit-learn's ``type_of_target`` reads such a matrix alike):

======================================================  =============================================
the target columns                                      task
======================================================  =============================================
0/1, some row with no 1 or several                      "multilabel" (a sigmoid per label, the columns'
                                                        names its labels' names)
0/1, exactly one 1 in every row (pandas' get_dummies)   "classification", the columns' names its classes
other numbers                                           "regression", one output per column
======================================================  =============================================

``task="multilabel"`` asks for labels, and a column holding anything but 0 and 1 is one line naming its
first such cell; rows of one 1 each to train on are refused in that task (the network, seeing one 1 per
row, would learn classes), and read as labels to score a trained multilabel model on (``one_class``).
``task="regression"`` learns any numbers as values; ``task="classification"`` takes one-hot rows only.
Host-side: NumPy only.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataFormatError
from ..host_arrays import zero_one_rows
from .cells import _is_number
from .targets import _name, _numeric


def encode_columns(values, names, task=None, where="the targets", lines=None, one_class=False):
    """``(y, class_names, task, note)`` from the target columns ``values`` ``(n, k)`` (strings or numbers)
    named ``names``; ``lines``: each row's line of the file, for messages (None: arrays, said by row number)."""
    values = np.asarray(values)
    at = (lambda i: f"row {i}") if lines is None else (lambda i: f"line {list(lines)[i]}")
    columns = ", ".join(names)
    numeric, numbers = _numeric(values)
    if not numeric:
        i, j = _first(np.vectorize(lambda cell: not _is_number(str(cell)))(values))
        raise DataFormatError(f"{where}, {at(i)}, column {names[j]!r}: {str(values[i, j])!r} is not a number; "
                              "several target columns are rows of 0/1 labels (multilabel) or of numbers (regression): "
                              "fix that cell, or name one column of classes with --target NAME.")
    rows = zero_one_rows(numbers)
    if task == "regression" or (task is None and rows is None):
        why = "as asked" if task == "regression" else "not all 0/1"
        return numbers.astype(np.float32), (), "regression", f"regression of {len(names)} columns ({columns}; {why})"
    if rows is None:
        i, j = _first((numbers != 0) & (numbers != 1))
        raise DataFormatError(f"{where}, {at(i)}, column {names[j]!r}: {_name(numbers[i, j])} is not 0 or 1; "
                              f"--task {task} learns columns of 0/1 labels (1: the sample has that label): fix that "
                              f"cell, or pass --task regression to learn {columns} as values.")
    if rows == "one-hot" and task != "multilabel":
        y = numbers.argmax(axis=1).astype(np.int64)
        return y, tuple(names), "classification", (f"{len(names)} classes ({columns}: exactly one 1 in every row, "
                                                   "one class per row, as pandas' get_dummies writes them)")
    if task == "classification":
        i = int(np.flatnonzero(numbers.sum(axis=1) != 1)[0])
        raise DataFormatError(f"{where}, {at(i)}: {int(numbers[i].sum())} of the columns {columns} hold a 1; "
                              "classification learns one class per row (exactly one 1): pass --task multilabel to "
                              "learn several labels per row.")
    if rows == "one-hot" and not one_class:
        raise DataFormatError(f"{where}: every row holds exactly one 1 among {columns}, one class per row, which a "
                              "network learns as classes; drop --task multilabel to learn the classes "
                              f"{columns} (a softmax over them), or add rows with no label or several.")
    return (numbers.astype(np.float32), tuple(names), "multilabel",
            f"{len(names)} labels per row ({columns}: 0/1, any number of 1s: a multilabel classification)")


def _first(mask):
    """``(row, column)`` of the first True of a 2-D ``mask``, in reading order."""
    i, j = np.argwhere(mask)[0]
    return int(i), int(j)
