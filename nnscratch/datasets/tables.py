"""Any table as a dataset: CSV files of numbers, ``.npz`` archives and ``.npy`` pairs.

``load_table("iris.csv")`` finds the target column (``target=`` a name or an
index; default: a column named label/target/class/y, else the last), reads
the other columns as numeric features, decides the task (string or integer
targets with few values: classification, their names kept as the class
names; fractional values or many distinct integers: regression, see
:mod:`nnscratch.datasets.targets`) and holds out a seeded test split
(stratified for classes) when the file has none. Every problem is one
:class:`DataFormatError` naming the row (line of the file) and the column
(how a cell reads as a number, and which first row is a header: :mod:`nnscratch.datasets.cells`).
Host-side: NumPy only.
"""

from __future__ import annotations

import csv
import io
import pathlib
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, DataError, DataFormatError, DatasetNotFoundError, DataWarning, closest
from .base import Dataset
from .cells import _features, _few, _named, _names_classes, _target_column, _unique, is_header, warn_pandas_index
from .preprocessing import train_val_split
from .targets import encode_target
from .._typing import PathLike

TARGET_NAMES = ("label", "target", "class", "y")


@dataclass(frozen=True, repr=False)
class TableDataset(Dataset):
    """A :class:`Dataset` read from a table, with what the command line reports about it.

    ``task`` is "classification", "regression" (then ``y`` holds float
    targets and ``n_classes`` is the number of target columns) or "multilabel" (arrays only: ``y`` holds
    float rows of 0/1, one column per label, named ``"0"``, ``"1"``, ...); ``standardize``:
    features should be standardised on the training split (tables: yes). The
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
        Whether features should be standardised on the training split (True for tables).
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


def read_rows(path):
    """The non-blank rows of a CSV file as lists of stripped strings, with their line numbers (comment
    lines left out: :func:`_without_comments`)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"CSV file {path} does not exist; pass the path of a table of numbers "
                                   "(one row per sample, the target in one column).")
    try:
        data = path.read_bytes()  # UTF-8 (a byte-order mark is no text), or UTF-16 with one: Excel's "Unicode Text"
        text = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(text))
        rows = [(n, row) for n, row in _numbered(reader) if any(row) and not (n == 1 and row[0] == "sep=")]
        rows = _without_trailing_commas(_without_comments(rows))
    except (UnicodeDecodeError, csv.Error):  # bytes that are not UTF-8, or NUL bytes
        raise DataFormatError(f"{path} is not a text CSV (it holds bytes that are not UTF-8 text); for NumPy "
                              "arrays use npz:PATH or npy:X.npy,y.npy, and save text tables as UTF-8.") from None
    if not rows:
        raise DataFormatError(f"{path}: the file is empty; expected a CSV table with one row per sample.")
    return rows


def _numbered(reader):
    """``(line, stripped cells)`` of each row of a ``csv.reader``: the line of the file it starts on (a quoted
    cell may hold line breaks, so rows and lines are not counted alike)."""
    end = 0
    for row in reader:
        yield end + 1, [c.strip() for c in row]
        end = reader.line_num


def _without_comments(rows):
    """``rows`` less comment lines: those starting with ``#`` whose cells are not as many as the table's (the
    first row not starting with ``#``). A header ``#,Name,...`` (a column of row numbers) or numpy.savetxt's
    ``# a,b,y`` has the table's cells, and stays its header."""
    width = next((len(row) for _, row in rows if not row[0].startswith("#")), None)
    return [(n, row) for n, row in rows if width is None or not row[0].startswith("#") or len(row) == width]


def _without_trailing_commas(rows):
    """``rows`` less a last cell that is empty in every row of the most cells: the column a comma at the end
    of each line makes (Excel's, R's ``write.csv`` of a last empty column), in the header or not, is no column.
    A last cell missing in some rows only is a missing value, said as one."""
    while rows:
        width = max(len(row) for _, row in rows)
        widest = [row for _, row in rows if len(row) == width]
        if width < 2 or any(row[-1] for row in widest):
            return rows
        rows = [(n, row[:-1] if len(row) == width else row) for n, row in rows]
    return rows


def separator(text):
    """The cell separator: the one a first line ``sep=;`` names (Excel writes it; :func:`read_rows` skips it),
    else the comma, or a tab or semicolon (spreadsheets' CSVs where the comma is the decimal mark) when the
    first line holding any (not a ``#`` comment, nor a title above the table) holds more of those than commas,
    counted outside quoted cells (a name ``"price; net"`` holds no separator)."""
    if text.startswith("sep=") and text[4:5] in ("\t", ";", ","):  # Excel's line naming it ("sep=;")
        return text[4]
    for first in (line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")):
        unquoted = "".join(first.split('"')[::2])  # the text outside quotes: every other piece
        line = unquoted if any(sep in unquoted for sep in "\t;,") else first  # an inch mark (5") quotes nothing
        if any(sep in line for sep in "\t;,"):
            return max(("\t", ";", ","), key=line.count)  # a tie goes to the earlier: "1,5;2,5;0" is three cells
    return ","


def _split_header(path, rows, needed="add at least one row per class", known=()):
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


def target_index(names, target, header, path):
    """The target column: ``target`` (a name or an index), else a TARGET_NAMES column, else the last."""
    if target is None:
        found = _named_target(names) if header else None
        return len(names) - 1 if found is None else found
    text = str(target).strip()
    if text in names:  # a header's name, or "column 3" of a file without one (what its model remembers)
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


def input_rows(path, n_inputs):
    """Rows of numbers from a CSV for a model that knows no column names (``predict`` of an image or
    generated-data model): a header is optional; of ``n_inputs + 1`` columns, the one the header names
    label/target/class/y is skipped, else the first (Kaggle's digit CSVs)."""
    rows = read_rows(path)
    if len(rows) == 1 and is_header(rows[0][1]):
        raise DataFormatError(f"{path}: no rows of numbers (a header line alone); give one row of {n_inputs} "
                              "comma-separated inputs per sample.")
    names, data, header = _split_header(path, rows)
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
    names, data, header = _split_header(path, rows, *needed, known=features or ())
    if len(names) < 2:
        raise DataFormatError(_one_column(path, rows[0]))
    j = target_index(names, target, header, path)
    values = _target_column(path, names, data, j)
    columns = _columns(names, j, features)
    X = _features(path, names, data, columns)
    if features is None:  # training: a model reading the table by its names already chose its columns
        warn_pandas_index(path, names, X, columns)
    y, class_names, task, note = encode_target(values, task, f"{path}, column {names[j]!r} (the target)",
                                               one_class=one_class)
    info = {"target_name": names[j], "feature_names": tuple(names[k] for k in columns), "note": note, "path": path}
    return X, y, class_names, task, info


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


def _columns(names, j, features=None):
    """The feature columns: ``features`` by name where all are among ``names`` and none is the target ``j``,
    else every column but the target."""
    if features and all(f in names for f in features) and names[j] not in features:
        return [names.index(f) for f in features]
    return [k for k in range(len(names)) if k != j]


def split_table(name, X, y, class_names, task, info, seed=0, test_fraction=0.2, X_test=None, y_test=None):
    """A TableDataset: the given test split, or a seeded one (stratified for classes) held out of ``X``."""
    notes, where = [f"target {info['target_name']!r}: {info['note']}"], info.get("path", name)
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
                        array_shape=info.get("array_shape"))


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
    task : {None, "classification", "regression"}, optional
        What to learn; default: decided from the target (text or few whole numbers: classes).
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
