"""Pooling: MaxPool2D and AvgPool2D over ``(N, C, H, W)``, as PyTorch's ``max_pool2d``/``avg_pool2d``.

A window reduction is an elementwise reduction over the ``kh*kw`` strided
views ``x[:, :, i::s, j::s]``: AvgPool2D sums them as they are; MaxPool2D
stacks them first (one copy), so that its maximum and its backward's
comparisons read whole arrays instead of strided rows. The gradient goes back
through the adjoint: each view's share assigned (windows that tile the image)
or added (overlapping windows) into its slice of a zero image (an unfilled one
where the windows cover every pixel once, as 2x2 windows on even sizes do),
:func:`~nnscratch.layers.windows.unwindows`. Rows and columns
past the last whole window are dropped, as PyTorch does (floor mode).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from array_api_compat import device

from ..errors import ShapeError
from .base import Layer
from .habits import keywords
from ..backend.kernels import Kernels
from .windows import EVERYTHING, gather, out_size, pair, part, split, stack, unwindows, zeros
from .._typing import Array, Rng, Shape

if TYPE_CHECKING:
    from ..backend.core import Backend
    from .initializers import Initializer


class _Pool2D(Layer):
    """Shared shape logic; ``stride`` defaults to ``kernel_size``."""

    _win: Any  # what backward needs from forward (None before a training forward)
    _kernels: Any  # the backend's Kernels once built (None before)

    @keywords("Pool2D")
    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None) -> None:
        name = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", name)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", name)
        self.input_shape = (None, None, None)
        self._win, self._kernels = None, None

    def build(self, backend: Backend, rng: Rng, init: Initializer, index: int) -> None:
        super().build(backend, rng, init, index)
        self._kernels = Kernels(backend)  # on NumPy: the work split over threads

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise ShapeError(f"{self!r} expects images (channels, height, width) per sample but receives "
                             f"shape {shape}; put it after a Conv2D, or reshape the data to (n, channels, "
                             "height, width).")
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        if (shape[1] is not None and shape[1] < kh) or (shape[2] is not None and shape[2] < kw):
            raise ShapeError(f"{self!r} receives {shape[1]}x{shape[2]} images, smaller than its {kh}x{kw} "
                             "window; use a smaller window or fewer pooling layers.")
        return (shape[0], *(None if n is None else out_size(n, k, s)
                            for n, k, s in ((shape[1], kh, sh), (shape[2], kw, sw))))

    def _slices(self, x):
        """The ``kh*kw`` strided views ``x[:, :, i::sh, j::sw]`` (offset (i, j) of every window), each
        ``(N, C, oh, ow)``: a pooling is an elementwise reduction over them, with no copy of ``x``."""
        if x.ndim != 4:  # a layer used on its own (a Network checks shapes first): its ShapeError
            self.output_shape(tuple(x.shape[1:]))
        (kh, kw), (sh, sw), (h, w) = self.kernel_size, self.stride, x.shape[2:]
        oh, ow = out_size(h, kh, sh), out_size(w, kw, sw)
        if oh < 1 or ow < 1:
            self.output_shape(tuple(x.shape[1:]))
        rows, cols = sh * (oh - 1) + 1, sw * (ow - 1) + 1
        return [x[:, :, i:i + rows:sh, j:j + cols:sw] for i in range(kh) for j in range(kw)]

    def _reduce(self, x, combine):
        """``combine(views)`` of the ``kh*kw`` window views of ``x`` (on NumPy by pieces at once)."""
        slices = self._slices(x)
        return gather(self._kernels, lambda index: combine([part(v, index) for v in slices]), x)

    def _back(self, pieces, dy, size, xp):
        """The adjoint of :meth:`_slices` on images of ``size`` (the training forward's ``(H, W)``):
        ``pieces(index)`` gives the gradient pieces ``parts[i*kw + j]``
        of one piece of the batch and channels (each shaped as ``dy[index]``; an iterable, each
        written as soon as it is made), added back into a zero image, each into its strided slice
        (assigned where windows tile, added where they overlap). The image is channel-major,
        ``(C, N, H, W)`` memory seen as ``(N, C, H, W)``, as a Conv2D's output is, so the Conv2D
        before it reads it without a transpose."""
        n, c, oh, ow = dy.shape
        (kh, kw), (sh, sw), (h, w) = self.kernel_size, self.stride, size
        if (sh, sw) == (kh, kw) and (h, w) == (oh * kh, ow * kw):  # windows tile it: every pixel is written
            image = xp.empty((c, n, h, w), dtype=dy.dtype, device=device(dy))
        else:
            image = zeros(dy, (c, n, h, w), xp)
        image = xp.permute_dims(image, (1, 0, 2, 3))

        def fill(index):
            unwindows(part(image, index), pieces(index), (kh, kw), (sh, sw), xp, (oh, ow))
        split(self._kernels, fill, (n, c), image)
        return image

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "kernel_size": list(self.kernel_size), "stride": list(self.stride)}


class MaxPool2D(_Pool2D):
    """``y[n, c, a, b] = max`` over the window at ``(a, b)``.

    Backward routes each output gradient to its window's maximum; ties go to
    the first maximum in row-major window order (one winner, as PyTorch's CPU
    kernel does), so the gradient sums to that of the output.

    Parameters
    ----------
    kernel_size : int or (kh, kw)
        Height and width of each pooling window in pixels; an int gives ``(k, k)``.
    stride : int or (sh, sw), optional
        Step between windows in pixels; default ``kernel_size`` (windows that do not overlap).
    """

    def forward(self, x: Array, training: bool = False) -> Array:
        xp = self._xp(x)
        planes = self._planes(x, xp)
        y = gather(self._kernels, lambda index: _largest(planes, index, xp), x)
        if training:
            self._win, self._y, self._size = planes, y, tuple(x.shape[2:])
        return y

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        """dL/dx = dy at the window's (first) argmax, 0 elsewhere (summed where windows overlap).

        Parameters
        ----------
        dy : array, shaped as the last training forward's output
            The loss's gradient with respect to this layer's output.
        need_input_grad : bool, default True
            Compute ``dL/dx``; the first layer skips it (nothing before it needs it).
        """
        planes, y, xp = self._cached("_win"), self._y, self._xp(dy)
        k = planes.shape[0]
        return self._back(lambda index: self._route([part(planes[i, ...], index) for i in range(k)],
                                                    part(y, index), part(dy, index), xp), dy, self._size, xp)

    def _planes(self, x, xp):
        """The ``kh*kw`` window views stacked, ``(kh*kw, N, C, oh, ow)``: one copy of the windows, after
        which the maximum and the backward's comparisons read whole arrays instead of strided views (on
        NumPy 2-3x faster). Channel-major, ``(kh*kw, C, N, oh, ow)`` memory, as the outputs of Conv2D
        and of this layer's backward are, so the elementwise work between them runs on one layout."""
        views = [xp.permute_dims(v, (1, 0, 2, 3)) for v in self._slices(x)]
        return xp.permute_dims(stack(views, 0, xp, self._kernels), (0, 2, 1, 3, 4))

    @staticmethod
    def _route(candidates, y, dy, xp):
        """``dy`` where each candidate is the first one equal to the maximum ``y``, else 0: what is
        not yet routed passes on to the next candidate (the last one takes the rest), 4 operations
        each. A generator: each piece is written into the image before the next is made."""
        rest = dy
        for value in candidates[:-1]:
            part = rest * xp.astype(value == y, dy.dtype)
            yield part
            rest = rest - part
        yield rest


