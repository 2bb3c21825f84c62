"""Checks on the layers a Network is built from, before anything is built.

A layer object keeps its own weights and cached inputs, so it appears once in
one network; a softmax over one unit is refused; the input shape comes from
the caller or the first layer that fixes it. Before a training-mode pass, a
BatchNorm that would see one value per channel is refused.
"""

import math

from ..errors import ConfigError, DataError
from .activations import Softmax
from .base import Layer
from .normalization import BatchNorm
from .._typing import is_int


EXAMPLE = "[Dense(784, 128), ReLU(), Dense(128, 10), Softmax()]"


def check_layers(layers, network):
    items = list(layers) if isinstance(layers, (list, tuple)) else None
    if items and all(is_int(n) for n in items):
        raise ConfigError(f"Network expects layers, not layer sizes; got {items!r}. Build it from sizes with "
                          f"Network.from_sizes({', '.join(map(str, items))}), or pass layers such as {EXAMPLE}.")
    if not items or not all(isinstance(layer, Layer) for layer in items):
        raise ConfigError(f"Network expects a non-empty list of layers such as {EXAMPLE}; got {_what(layers, items)}.")
    layers = items
    first = {}
    for index, layer in enumerate(layers):
        if id(layer) in first:
            raise ConfigError(f"Layer {index} ({layer!r}) is the same object as layer {first[id(layer)]}; a layer "
                              f"keeps its own weights and cached inputs, so it can appear only once. Create a "
                              f"new one for each place, e.g. {type(layer).__name__}(...), or use copy.deepcopy(layer) "
                              f"before it goes into a network.")
        first[id(layer)] = index
        owner = layer._network() if layer._network is not None else None
        if owner is not None and owner is not network:
            raise ConfigError(f"Layer {index} ({layer!r}) already belongs to another Network; building it again "
                              f"would re-initialise that network's weights. Create new layers for this network, "
                              f"or copy the whole network, weights and all, with copy.deepcopy(net) (or its "
                              f"architecture alone with Network.from_config(net.get_config())).")
    return layers


def _what(layers, items):
    """What ``Network(layers)`` received instead of a list of layers, and the fix: a long repr is
    shortened, never the position; a Network (not a layer) is told to list copies of its layers."""
    if isinstance(layers, Layer):
        return f"one layer, {_short(layers)}; put it in a list: [{_short(layers)}]"
    if not items and items is not None:
        return "an empty list"
    index, item = (None, layers) if items is None else \
        next((i, x) for i, x in enumerate(items) if not isinstance(x, Layer))
    where = "" if index is None else f" at position {index}"
    held = getattr(item, "layers", None)  # a Network (this module cannot import it: it imports this module)
    if isinstance(held, (list, tuple)) and held and all(isinstance(layer, Layer) for layer in held):
        return (f"a {type(item).__name__}{where}, which is not a layer; list its layers instead, copied (a layer "
                f"belongs to one network, and the copies start from new weights): "
                f"Network([*copy.deepcopy(net).layers, Dense(...)])")
    return f"{type(item).__name__} {_short(item)}{where}"


def _short(item, limit=80):
    text = repr(item)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def refuse_one_unit_softmax(layers, input_shape):
    """A softmax over one unit is always 1: nothing could be learned through it."""
    shape = tuple(input_shape)
    for index, layer in enumerate(layers):
        if isinstance(layer, Softmax) and shape == (1,):
            raise ConfigError(f"Layer {index} is a Softmax over a single unit, whose output is always 1, so "
                              f"nothing would be learned. For two classes end with one Sigmoid unit and "
                              f"loss='binary_cross_entropy' (Network.from_sizes(..., 1) does this), or use "
                              f"two output units with Softmax.")
        shape = layer.output_shape(shape)


def input_shape_of(layers, given):
    """The per-sample input shape: ``given`` (``None`` entries for sizes the data decides, as
    Keras' ``shape=(1, None, None)``; those the first fixed ``Layer.input_shape`` knows are filled
    in from it), else that layer's ``input_shape``."""
    fixed = next((tuple(layer.input_shape) for layer in layers if layer.input_shape is not None), None)
    if given is None:
        if fixed is None:
            raise ConfigError("No layer fixes the input size; pass input_shape=..., e.g. "
                              "Network(layers, input_shape=(784,)).")
        return fixed
    shape = tuple(given) if isinstance(given, (list, tuple)) else (given,)
    if not shape or not all(n is None or (is_int(n) and n > 0) for n in shape):
        raise ConfigError(f"input_shape must be a tuple of positive integers (None for a size the data "
                          f"decides), such as (1, 28, 28), (1, None, None) or (784,); got {given!r}.")
    shape = tuple(None if n is None else int(n) for n in shape)
    if fixed is not None and shape[0] is None and shape[1:] == fixed:  # Keras's batch_shape=(None, 784)
        raise ConfigError(f"input_shape is one sample's shape, without the batch axis: input_shape={fixed!r} "
                          f"(as Keras's Input(shape=...)); got {given!r}.")
    if fixed is not None and len(fixed) == len(shape):
        shape = tuple(f if n is None else n for n, f in zip(shape, fixed))
    if len(shape) == 1 and shape[0] is None:
        raise ConfigError("input_shape=(None,) leaves the number of features open and no layer fixes it; "
                          "give it, e.g. input_shape=(784,).")
    return shape


def smallest_batch(n, batch_size):
    """The fewest rows a batch of an epoch over ``n`` rows holds (the remainder, if any)."""
    if batch_size is None or batch_size >= n:
        return n
    return n % batch_size or batch_size


def refuse_one_value_per_channel(layers, sample_shape, rows, batch_size=None):
    """A BatchNorm trained on a batch with one value per feature/channel normalises it to 0 and
    pulls its running variance towards 0. Refused before training, as PyTorch does ("Expected
    more than 1 value per channel when training"): ``rows`` samples of ``sample_shape`` in
    batches of ``batch_size`` (None: one batch)."""
    fewest = smallest_batch(rows, batch_size)
    shape = tuple(sample_shape)
    for index, layer in enumerate(layers):
        if isinstance(layer, BatchNorm) and fewest * math.prod(shape[1:]) == 1:
            if batch_size is None or batch_size >= rows:
                where, fix = f"the data has {rows} sample", "pass at least 2 samples"
            else:
                better = next(b for b in range(batch_size + 1, rows + 1) if rows % b != 1)
                where = (f"{rows} samples in batches of {batch_size} leave a last batch of 1 sample")
                fix = f"pick a batch_size that leaves no batch of one sample (e.g. batch_size={better}), or drop a sample"
            raise DataError(f"Layer {index} ({layer!r}) normalises each {'channel' if len(shape) > 1 else 'feature'} "
                            f"over the batch, but {where}: one value per {'channel' if len(shape) > 1 else 'feature'}, "
                            f"whose variance is 0 (PyTorch raises 'Expected more than 1 value per channel when "
                            f"training'). {fix[0].upper() + fix[1:]}.")
        shape = layer.output_shape(shape)
