"""What the benchmark ran on: CPU or GPU model, cores and threads, BLAS, versions."""

import importlib
import os
import platform
import sys

import numpy as np

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def cpu_model():
    """The CPU's marketing name from /proc/cpuinfo (Linux), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def usable_cores():
    """Cores this process may run on (its affinity), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def blas_threads():
    """The BLAS thread count as set by the environment, else all usable cores."""
    for name in THREAD_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return usable_cores()


def numpy_blas():
    """NumPy's BLAS library, version and kernels, e.g. ``"scipy-openblas 0.3.31, SkylakeX kernels"``."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # show_config's layout differs across NumPy versions
        name = "unknown BLAS"
    kernels = blas_kernels()
    return f"{name}, {kernels}" if kernels else name


def blas_kernels(environ=None):
    """Which kernels OpenBLAS runs, and who chose them: ``"Haswell kernels (OPENBLAS_CORETYPE=Haswell)"``
    where the environment forces them (some machines do, for older OpenBLAS builds; it can halve the
    products' speed on a newer CPU), ``"SkylakeX kernels"`` where OpenBLAS chose; None where unknown."""
    from ..backend.threads import blas_info
    environ = os.environ if environ is None else environ
    architecture = (blas_info() or {}).get("architecture")
    if not architecture:
        return None
    forced = str(environ.get("OPENBLAS_CORETYPE", "")).strip()
    return f"{architecture} kernels" + (f" (OPENBLAS_CORETYPE={forced})" if forced else "")


def cpu_info():
    """The host CPU: model, usable cores, BLAS and its threads."""
    return {"kind": "cpu", "model": cpu_model(), "cores": usable_cores(),
            "blas": numpy_blas(), "threads": blas_threads()}


def is_gpu(backend):
    """True for a backend that computes on a GPU (CuPy, torch on CUDA or MPS)."""
    return backend.name == "cupy" or (backend.name == "torch" and backend.device.type in ("cuda", "mps"))


def device_info(backend):
    """The device a :class:`~nnscratch.Backend` computes on, as a dict with a ``label``."""
    info = _gpu_info(backend) or cpu_info()
    if backend.name == "torch" and info["kind"] == "cpu":
        import torch
        info.update(threads=torch.get_num_threads(), blas="MKL" if torch.backends.mkl.is_available() else "?")
    info["label"] = _label(info)
    return info


def _gpu_info(backend):
    if backend.name == "cupy":
        import cupy
        props = cupy.cuda.runtime.getDeviceProperties(backend.device.id)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        return {"kind": "gpu", "model": name, "memory_gb": props["totalGlobalMem"] / 2**30}
    if backend.name == "torch" and backend.device.type == "cuda":
        import torch
        props = torch.cuda.get_device_properties(backend.device)
        return {"kind": "gpu", "model": props.name, "memory_gb": props.total_memory / 2**30}
    return None


def _label(info):
    if info["kind"] == "gpu":
        return f"{info['model']} ({info['memory_gb']:.0f} GB)"
    cores, threads = info["cores"], info["threads"]
    return f"{info['model']}, {cores} core{'s' * (cores != 1)}, {info['blas']} x{threads} thread{'s' * (threads != 1)}"


def versions():
    """Versions of Python and every array library that imports."""
    found = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in ("nnscratch", "numpy", "array_api_compat", "array_api_strict", "torch", "cupy"):
        try:
            found[name] = getattr(importlib.import_module(name), "__version__", "?")
        except Exception:  # not installed (ImportError), or broken: a shared library missing (OSError)
            continue
    return found
