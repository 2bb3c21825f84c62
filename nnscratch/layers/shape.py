"""Shape layers: Flatten (images to feature vectors) and Reshape (the reverse)."""

from __future__ import annotations

import math
from typing import Any

from ..errors import ConfigError, ShapeError
from .base import Layer
from .habits import keywords
from .._typing import Array, Shape, is_int


class Flatten(Layer):
    """``(N, C, H, W) -> (N, C*H*W)`` in C order, as ``torch.flatten(x, 1)``; backward reshapes back."""

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        return (None,) if None in shape else (math.prod(shape),)

    def forward(self, x: Array, training: bool = False) -> Array:
        if training:
            self._shape = tuple(x.shape)
        return self._xp(x).reshape(x, (-1, math.prod(x.shape[1:])))  # -1: N (free when traced)

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        """dL/dx is dL/dy with the input's shape.

        Parameters
        ----------
        dy : array, shaped as the last training forward's output
            The loss's gradient with respect to this layer's output.
        need_input_grad : bool, default True
            Compute ``dL/dx``; the first layer skips it (nothing before it needs it).
        """
        return self._xp(dy).reshape(dy, self._cached("_shape"))


class Reshape(Layer):
    """Per-sample reshape, e.g. ``Reshape((1, 28, 28))`` turns flat 784-pixel rows into
    images for a Conv2D (so a CNN takes the same ``(N, 784)`` data as an MLP).

    Parameters
    ----------
    shape : int or tuple of int
        Shape of one sample after the layer, e.g. ``(1, 28, 28)``; the batch axis is kept.
    """

    @keywords("Reshape")
    def __init__(self, shape: int | tuple[int, ...] | list[int]) -> None:
        shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
        if not shape or not all(is_int(n) and n > 0 for n in shape):
            raise ConfigError(f"Reshape expects a per-sample shape of positive integers such as (1, 28, 28); "
                              f"got {shape!r}.")
        self.shape = shape = tuple(int(n) for n in shape)
        self.input_shape = (math.prod(shape),)

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if None not in shape and math.prod(shape) != math.prod(self.shape):
            raise ShapeError(f"Reshape({self.shape}) needs {math.prod(self.shape)} values per sample but "
                             f"receives shape {shape} ({math.prod(shape)} values); pick a shape with the "
                             "same number of values.")
        return self.shape

    def forward(self, x: Array, training: bool = False) -> Array:
        if math.prod(x.shape[1:]) != math.prod(self.shape):  # on its own (a Network checks first): its ShapeError
            self.output_shape(tuple(x.shape[1:]))
        if training:
            self._in = tuple(x.shape)
        return self._xp(x).reshape(x, (-1, *self.shape))

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        """dL/dx is dL/dy with the input's shape.

        Parameters
        ----------
        dy : array, shaped as the last training forward's output
            The loss's gradient with respect to this layer's output.
        need_input_grad : bool, default True
            Compute ``dL/dx``; the first layer skips it (nothing before it needs it).
        """
        return self._xp(dy).reshape(dy, self._cached("_in"))

    def get_config(self) -> dict[str, Any]:
        return {"type": "Reshape", "shape": list(self.shape)}
