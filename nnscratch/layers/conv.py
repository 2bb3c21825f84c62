"""Conv2D: 2-D cross-correlation of ``(N, C, H, W)`` images, as PyTorch's ``nn.Conv2d``.

Forward is im2col plus one matrix product; backward is two more products,
the input gradient being im2col's adjoint (col2im) of ``W^T dy``: each
window's share of the gradient added back onto the pixels it read. The
matrices are channel-major, ``(C*kh*kw, N*H*W)``, so each product is one
large GEMM; outputs are ``(N, C, H, W)`` views of channel-major arrays, which
the next Conv2D takes back without a copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..backend.kernels import Kernels
from ..errors import ConfigError, ShapeError
from .initializers import He, draw, get_initializer, init_config
from .base import Layer, Parameter
from .habits import keywords
from .windows import col2im, im2col, pair
from .._typing import Array, Rng, Shape, is_int

if TYPE_CHECKING:
    from ..backend.core import Backend
    from .initializers import Initializer


class Conv2D(Layer):
    """``z[n, o] = b[o] + sum_c W[o, c] (*) x[n, c]`` (cross-correlation), with stride and zero padding.

    ``W`` is ``(out_channels, in_channels, kh, kw)``, ``b`` is ``(out_channels,)``.

    Parameters
    ----------
    in_channels : int
        Channels ``C`` of the input ``(N, C, H, W)``: 1 for grey images, 3 for RGB.
    out_channels : int
        Filters, one per output channel: the output is ``(N, out_channels, H', W')``.
    kernel_size : int or (kh, kw)
        Height and width of each filter in pixels; an int gives a square ``(k, k)``.
    stride : int or (sh, sw), default 1
        Step of the filter in pixels; 2 halves ``H`` and ``W`` (1: every position).
    padding : int, (ph, pw), "valid" (0) or "same" (either case)
        Zeros added on each side; "same" (stride 1 only) keeps ``H x W`` (an even
        kernel puts the extra row/column at the bottom/right, as PyTorch does).
    init : str, dict or Initializer, optional
        Overrides the network's default for this layer (He before a ReLU, else
        Glorot), with ``fan_in = in_channels * kh * kw`` and ``fan_out = out_channels``.
    """

    _kernels: Any  # the backend's Kernels once built (None before)
    _made_by_build = ("weight", "bias")

    @keywords("Conv2D")
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] | str = 0,
                 init: str | dict[str, Any] | Callable[..., Any] | None = None) -> None:
        for label, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not is_int(n) or n < 1:
                raise ConfigError(f"Conv2D {label} must be a positive integer; got {n!r}.")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2D")
        self.stride = pair(stride, "stride", "Conv2D")
        self.padding = _padding(padding)
        if self.padding == "same" and self.stride != (1, 1):
            raise ConfigError(f"Conv2D padding='same' needs stride 1; got stride={stride!r}. "
                              "Give the padding as numbers instead.")
        self.pads = _pads(self.padding, self.kernel_size)  # (top, bottom, left, right)
        self.input_shape = (self.in_channels, None, None)
        self.init = None if init is None else get_initializer(init)
        self.params, self._cols, self._kernels = (), None, None

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise ShapeError(f"{self!r} expects images (channels, height, width) per sample but receives "
                             f"shape {shape}; reshape the data to (n, {self.in_channels}, height, width) or "
                             f"build the network with input_shape=({self.in_channels}, height, width).")
        if shape[0] is not None and shape[0] != self.in_channels:
            raise ShapeError(f"{self!r} expects {self.in_channels} input channels but receives {shape[0]}; "
                             f"use Conv2D({shape[0]}, {self.out_channels}, ...).")
        top, bottom, left, right = self.pads
        sizes = []
        for axis, n, k, s, p in ((1, shape[1], self.kernel_size[0], self.stride[0], top + bottom),
                                 (2, shape[2], self.kernel_size[1], self.stride[1], left + right)):
            if n is not None and n + p < k:
                raise ShapeError(f"{self!r} receives images of {shape[1]}x{shape[2]} (padded {p} along "
                                 f"{'height' if axis == 1 else 'width'}), smaller than its "
                                 f"{self.kernel_size[0]}x{self.kernel_size[1]} kernel; use a smaller "
                                 "kernel, more padding, or fewer pooling layers before it.")
            sizes.append(None if n is None else (n + p - k) // s + 1)
        return (self.out_channels, *sizes)

    def build(self, backend: Backend, rng: Rng, init: Initializer, index: int) -> None:
        super().build(backend, rng, init, index)
        o, c, (kh, kw) = self.out_channels, self.in_channels, self.kernel_size
        w, b = draw(self.init or init or He(), rng, c * kh * kw, o, self)
        weight = backend.asarray(w.T.reshape(o, c, kh, kw), dtype=backend.dtype)
        bias = backend.xp.zeros(o, dtype=backend.dtype, device=backend.device) if b is None \
            else backend.asarray(b, dtype=backend.dtype)
        self.weight, self.bias = Parameter(f"{index}.weight", weight), Parameter(f"{index}.bias", bias)
        self.params = (self.weight, self.bias)
        self._kernels = Kernels(backend)

    def forward(self, x: Array, training: bool = False) -> Array:
        xp, o = self._xp(x), self.out_channels
        (top, bottom, left, right), (kh, kw) = self.pads, self.kernel_size
        if x.ndim != 4 or x.shape[1] != self.in_channels or x.shape[2] + top + bottom < kh \
                or x.shape[3] + left + right < kw:  # a layer used on its own (a Network checks first)
            self.output_shape(tuple(x.shape[1:]))  # its ShapeError
        cols, (oh, ow) = im2col(xp.permute_dims(x, (1, 0, 2, 3)), self.kernel_size, self.stride, self.pads, xp,
                                self._kernels)
        z = xp.reshape(self.weight.value, (o, -1)) @ cols  # (O, C*K) @ (C*K, N*oh*ow)
        z += xp.reshape(self.bias.value, (o, 1))
        if training:
            self._cols, self._size = cols, tuple(x.shape[2:])
        return _to_nchw(z, o, (oh, ow), xp)

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        """dL/dW[o, (c,i,j)] = sum_n,a,b dy[n, o, a, b] cols[(c,i,j), (n,a,b)]; dL/db = sum of dy over
        (n, a, b); dL/dx = col2im(W^T dy): each window's share of the gradient added back onto the
        pixels it read. The parameter gradients go straight into their slots of the gradient buffer.

        Parameters
        ----------
        dy : array, shaped as the last training forward's output
            The loss's gradient with respect to this layer's output.
        need_input_grad : bool, default True
            Compute ``dL/dx``; the first layer skips it (nothing before it needs it).
        """
        cols = self._cached("_cols")
        xp, k, w, b = self._xp(dy), self._kernels, self.weight, self.bias
        o = dy.shape[1]
        dy2 = xp.reshape(xp.permute_dims(dy, (1, 0, 2, 3)), (o, -1))  # (O, N*oh*ow): no copy where dy is channel-major
        if w.bound:  # in the network's gradient buffer: written in place
            k.matmul_to(dy2, cols.T, xp.reshape(w.grad, (o, -1)))
            k.sum_to(dy2, 1, b.grad)
        else:
            w.grad, b.grad = xp.reshape(dy2 @ cols.T, w.value.shape), xp.sum(dy2, axis=1)
        if not need_input_grad:
            return None
        dcols = xp.reshape(w.value, (o, -1)).T @ dy2  # (C*K, O) @ (O, N*oh*ow)
        dx = col2im(dcols, self.kernel_size, self.stride, self.pads, self._size, xp)
        return xp.permute_dims(dx, (1, 0, 2, 3))

    def get_config(self) -> dict[str, Any]:
        config = {"type": type(self).__name__, "in_channels": self.in_channels, "out_channels": self.out_channels,
                  "kernel_size": list(self.kernel_size), "stride": list(self.stride),
                  "padding": self.padding if self.padding == "same" else list(self.padding)}
        kept = init_config(self.init)
        return config if kept is None else {**config, "init": kept}


def _padding(padding):
    """``padding`` as "same" or a pair of ints: "valid" (either case, as Keras takes them) is (0, 0)."""
    if isinstance(padding, str):
        if padding.lower() not in ("same", "valid"):
            raise ConfigError(f"Conv2D padding must be 'same', 'valid', an int >= 0 or a pair of them, e.g. "
                              f"padding=1 or padding=(1, 2); got {padding!r}.")
        return "same" if padding.lower() == "same" else (0, 0)
    return pair(padding, "padding", "Conv2D", minimum=0)


def _pads(padding, kernel):
    """(top, bottom, left, right) zero rows/columns."""
    if padding == "same":
        (kh, kw) = kernel
        return ((kh - 1) // 2, kh - 1 - (kh - 1) // 2, (kw - 1) // 2, kw - 1 - (kw - 1) // 2)
    return (padding[0], padding[0], padding[1], padding[1])


def _to_nchw(z, channels, out, xp):
    """``z (C, N*oh*ow)`` as the ``(N, C, oh, ow)`` view of it. ``channels`` is C, given rather than read
    from ``z.shape``: a tracing library may not know it (ndonnx cannot tell, for one output channel,
    whether the bias's broadcast kept the size 1)."""
    return xp.permute_dims(xp.reshape(z, (channels, -1, *out)), (1, 0, 2, 3))  # -1: N (free when traced)
