"""Backends: which array library and device the math runs on.

A :class:`Backend` owns the array namespace ``xp`` (array-api-compat's view of
NumPy, CuPy, PyTorch or array-api-strict), the device, the default float
dtype, and the doors between host and device: :meth:`Backend.asarray`
(host -> device), :meth:`Backend.stager` (batches streamed from host memory)
and :meth:`Backend.to_numpy` (device -> host). Everything nnscratch does on a
backend runs inside :meth:`Backend.activate` (CuPy's ``cupy.cuda.Device(N)``,
torch's ``torch.cuda.device``), entered by :func:`on_device` on the public
entry points, so a model on ``cupy:1`` never creates an array on GPU 0.

Choice, most specific first: an explicit ``backend=`` argument, a
``with use_backend(...)`` block, the ``NNSCRATCH_BACKEND`` environment
variable, then ``auto`` (CuPy when a CUDA GPU is usable, else NumPy).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
from collections.abc import Iterator
from typing import Any

import array_api_compat
import numpy as np

from .adapters import ADAPTERS, import_library
from .discovery import NAMES, BackendInfo, available_backends  # noqa: F401  (nnscratch.available_backends)
from ..errors import BackendUnavailableError, ConfigError, unknown_name
from .._typing import Array, DType

DTYPES = ("float32", "float64")
_current: contextvars.ContextVar[Backend | None] = contextvars.ContextVar("nnscratch_backend", default=None)


class Backend:
    """One array library on one device with one default float dtype.

    Parameters
    ----------
    name : "numpy" or "cupy" or "torch" or "array_api_strict"
        The array library that computes (``"numpy"`` on the CPU; the others may use a GPU).
    device : str or None
        ``None`` for the library's default; ``"1"`` for ``cupy:1``,
        ``"cuda"`` for ``torch:cuda``, ``"device1"`` for array-api-strict.
    dtype : {"float32", "float64"}
        Float type of every array it creates; default float32 (half the memory, GPU speed).
    """

    def __init__(self, name: str, device: str | None = None, dtype: DType = "float32") -> None:
        if name not in NAMES:
            raise unknown_name("backend", name, NAMES)
        dtype = dtype_name(dtype)
        if dtype not in DTYPES:
            raise unknown_name("dtype", dtype, DTYPES)
        self.name = name
        self._lib = import_library(name)
        self.device, self.device_name = ADAPTERS[name].device(self._lib, device)
        probe = ADAPTERS[name].asarray(self, np.zeros(1, dtype=np.float32), None)
        self.xp = array_api_compat.array_namespace(probe)
        self.dtype_name = dtype
        if not ADAPTERS[name].has_float64(self) and dtype == "float64":
            raise ConfigError(f"Backend {self} has no float64 support; use dtype='float32' in Python, "
                              "--dtype float32 on the command line.")
        self.dtype = getattr(self.xp, dtype)

    def __repr__(self):
        return f"Backend({str(self)!r}, dtype={self.dtype_name!r})"

    def __str__(self):
        return self.name if self.device_name is None else f"{self.name}:{self.device_name}"

    def __eq__(self, other):
        return isinstance(other, Backend) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def _key(self):
        return (self.name, self.device_name, self.dtype_name)

    def __reduce__(self):  # pickles and copies (clone, joblib) by name, device and dtype, not its modules
        return Backend, self._key()

    def with_dtype(self, dtype: DType | None) -> Backend:
        """The same library and device with another default float dtype.

        Parameters
        ----------
        dtype : "float32" or "float64" or None
            The new default float type; None keeps this backend's.
        """
        dtype = dtype_name(dtype)
        return self if dtype in (None, self.dtype_name) else Backend(self.name, self.device_name, dtype)

    @property
    def has_float64(self) -> bool:
        return ADAPTERS[self.name].has_float64(self)

    def asarray(self, x: Any, dtype: Any = None) -> Array:
        """Move ``x`` (host data, or an array of any backend and device) to the device.

        ``dtype`` is a name ("float32", "int64", ...) or an ``xp`` dtype. An array of another
        library moves directly where the two libraries allow it (CuPy takes a CUDA tensor),
        else through the host, by its own backend's :meth:`to_numpy` (a torch tensor that
        requires grad or holds bfloat16, an array-api-strict array on ``device1``).

        Parameters
        ----------
        x : array or array_like
            Host data (lists, NumPy arrays) or an array of any backend and device.
        dtype : str or dtype, optional
            The result's type, e.g. ``"float32"``; default: as the array library picks from ``x``.
        """
        if isinstance(dtype, str):
            dtype = getattr(self.xp, dtype)
        adapter = ADAPTERS[self.name]
        try:
            return adapter.asarray(self, x, dtype)
        except (TypeError, RuntimeError, ValueError):
            if not self._foreign(x):
                raise
            return adapter.asarray(self, backend_of(x).to_numpy(x), dtype)

    def _foreign(self, x: Any) -> bool:
        """True for an array of another array library than this backend's."""
        return array_api_compat.is_array_api_obj(x) and namespace(x) is not self.xp

    def to_numpy(self, x: Array) -> np.ndarray:
        """Copy a device array to a new host NumPy array (this syncs a GPU).

        Always a copy, never a view: later in-place updates of ``x`` do not show. A NumPy
        array, or an array of another backend, is copied too (by its own backend).

        Parameters
        ----------
        x : array
            An array of any backend and device (or a NumPy array).
        """
        if isinstance(x, (np.ndarray, np.generic)):
            return np.array(x, copy=True)
        if self._foreign(x):
            return backend_of(x).to_numpy(x)
        return ADAPTERS[self.name].to_numpy(self, x)

    def activate(self) -> contextlib.AbstractContextManager[Any]:
        """A context manager that makes this backend's device the current one
        (CuPy ignores ``device=`` in creation functions and uses the current device)."""
        return ADAPTERS[self.name].activate(self)

    def stager(self) -> Any:
        """A host -> device door for streamed batches (pinned, asynchronous on CUDA);
        see :mod:`nnscratch.backend.staging`."""
        from .staging import stager_for
        return stager_for(self)

    def synchronize(self) -> None:
        """Wait until the device has finished the work queued so far."""
        ADAPTERS[self.name].synchronize(self)

    def memory_info(self) -> tuple[int, int] | None:
        """``(free_bytes, total_bytes)`` of the device, or None if unknown. Free
        counts what the allocator caches but does not use (CuPy's memory pool,
        torch's reserved-but-free memory) and, on the host, ``MemAvailable``."""
        return ADAPTERS[self.name].memory_info(self)

    def owns(self, x: Any) -> bool:
        """True when ``x`` is an array of this backend's library and device.

        Parameters
        ----------
        x : any
            The object to test; anything that is not an array gives False.
        """
        try:
            xp = array_api_compat.array_namespace(x)
        except TypeError:
            return False
        return xp is self.xp and str(array_api_compat.device(x)) == str(self.device)

    def describe(self) -> str:
        """One human line: library, version, device."""
        version = getattr(self._lib, "__version__", "?")
        return f"{self.name} {version} on {ADAPTERS[self.name].device_label(self)} ({self.dtype_name})"


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


