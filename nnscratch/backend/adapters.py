"""Adapters: the few things each array library does differently.

Everything else is the array API namespace ``xp``. Each adapter knows how to
resolve (and probe) a device, enter its context, move host data to it and
back, wait for it, report its free memory, and list the devices a library offers.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BackendUnavailableError, ConfigError, unknown_name
from .cuda import USE_NUMPY, cuda_problem, cupy_probe


STRICT_DEVICES = ("CPU_DEVICE", "device1", "device2", "no_float64")

def import_library(name):
    """The array library ``name``, imported; a BackendUnavailableError that says whether it is missing
    or installed but broken (a shared library it loads is missing: an OSError or ImportError from inside)."""
    try:
        return importlib.import_module(name)
    except Exception as exc:  # a broken install raises what its own imports raise (OSError, RuntimeError, ...)
        command = {"cupy": "pip install 'nnscratch[cuda12]'", "torch": "pip install 'nnscratch[torch]'",
                   "array_api_strict": "pip install array-api-strict"}.get(name, f"pip install {name}")
        if isinstance(exc, ModuleNotFoundError) and (exc.name or name).partition(".")[0] == name:
            raise BackendUnavailableError(
                f"Backend {name!r} is not installed ({exc}); install it with {command} or {USE_NUMPY}.") from None
        said = " ".join(str(exc).split()) or "no message"
        raise BackendUnavailableError(
            f"Backend {name!r} is installed but cannot be imported ({type(exc).__name__}: {said[:300]}); "
            f"reinstall it ({command}) or {USE_NUMPY}.") from None


@dataclass(frozen=True)
class _Adapter:
    device: Callable[..., Any]
    asarray: Callable[..., Any]
    to_numpy: Callable[..., Any]
    synchronize: Callable[..., Any] = lambda b: None
    memory_info: Callable[..., Any] = lambda b: None
    has_float64: Callable[..., Any] = lambda b: True
    device_label: Callable[..., Any] = lambda b: "CPU"
    activate: Callable[..., Any] = lambda b: contextlib.nullcontext()


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
        raise BackendUnavailableError(cuda_problem("CuPy", exc)) from None
    if not 0 <= index < count:
        raise BackendUnavailableError(f"CuPy sees {count} GPU(s); there is no device {index}. Use cupy:0 .. cupy:{count - 1}.")
    cupy_probe(lib, index)
    return lib.cuda.Device(index), str(index)


def _torch_device(lib, device):
    try:
        dev = lib.device(device or "cpu")
    except RuntimeError:
        raise ConfigError(f"Unknown torch device {device!r}; expected e.g. 'cpu', 'cuda', 'cuda:1' or 'mps'.") from None
    if dev.type == "mps":
        return _torch_mps(lib, dev)
    if dev.type not in ("cpu", "cuda"):
        raise ConfigError(f"nnscratch runs torch on 'cpu', 'cuda', 'cuda:N' or 'mps'; got device {device!r}.")
    if dev.type == "cuda" and not lib.cuda.is_available():
        raise BackendUnavailableError(
            "PyTorch is installed but CUDA is not available (torch.cuda.is_available() is False). "
            "Install a CUDA build of torch, or use 'torch:cpu'.")
    if dev.type == "cuda" and dev.index is not None and dev.index >= lib.cuda.device_count():
        count = lib.cuda.device_count()
        raise BackendUnavailableError(f"PyTorch sees {count} GPU(s); there is no cuda:{dev.index}. "
                                      f"Use torch:cuda:0 .. torch:cuda:{count - 1}.")
    dev = _as_reported(lib, dev)
    if dev.type == "cuda":
        _torch_probe(lib, dev)
    return dev, str(dev)


def _as_reported(lib, dev):
    """``dev`` named as the tensors made on it name theirs (``backend_of`` and the checks of a model's
    inputs compare those names): 'cpu' for 'cpu:0', 'mps:0' for 'mps', the current 'cuda:N' for 'cuda'."""
    if dev.type == "cpu":
        return lib.device("cpu")
    if dev.index is None:
        return lib.device(dev.type, lib.cuda.current_device() if dev.type == "cuda" else 0)
    return dev


def _torch_mps(lib, dev):
    mps = getattr(getattr(lib, "backends", None), "mps", None)
    if mps is None or not mps.is_available():
        built = mps is not None and mps.is_built()
        why = "this machine has no usable Metal GPU" if built else "this PyTorch build has no MPS support"
        raise BackendUnavailableError(f"torch:mps is not available: {why} (MPS needs macOS 12.3+ on Apple "
                                      "silicon and a macOS build of torch). Use 'torch:cpu'.")
    dev = _as_reported(lib, dev)
    _torch_probe(lib, dev)
    return dev, str(dev)


def _torch_probe(lib, dev):
    """An elementwise kernel and a matrix product on ``dev``: a broken driver or
    library fails here with one clear error, not at the first training step."""
    try:
        a = lib.ones((2, 2), device=dev)
        float(((a * 2.0 + 1.0) @ a)[0, 0])
    except (RuntimeError, AssertionError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackendUnavailableError(f"PyTorch cannot run on {dev} ({first}). Check the driver "
                                      "(nvidia-smi) and the torch build, or use 'torch:cpu'.") from None


def _strict_device(lib, device):
    name = device or "CPU_DEVICE"
    if name not in STRICT_DEVICES:
        raise unknown_name("array_api_strict device", name, STRICT_DEVICES)
    return lib.Device(name), name


def _strict_asarray(b, x, dtype):
    if hasattr(x, "__array_namespace__") and not isinstance(x, np.ndarray):  # moved here from any device
        return x if dtype is None and x.device == b.device else b._lib.asarray(x, dtype=dtype, device=b.device)
    return b._lib.asarray(native(np.asarray(x)), dtype=dtype, device=b.device)


def _strict_to_numpy(b, x):
    return np.array(x.to_device(b._lib.Device("CPU_DEVICE")), copy=True)


def _torch_asarray(b, x, dtype):
    if isinstance(x, b._lib.Tensor):
        return x.to(device=b.device, dtype=dtype) if dtype else x.to(device=b.device)
    x = native(np.asarray(x))
    if any(step < 0 for step in x.strides) or not x.flags.writeable:
        x = x.copy()  # X[::-1]: torch takes no negative strides; a read-only (memory-mapped) buffer it warns about
    return b._lib.as_tensor(x, dtype=dtype, device=b.device)


def _torch_to_numpy(b, x):
    x = x.detach()
    if x.is_floating_point() and x.dtype not in (b._lib.float16, b._lib.float32, b._lib.float64):
        x = x.float()  # bfloat16, float8: NumPy has no such dtype; float32 holds each of their values exactly
    return np.array(x.cpu().numpy(), copy=True)


def _torch_sync(b):
    if b.device.type == "cuda":
        b._lib.cuda.synchronize(b.device)
    elif b.device.type == "mps":
        b._lib.mps.synchronize()


def _torch_memory(b):
    """Free device memory plus what torch's caching allocator holds but does not use."""
    if b.device.type == "cuda":
        free, total = b._lib.cuda.mem_get_info(b.device)
        cached = b._lib.cuda.memory_reserved(b.device) - b._lib.cuda.memory_allocated(b.device)
        return free + max(cached, 0), total
    if b.device.type == "cpu":
        return host_memory()
    return None


