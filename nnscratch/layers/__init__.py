"""Layers, one module per family: ``base`` (Parameter, Layer), ``dense``, ``activations``,
``conv`` (Conv2D), ``pooling`` (MaxPool2D, AvgPool2D), ``shape`` (Flatten, Reshape),
``dropout``, ``normalization`` (BatchNorm); ``windows`` holds im2col/col2im.

``layer_from_config`` rebuilds any registered layer from its ``get_config()``;
``get_activation`` makes an activation from its name.
"""

from __future__ import annotations

from typing import Any, TypeVar

from ..errors import unknown_name
from .activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Layer, Parameter
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .normalization import BatchNorm
from .pooling import AvgPool2D, MaxPool2D
from .shape import Flatten, Reshape

ACTIVATIONS = {"identity": Identity, "linear": Identity, "relu": ReLU, "leaky_relu": LeakyReLU,
               "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax}
LAYERS: dict[str, type[Layer]]
LAYERS = {cls.__name__: cls for cls in (Dense, Identity, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax,
                                        Conv2D, MaxPool2D, AvgPool2D, Flatten, Reshape, Dropout, BatchNorm)}


_L = TypeVar("_L", bound=type[Layer])


def register(cls: _L) -> _L:
    """Make ``cls`` loadable by :func:`layer_from_config` (models save layers by class name)."""
    LAYERS[cls.__name__] = cls
    return cls


def get_activation(spec: str | Layer) -> Layer:
    """An activation layer from a name ("relu", "leaky_relu", ...) or a Layer."""
    if isinstance(spec, Layer):
        return spec
    key = str(spec).lower().replace("-", "_").replace("leakyrelu", "leaky_relu")
    if key not in ACTIVATIONS:
        raise unknown_name("activation", spec, ACTIVATIONS)
    return ACTIVATIONS[key]()


def layer_from_config(config: dict[str, Any]) -> Layer:
    """Rebuild a layer from ``Layer.get_config()``."""
    options = dict(config)
    kind = options.pop("type", None)
    if kind not in LAYERS:
        raise unknown_name("layer type", kind, LAYERS)
    return LAYERS[kind](**options)


__all__ = ["ACTIVATIONS", "LAYERS", "Activation", "AvgPool2D", "BatchNorm", "Conv2D", "Dense", "Dropout", "Flatten",
           "Identity", "Layer", "LeakyReLU", "MaxPool2D", "Parameter", "ReLU", "Reshape", "Sigmoid", "Softmax",
           "Tanh", "get_activation", "layer_from_config", "register"]
