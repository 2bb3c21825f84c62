"""Names of backends and dtypes: how a string such as ``"torch:cuda:1"`` or a dtype of any
library reads as the library, device and float type a :class:`~nnscratch.backend.core.Backend` takes.

``parse`` splits a backend string, :func:`checked` refuses what names no backend (a typo, with
the closest name; ``gpu`` or ``cuda``, with the names that run on a GPU; ``auto`` with a device),
``dtype_name`` reads ``np.float64``, ``torch.float64`` or ``"float64"`` alike, ``dtype_text`` gives
any dtype's name (what ``Backend.asarray`` takes for its library's own) and ``holds_float64`` tells
float64 data. Nothing here imports an array library but NumPy, nor builds a Backend:
:mod:`nnscratch.backend.core` does, from these names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .discovery import NAMES
from ..errors import ConfigError, unknown_name

if TYPE_CHECKING:
    from .core import Backend

DTYPES = ("float32", "float64")
_GPU_WORDS = ("gpu", "cuda", "nvidia")  # what one says for a GPU; a backend is named by its array library
_DEVICE_WORDS = {"cpu": "on the CPU use 'numpy' (or 'torch:cpu', 'array_api_strict')",
                 "mps": "on an Apple GPU use 'torch:mps'"}


def dtype_name(dtype: Any) -> Any:
    """"float32" or "float64" for that dtype of any library (``np.float32``, ``np.dtype("float64")``,
    ``torch.float64``, ``xp.float32``) or its name; anything else as it is, for the caller to refuse."""
    if dtype is None or isinstance(dtype, str):
        return dtype
    try:
        name = np.dtype(dtype).name
    except TypeError:  # torch's and array-api-strict's dtypes: "torch.float64"
        name = str(dtype).rpartition(".")[2]
    return name if name in DTYPES else dtype


DTYPE_NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32",
                "float64", "complex64", "complex128")


def dtype_text(dtype: Any) -> str:
    """The name of a dtype of any library: ``np.float32`` and ``np.dtype("float32")`` -> "float32",
    ``torch.int64`` -> "int64", ``array_api_strict.float64`` -> "float64"."""
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype).rpartition(".")[2]


def holds_float64(x: Any) -> bool:
    """Whether ``x`` (an array of any library, or host data) holds float64 numbers."""
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        try:
            dtype = np.asarray(x).dtype
        except (TypeError, ValueError):
            return False
    return dtype_name(dtype) == "float64"


def parse(spec: str | Backend) -> tuple[str, str | None]:
    """Split ``"torch:cuda:1"`` into ``("torch", "cuda:1")``."""
    name, _, device = str(spec).strip().partition(":")
    name, device = name.strip().lower().replace("-", "_"), device.strip()  # "torch: cpu" as "torch:cpu"
    if name == "strict":
        name = "array_api_strict"
    return name, (device or None)


def checked(spec: str, dtype: str | None) -> tuple[str, str | None, str]:
    """``(name, device, dtype)`` of backend string ``spec`` (``"auto"`` included) and dtype name ``dtype``
    (None: float32); an unknown backend or dtype is a ConfigError that names the known ones."""
    name, device = parse(spec)
    if name in _GPU_WORDS:
        raise _gpu_names(spec, device)
    if name in _DEVICE_WORDS:  # a device named where the library goes: say the names that run there
        raise ConfigError(f"Unknown backend {str(spec).strip()!r}: a backend is named by its array library (a device "
                          f"may follow a colon); {_DEVICE_WORDS[name]}.")
    if name not in NAMES + ("auto",):
        raise unknown_name("backend", name, NAMES + ("auto",))
    if name == "auto" and device is not None:  # auto picks CuPy's first GPU or NumPy: a device would go unheard
        raise ConfigError(f"Backend 'auto' takes no device (it picks CuPy's first GPU, else NumPy); got "
                          f"{str(spec).strip()!r}. Name the library with the device: 'cupy:{device}' or "
                          f"'torch:cuda:{device}' on a GPU, or 'auto' alone.")
    if dtype is not None and dtype not in DTYPES:
        raise unknown_name("dtype", dtype, DTYPES)
    return name, device, dtype or "float32"


def _gpu_names(spec, device):
    """The ConfigError for ``gpu``/``cuda`` (``cuda:1``): the backend names that run on a GPU and what each needs."""
    n = f":{device}" if device else ""
    return ConfigError(f"Unknown backend {str(spec)!r}: a backend is named by its array library; on an NVIDIA GPU use "
                       f"'cupy{n}' (CuPy: pip install 'nnscratch[cuda12]') or 'torch:cuda{n}' (a CUDA build of "
                       f"PyTorch), and 'auto' picks CuPy where a GPU is usable; the others are numpy and "
                       f"array_api_strict (CPU).")
