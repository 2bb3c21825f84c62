"""Choosing a backend: which array library and device the math runs on.

Choice, most specific first: an explicit ``backend=`` argument, a
``with use_backend(...)`` block, the ``NNSCRATCH_BACKEND`` environment
variable, then ``auto`` (CuPy when a CUDA GPU is usable, else NumPy).
:func:`get_backend` resolves it where arrays are created; a ``use_backend`` block sets a ContextVar.

The backend itself, :class:`~nnscratch.backend.base.Backend` (one array library on one device,
the doors between host and device), lives in :mod:`nnscratch.backend.base`; names of backends
and dtypes are read in :mod:`nnscratch.backend.names`, the host's random generator is
:mod:`nnscratch.backend.randomness`'s. This module is where the library imports them from.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator

from .base import Backend, _make, backend_of, namespace, on_device  # noqa: F401  (imported from here; _make: the cache)
from .discovery import NAMES, BackendInfo, available_backends  # noqa: F401  (nnscratch.available_backends)
from .names import DTYPES, checked, dtype_name, parse  # noqa: F401  (parse: nnscratch.backend.core.parse)
from .randomness import host_rng, new_seed  # noqa: F401  (nnscratch.backend.core.host_rng, new_seed)
from ..errors import ConfigError, NNScratchError
from .._typing import DType

_current: contextvars.ContextVar[Backend | None] = contextvars.ContextVar("nnscratch_backend", default=None)


def get_backend(spec: str | Backend | None = None, *, dtype: DType | None = None) -> Backend:
    """Resolve a backend: ``spec`` > ``use_backend`` block > ``$NNSCRATCH_BACKEND`` > auto.

    Parameters
    ----------
    spec : str, Backend or None
        ``"numpy"``, ``"cupy:1"``, ``"torch:cuda"``, ``"array_api_strict:device1"``, ``"auto"``.
    dtype : {None, "float32", "float64"}
        Default float dtype; None keeps the chosen backend's (float32 unless set).
    """
    dtype = dtype_name(dtype)
    if spec is None:
        spec = _current.get() or _from_environment() or "auto"
    if isinstance(spec, Backend):
        return spec.with_dtype(dtype)
    if not isinstance(spec, str):
        raise ConfigError(f"backend must be a name like 'numpy' or 'cupy:0', or a Backend; got {type(spec).__name__}.")
    return _make(*checked(spec, dtype))


ENVIRONMENT = "NNSCRATCH_BACKEND"


def _from_environment() -> str | None:
    """``$NNSCRATCH_BACKEND`` (None where unset or empty), after checking that it names a usable backend: a
    mistake there is said with the variable's name, which the code that reads no backend name never shows."""
    env = os.environ.get(ENVIRONMENT, "").strip()
    if not env:  # unset, empty or blank (export NNSCRATCH_BACKEND=" ")
        return None
    try:
        _make(*checked(env, None))
    except NNScratchError as exc:
        raise type(exc)(f"${ENVIRONMENT}={env}: {exc} Set it to a usable backend, unset it, or pass --backend "
                        "on the command line, backend= in Python.") from None
    return env


@contextlib.contextmanager
def use_backend(spec: str | Backend, *, dtype: DType | None = None) -> Iterator[Backend]:
    """Make ``spec`` the default backend inside a ``with`` block.

    Parameters
    ----------
    spec : str or Backend
        A backend name such as ``"numpy"`` or ``"torch:cuda"`` (as :func:`get_backend` takes), or a Backend.
    dtype : {None, "float32", "float64"}, optional
        Float type inside the block; default: the backend's (float32 unless set).

    Examples
    --------
    >>> with use_backend("numpy"):
    ...     net = Network.from_sizes(2, 4, 1)
    """
    backend = get_backend(spec, dtype=dtype)
    token = _current.set(backend)
    try:
        yield backend
    finally:
        _current.reset(token)


def selected_block() -> Backend | None:
    """The backend of the innermost :func:`use_backend` block in force here, or None."""
    return _current.get()
