"""Kaggle's digit-recognizer CSV: ``label,pixel0,...,pixel783`` (test.csv has no label)."""

from __future__ import annotations

import pathlib

import numpy as np

from ..errors import DataFormatError, DatasetNotFoundError
from .base import labels, pixels
from .cells import MISSING, _bad_cell, _is_text
from .tables import read_rows
from .._typing import PathLike


def _header(path):
    """(has_header, has_label) from the first line of the file."""
    with open(path, encoding="utf-8-sig") as f:  # "-sig": a byte-order mark (Excel's UTF-8) is no text
        first = f.readline().strip().split(",")
    if not first or first == [""]:
        raise DataFormatError(f"{path}: the file is empty; expected a digit-recognizer CSV.")
    has_header = any(_is_text(cell) for cell in first)  # a missing first label ("",1,...) is no header
    if has_header:
        return True, first[0].strip().lower() == "label"
    return False, len(first) == 785


def load_digits_csv(path: PathLike, *, raw: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a digit-recognizer CSV (Kaggle's ``train.csv`` or ``test.csv``).

    Rows are ``label,pixel0..pixel783`` (the label column is optional, as in
    ``test.csv``); a header line is optional too.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    raw : bool, default False
        Keep the pixels as uint8 0..255 instead of float32 in [0, 1].

    Returns
    -------
    X : ndarray, shape (n_samples, 784)
        float32 in [0, 1] (uint8 0..255 with ``raw=True``).
    y : ndarray of int64, shape (n_samples,), or None
        None when the file has no labels.

    Raises
    ------
    DatasetNotFoundError
        If the file does not exist.
    DataFormatError
        If a row has the wrong number of columns or a value outside 0..255.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"CSV file {path} does not exist; pass the path to "
                                   "Kaggle's digit-recognizer train.csv (label,pixel0..pixel783).")
    has_header, has_label = _header(path)
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=int(has_header), dtype=np.int64, ndmin=2,
                           encoding="utf-8-sig")
    except ValueError as exc:  # a bad cell, or what only the table reader reads (a comma ending each line, quotes)
        bad = _bad_row(path, has_header, has_label)
        if bad:
            raise DataFormatError(bad) from None
        try:
            table = np.array([row for _, row in read_rows(path)[int(has_header):]], dtype=np.int64, ndmin=2)
        except ValueError:
            raise DataFormatError(f"{path}: not a digit CSV of integers ({exc}).") from None
    width = 784 + int(has_label)
    if table.shape[1] != width or table.shape[0] == 0:
        raise DataFormatError(f"{path}: expected {width} columns "
                              f"({'label, ' if has_label else ''}784 pixels), got {table.shape[1]}.")
    pix = table[:, int(has_label):]
    if pix.min() < 0 or pix.max() > 255:
        raise DataFormatError(f"{path}: pixel values must be 0..255, got {pix.min()}..{pix.max()}.")
    y = labels(table[:, 0]) if has_label else None
    if y is not None and (y.min() < 0 or y.max() > 9):
        raise DataFormatError(_bad_label(path, has_header))
    return pixels(pix.astype(np.uint8), raw), y


def _bad_label(path, has_header):
    """The first label that is no digit 0..9, named by its line (a class the ten outputs have no unit for)."""
    rows = read_rows(path)[int(has_header):]
    line, label = next(((n, row[0]) for n, row in rows if int(row[0]) not in range(10)), ("?", "outside 0..9"))
    return (f"{path}, line {line}: the label {label} is not a digit 0 to 9; a digit CSV labels each row with its "
            "digit. Fix that row, or read the file as a table of your own classes: --dataset csv:PATH --target "
            "label --task classification.")


def _bad_row(path, has_header, has_label):
    """The first cell that is no whole number, or row of another width, named by its line and column (NumPy's
    message counts rows from 0 past the header and columns from 1); None when none is found."""
    names = ["label"] * has_label + [f"pixel{j}" for j in range(784)]
    for line, row in read_rows(path)[int(has_header):]:
        if len(row) != len(names):
            return f"{path}, line {line}: {len(row)} values but {len(names)} columns; every row needs one per column."
        for name, cell in zip(names, row):
            if cell.strip().lower() in MISSING:
                return _bad_cell(path, line, name, cell, "label" if name == "label" else "pixel")
            if not cell.lstrip("-").isdigit():
                return (f"{path}, line {line}, column {name!r}: {cell!r} is not a whole number; not a digit CSV "
                        "(a label, then 784 pixels of 0..255).")
    return None


def digits_layout(path):
    """"labelled" or "unlabelled" for a digit-recognizer CSV (785 or 784 columns of
    label/pixels), else None (any other table)."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:  # not text at all: the table reader says so
        first = [c.strip().lower() for c in f.readline().split(",")]
    if len(first) == 785 and first[0] in ("label", *(str(d) for d in range(10))):
        return "labelled"
    if len(first) == 784 and first[0] == "pixel0":
        return "unlabelled"
    return None
