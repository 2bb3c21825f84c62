"""A network as data: its config, its weights and running statistics, and copies of it.

What :meth:`Network.get_config`, :meth:`Network.from_config`, :meth:`Network.set_weights`,
:meth:`Network.set_buffers` and :meth:`Network.to` do, and what ``pickle`` and ``copy.deepcopy``
carry (:func:`snapshot`, :func:`rebuild`); saving (:mod:`nnscratch.saving`)
and data-parallel training build on them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import validation
from ..backend.core import Backend, get_backend
from ..errors import ConfigError
from ..layers import layer_from_config
from ..layers.initializers import init_config
from ..losses import LOSSES, get_loss
from .._typing import Array, DType

if TYPE_CHECKING:
    from ..layers.base import Layer, Parameter
    from ..optim.base import Optimizer
    from .network import Network


def get_config(net: Network) -> dict[str, Any]:
    """JSON-able description of ``net``: layers, seed, dtype, input shape, metadata, task, the network's
    initialiser when it is a built-in one (as a Dense keeps its own), and the loss of the last
    ``fit`` when it is a built-in one. With the seed and the initialiser, :func:`from_config` draws the
    same initial weights as ``net`` was built with."""
    config = {"layers": [layer.get_config() for layer in net.layers], "seed": net.seed,
              "dtype": net.backend.dtype_name, "input_shape": list(net.input_shape),
              "metadata": copy.deepcopy(net.metadata), "task": _saved_task(net)}  # a copy: no list or dict shared
    kept = init_config(net.init)  # a built-in one; one of one's own, which nothing could rebuild, is left out
    if kept is not None:
        config["init"] = kept
    if net._fit_loss is not None and LOSSES.get(net._fit_loss.name) is type(net._fit_loss):
        config["loss"] = net._fit_loss.name
    return config


def _saved_task(net: Network) -> str | None:
    """The task a config records: the one ``fit`` fixed, else the one the output layer gives. None where
    neither is fixed yet because the output count is open (a network of convolutions only, on images of
    any size: its task may hang on that count, one Sigmoid output or several); the loaded network then
    derives it as this one does, once its output count is known."""
    if net._task is None and net.output_shape[-1] is None:
        return None
    return net.task


def from_config(cls: type[Network], config: dict[str, Any], backend: str | Backend | None = None,
                dtype: DType | None = None, layers: list[Layer] | None = None, init: Any = None) -> Network:
    """A new ``cls`` (fresh weights) built from :func:`get_config`'s description (``layers``: new
    layers already built from it; ``init``: the network's initialiser, where the description has none
    of its own, an initialiser of one's own without ``get_config``)."""
    if layers is None:
        layers = [layer_from_config(c) for c in _checked_config(config)["layers"]]
    shape = config.get("input_shape")  # files before 0.2 have none: the first Dense gives it
    init = init if init is not None else config.get("init")  # configs written before it was kept have none
    given = {} if init is None else {"init": init}
    net = cls(layers, seed=config.get("seed"), backend=backend, dtype=dtype or config.get("dtype"),
              input_shape=None if shape is None else tuple(shape), metadata=config.get("metadata"), **given)
    if config.get("loss") is not None:
        net._fit_loss = get_loss(config["loss"])
    if config.get("task") is not None:  # older files have none: derived from the output layer
        net.task = config["task"]
    return net


def _checked_config(config: Any) -> dict[str, Any]:
    """``config`` if it is a dict as :func:`get_config` returns (a ``"layers"`` list of dicts), else a ConfigError
    that says what it received: JSON text, a path, ``None`` or a dict without layers was a KeyError or TypeError."""
    layers = config.get("layers") if isinstance(config, Mapping) else None
    if isinstance(layers, list) and all(isinstance(c, Mapping) for c in layers):
        return dict(config)
    if isinstance(config, Mapping):
        got = "a dict without a 'layers' list of dicts" + (f" (keys: {', '.join(map(str, config))})" if config else "")
    else:
        got = "None" if config is None else f"{type(config).__name__} {config!r:.60}"
    fix = ("; read JSON text with json.loads first" if isinstance(config, str) and config.lstrip().startswith("{")
           else "; a model file is read with Network.load(path)" if isinstance(config, str) else "")
    raise ConfigError(f"from_config expects the dict get_config() returns, "
                      f"{{'layers': [{{'type': 'Dense', ...}}, ...], 'seed': ..., ...}}; got {got}{fix}.")


def _by_name(params: list[Parameter], weights: Mapping[str, Array]) -> list[Array]:
    """``weights`` given as ``{name: array}`` (PyTorch's ``state_dict`` habit) in ``params`` order, every name once."""
    names = [p.name for p in params]
    missing, unknown = [n for n in names if n not in weights], [str(k) for k in weights if k not in names]
    if missing or unknown:
        wrong = " and ".join(([f"lacks {missing}"] if missing else []) +
                             ([f"has {unknown}, which no parameter is called"] if unknown else []))
        raise ConfigError(f"set_weights takes a list of arrays in net.parameters() order, or a dict of every "
                          f"parameter by name ({', '.join(names)}); this dict {wrong} (running statistics go to "
                          f"set_buffers).")
    return [weights[n] for n in names]


