"""Backends: which array library and device the math runs on.

A :class:`Backend` owns the array namespace ``xp`` (array-api-compat's view of
NumPy, CuPy, PyTorch or array-api-strict), the device, the default float
dtype, and the only two doors between host and device: :meth:`Backend.asarray`
(host -> device) and :meth:`Backend.to_numpy` (device -> host).

Choice, most specific first: an explicit ``backend=`` argument, a
``with use_backend(...)`` block, the ``NNSCRATCH_BACKEND`` environment
variable, then ``auto`` (CuPy when a CUDA GPU is usable, else NumPy).
"""

import contextlib
import contextvars
import functools
import importlib
import os
from dataclasses import dataclass

import array_api_compat
import numpy as np

from .errors import BackendUnavailableError, ConfigError, unknown_name

NAMES = ("numpy", "cupy", "torch", "array_api_strict")
DTYPES = ("float32", "float64")
_STRICT_DEVICES = ("CPU_DEVICE", "device1", "device2", "no_float64")
_current = contextvars.ContextVar("nnscratch_backend", default=None)


class Backend:
    """One array library on one device with one default float dtype.

    Parameters
    ----------
    name : {"numpy", "cupy", "torch", "array_api_strict"}
    device : str or None
        ``None`` for the library's default; ``"1"`` for ``cupy:1``,
        ``"cuda"`` for ``torch:cuda``, ``"device1"`` for array-api-strict.
    dtype : {"float32", "float64"}
    """

    def __init__(self, name, device=None, dtype="float32"):
        if name not in NAMES:
            raise unknown_name("backend", name, NAMES)
        if dtype not in DTYPES:
            raise unknown_name("dtype", dtype, DTYPES)
        self.name = name
        self._lib = _import(name)
        self.device, self.device_name = _ADAPTERS[name].device(self._lib, device)
        probe = _ADAPTERS[name].asarray(self, np.zeros(1, dtype=np.float32), None)
        self.xp = array_api_compat.array_namespace(probe)
        self.dtype_name = dtype
        if not _ADAPTERS[name].has_float64(self) and dtype == "float64":
            raise ConfigError(f"Backend {self} has no float64 support; use dtype='float32'.")
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

    def with_dtype(self, dtype):
        """The same library and device with another default float dtype."""
        return self if dtype in (None, self.dtype_name) else Backend(self.name, self.device_name, dtype)

    @property
    def has_float64(self):
        return _ADAPTERS[self.name].has_float64(self)

    def asarray(self, x, dtype=None):
        """Move ``x`` (host data or an array of this backend) to the device.

        ``dtype`` is a name ("float32", "int64", ...) or an ``xp`` dtype.
        """
        if isinstance(dtype, str):
            dtype = getattr(self.xp, dtype)
        return _ADAPTERS[self.name].asarray(self, x, dtype)

    def to_numpy(self, x):
        """Copy a device array to a new host NumPy array (this syncs a GPU).

        Always a copy, never a view: later in-place updates of ``x`` do not show."""
        return _ADAPTERS[self.name].to_numpy(self, x)

    def synchronize(self):
        """Wait until the device has finished the work queued so far."""
        _ADAPTERS[self.name].synchronize(self)

    def memory_info(self):
        """``(free_bytes, total_bytes)`` of the device, or None if unknown."""
        return _ADAPTERS[self.name].memory_info(self)

    def owns(self, x):
        """True when ``x`` is an array of this backend's library and device."""
        try:
            xp = array_api_compat.array_namespace(x)
        except TypeError:
            return False
        return xp is self.xp and str(array_api_compat.device(x)) == str(self.device)

    def describe(self):
        """One human line: library, version, device."""
        version = getattr(self._lib, "__version__", "?")
        return f"{self.name} {version} on {_ADAPTERS[self.name].device_label(self)} ({self.dtype_name})"


# ---------------------------------------------------------------- adapters
# The few things each library does differently; everything else is ``xp``.

def _import(name):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        extra = {"cupy": "cuda12", "torch": "torch", "array_api_strict": "test"}.get(name, "")
        raise BackendUnavailableError(
            f"Backend {name!r} is not installed ({exc}); install it with "
            f"pip install 'nnscratch[{extra}]' or choose backend='numpy'.") from None


@dataclass(frozen=True)
class _Adapter:
    device: callable
    asarray: callable
    to_numpy: callable
    synchronize: callable = lambda b: None
    memory_info: callable = lambda b: None
    has_float64: callable = lambda b: True
    device_label: callable = lambda b: "CPU"


