"""The text of a CSV file as rows of cells: :func:`read_rows` (UTF-8 or UTF-16 text, comment lines and a
trailing comma left out) and :func:`separator` (the comma, a tab or a semicolon). What the cells mean is
:mod:`nnscratch.datasets.columns`' and :mod:`nnscratch.datasets.cells`' business. Host-side: no NumPy needed.
"""

from __future__ import annotations

import csv
import io
import pathlib

from ..errors import DataFormatError, DatasetNotFoundError


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
        from .not_data import nnscratch_file
        raise nnscratch_file(path) or DataFormatError(f"{path} is not a text CSV (it holds bytes that are not UTF-8 text); for NumPy "
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

