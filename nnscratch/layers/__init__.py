"""Layers, one module per family: ``base`` (Parameter, Layer), ``dense``, ``activations``,
``conv`` (Conv2D), ``pooling`` (MaxPool2D, AvgPool2D), ``shape`` (Flatten, Reshape),
``dropout``, ``normalization`` (BatchNorm); ``windows`` holds im2col/col2im; ``habits`` what Keras
and PyTorch call the layers' arguments (``Conv2D(filters=...)`` is refused naming ``out_channels=``).

Two registries turn names into layers. :data:`ACTIVATIONS` maps the activation names that
``get_activation`` and ``Network.from_sizes(hidden=..., output=...)`` take to their classes; :data:`LAYERS` maps class names to classes, so ``layer_from_config`` can rebuild any
registered layer from its ``get_config()`` (that is how ``Network.load`` reads a model file).
A layer class of your own is loadable once it is passed to ``register``.
The command line's ``--layers`` grammar (``conv16x3p1,maxpool2,relu,dense10``) lives in
``nnscratch.models.spec``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, TypeVar

from ..errors import ConfigError, unknown_name
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
"""Activation name -> class, for :func:`get_activation` (which also takes ``leaky-relu`` and
``LeakyReLU``); ``linear`` is another name for ``identity``."""
LAYERS: dict[str, type[Layer]]
LAYERS = {cls.__name__: cls for cls in (Dense, Identity, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax,
                                        Conv2D, MaxPool2D, AvgPool2D, Flatten, Reshape, Dropout, BatchNorm)}
"""Class name -> layer class: the types :func:`layer_from_config` (and so ``Network.load``) can
rebuild. :func:`register` adds one."""


_L = TypeVar("_L", bound=type[Layer])


def register(cls: _L) -> _L:
    """Make ``cls`` loadable by :func:`layer_from_config` (models save layers by class name).

    Adds ``LAYERS[cls.__name__] = cls`` and returns ``cls``, so it works as a class decorator.
    Without it, loading a saved model that holds the layer fails with a ModelFileError naming the class.
    """
    LAYERS[cls.__name__] = cls
    return cls


def get_activation(spec: str | type[Activation] | Layer) -> Layer:
    """An activation layer from a name in :data:`ACTIVATIONS` ("relu", "leaky_relu", ...;
    case, ``-`` or ``_`` do not matter) or an activation class (made with its defaults), or the Layer
    itself when given one. Raises ConfigError for an unknown name.

    Parameters
    ----------
    spec : str, Activation class or Layer
        An activation name such as ``"relu"`` or ``"tanh"``, a class such as ``Tanh``, or a Layer returned as it is.
    """
    if isinstance(spec, Layer):
        return spec
    if isinstance(spec, type) and issubclass(spec, Activation):  # nn.Tanh, as PyTorch's activation_layer=nn.Tanh
        return spec()
    key = str(spec).lower().replace("-", "_").replace("leakyrelu", "leaky_relu")
    if key not in ACTIVATIONS:
        raise unknown_name("activation", spec, ACTIVATIONS)
    return ACTIVATIONS[key]()


def layer_from_config(config: dict[str, Any]) -> Layer:
    """Rebuild a layer from ``Layer.get_config()``: ``{"type": class name, **arguments}``, the
    type looked up in :data:`LAYERS`. Raises ConfigError for a type not registered there.

    Parameters
    ----------
    config : dict
        What ``Layer.get_config()`` returned, e.g. ``{"type": "Dense", "n_in": 784, "n_out": 10}``.
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"A layer config is a dict as Layer.get_config() returns, such as {{'type': 'Dense', "
                          f"'n_in': 784, 'n_out': 10}}; got {config!r}.")
    options = dict(config)
    kind = options.pop("type", None)
    if kind not in LAYERS:
        raise ConfigError(f"{unknown_name('layer type', kind, LAYERS)} A layer class of your own is rebuilt once "
                          "passed to nnscratch.layers.register.")
    try:
        return LAYERS[kind](**options)
    except TypeError as exc:  # a missing or unknown argument (values are checked by the layer: ConfigError)
        takes = ", ".join(inspect.signature(LAYERS[kind]).parameters) or "no arguments"
        raise ConfigError(f"The layer config {dict(config)!r} does not rebuild a {kind} ({exc}); {kind} takes "
                          f"{takes}.") from None


__all__ = ["ACTIVATIONS", "LAYERS", "Activation", "AvgPool2D", "BatchNorm", "Conv2D", "Dense", "Dropout", "Flatten",
           "Identity", "Layer", "LeakyReLU", "MaxPool2D", "Parameter", "ReLU", "Reshape", "Sigmoid", "Softmax",
           "Tanh", "get_activation", "layer_from_config", "register"]
