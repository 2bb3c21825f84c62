"""Per-sample shapes through a stack of layers: what :class:`Network` reports and checks.

A shape has no batch axis, and None for a size known only when data arrives (a
convolution on images of any size). :func:`layer_shapes` runs a shape through
each layer's ``output_shape`` in turn and names the layer where sizes do not
chain; :func:`n_outputs` counts the output values per sample, refused while a size is open;
:func:`refuse_unflat_output` is what ``fit`` and ``evaluate`` say to an output that is not a row.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..errors import ShapeError

if TYPE_CHECKING:
    from .network import Network


def layer_shapes(layers, shape, error=ShapeError):
    """Each layer's per-sample output shape in turn, from input ``shape``; a mismatch raises
    ``error`` (another class than ShapeError: naming the index of the layer)."""
    for index, layer in enumerate(layers):
        try:
            shape = layer.output_shape(shape)
        except ShapeError as exc:
            if error is ShapeError:
                raise
            raise error(f"Layer sizes do not chain at layer {index}: {exc}") from None
        yield shape


def shape_after(layers, input_shape, error=ShapeError):
    """The per-sample output shape of ``layers`` on ``input_shape`` (see :func:`layer_shapes`)."""
    shapes = tuple(layer_shapes(layers, tuple(input_shape), error))
    return shapes[-1] if shapes else tuple(input_shape)


def n_outputs(input_shape, output_shape):
    """Output values per sample, the product of ``output_shape`` (as ``n_inputs`` is of the input
    shape): the width of a row of outputs, or of images once a ``Flatten`` makes them rows; a
    ShapeError when the input's open size leaves it open."""
    if None in output_shape:
        raise ShapeError(f"The network's number of outputs depends on the input size, which is open "
                         f"(input_shape {tuple(input_shape)}, output {tuple(output_shape)}): a "
                         f"classifier needs a fixed count. Pass input_shape={_example(input_shape)} (the size of "
                         f"your images), or end with layers whose size does not depend on it.")
    return math.prod(output_shape)


def n_inputs_of(net: Network) -> int | None:
    """Features per sample: the product of :attr:`input_shape` (None if a size is open); ``Network.n_inputs``."""
    return None if None in net.input_shape else math.prod(net.input_shape)


def n_outputs_of(net: Network) -> int:
    """Output values per sample: the product of :attr:`output_shape` (``fit`` takes rows of that many targets;
    a network ending in images needs a ``Flatten`` for that); ``Network.n_outputs``."""
    return n_outputs(net.input_shape, net.output_shape)


def refuse_unflat_output(output_shape):
    """A ShapeError when per-sample outputs of ``output_shape`` are not rows (images, say, from a network of
    convolutions only): a loss compares rows of outputs with rows of targets, and a Flatten makes them rows."""
    if len(output_shape) <= 1:
        return
    shape = tuple(output_shape)
    count = "C*H*W" if None in shape else f"{math.prod(shape)}"
    sizes = ", ".join("?" if n is None else str(n) for n in shape)
    raise ShapeError(f"The network's output has shape {shape} per sample, and a loss compares rows of targets: end "
                     f"it with Flatten() to train on rows of {count} targets (targets of shape (n, {sizes}) "
                     f"as rows: y.reshape(len(y), -1)).")


def _example(input_shape):
    """``input_shape`` with its open sizes as 28: ``(3, None, None)`` -> ``(3, 28, 28)``."""
    return tuple(28 if n is None else n for n in input_shape)
