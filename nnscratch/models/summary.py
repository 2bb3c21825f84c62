"""Describing a network: the table of :meth:`Network.summary` (as Keras' ``model.summary()``)
and the one-line descriptions that messages and the command line print."""

import math

from ..errors import ConfigError
from ..layers import Flatten, Reshape, layer_from_config
from .spec import describe


def summary_text(net):
    """Every layer with its per-sample output shape and parameter count, then the totals."""
    rows = [("Layer", "Output shape", "Parameters"), ("input", str(net.input_shape), "")]
    rows += [(f"{index:<3}{type(layer).__name__}", str(shape), f"{_count(layer.params):,}")
             for index, (layer, shape) in enumerate(zip(net.layers, net.output_shapes))]
    width = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [f"{a:<{width[0]}}  {b:<{width[1]}}  {c:>{width[2]}}".rstrip() for a, b, c in rows]
    rule = "-" * (sum(width) + 4)
    running = _count(net.buffers())
    extra = f" (+ {running:,} running statistics)" if running else ""
    total = f"{_count(net.parameters()):,} parameters{extra}, {net.backend.dtype_name} on {net.backend}"
    return "\n".join([lines[0], rule, *lines[1:], rule, total])


def architecture(net):
    """One line: an MLP's sizes (``784-128-10``); any other network's layers in the ``--layers``
    grammar with the shape they receive, the outputs (their shape where they are not a row) and the
    parameter count, ``conv16x3p1,relu,...,softmax (1x28x28 -> 10, 206,922 parameters)``."""
    if net.is_mlp:
        return "-".join(map(str, net.sizes))
    shapes = (net.input_shape,) + net.output_shapes
    first = next(i for i, layer in enumerate(net.layers) if not isinstance(layer, Reshape))  # past a leading Reshape
    received, out = (_sizes(shape) for shape in (shapes[first], net.output_shape))
    return f"{describe(net.layers)} ({received} -> {out}, {_count(net.parameters()):,} parameters)"


def _sizes(shape):
    """``1x28x28`` for a per-sample shape (``?`` where open)."""
    return "x".join("?" if n is None else str(n) for n in shape)


def unflat_layers(net):
    """``(layer, per-sample shape it receives)`` of every layer but Flatten/Reshape that
    receives samples that are not flat: none in an MLP."""
    received = (net.input_shape,) + net.output_shapes[:-1]
    return [(layer, shape) for layer, shape in zip(net.layers, received)
            if len(shape) != 1 and not isinstance(layer, (Flatten, Reshape))]


def not_an_mlp(unflat):
    """The ConfigError of :attr:`Network.sizes` on a network with ``unflat`` layers."""
    names = ", ".join(dict.fromkeys(type(layer).__name__ for layer, _ in unflat))
    return ConfigError(f"Network.sizes lists an MLP's widths (inputs, then each Dense layer's outputs), but "
                       f"this network's {names} layers work on per-sample shapes such as {unflat[0][1]}, not "
                       f"on flat samples. Use net.output_shapes for every layer's per-sample output shape, "
                       f"or net.summary() for a table of the layers.")


def config_text(config):
    """``conv4x3p1,relu,...,softmax on inputs (1, 10, 10)`` for a network config (a file's, say)."""
    try:
        layers = describe([layer_from_config(c) for c in config["layers"]])
    except (KeyError, TypeError, ValueError):
        layers = "layers that cannot be read"
    shape = config.get("input_shape")
    return layers + (f" on inputs {tuple(shape)}" if shape else "")


def _count(arrays):
    return sum(math.prod(a.value.shape) for a in arrays)
