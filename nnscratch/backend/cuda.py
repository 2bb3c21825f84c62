"""Why CuPy cannot run here, said in one line: the probe of a device (a copy, a kernel, a product)
and the fixes for a missing driver or CUDA toolkit library."""

import importlib.metadata

from ..errors import BackendUnavailableError

USE_NUMPY = "use the numpy backend (backend='numpy' in Python, --backend numpy on the command line)"


def cupy_probe(lib, index):
    """Run what training needs on the device: a copy, an elementwise kernel (NVRTC
    compiles it) and a matrix product (cuBLAS), so a missing toolkit library fails
    here, clearly, and not at the first training step."""
    try:
        with lib.cuda.Device(index):
            a = lib.asarray([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
            product = (a * 2.0 + 1.0) @ a
            lib.cuda.Device(index).synchronize()
            float(product[0, 0])
    except Exception as exc:  # CUDARuntimeError, CompileException, ImportError, RuntimeError, ...
        raise BackendUnavailableError(_toolkit_problem(exc)) from None


def _toolkit_problem(exc):
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if not any(word in first.lower() for word in ("cublas", "nvrtc", "curand", ".so", ".dll", "toolkit", "load")):
        return cuda_problem("CuPy", exc)
    cuda = cupy_cuda_major()
    return (f"CuPy sees a GPU but cannot run on it: a CUDA toolkit library is missing ({first}). "
            f"Install the toolkit libraries as wheels with pip install 'nnscratch[cuda{cuda}]' "
            f"(it brings cupy-cuda{cuda}x[ctk]), or the CUDA Toolkit {cuda} system-wide; "
            f"or {USE_NUMPY}.")


def cupy_cuda_major():
    """12 or 13: the CUDA major version of the installed CuPy wheel (12 if unknown)."""
    for major in ("13", "12"):
        try:
            importlib.metadata.version(f"cupy-cuda{major}x")
            return major
        except importlib.metadata.PackageNotFoundError:
            continue
    return "12"


def cuda_problem(library, exc):
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "InsufficientDriver" in first or "driver version is insufficient" in first:
        fix = (f"The NVIDIA driver is missing or older than {library}'s CUDA {cupy_cuda_major()} runtime "
               "needs: install or update it (nvidia-smi shows its version and the CUDA it supports), "
               "or install the CuPy wheel for that CUDA (nnscratch[cuda12] or [cuda13])")
    else:
        fix = "Check the NVIDIA driver and the visible GPUs (nvidia-smi, CUDA_VISIBLE_DEVICES)"
    return f"{library} is installed but no usable CUDA GPU was found ({first}). {fix}, or {USE_NUMPY}."