def _numpy_device(lib, device):
    if device not in (None, "cpu"):
        raise ConfigError(f"NumPy runs on the CPU only; got device {device!r}. Use 'numpy' or 'numpy:cpu'.")
    return "cpu", None


def _cupy_device(lib, device):
    index = 0 if device in (None, "", "cuda") else device
    try:
        index = int(str(index).removeprefix("cuda:"))
        count = lib.cuda.runtime.getDeviceCount()
    except ValueError:
        raise ConfigError(f"CuPy devices are numbered; got {device!r}. Use e.g. 'cupy:0'.") from None
    except Exception as exc:  # CUDARuntimeError and friends
        raise BackendUnavailableError(_cuda_problem("CuPy", exc)) from None
    if not 0 <= index < count:
        raise BackendUnavailableError(f"CuPy sees {count} GPU(s); there is no device {index}. Use cupy:0 .. cupy:{count - 1}.")
    return lib.cuda.Device(index), str(index)


def _cuda_problem(library, exc):
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (f"{library} is installed but no usable CUDA GPU was found ({first}). "
            "Check the NVIDIA driver with nvidia-smi, or choose backend='numpy'.")


def _torch_device(lib, device):
    try:
        dev = lib.device(device or "cpu")
    except RuntimeError:
        raise ConfigError(f"Unknown torch device {device!r}; expected e.g. 'cpu', 'cuda' or 'cuda:1'.") from None
    if dev.type == "cuda" and not lib.cuda.is_available():
        raise BackendUnavailableError(
            "PyTorch is installed but CUDA is not available (torch.cuda.is_available() is False). "
            "Install a CUDA build of torch, or use 'torch:cpu'.")
    if dev.type == "cuda" and dev.index is not None and dev.index >= lib.cuda.device_count():
        count = lib.cuda.device_count()
        raise BackendUnavailableError(f"PyTorch sees {count} GPU(s); there is no cuda:{dev.index}. "
                                      f"Use torch:cuda:0 .. torch:cuda:{count - 1}.")
    if dev.type == "cuda" and dev.index is None:
        dev = lib.device("cuda", lib.cuda.current_device())
    return dev, str(dev)


def _strict_device(lib, device):
    name = device or "CPU_DEVICE"
    if name not in _STRICT_DEVICES:
        raise unknown_name("array_api_strict device", name, _STRICT_DEVICES)
    return lib.Device(name), name


def _strict_asarray(b, x, dtype):
    if hasattr(x, "__array_namespace__") and not isinstance(x, np.ndarray):
        return b._lib.asarray(x, dtype=dtype, device=b.device) if dtype else x
    return b._lib.asarray(np.asarray(x), dtype=dtype, device=b.device)


def _strict_to_numpy(b, x):
    return np.array(x.to_device(b._lib.Device("CPU_DEVICE")), copy=True)


def _torch_asarray(b, x, dtype):
    if isinstance(x, b._lib.Tensor):
        return x.to(device=b.device, dtype=dtype) if dtype else x.to(device=b.device)
    return b._lib.as_tensor(np.asarray(x), dtype=dtype, device=b.device)


def _torch_sync(b):
    if b.device.type == "cuda":
        b._lib.cuda.synchronize(b.device)


def _torch_memory(b):
    if b.device.type == "cuda":
        return b._lib.cuda.mem_get_info(b.device)
    return _host_memory()


def _cupy_asarray(b, x, dtype):
    with b.device:
        return b._lib.asarray(x, dtype=dtype)


def _cupy_memory(b):
    with b.device:
        return b._lib.cuda.runtime.memGetInfo()


def _host_memory():
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        return os.sysconf("SC_AVPHYS_PAGES") * page, os.sysconf("SC_PHYS_PAGES") * page
    except (ValueError, OSError, AttributeError):
        return None


_ADAPTERS = {
    "numpy": _Adapter(
        device=_numpy_device,
        asarray=lambda b, x, dtype: np.asarray(x, dtype=dtype),
        to_numpy=lambda b, x: np.array(x, copy=True),
        memory_info=lambda b: _host_memory()),
    "cupy": _Adapter(
        device=_cupy_device,
        asarray=_cupy_asarray,
        to_numpy=lambda b, x: b._lib.asnumpy(x),
        synchronize=lambda b: b.device.synchronize(),
        memory_info=_cupy_memory,
        device_label=lambda b: f"CUDA device {b.device.id}"),
    "torch": _Adapter(
        device=_torch_device,
        asarray=_torch_asarray,
        to_numpy=lambda b, x: np.array(x.detach().cpu().numpy(), copy=True),
        synchronize=_torch_sync,
        memory_info=_torch_memory,
        device_label=lambda b: str(b.device)),
    "array_api_strict": _Adapter(
        device=_strict_device,
        asarray=_strict_asarray,
        to_numpy=_strict_to_numpy,
        has_float64=lambda b: b.device_name != "no_float64",
        device_label=lambda b: b.device_name),
}


