"""Kernels: the hot path's few writes the array API cannot express, per library.

The math is one array-API code path; this module is where it reaches past the
standard for speed, in one place: ``row_taker`` (a row gather without
array-api-compat's index fix-ups) and :class:`Kernels` (``out=`` matrix products
and sums into a gradient's slot, an in-place axpy, and on NumPy the convolution's
copies and elementwise work split over threads). Each has an array-API fallback
that gives the same numbers.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import threads

# Elements below which splitting work over threads costs more than it saves: handing a piece to a
# pooled thread and waiting for it takes 0.1-0.2 ms on a 2-core VM, as much as a pass over 400,000 floats.
PARALLEL_MIN = 1 << 18


def row_taker(backend):
    """``take(x, idx)``: rows ``idx`` (non-negative, e.g. a permutation) of ``x`` along axis 0.

    ``xp.take``, except on PyTorch, where array-api-compat's ``take`` adds three
    operations per call (``lt``, ``add``, ``where``: three kernel launches on
    CUDA) to map negative indices that a permutation never holds.
    """
    if backend.name == "torch":
        index_select = backend._lib.index_select
        return lambda x, idx: index_select(x, 0, idx)
    take = backend.xp.take
    return lambda x, idx: take(x, idx, axis=0)


class Kernels:
    """The hot path's in-place writes that the array API cannot express (it has no ``out=``).

    ``matmul_into(a, b, out)`` and ``sum_rows_into(a, out)`` (sum over axis 0)
    write into ``out`` (a gradient's slot of the parameter buffer) where the
    library has ``out=`` (NumPy, CuPy, PyTorch), and otherwise return a new
    array that the caller copies in; ``out=None`` always returns a new array.
    ``matmul_to(a, b, out)`` and ``sum_to(a, axis, out)`` always leave the result
    in ``out`` (copying it in where the library has no ``out=``).
    ``axpy(alpha, x, y)`` does ``y += alpha * x`` in place and returns ``y``:
    PyTorch one ``add_``; NumPy the BLAS ``?axpy`` it is linked with (one pass
    over the arrays, as ``add_``), else, like CuPy, a multiply into a reused
    scratch array and an in-place add. Same numbers either way, up to the
    rounding of one fused multiply-add.
    """

    def __init__(self, backend):
        xp, lib = backend.xp, backend._lib
        self.xp, self._lib, self._scratch = xp, lib, {}
        if backend.name in ("numpy", "cupy", "torch"):
            self._matmul, self._sum = lib.matmul, lib.sum
            self._axis = "dim" if backend.name == "torch" else "axis"
        else:
            self._matmul = self._sum = None
        if backend.name == "numpy":  # the ufunc's own reduce: sum() without its Python wrapper
            self._sum = lambda a, axis, out: lib.add.reduce(a, axis=axis, out=out)
        self._torch = backend.name == "torch"
        self._inplace = backend.name in ("numpy", "cupy")
        self._blas = _blas_axpy(backend.dtype_name) if backend.name == "numpy" else None
        self._pointers = (None, None, None)
        self._numpy = backend.name == "numpy"  # NumPy releases the GIL in its loops: threads help

    # -- work split over threads (NumPy releases the GIL in its loops) ----------------------------
    def pieces(self, like, sizes=None):
        """Index pairs (slices of the first two axes, ``sizes``, default ``like``'s) that threads can
        work on at once, or None to do the work in one call: None unless ``like`` is a NumPy array of
        at least ``PARALLEL_MIN`` elements and :func:`nnscratch.backend.threads.workers` is above 1.
        The pieces run along the longer of the two axes; no piece reads what another writes, so the
        numbers are the same either way."""
        if not self._numpy or type(like) is not self._lib.ndarray or like.size < PARALLEL_MIN:
            return None
        sizes = like.shape[:2] if sizes is None else sizes
        axis = 0 if sizes[0] >= sizes[1] else 1
        workers = min(threads.workers(), sizes[axis])
        if workers < 2:
            return None
        bounds = [sizes[axis] * i // workers for i in range(workers + 1)]
        return [(slice(a, b), slice(None)) if axis == 0 else (slice(None), slice(a, b))
                for a, b in zip(bounds[:-1], bounds[1:])]

    @staticmethod
    def run(tasks):
        """Run ``tasks`` (callables) at once: the first in this thread, the others in a thread pool."""
        _run(tasks)

    def gather(self, make, sizes, pieces):
        """One channel-major NumPy array (``(C, N, ...)`` memory seen as ``(N, C, ...)``; ``sizes`` its
        first two axes) from ``make(index)`` of every piece, made at once."""
        out, lock = [None], threading.Lock()

        def one(index):
            made = make(index)
            with lock:
                if out[0] is None:
                    full = self._lib.empty((sizes[1], sizes[0]) + tuple(made.shape[2:]), dtype=made.dtype)
                    out[0] = self._lib.moveaxis(full, 0, 1)
            out[0][index] = made
        _run([lambda index=index: one(index) for index in pieces])
        return out[0]

    def stack(self, arrays, axis, pieces):
        """``numpy.stack(arrays, axis)`` written by ``pieces`` (of the arrays' first two axes) at once."""
        first = arrays[0]
        out = self._lib.empty(first.shape[:axis] + (len(arrays),) + first.shape[axis:], dtype=first.dtype)
        place = (lambda index: index[:axis] + (slice(None),) + index[axis:]) if axis < 2 else (lambda index: index)
        _run([lambda index=index: self._lib.stack([a[index] for a in arrays], axis=axis, out=out[place(index)])
              for index in pieces])
        return out

    def matmul_into(self, a, b, out=None):
        if out is None or self._matmul is None:
            return a @ b
        return self._matmul(a, b, out=out)

    def sum_rows_into(self, a, out=None):
        if out is None or self._sum is None:
            return self.xp.sum(a, axis=0)
        return self._sum(a, **{self._axis: 0}, out=out)

    def matmul_to(self, a, b, out):
        """``out[...] = a @ b``, with no temporary where the library has ``out=``."""
        if self._matmul is None:
            out[...] = a @ b
        else:
            self._matmul(a, b, out=out)
        return out

    def sum_to(self, a, axis, out):
        """``out[...] = sum(a, axis=axis)``, with no temporary where the library has ``out=``."""
        if self._sum is None:
            out[...] = self.xp.sum(a, axis=axis)
        else:
            self._sum(a, **{self._axis: axis}, out=out)
        return out

    def axpy(self, alpha, x, y):
        if self._torch:
            return y.add_(x, alpha=alpha)
        if not self._inplace:
            y += alpha * x  # rebinds for arrays without in-place operators
            return y
        if self._blas is not None:
            addresses = self._addresses(x, y)
            if addresses is not None:
                self._blas(x.size, alpha, *addresses)
                return y
        key = (tuple(x.shape), x.dtype)
        scratch = self._scratch.get(key)
        if scratch is None:
            scratch = self._scratch[key] = self._lib.empty_like(x)
        self._lib.multiply(x, alpha, out=scratch)
        return self._lib.add(y, scratch, out=y)

    def _addresses(self, x, y):
        """Data addresses of ``x`` and ``y`` for the BLAS (None unless both are contiguous 1-D arrays
        of one dtype and size), kept for the last pair: the same buffers every step."""
        last_x, last_y, addresses = self._pointers
        if x is not last_x or y is not last_y:
            fits = x.ndim == y.ndim == 1 and x.flags.c_contiguous and y.flags.c_contiguous \
                and x.dtype == y.dtype and x.size == y.size
            addresses = (x.ctypes.data, y.ctypes.data) if fits else None
            self._pointers = (x, y, addresses)
        return addresses


_ALL = (slice(None), slice(None))
_POOL = {"executor": None, "size": 0}


def _run(tasks):
    """Run ``tasks`` (callables) at once: the first in this thread, the others in the pool."""
    if _POOL["size"] < len(tasks) - 1:
        _POOL["executor"] = ThreadPoolExecutor(max_workers=len(tasks) - 1, thread_name_prefix="nnscratch")
        _POOL["size"] = len(tasks) - 1
    futures = [_POOL["executor"].submit(task) for task in tasks[1:]]
    tasks[0]()
    for future in futures:
        future.result()


_AXPY: dict[str, Any] = {}  # dtype name -> BLAS ?axpy as a Python callable (n, alpha, x address, y address), or None


def _blas_axpy(dtype_name):
    """``f(n, alpha, x_address, y_address)``: ``y += alpha * x`` by the ?axpy of the BLAS NumPy
    loaded (found through threadpoolctl), or None where it cannot be found."""
    if dtype_name not in _AXPY:
        _AXPY[dtype_name] = _find_axpy(dtype_name)
    return _AXPY[dtype_name]


def _find_axpy(dtype_name):
    import ctypes

    from .threads import blas_info
    letter = {"float32": "s", "float64": "d"}.get(dtype_name)
    try:
        info = blas_info() if letter else None
        library = ctypes.CDLL(info["filepath"]) if info else None
    except (OSError, KeyError, TypeError):
        return None
    if library is None:
        return None
    real = ctypes.c_float if letter == "s" else ctypes.c_double
    for prefix in ("scipy_", ""):  # NumPy's wheels: scipy-openblas (ILP64, suffix 64_); else plain CBLAS
        for suffix, integer in (("64_", ctypes.c_int64), ("", ctypes.c_int)):
            function = getattr(library, f"{prefix}cblas_{letter}axpy{suffix}", None)
            if function is not None:
                function.restype = None
                function.argtypes = [integer, real, ctypes.c_void_p, integer, ctypes.c_void_p, integer]
                return lambda n, alpha, x, y, f=function: f(n, alpha, x, 1, y, 1)
    return None
