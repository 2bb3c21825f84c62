"""A network as data: its config, its weights and running statistics, and copies of it.

What :meth:`Network.get_config`, :meth:`Network.from_config`, :meth:`Network.set_weights`,
:meth:`Network.set_buffers` and :meth:`Network.to` do; saving (:mod:`nnscratch.saving`)
and data-parallel training build on them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import validation
from ..backend.core import Backend, get_backend
from ..layers import layer_from_config
from ..losses import LOSSES, get_loss
from .._typing import Array, DType

if TYPE_CHECKING:
    from ..layers.base import Layer
    from ..optim.base import Optimizer
    from .network import Network


def get_config(net: Network) -> dict[str, Any]:
    """JSON-able description of ``net``: layers, seed, dtype, input shape, metadata, task,
    and the loss of the last ``fit`` when it is a built-in one."""
    config = {"layers": [layer.get_config() for layer in net.layers], "seed": net.seed,
              "dtype": net.backend.dtype_name, "input_shape": list(net.input_shape),
              "metadata": net.metadata, "task": net.task}
    if net._fit_loss is not None and LOSSES.get(net._fit_loss.name) is type(net._fit_loss):
        config["loss"] = net._fit_loss.name
    return config


def from_config(cls: type[Network], config: dict[str, Any], backend: str | Backend | None = None,
                dtype: DType | None = None, layers: list[Layer] | None = None) -> Network:
    """A new ``cls`` (fresh weights) built from :func:`get_config`'s description (``layers``: new
    layers already built from it)."""
    if layers is None:
        layers = [layer_from_config(c) for c in config["layers"]]
    shape = config.get("input_shape")  # files before 0.2 have none: the first Dense gives it
    net = cls(layers, seed=config.get("seed"), backend=backend, dtype=dtype or config.get("dtype"),
              input_shape=None if shape is None else tuple(shape), metadata=config.get("metadata"))
    if config.get("loss") is not None:
        net._fit_loss = get_loss(config["loss"])
    if config.get("task") is not None:  # older files have none: derived from the output layer
        net.task = config["task"]
    return net


def set_weights(net: Network, weights: Sequence[Array]) -> None:
    """Set every parameter of ``net`` from a copy of ``weights``; the given arrays are never modified."""
    params = net.parameters()
    validation.check_weights(params, weights)
    for p, w in zip(params, weights):
        p.value = net.backend.asarray(validation.host_copy(w, net.backend.dtype_name), dtype=net.dtype)


def set_buffers(net: Network, arrays: Mapping[str, Array]) -> None:
    """Set ``net``'s buffers from ``{name: host array}``; names not given keep their values."""
    for b in net.buffers():
        if b.name in arrays:
            validation.check_weights([b], [arrays[b.name]])
            b.value = net.backend.asarray(arrays[b.name], dtype=net.dtype)


def copy_to(net: Network, backend: str | Backend | None = None, dtype: DType | None = None) -> Network:
    """A copy of ``net`` on another backend and/or dtype: weights, running statistics, random
    state and the optimizer with its state (moments, step count)."""
    if isinstance(backend, Backend) and dtype is None:
        target = backend
    else:
        target = get_backend(backend or net.backend).with_dtype(dtype or net.backend.dtype_name)
    clone = from_config(type(net), net.get_config(), backend=target, dtype=target.dtype_name,
                        layers=[_new_layer(layer) for layer in net.layers])
    clone.set_weights(net.get_weights())
    clone.set_buffers(net.get_buffers())
    clone.rng.bit_generator.state = net.rng.bit_generator.state
    if net.optimizer is not None:
        state, host = net.optimizer.state_dict(), net.backend.to_numpy
        clone.optimizer = _new_optimizer(net.optimizer)
        state["state"] = {name: {k: host(v) for k, v in slots.items()} for name, slots in state["state"].items()}
        clone.optimizer.load_state_dict(state, asarray=lambda a: target.asarray(a, dtype=target.dtype))
    return clone


def _new_layer(layer: Layer) -> Layer:
    """A new layer of ``layer``'s own class and config: a class of one's own needs no registering to be copied."""
    return type(layer)(**{k: v for k, v in layer.get_config().items() if k != "type"})


def _new_optimizer(optimizer: Optimizer) -> Optimizer:
    """An optimizer of ``optimizer``'s own class and settings (a subclass of one's own stays one), without
    its state, which :meth:`Optimizer.load_state_dict` then gives it."""
    new = copy.copy(optimizer)
    new.state, new._owner, new._given, new._loaded = {}, None, None, None
    return new