# ---------------------------------------------------------------- selection

def parse(spec):
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


def get_backend(spec=None, *, dtype=None):
    """Resolve a backend: ``spec`` > ``use_backend`` block > ``$NNSCRATCH_BACKEND`` > auto.

    Parameters
    ----------
    spec : str, Backend or None
        ``"numpy"``, ``"cupy:1"``, ``"torch:cuda"``, ``"array_api_strict:device1"``, ``"auto"``.
    dtype : {"float32", "float64"} or None
        Default float dtype; None keeps the chosen backend's (float32 unless set).
    """
    if spec is None:
        spec = _current.get() or os.environ.get("NNSCRATCH_BACKEND") or "auto"
    if isinstance(spec, Backend):
        return spec.with_dtype(dtype)
    if not isinstance(spec, str):
        raise ConfigError(f"backend must be a name like 'numpy' or 'cupy:0', or a Backend; got {type(spec).__name__}.")
    name, device = parse(spec)
    if name not in NAMES + ("auto",):
        raise unknown_name("backend", name, NAMES + ("auto",))
    if dtype is not None and dtype not in DTYPES:
        raise unknown_name("dtype", dtype, DTYPES)
    return _make(name, device, dtype or "float32")


@contextlib.contextmanager
def use_backend(spec, *, dtype=None):
    """Make ``spec`` the default backend inside a ``with`` block.

    >>> with use_backend("numpy"):
    ...     net = Network.from_sizes(2, 4, 1)
    """
    backend = get_backend(spec, dtype=dtype)
    token = _current.set(backend)
    try:
        yield backend
    finally:
        _current.reset(token)


def backend_of(x):
    """The backend (library and device) an existing array lives on."""
    try:
        xp = array_api_compat.array_namespace(x)
    except TypeError:
        raise ConfigError(f"Expected an array, got {type(x).__name__}.") from None
    for name in NAMES:
        if getattr(array_api_compat, f"is_{name}_namespace")(xp):
            device = array_api_compat.device(x)
            suffix = {"numpy": "", "cupy": f":{getattr(device, 'id', '')}", "torch": f":{device}",
                      "array_api_strict": f":{getattr(device, '_device', '')}"}[name]
            return get_backend(name + suffix)
    raise ConfigError(f"Arrays of {xp.__name__} are not supported; use NumPy, CuPy, PyTorch or array-api-strict.")


# ---------------------------------------------------------------- discovery

@dataclass(frozen=True)
class BackendInfo:
    """What ``available_backends()`` reports for one library."""
    name: str
    installed: bool
    usable: bool
    devices: tuple = ()
    version: str = ""
    reason: str = ""


def available_backends():
    """Every known backend: installed or not, usable or not (and why), devices."""
    return [_probe(name) for name in NAMES]


def _probe(name):
    try:
        lib = _import(name)
    except BackendUnavailableError as exc:
        return BackendInfo(name, False, False, reason=str(exc))
    version = getattr(lib, "__version__", "")
    try:
        devices = _DEVICE_LISTS[name](lib)
    except BackendUnavailableError as exc:
        return BackendInfo(name, True, False, version=version, reason=str(exc))
    return BackendInfo(name, True, True, tuple(devices), version)


def _cupy_devices(lib):
    _cupy_device(lib, None)
    return [f"cupy:{i}" for i in range(lib.cuda.runtime.getDeviceCount())]


def _torch_devices(lib):
    cuda = [f"torch:cuda:{i}" for i in range(lib.cuda.device_count())] if lib.cuda.is_available() else []
    return ["torch:cpu"] + cuda


_DEVICE_LISTS = {
    "numpy": lambda lib: ["numpy"],
    "cupy": _cupy_devices,
    "torch": _torch_devices,
    "array_api_strict": lambda lib: [f"array_api_strict:{d}" for d in _STRICT_DEVICES],
}


# ---------------------------------------------------------------- randomness

def host_rng(seed):
    """The host random generator every draw comes from (weights, shuffling)."""
    return np.random.default_rng(seed)


def new_seed():
    """A fresh seed for a network built without one (recorded, so runs can be repeated)."""
    return int(np.random.SeedSequence().entropy % 2**32)
