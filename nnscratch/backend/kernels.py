"""Kernels: the hot path's few writes the array API cannot express, per library.

The math is one array-API code path; this module is where it reaches past the
standard for speed, in one place: ``row_taker`` (a row gather without
array-api-compat's index fix-ups) and :class:`Kernels` (``out=`` matrix products
and sums into a gradient's slot, an in-place axpy). Each has an array-API
fallback that gives the same numbers.
"""


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
    ``axpy(alpha, x, y)`` does ``y += alpha * x`` in place and returns ``y``
    (PyTorch: one ``add_``; NumPy/CuPy: through a reused scratch array, no
    temporary per call). Same numbers either way.
    """

    def __init__(self, backend):
        xp, lib = backend.xp, backend._lib
        self.xp, self._lib, self._scratch = xp, lib, {}
        if backend.name in ("numpy", "cupy", "torch"):
            self._matmul, self._sum = lib.matmul, lib.sum
            self._axis = "dim" if backend.name == "torch" else "axis"
        else:
            self._matmul = self._sum = None
        self._torch = backend.name == "torch"
        self._inplace = backend.name in ("numpy", "cupy")

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
        key = (tuple(x.shape), x.dtype)
        scratch = self._scratch.get(key)
        if scratch is None:
            scratch = self._scratch[key] = self._lib.empty_like(x)
        self._lib.multiply(x, alpha, out=scratch)
        return self._lib.add(y, scratch, out=y)
