"""Read and write IDX files, the format of MNIST and Fashion-MNIST (optionally gzipped).

Layout (big-endian): two zero bytes, a type code, the number of dimensions
``ndim``, then ``ndim`` uint32 sizes, then the values in C order.
"""

from __future__ import annotations

import gzip
import math
import pathlib
import struct
from typing import Any

import numpy as np

from ..errors import DataFormatError, DatasetNotFoundError
from .._typing import Array, PathLike

TYPES: dict[int, np.dtype[Any]] = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
         0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
CODES = {dt.newbyteorder("="): code for code, dt in TYPES.items()}


def _read_bytes(path):
    """The file's bytes, gunzipped when the file starts with the gzip magic."""
    path = pathlib.Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise DatasetNotFoundError(f"IDX file {path} {what}; name a file such as train-images-idx3-ubyte.gz.")
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise DataFormatError(f"{path}: the gzip data is damaged ({exc}); it is truncated or corrupt.") from None


def read_idx(path: PathLike, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (``.gz`` or not) into a NumPy array.

    Parameters
    ----------
    path : str or Path
        The IDX file, gzip-compressed (``.gz``) or plain.
    ndim : int, optional
        Refuse files that do not have exactly this many dimensions.

    Raises
    ------
    DataFormatError
        Bad magic number, unknown type, wrong number of dimensions, or a data
        length that does not match the header.
    """
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in TYPES:
        raise DataFormatError(f"{path}: not an IDX file (magic number {data[:4].hex() or 'empty'}, "
                              "expected 0000 then a type code such as 08 and the number of dimensions).")
    dtype, dims = TYPES[data[2]], data[3]
    if ndim is not None and dims != ndim:
        raise DataFormatError(f"{path}: expected an IDX file with {ndim} dimensions, got {dims}.")
    header = 4 + 4 * dims
    if len(data) < header:
        raise DataFormatError(f"{path}: truncated IDX header ({len(data)} bytes); it is truncated or corrupt.")
    shape = struct.unpack(f">{dims}I", data[4:header])
    expected = header + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        raise DataFormatError(f"{path}: IDX header says shape {shape} ({expected} bytes) "
                              f"but the file has {len(data)} bytes; it is truncated or corrupt.")
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def write_idx(path: PathLike, array: Array) -> None:
    """Write ``array`` as an IDX file; gzip it when ``path`` ends in ``.gz``.

    Parameters
    ----------
    path : str or Path
        The file to write; a name ending in ``.gz`` is gzip-compressed.
    array : array
        Integers or floats of any shape (uint8 images ``(n, 28, 28)``, labels ``(n,)``).
    """
    array = np.ascontiguousarray(array)
    code = CODES.get(array.dtype.newbyteorder("="))  # big-endian int32 is int32 (IDX stores big-endian)
    if code is None:
        raise DataFormatError(f"IDX cannot store dtype {array.dtype}; use one of "
                              "uint8, int8, int16, int32, float32, float64.")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(TYPES[code], copy=False).tobytes()
    if str(path).endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    pathlib.Path(path).write_bytes(payload)


def read_idx_pair(images_path, labels_path):
    """Images ``(n, rows, cols)`` uint8 and labels ``(n,)`` uint8 that belong together."""
    images = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise DataFormatError(f"{images_path}, {labels_path}: expected unsigned-byte IDX "
                              f"files, got {images.dtype} images and {labels.dtype} labels.")
    if len(images) != len(labels):
        raise DataFormatError(f"{images_path} holds {len(images)} images but {labels_path} "
                              f"holds {len(labels)} labels; the files do not belong together.")
    return images, labels
