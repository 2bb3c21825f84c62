"""The Backend: one array library on one device with one default float dtype.

A :class:`Backend` owns the array namespace ``xp`` (array-api-compat's view of
NumPy, CuPy, PyTorch or array-api-strict), the device, the default float
dtype, and the doors between host and device: :meth:`Backend.asarray`
(host -> device), :meth:`Backend.stager` (batches streamed from host memory)
and :meth:`Backend.to_numpy` (device -> host). Everything nnscratch does on a
backend runs inside :meth:`Backend.activate` (CuPy's ``cupy.cuda.Device(N)``,
torch's ``torch.cuda.device``), entered by :func:`on_device` on the public
entry points, so a model on ``cupy:1`` never creates an array on GPU 0.

One Backend is made per name, device and dtype (``_make``, a cache), and :func:`backend_of`
finds it for an existing array. Which one runs when none is named is :mod:`nnscratch.backend.core`'s
choice (``get_backend``, ``use_backend``), which is where the public names are imported from.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import array_api_compat
import numpy as np

from .adapters import ADAPTERS, import_library
from .discovery import NAMES
from .names import DTYPE_NAMES, DTYPES, checked, dtype_name, dtype_text, holds_float64
from ..errors import BackendUnavailableError, ConfigError, unknown_name
from .._typing import Array, DType


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
        return unpickled, self._key()

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

        ``dtype`` is a name ("float32", "int64", ...) or a dtype of any library (``np.float32``,
        ``torch.int64``, an ``xp`` dtype); an unknown one, or float64 where the device has none, is a
        ConfigError. An array of another
        library moves directly where the two libraries allow it (CuPy takes a CUDA tensor),
        else through the host, by its own backend's :meth:`to_numpy` (a torch tensor that
        requires grad or holds bfloat16, an array-api-strict array on ``device1``).

        On a device without float64 (array-api-strict's ``no_float64``, ``torch:mps``), float64 data
        arrives as float32, the float it has, unless ``dtype`` says otherwise.

        Parameters
        ----------
        x : array or array_like
            Host data (lists, NumPy arrays) or an array of any backend and device.
        dtype : str or dtype, optional
            The result's type, e.g. ``"float32"`` or ``np.int64``; default: as the array library picks
            from ``x`` (float64 as float32 where the device has no float64).
        """
        if dtype is not None:
            dtype = self._own_dtype(dtype)
        elif not self.has_float64 and holds_float64(x):
            dtype = self.xp.float32  # was the library's "does not support float64" from inside
        adapter = ADAPTERS[self.name]
        try:
            return adapter.asarray(self, x, dtype)
        except (TypeError, RuntimeError, ValueError):
            if not self._foreign(x):
                raise
            return adapter.asarray(self, backend_of(x).to_numpy(x), dtype)

    def _own_dtype(self, dtype: Any) -> Any:
        """``dtype`` as this library's own: a name ("int64") or a dtype of any library (``np.float32``,
        ``torch.int64``: the library's own error was "argument 'dtype' must be torch.dtype, not type")."""
        if id(dtype) in self._dtype_ids:  # the hot path: the library's own (once per streamed batch)
            return dtype
        name = dtype if isinstance(dtype, str) else dtype_text(dtype)
        own = self._dtypes.get(name)
        if own is None:
            raise ConfigError(f"Unknown dtype {dtype!r} for backend {self}; expected a name such as 'float32' or "
                              f"'int64', or a dtype of NumPy, PyTorch, CuPy or array-api-strict.")
        if name == "float64" and not self.has_float64:
            raise ConfigError(f"Backend {self} has no float64; ask for dtype='float32'.")
        return own

    @functools.cached_property
    def _dtypes(self) -> dict[str, Any]:
        return {name: getattr(self.xp, name) for name in DTYPE_NAMES if hasattr(self.xp, name)}

    @functools.cached_property
    def _dtype_ids(self) -> frozenset[int]:
        return frozenset(map(id, self._dtypes.values()))

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


def unpickled(name: str, device: str | None, dtype: DType) -> Backend:
    """The Backend a pickle names (:meth:`Backend.__reduce__`); one that cannot run here says how to move
    the model that pickle holds (it rebuilds on its own backend only)."""
    try:
        return Backend(name, device, dtype)
    except BackendUnavailableError as exc:
        spec = name if device is None else f"{name}:{device}"
        raise BackendUnavailableError(f"{exc} The pickle was made on {spec} and unpickles there only: where it was "
                                      "made, save the model with net.save(path) (a model file loads on any backend) "
                                      "or pickle net.to('numpy').") from None


def on_device(function):
    """Run ``function(obj, ...)`` inside ``obj.backend.activate()``, where ``obj`` is
    a Network (or anything with a ``backend``): the one way nnscratch enters a device."""
    @functools.wraps(function)
    def wrapper(obj, *args, **kwargs):
        with obj.backend.activate():
            return function(obj, *args, **kwargs)
    return wrapper


# ---------------------------------------------------------------- one Backend per name

@functools.lru_cache(maxsize=None)
def _make(name, device, dtype):
    """The one Backend of each name, device and dtype: ``get_backend`` and :func:`backend_of` hand out the same."""
    if name == "auto":
        return _auto(dtype)
    return Backend(name, device, dtype)


def _auto(dtype):
    try:
        return Backend("cupy", None, dtype)
    except BackendUnavailableError:
        return Backend("numpy", None, dtype)


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
            return _make(*checked(name + suffix, None))  # what get_backend(name + suffix) returns
    raise ConfigError(f"Arrays of {xp.__name__} are not supported; use NumPy, CuPy, PyTorch or array-api-strict.")


_NAMESPACES: dict[type, Any] = {}


def namespace(x: Array) -> Any:
    """``array_namespace(x)``, looked up once per array type: the hot path (a loss's gradient, an
    optimizer's update) asks every step, and array-api-compat's lookup costs a few microseconds."""
    xp = _NAMESPACES.get(type(x))
    if xp is None:
        xp = _NAMESPACES[type(x)] = array_api_compat.array_namespace(x)
    return xp