def _torch_activate(b):
    """Out of the caller's ``torch.inference_mode()``: a weight made there could never be trained
    in place after it (nnscratch needs no autograd, and no tensor of its own is an inference one)."""
    stack = contextlib.ExitStack()
    stack.enter_context(b._lib.inference_mode(False))
    if b.device.type == "cuda":
        stack.enter_context(b._lib.cuda.device(b.device))
    return stack


def _cupy_asarray(b, x, dtype):
    with b.device:
        return b._lib.asarray(native(x) if isinstance(x, np.ndarray) else x, dtype=dtype)


def native(x):
    """A NumPy array ``x`` in this machine's byte order: big-endian data (``'>f4'``, as files in network
    order hold) is swapped in a copy. NumPy computes on either order; the other libraries refuse it."""
    return x if x.dtype.isnative else x.astype(x.dtype.newbyteorder("="))


def _cupy_memory(b):
    """Free device memory plus the free blocks CuPy's memory pool keeps cached."""
    with b.device:
        free, total = b._lib.cuda.runtime.memGetInfo()
        return free + b._lib.get_default_memory_pool().free_bytes(), total


def host_memory(meminfo="/proc/meminfo"):
    """``(available, total)`` bytes of host memory: ``MemAvailable`` (free plus
    reclaimable page cache), not ``MemFree``; sysconf where there is no /proc."""
    try:
        with open(meminfo, encoding="ascii") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return (int(fields["MemAvailable"].split()[0]) * 1024, int(fields["MemTotal"].split()[0]) * 1024)
    except (OSError, KeyError, ValueError):
        pass
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        return os.sysconf("SC_AVPHYS_PAGES") * page, os.sysconf("SC_PHYS_PAGES") * page
    except (ValueError, OSError, AttributeError):
        return None


ADAPTERS = {
    "numpy": _Adapter(
        device=_numpy_device,
        asarray=lambda b, x, dtype: np.asarray(x, dtype=dtype),
        to_numpy=lambda b, x: np.array(x, copy=True),
        memory_info=lambda b: host_memory()),
    "cupy": _Adapter(
        device=_cupy_device,
        asarray=_cupy_asarray,
        to_numpy=lambda b, x: b._lib.asnumpy(x),
        synchronize=lambda b: b.device.synchronize(),
        memory_info=_cupy_memory,
        device_label=lambda b: f"CUDA device {b.device.id}",
        activate=lambda b: b.device),
    "torch": _Adapter(
        device=_torch_device,
        asarray=_torch_asarray,
        to_numpy=_torch_to_numpy,
        synchronize=_torch_sync,
        memory_info=_torch_memory,
        has_float64=lambda b: b.device.type != "mps",  # Apple's Metal GPUs have no float64
        device_label=lambda b: str(b.device),
        activate=_torch_activate),
    "array_api_strict": _Adapter(
        device=_strict_device,
        asarray=_strict_asarray,
        to_numpy=_strict_to_numpy,
        has_float64=lambda b: b.device_name != "no_float64",
        device_label=lambda b: b.device_name),
}


def _cupy_devices(lib):
    _cupy_device(lib, None)  # raises with the reason when CuPy cannot run
    return [f"cupy:{i}" for i in range(lib.cuda.runtime.getDeviceCount())]


def _torch_devices(lib):
    cuda = [f"torch:cuda:{i}" for i in range(lib.cuda.device_count())] if lib.cuda.is_available() else []
    mps = getattr(getattr(lib, "backends", None), "mps", None)
    return ["torch:cpu"] + cuda + (["torch:mps"] if mps is not None and mps.is_available() else [])


DEVICE_LISTS = {
    "numpy": lambda lib: ["numpy"],
    "cupy": _cupy_devices,
    "torch": _torch_devices,
    "array_api_strict": lambda lib: [f"array_api_strict:{d}" for d in STRICT_DEVICES],
}