class AvgPool2D(_Pool2D):
    """``y[n, c, a, b] = mean`` over the window at ``(a, b)`` (no padding, so every window is full).

    Parameters
    ----------
    kernel_size : int or (kh, kw)
        Height and width of each pooling window in pixels; an int gives ``(k, k)``.
    stride : int or (sh, sw), optional
        Step between windows in pixels; default ``kernel_size`` (windows that do not overlap).
    """

    def forward(self, x: Array, training: bool = False) -> Array:
        def mean(views):
            y = views[0]
            for value in views[1:]:
                y = y + value
            return y * (1.0 / len(views))
        y = self._reduce(x, mean)
        if training:
            self._win = tuple(x.shape[2:])  # the image size backward gives its gradient
        return y

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        """dL/dx = dy / (kh * kw) at every pixel of the window (summed where windows overlap).

        Parameters
        ----------
        dy : array, shaped as the last training forward's output
            The loss's gradient with respect to this layer's output.
        need_input_grad : bool, default True
            Compute ``dL/dx``; the first layer skips it (nothing before it needs it).
        """
        size, k = self._cached("_win"), self.kernel_size[0] * self.kernel_size[1]
        return self._back(lambda index: [part(dy, index) * (1.0 / k)] * k, dy, size, self._xp(dy))


def _largest(planes, index, xp):
    """The maximum over the windows (axis 0) of ``planes``, all of it or one piece of its N and C axes,
    reshaped to the sizes it has (-1: N): ndonnx's reductions forget the sizes an ONNX export's next
    layer needs (a traced max of ``(4, N, 16, 14, 14)`` is ``(None, None, None, None)``); a reshape keeps them."""
    chosen = planes if index == EVERYTHING else planes[(slice(None),) + tuple(index)]
    return xp.reshape(xp.max(chosen, axis=0), (-1, *chosen.shape[2:]))
