"""Feature columns that number the rows, said before they are learnt: an ID ties each prediction to a row.

Two kinds are warned of (:class:`~nnscratch.errors.DataWarning`, one line each), at training only (a
trained model reads the columns it was trained on):

- pandas' index column: ``DataFrame.to_csv`` writes the row numbers first, under no name, which reads
  back as ``Unnamed: 0``; ``to_csv(PATH, index=False)`` leaves it out.
- an ID column: one named ``id`` (any case: ``Id``, ``ID``, ``patient_id``, ``rowid``) whose whole
  numbers are distinct, or a first column counting the rows ``0..n-1`` or ``1..n`` in order, in a table
  of 20 rows or more with other features beside it (Kaggle's ``Id``, R's ``write.csv`` row names, a
  spreadsheet's row numbers). A lone feature that counts (``x = 0, 1, 2, ...`` of a trend to fit) is data.

The fix is the table's: drop the column from the file (pandas: ``df.drop(columns="id").to_csv(PATH,
index=False)``); ``evaluate`` and ``predict`` of the model trained without it read its other columns by
name and skip it. Host-side: NumPy only.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import DataWarning
from .cells import _few


def warn_row_numbers(path, names, X, columns):
    """Warn of each feature (``columns``: the features' indices in ``names``, ``X``'s columns) that numbers
    the rows: pandas' index column, else an ID column (:func:`is_id`)."""
    for k, j in enumerate(columns):
        values = X[:, k]
        if not _distinct_whole(values):
            continue
        numbers = _few([f"{v:g}" for v in values], most=3)
        if names[j] == "Unnamed: 0" and j == 0 and values.min() >= 0:
            warnings.warn(f"{path}: the first column has no name and numbers the rows ({numbers}): the index "
                          "pandas' DataFrame.to_csv writes, learned here as a feature ('Unnamed: 0'); save the "
                          "table with to_csv(PATH, index=False), or drop that column", DataWarning, stacklevel=4)
        elif is_id(names[j], values, first=k == 0 and len(columns) > 1):
            warnings.warn(f"{path}: column {names[j]!r} looks like a row ID ({numbers}), learned here as a feature, "
                          "which ties each prediction to a row number; drop that column from the table (pandas: "
                          f"df.drop(columns={names[j]!r}).to_csv(PATH, index=False))", DataWarning, stacklevel=4)


def is_id(name, values, first=True):
    """Whether a column named ``name`` of distinct whole ``values`` is an ID: named ``id`` (any case, or
    ending in ``_id``/``Id``), or, as the ``first`` of several features, counting the rows ``0..n-1`` or
    ``1..n`` in order."""
    lowered = name.lower()
    named = lowered in ("id", "rowid", "row_id", "index") or lowered.endswith("_id") or name.endswith("Id")
    counting = np.array_equal(values, np.arange(len(values))) or np.array_equal(values, np.arange(1, len(values) + 1))
    return named or (first and counting and len(values) >= 20)  # a toy table of 4 rows may count 1..4 by chance


def _distinct_whole(values):
    """Whether ``values`` are whole numbers, each in one row only."""
    return bool(np.all(values == np.round(values))) and len(np.unique(values)) == len(values)
