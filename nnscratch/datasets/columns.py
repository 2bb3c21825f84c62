"""A table's columns: which first row is its header (:func:`split_header`), which column is the target
(:func:`target_columns`: a name, an index, several names for several labels, else a column named as a
target, else the last) and which are its features (:func:`feature_columns`). Every mistake is one
:class:`~nnscratch.errors.DataFormatError` or :class:`~nnscratch.errors.ConfigError` naming the line or
the column. Host-side: no NumPy needed.
"""

from __future__ import annotations

from ..errors import ConfigError, DataFormatError, closest
from .cells import _few, _named, _names_classes, _unique, is_header

TARGET_NAMES = ("label", "target", "class", "y")


def split_header(path, rows, needed="add at least one row per class", known=()):
    """``(column names, data rows, header)``: whether the first row is a header is :func:`is_header`'s call, else
    with ``known`` (a trained model's features) whether it holds every one of them (``1990,2000`` is its header,
    not a row of numbers), else :func:`_names_classes`'. ``needed``: what a header without rows is told to add."""
    first, widths = rows[0][1], {len(row) for _, row in rows[1:]}
    if len(widths) == 1 and len(first) < min(widths):  # "Iris data, 2024" above the table
        raise DataFormatError(f"{path}, line {rows[0][0]}: {len(first)} cell{'s' * (len(first) > 1)} above rows of "
                              f"{min(widths)}: a title line? Remove it or start it with # (a comment); a header "
                              "names every column.")
    header = is_header(first, rows[1][1] if len(rows) > 1 else []) or (
        set(known) <= set(first) if known else _names_classes(first, rows[1:]))
    names = _unique(_named(first)) if header else tuple(f"column {j}" for j in range(len(first)))
    data = rows[1:] if header else rows
    if not data:
        raise DataFormatError(f"{path}: the file has a header ({_few(names)}) but no rows of data; {needed}.")
    again = next((line for line, row in data if header and row == first), None)
    if again is not None:  # cat a.csv b.csv > all.csv
        raise DataFormatError(f"{path}, line {again} repeats the header ({_few(names)}): files joined with their "
                              "headers? Remove that line (the first header is the table's).")
    for line, row in data:
        if len(row) != len(names):
            values = f"{len(row)} value{'s' * (len(row) != 1)}"
            raise DataFormatError(f"{path}, line {line}: {values} but {len(names)} columns "
                                  f"({'header' if header else 'first row'}); every row needs one value per column.")
    return names, data, header


def target_columns(names, target, header, path):
    """The target columns' indices: ``target`` (a name or an index; several, comma-separated, for several
    columns of 0/1 labels or of values: ``cat,dog``), else a TARGET_NAMES column, else the last."""
    if target is None:
        found = _named_target(names) if header else None
        return [len(names) - 1 if found is None else found]
    text = str(target).strip()
    parts = [text] if text in names or "," not in text else [p.strip() for p in text.split(",")]
    if "" in parts and "" not in names:  # "cat," or "cat,,dog": a comma too many, not a column named ''
        raise ConfigError(f"--target {text}: an empty name between commas; name the target columns separated by "
                          f"single commas, e.g. --target {','.join(p for p in parts if p) or names[-1]}.")
    columns = [_target_index(names, part, header, path) for part in parts]
    twice = next((names[j] for k, j in enumerate(columns) if j in columns[:k]), None)
    if twice is not None:
        raise ConfigError(f"--target {text}: names the column {twice!r} twice; name each target column once.")
    if len(columns) == len(names):
        raise ConfigError(f"--target {text}: names every column of {path}, which leaves no features; name the "
                          "target columns only.")
    return columns


def _target_index(names, text, header, path):
    """The index of one target column: ``text`` a header's name (or ``column 3`` of a file without one, what
    its model remembers), else an index, negative ones from the end."""
    if text in names:
        return names.index(text)
    try:
        index = int(text)
    except ValueError:
        close = closest(text, names) if header else None
        meant = f" (did you mean {close!r}?)" if close else ""
        raise ConfigError(f"--target {text!r}: {path} has no such column{meant}; expected a column name "
                          f"({_few(names)}) or an index 0..{len(names) - 1}.") from None
    if not -len(names) <= index < len(names):
        raise ConfigError(f"--target {index}: {path} has {len(names)} columns (indices 0..{len(names) - 1} "
                          "or -1 for the last).")
    return index % len(names)


def _named_target(names):
    """The column named as a target (any case), in TARGET_NAMES' order of preference, or None: in ``x,y,label``
    the target is ``label``, and ``y`` a coordinate."""
    lowered = [n.lower() for n in names]
    return next((lowered.index(t) for t in TARGET_NAMES if t in lowered), None)


def _one_column(path, first):
    """What a table of one column is told: cells separated by spaces (numpy.savetxt's default) or by bars
    (``a|b|y``) are not read."""
    line, (cell,) = first
    other = next((name for sep, name in ((" ", "spaces"), ("|", "bars")) if sep in cell), None)
    if other:
        cell = cell if len(cell) <= 40 else cell[:40] + "..."
        return (f"{path}, line {line}: one column only ({cell!r} is one cell: cells are separated by "
                f"commas, tabs or semicolons, not {other}); save the table with commas, e.g. "
                "numpy.savetxt(path, table, delimiter=',').")
    return f"{path}: one column only; a table needs the target and at least one feature."


def feature_columns(names, targets, features=None):
    """The feature columns: ``features`` by name where all are among ``names`` and none is a target (``targets``:
    their indices), else every column but the targets."""
    if features and all(f in names for f in features) and not any(names[j] in features for j in targets):
        return [names.index(f) for f in features]
    return [k for k in range(len(names)) if k not in targets]

