"""The few type aliases the public annotations share (light typing, no generics), and the two
checks every argument validation uses for "an int" and "a number" (NumPy's scalars included).

An array is whatever array the selected backend holds (NumPy, CuPy, torch,
array-api-strict), so it is ``Any`` to the type checker; the name says intent.
"""

import math
import numbers
import os
from typing import Any, Literal

Array = Any
"""An array of any supported array library (or host data that converts to one)."""

Shape = tuple[Any, ...]
"""The shape of one sample, without the batch axis: ``(784,)``, ``(1, 28, 28)``;
each entry an int, or ``None`` for a size not known yet (typed ``Any`` so that
shape arithmetic after a ``None`` check needs no casts)."""

DType = Literal["float32", "float64"]
"""The float dtype names a backend or network accepts."""

Rng = Any
"""A ``numpy.random.Generator``: weights, dropout keys and shuffles are drawn on the host."""

PathLike = str | os.PathLike[str]
"""A file path: a string or a ``pathlib.Path``."""


def is_int(value: Any) -> bool:
    """Whether ``value`` is a whole number, Python's or NumPy's (``np.int64(784)``), and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """Whether ``value`` is a finite real number, Python's or NumPy's (``np.float32(0.25)``), and not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
