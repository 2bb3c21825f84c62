"""Data files nnscratch does not read but a user hands it: compressed ones (Kaggle's ``train.csv.zip``, a
``data.csv.gz``) and spreadsheet workbooks (``.xlsx``, ``.xls``, ``.ods``).

The readers' own words for them named no cause ("Unknown dataset 'data.csv.gz'", "not a text CSV (it holds
bytes that are not UTF-8 text)", "unknown input type .zip"); :func:`refuse_packed` says what the file is and
the command that makes a CSV of it, for ``--dataset`` (train, evaluate, plot) and ``predict``'s inputs alike.
A gzip, bzip2 or xz file is told by its first bytes whatever its name (a ``data.csv`` that is gzip inside); a
zip by its name alone, as a workbook is (an ``.npz`` archive, a model and an ``.xlsx`` are zip files inside).
"""

import os
import shlex

from ..errors import DataFormatError

STREAMS = ((b"\x1f\x8b", "gzip", "gunzip -k"), (b"BZh", "bzip2", "bunzip2 -k"), (b"\xfd7zXZ\x00", "xz", "unxz -k"))
NAMED = {".gz": ("gzip", "gunzip -k"), ".tgz": ("gzip", "tar -xzf"), ".bz2": ("bzip2", "bunzip2 -k"),
         ".xz": ("xz", "unxz -k"), ".zip": ("zip", "unzip")}
WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods")


def packing(path):
    """``(format, command that unpacks it)`` of a compressed file, or ``(None, None)``."""
    suffix = os.path.splitext(path)[1].lower()
    try:
        with open(path, "rb") as f:
            head = f.read(6)
    except OSError:  # not there (said where it is read) or a folder
        return NAMED.get(suffix, (None, None)) if suffix == ".zip" else (None, None)
    found = next(((name, tool) for magic, name, tool in STREAMS if head.startswith(magic)), None)
    return found or (NAMED[".zip"] if suffix == ".zip" else (None, None))


def refuse_packed(path, option=None, spec=None):
    """A DataFormatError where ``path`` (a file of ``option``'s value ``spec``: ``--dataset csv:data.csv.gz``;
    None: a ``predict`` input) is compressed or a workbook, saying how to make the file nnscratch reads;
    nothing for any other file."""
    if not path or not os.path.exists(path):
        return
    stem, suffix = os.path.splitext(path)
    given = f"{option} {spec}: {path}" if option else path
    again = (lambda plain: f"{option} {shlex.quote(spec.replace(path, plain) if path in spec else plain)}") \
        if option else shlex.quote  # a path the shell did not expand (csv:~/...) given as it is now
    if suffix.lower() in WORKBOOKS:
        raise DataFormatError(f"{given} is a spreadsheet workbook, and nnscratch reads CSV text; save the sheet as "
                              f"CSV (File > Save As > CSV UTF-8, or pandas.read_excel({path!r}).to_csv("
                              f"{stem + '.csv'!r}, index=False)) and pass {again(stem + '.csv')}.")
    name, tool = packing(path)
    if name is None:
        return
    if suffix.lower() in NAMED:  # data.csv.gz: gunzip -k makes data.csv
        plain = stem if os.path.splitext(stem)[1] else None
        how = f"{tool} {shlex.quote(path)}"
    else:  # gzip inside a .csv name: gunzip takes no such name, gzip -dc does
        plain = f"{stem}-plain{suffix}"
        how = f"{name} -dc {shlex.quote(path)} > {shlex.quote(plain)}"
    then = f"pass {again(plain)}" if plain else "pass the file it holds"
    raise DataFormatError(f"{given} is compressed ({name}), and nnscratch reads plain CSV text, .npz/.npy arrays"
                          f"{'' if option else ' and images'}; decompress it first ({how}) and {then}.")


def refuse_packed_dataset(spec):
    """:func:`refuse_packed` for each file ``--dataset spec`` names (``csv:PATH``, a bare path, an npy pair)."""
    from ..datasets.catalog import file_kind
    name = str(spec or "").strip()
    kind, path = file_kind(name)
    for part in (path.split(",") if kind else [os.path.expanduser(name)]):
        refuse_packed(part, "--dataset", name)
