"""A CSV cell read as a number, as pandas reads it, the one line that says why one is not (a feature's or
the target's: :func:`_features`, :func:`_target_column`), and a first row of text cells read as a header
(:func:`is_header`, :func:`_names_classes`) whose names are made as pandas makes them (:func:`_named`,
:func:`_unique`).

A cell is a number when Python's ``float`` reads it and it holds no underscore (``2021_03`` is a code,
text to pandas and to a spreadsheet); ``nan`` and ``inf`` read as floats but are no values to learn from.
:func:`_features` turns the feature columns of a table's rows into a float64 array, and every cell it
refuses is named by its line and column, with what to do about it (:func:`_bad_cell`): a missing value,
an infinite one, a decimal comma, or a word where a number belongs. Host-side: NumPy only.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataFormatError

MISSING = ("", "na", "nan", "n/a", "null", "none", "?", "-",
           "#n/a", "#n/a n/a", "#na", "<na>", "-nan", "1.#ind", "-1.#ind", "1.#qnan", "-1.#qnan",  # pandas' too
           "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!")  # Excel's: a formula that gave no value
"""Cells that hold no value (compared lower-cased): pandas' default ``na_values`` and Excel's error values."""


def _float(text):
    """``float(text)``, less Python's digit grouping: ``float("2021_03")`` is 202103.0, but pandas (and a
    spreadsheet) keep a cell with an underscore as text, an ID or a code, so it is no number here either."""
    if "_" in text:
        raise ValueError(f"{text!r} holds an underscore")
    return float(text)


def _is_number(text):
    try:
        _float(text)
    except ValueError:
        return False
    return text.strip().lower() not in ("nan", "inf", "-inf", "+inf", "infinity")


def _is_text(text):
    """Whether a cell is text (a word, a name): not a number, not infinite or nan, and not empty or a
    missing-value marker (:data:`MISSING`), which a row of numbers may hold as well as a header."""
    if text.strip().lower() in MISSING:
        return False
    try:
        _float(text)
    except ValueError:
        return True
    return False


def _is_infinite(text):
    """Whether ``text`` reads as an infinite float (inf, -Infinity): a number, but not one to learn from."""
    try:
        return math.isinf(_float(text))
    except ValueError:
        return False


def _features(path, names, data, columns):
    """The cells of ``columns`` of ``data`` (``(line, row)`` pairs) as a float64 ``(n, len(columns))`` array;
    the first cell that is no finite number is one :class:`DataFormatError` naming its line and column."""
    cells = [[row[j] for j in columns] for _, row in data]
    try:  # the fast way (NumPy reads 1_000 as Python does: cells with "_" go cell by cell, to be refused)
        if not any("_" in cell for line in cells for cell in line):
            X = np.array(cells, dtype=np.float64)
            if np.all(np.isfinite(X)):
                return X
    except ValueError:
        pass
    empty = next((j for j in columns if all(row[j].lower() in MISSING for _, row in data)), None)
    if empty is not None:  # a column of notes left empty: no row to fill in or drop
        raise DataFormatError(f"{path}: column {names[empty]!r} is empty in every row; drop that column, or fill "
                              "it in.")
    X = np.empty((len(data), len(columns)), dtype=np.float64)
    for i, (line, row) in enumerate(data):
        for k, j in enumerate(columns):
            try:
                X[i, k] = _float(row[j])
            except ValueError:
                raise DataFormatError(_bad_cell(path, line, names[j], row[j], "feature")) from None
            if not np.isfinite(X[i, k]):
                raise DataFormatError(_bad_cell(path, line, names[j], row[j], "feature"))
    return X


def _target_column(path, names, data, j):
    values = [row[j] for _, row in data]
    if all(value.lower() in MISSING for value in values):  # a column of notes left empty, or no target at all
        raise DataFormatError(f"{path}: column {names[j]!r} (the target) is empty in every row; name the target "
                              f"with --target NAME|INDEX (columns: {_few(names)}).")
    for (line, row), value in zip(data, values):
        if value.lower() in MISSING:
            raise DataFormatError(f"{path}, line {line}, column {names[j]!r} (the target): missing value "
                                  f"({value!r}); every row needs a target. Drop the rows without one.")
        if _is_infinite(value):
            raise DataFormatError(f"{path}, line {line}, column {names[j]!r} (the target): {value!r} is not a "
                                  "finite number; fix the value or drop the row.")
    return values


def _bad_cell(path, line, name, value, role):
    where = f"{path}, line {line}, column {name!r}"
    if value.strip().lower() in MISSING:
        return (f"{where}: missing value ({value!r}); {role} values must all be present. "
                "Fill in or drop the rows with missing values first.")
    if _is_infinite(value):
        return f"{where}: {value!r} is not a finite number; fix the value or drop the row."
    bare = "".join(value.split()).replace(",", ".")  # "1 000,5" (a space, or a no-break one, between thousands)
    if role == "feature" and _is_number(bare):
        return (f"{where}: {value!r} is not a number (a decimal comma, or a thousands separator); write "
                "numbers with a decimal point and no separators (1.5, 1500), e.g. export the table so.")
    if role == "feature" and _is_number(bare.strip("%$€£¥")):
        return (f"{where}: {value!r} is not a number (it holds a unit sign); write the bare number (5 for 5%, "
                "100 for $100), e.g. format the column as a plain number before exporting.")
    if role == "feature":
        return (f"{where}: {value!r} is not a number; feature columns must be numeric. Encode categories "
                "as numbers (e.g. one column per category) or drop the column.")
    return f"{where}: {value!r} is not a finite number; fix the value or drop the row."


def is_header(first, below=()):
    """Whether row ``first`` (its cells) is a header, given the row ``below`` it (none: a file of one row):
    some cell of it is text (:func:`~nnscratch.datasets.cells._is_text`: empty cells and missing-value markers
    are not), and either every cell that is not empty is text, or a text cell has a number below it (a text
    column, such as the class names, holds text in every row, the first included); or it is the header pandas
    writes for a frame of unnamed columns (:func:`_numbered_columns`)."""
    if _numbered_columns(first, below):
        return True
    text = [_is_text(c) for c in first]
    filled = [t for t, c in zip(text, first) if c.strip().lower() not in MISSING]
    return any(text) and (all(filled) or any(t and j < len(below) and _is_number(below[j])
                                             for j, t in enumerate(text)))


def _numbered_columns(first, below):
    """Whether ``first`` is pandas' header of ``DataFrame(X)`` (columns 0, 1, ...) with named columns added
    after them (``0,1,2,label``), as ``to_csv`` writes it: at least three numbers 0, 1, 2, ..., or, after an
    unnamed index over the rows' numbers (``,0,1,label`` over ``0,...``: any whole number, as in a filtered
    frame's), at least one; then only text."""
    index = len(first) > 1 and first[0] == "" and len(below) > 0 and below[0].isdigit()
    cells = list(first[1:] if index else first)
    count = next((j for j, cell in enumerate(cells) if cell != str(j)), len(cells))
    return count >= (1 if index else 3) and all(_is_text(cell) for cell in cells[count:])