def on_device(function):
    """Run ``function(obj, ...)`` inside ``obj.backend.activate()``, where ``obj`` is
    a Network (or anything with a ``backend``): the one way nnscratch enters a device."""
    @functools.wraps(function)
    def wrapper(obj, *args, **kwargs):
        with obj.backend.activate():
            return function(obj, *args, **kwargs)
    return wrapper


# ---------------------------------------------------------------- selection

def parse(spec: str | Backend) -> tuple[str, str | None]:
    """Split ``"torch:cuda:1"`` into ``("torch", "cuda:1")``."""
    name, _, device = str(spec).strip().partition(":")
    name = name.lower().replace("-", "_")
    if name == "strict":
        name = "array_api_strict"
    return name, (device or None)


@functools.lru_cache(maxsize=None)
def _make(name, device, dtype):
    if name == "auto":
        return _auto(dtype)
    return Backend(name, device, dtype)


def _auto(dtype):
    try:
        return Backend("cupy", None, dtype)
    except BackendUnavailableError:
        return Backend("numpy", None, dtype)


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
        spec = _current.get() or os.environ.get("NNSCRATCH_BACKEND") or "auto"
    if isinstance(spec, Backend):
        return spec.with_dtype(dtype)
    if not isinstance(spec, str):
        raise ConfigError(f"backend must be a name like 'numpy' or 'cupy:0', or a Backend; got {type(spec).__name__}.")
    name, device = parse(spec)
    if name in _GPU_WORDS:
        raise _gpu_names(spec, device)
    if name not in NAMES + ("auto",):
        raise unknown_name("backend", name, NAMES + ("auto",))
    if dtype is not None and dtype not in DTYPES:
        raise unknown_name("dtype", dtype, DTYPES)
    return _make(name, device, dtype or "float32")


_GPU_WORDS = ("gpu", "cuda", "nvidia")  # what one says for a GPU; a backend is named by its array library


def _gpu_names(spec, device):
    """The ConfigError for ``gpu``/``cuda`` (``cuda:1``): the backend names that run on a GPU and what each needs."""
    n = f":{device}" if device else ""
    return ConfigError(f"Unknown backend {str(spec)!r}: a backend is named by its array library; on an NVIDIA GPU use "
                       f"'cupy{n}' (CuPy: pip install 'nnscratch[cuda12]') or 'torch:cuda{n}' (a CUDA build of "
                       f"PyTorch), and 'auto' picks CuPy where a GPU is usable; the others are numpy and "
                       f"array_api_strict (CPU).")


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


def backend_of(x: Array) -> Backend:
    """The backend (library and device) an existing array lives on.

    Parameters
    ----------
    x : array
        A NumPy, CuPy, PyTorch or array-api-strict array.
    """
    try:
        xp = array_api_compat.array_namespace(x)
    except TypeError:
        raise ConfigError(f"Expected an array of NumPy, CuPy, PyTorch or array-api-strict, got {type(x).__name__}; "
                          "pass numpy.asarray(...) of it.") from None
    for name in NAMES:
        if getattr(array_api_compat, f"is_{name}_namespace")(xp):
            device = array_api_compat.device(x)
            suffix = {"numpy": "", "cupy": f":{getattr(device, 'id', '')}", "torch": f":{device}",
                      "array_api_strict": f":{getattr(device, '_device', '')}"}[name]
            return get_backend(name + suffix)
    raise ConfigError(f"Arrays of {xp.__name__} are not supported; use NumPy, CuPy, PyTorch or array-api-strict.")


_NAMESPACES: dict[type, Any] = {}


def namespace(x: Array) -> Any:
    """``array_namespace(x)``, looked up once per array type: the hot path (a loss's gradient, an
    optimizer's update) asks every step, and array-api-compat's lookup costs a few microseconds."""
    xp = _NAMESPACES.get(type(x))
    if xp is None:
        xp = _NAMESPACES[type(x)] = array_api_compat.array_namespace(x)
    return xp


# ---------------------------------------------------------------- randomness

def host_rng(seed: int | None) -> np.random.Generator:
    """The host random generator every draw comes from (weights, shuffling)."""
    return np.random.default_rng(seed)


def new_seed():
    """A fresh seed for a network built without one (recorded, so runs can be repeated)."""
    return int(np.random.SeedSequence().entropy % 2**32)
