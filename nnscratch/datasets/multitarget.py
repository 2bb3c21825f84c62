"""Several target columns of a table (``--target cat,dog,bird``): rows of 0/1 labels or rows of values.

What the columns hold decides the task, as scikit-learn's ``type_of_target`` reads such a matrix (any 2-D
matrix of 0/1 is "multilabel-indicator"):

======================================================  =============================================
the target columns                                      task
======================================================  =============================================
0/1 (any number of 1s per row, one each included)       "multilabel" (a sigmoid per label, the columns'
                                                        names its labels' names)
other numbers                                           "regression", one output per column
======================================================  =============================================

Rows that each hold exactly one 1 are labels too, unless asked otherwise: a table of "cat", "dog", "bird" columns
whose training rows happen to hold one animal each may hold two in the next file (``--task multilabel``, the
default, trains a sigmoid per label whatever the rows hold). ``task="classification"`` (or its synonym
"multiclass") reads one-hot columns (pandas' ``get_dummies``) as one class per row, the columns' names its
classes, and refuses a row with no 1 or several. A column holding anything but 0 and 1 is one line naming its first
such cell where labels are asked for; ``task="regression"`` learns any numbers as values. An array's rows
(:mod:`nnscratch.datasets.arrays`) and the Python API keep Keras' convention instead: one-hot rows are classes.
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
    named ``names``; ``lines``: each row's line of the file, for messages (None: arrays, said by row number).
    ``one_class`` (rows to score a trained model on) changes nothing here: rows of labels are read as they are."""
    values = np.asarray(values)
    asked, task = task, "classification" if task == "multiclass" else task
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
                              f"--task {asked or 'multilabel'} learns columns of 0/1 labels (1: the sample has that "
                              f"label): fix that cell, or pass --task regression to learn {columns} as values.")
    if task == "classification":
        if rows == "one-hot":
            y = numbers.argmax(axis=1).astype(np.int64)
            return y, tuple(names), "classification", (f"{len(names)} classes ({columns}: exactly one 1 in every "
                                                       "row, one class per row, as asked)")
        i = int(np.flatnonzero(numbers.sum(axis=1) != 1)[0])
        raise DataFormatError(f"{where}, {at(i)}: {int(numbers[i].sum())} of the columns {columns} hold a 1; "
                              f"--task {asked} learns one class per row (exactly one 1): drop it (or pass --task "
                              "multilabel) to learn several labels per row.")
    one = ("; every row here holds exactly one 1: --task multiclass reads them as one class per row"
           if rows == "one-hot" and task is None else "")
    return (numbers.astype(np.float32), tuple(names), "multilabel",
            f"{len(names)} labels per row ({columns}: 0/1, any number of 1s: a multilabel classification{one})")


def _first(mask):
    """``(row, column)`` of the first True of a 2-D ``mask``, in reading order."""
    i, j = np.argwhere(mask)[0]
    return int(i), int(j)
