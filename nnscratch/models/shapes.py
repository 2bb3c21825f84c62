"""Per-sample shapes through a stack of layers: what :class:`Network` reports and checks.

A shape has no batch axis, and None for a size known only when data arrives (a
convolution on images of any size). :func:`layer_shapes` runs a shape through
each layer's ``output_shape`` in turn and names the layer where sizes do not
chain; :func:`n_outputs` is the last axis of the output, refused while it is open.
"""

from ..errors import ShapeError


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
    """Outputs per sample (the last axis of ``output_shape``), or a ShapeError when the input's
    open size leaves it open."""
    n = output_shape[-1]
    if n is None:
        raise ShapeError(f"The network's number of outputs depends on the input size, which is open "
                         f"(input_shape {tuple(input_shape)}, output {tuple(output_shape)}): a "
                         f"classifier needs a fixed count. Pass input_shape={_example(input_shape)} (the size of "
                         f"your images), or end with layers whose size does not depend on it.")
    return n


def _example(input_shape):
    """``input_shape`` with its open sizes as 28: ``(3, None, None)`` -> ``(3, 28, 28)``."""
    return tuple(28 if n is None else n for n in input_shape)
