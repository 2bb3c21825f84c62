"""Pooling: MaxPool2D and AvgPool2D over ``(N, C, H, W)``, as PyTorch's ``max_pool2d``/``avg_pool2d``.

Windows come from :func:`~nnscratch.layers.windows.windows` (strided slices);
the gradient goes back through its adjoint ``unwindows``. Rows and columns
past the last whole window are dropped, as PyTorch does (floor mode).
"""

from ..errors import ShapeError
from .base import Layer
from .windows import out_size, pair, unwindows, windows


class _Pool2D(Layer):
    """Shared shape logic; ``stride`` defaults to ``kernel_size``."""

    def __init__(self, kernel_size, stride=None):
        name = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", name)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", name)
        self.input_shape = (None, None, None)
        self._win = None

    def output_shape(self, input_shape):
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

    def _windows(self, x, xp):
        """``x`` as ``(N, C, kh*kw, oh, ow)`` windows; remembers the image size for backward."""
        h, w = x.shape[2], x.shape[3]
        out = (out_size(h, self.kernel_size[0], self.stride[0]), out_size(w, self.kernel_size[1], self.stride[1]))
        self._size = (h, w)
        return windows(x, self.kernel_size, self.stride, out, xp)

    def _back(self, d, xp):
        return unwindows(d, self.kernel_size, self.stride, self._size, xp)

    def get_config(self):
        return {"type": type(self).__name__, "kernel_size": list(self.kernel_size), "stride": list(self.stride)}


class MaxPool2D(_Pool2D):
    """``y[n, c, a, b] = max`` over the window at ``(a, b)``.

    Backward routes each output gradient to its window's maximum; ties go to
    the first maximum in row-major window order (one winner, as PyTorch's CPU
    kernel does), so the gradient sums to that of the output.
    """

    def forward(self, x, training=False):
        xp = self._xp(x)
        win = self._windows(x, xp)
        y = xp.max(win, axis=2)
        if training:
            self._win = win
        return y

    def backward(self, dy, need_input_grad=True):
        """dL/dx = dy at the window's (first) argmax, 0 elsewhere (summed where windows overlap)."""
        win = self._cached("_win")
        xp = self._xp(dy)
        k = win.shape[2]
        first = xp.expand_dims(xp.argmax(win, axis=2), axis=2)
        offsets = xp.reshape(xp.arange(k, device=first.device), (1, 1, k, 1, 1))
        routed = xp.astype(offsets == first, dy.dtype) * xp.expand_dims(dy, axis=2)
        return self._back(routed, xp)


class AvgPool2D(_Pool2D):
    """``y[n, c, a, b] = mean`` over the window at ``(a, b)`` (no padding, so every window is full)."""

    def forward(self, x, training=False):
        xp = self._xp(x)
        y = xp.mean(self._windows(x, xp), axis=2)
        if training:
            self._win = True
        return y

    def backward(self, dy, need_input_grad=True):
        """dL/dx = dy / (kh * kw) at every pixel of the window (summed where windows overlap)."""
        self._cached("_win")
        xp = self._xp(dy)
        k = self.kernel_size[0] * self.kernel_size[1]
        share = xp.expand_dims(dy * (1.0 / k), axis=2)
        return self._back(xp.concat([share] * k, axis=2), xp)