def set_weights(net: Network, weights: Sequence[Array] | Mapping[str, Array]) -> None:
    """Set every parameter of ``net`` from a copy of ``weights`` (a list in :meth:`~Network.parameters` order,
    or ``{name: array}`` of every parameter); the given arrays are never modified."""
    params = net.parameters()
    if isinstance(weights, Mapping):
        weights = _by_name(params, weights)
    validation.check_weights(params, weights)
    for p, w in zip(params, weights):
        p.value = net.backend.asarray(validation.host_copy(w, net.backend.dtype_name), dtype=net.dtype)


def set_buffers(net: Network, arrays: Mapping[str, Array]) -> None:
    """Set ``net``'s buffers from copies of ``{name: array}`` (host arrays or arrays of any backend, as
    :func:`set_weights` takes); names not given keep their values."""
    for b in net.buffers():
        if b.name in arrays:
            validation.check_weights([b], [arrays[b.name]])
            b.value = net.backend.asarray(validation.host_copy(arrays[b.name], net.backend.dtype_name), dtype=net.dtype)


def copy_to(net: Network, backend: str | Backend | None = None, dtype: DType | None = None) -> Network:
    """A copy of ``net`` on another backend and/or dtype: weights, running statistics, random
    state, the task and loss of the last fit, and the optimizer with its state (moments, step count)."""
    if isinstance(backend, Backend) and dtype is None:
        target = backend
    else:
        target = get_backend(backend or net.backend).with_dtype(dtype or net.backend.dtype_name)
    return rebuild(snapshot(net), target)


def snapshot(net: Network) -> dict[str, Any]:
    """What a copy of ``net`` is made of, on the host (no array of a backend, no module): its class,
    config, initialiser, layer classes with their settings, weights, buffers, RNG state, task, loss of
    the last fit, and the optimizer (without state) with its :meth:`~Optimizer.state_dict` as host arrays.
    :func:`rebuild` makes the network again; ``pickle`` and ``copy.deepcopy`` carry it between the two."""
    layers = [(type(layer), {k: v for k, v in layer.get_config().items() if k != "type"}) for layer in net.layers]
    saved = {"class": type(net), "config": net.get_config(), "init": net.init, "layers": layers,
             "weights": net.get_weights(), "buffers": net.get_buffers(), "rng": net.rng.bit_generator.state,
             "task": net._task, "fit_loss": net._fit_loss, "optimizer": None}
    if net.optimizer is not None:
        state, host = net.optimizer.state_dict(), net.backend.to_numpy
        state["state"] = {name: {k: host(v) for k, v in slots.items()} for name, slots in state["state"].items()}
        saved["optimizer"] = (_new_optimizer(net.optimizer), state)
    return saved


# What rebuild() makes anew; every other attribute of a Network (stop_training, one's own) is copied as it is.
_REBUILT = frozenset({"layers", "input_shape", "output_shape", "_task", "_fit_loss", "metadata", "backend", "xp",
                      "dtype", "seed", "rng", "init", "optimizer", "parameter_buffer"})


def reduce(net: Network) -> tuple[Any, ...]:
    """``net.__reduce__()``, for ``pickle`` and ``copy.deepcopy``: :func:`rebuild` of its :func:`snapshot` on
    its backend (which pickles by name, device and dtype), then its other attributes as they are. Torch
    tensors pickle as host arrays and go back to the device named; an unavailable backend is a
    BackendUnavailableError."""
    rest = {k: v for k, v in vars(net).items() if k not in _REBUILT}
    return rebuild, (snapshot(net), net.backend), rest


def rebuild(saved: dict[str, Any], backend: Backend) -> Network:
    """The network :func:`snapshot` describes, on ``backend`` (its dtype too): the same model, whose
    ``fit`` continues the run exactly as the original's would."""
    layers = [_new_layer(kind, options) for kind, options in saved["layers"]]
    clone = from_config(saved["class"], saved["config"], backend=backend, dtype=backend.dtype_name, layers=layers,
                        init=saved["init"])
    clone._task, clone._fit_loss = saved["task"], saved["fit_loss"]
    clone.set_weights(saved["weights"])
    clone.set_buffers(saved["buffers"])
    clone.rng.bit_generator.state = saved["rng"]
    if saved["optimizer"] is not None:
        clone.optimizer, state = saved["optimizer"]
        with backend.activate():  # the moments on the copy's device (CuPy allocates on the current one)
            clone.optimizer.load_state_dict(state, asarray=lambda a: backend.asarray(a, dtype=backend.dtype))
    return clone


def _new_layer(kind: type[Layer], options: dict[str, Any]) -> Layer:
    """A new layer of class ``kind`` with the settings its ``get_config`` gave: a class of one's own needs
    no registering to be copied, only a ``get_config`` that returns its ``__init__`` arguments."""
    try:
        return kind(**options)
    except TypeError as exc:
        raise ConfigError(f"Cannot copy layer {kind.__name__}: {kind.__name__}(**get_config()) fails ({exc}); give "
                          f"{kind.__name__} a get_config() that returns its __init__ arguments with 'type'.") from None


def _new_optimizer(optimizer: Optimizer) -> Optimizer:
    """An optimizer of ``optimizer``'s own class and settings (a subclass of one's own stays one), without
    its state, which :meth:`Optimizer.load_state_dict` then gives it."""
    new = copy.copy(optimizer)
    new.state, new._owner, new._given, new._loaded = {}, None, None, None
    return new