def _names_classes(first, rows):
    """Whether row ``first`` names a column of classes: a text cell of it that no row below holds, over a column
    of text that repeats its values (each class on several rows), as a header of numbers (years, wavelengths,
    pandas' ``0,1,species``) over ``species`` is. A first row of data holds one of its classes (UCI's iris.data)."""
    for j, cell in enumerate(first):
        below = [row[j] for _, row in rows if j < len(row)] if _is_text(cell) else []
        if below and cell not in below and all(map(_is_text, below)) and len(set(below)) < len(below):
            return True
    return False


def _named(cells):
    """Header cells with the empty ones named as pandas names them, ``Unnamed: N`` (N: the column's
    0-based index; the first column of ``DataFrame.to_csv``'s index), so messages and --target can say them."""
    return [cell or f"Unnamed: {j}" for j, cell in enumerate(cells)]


def _unique(names):
    """Header names made distinct as pandas does (a second ``x`` becomes ``x.1``), so that a column is
    found by its name (``--target``, ``predict``'s features) and never mistaken for its namesake."""
    seen, out = set(names), []
    for name in names:
        if name in out:
            k = 1
            while f"{name}.{k}" in seen:
                k += 1
            name = f"{name}.{k}"
            seen.add(name)
        out.append(name)
    return tuple(out)


def _few(names, most=12):
    """Column names for a one-line message: all of them, or the first ``most``, "..." and the last."""
    names = list(names)
    return ", ".join(names if len(names) <= most + 1 else [*names[:most], "...", names[-1]])

