"""Checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint is one ``.npz`` (written atomically, read without pickle, see
:mod:`nnscratch.saving.serialize`) holding the weights, the optimizer state (config
with its learning-rate schedule, step count, lr scale, momenta, Adam moments: a resume
with an optimizer of another kind keeps the step count and scale, and starts its own moments),
the host RNG state, the history, the epoch reached, whether a callback stopped
the run there, the best epoch's weights and running statistics when
``restore_best`` is on, and every callback's state (:meth:`Callback.get_state`,
with the arrays of :meth:`Callback.get_arrays`: EarlyStopping's best weights),
so a resumed run ends exactly as an uninterrupted one. Arrays are stored as
host NumPy, so a checkpoint from one backend resumes on another.
"""

import os
from types import SimpleNamespace

import numpy as np

from . import serialize
from ..errors import ConfigError, ModelFileError, ModelNotFoundError
from ..training.guard import saved_arrays
from ..models.summary import config_text
from ..optim.optimizers import get_optimizer

KIND = "nnscratch-checkpoint"


def save(path, net, *, epoch, history, guard=None, callbacks=(), stopped=False):
    """Write a checkpoint of ``net`` after ``epoch`` (0-based) to ``path``, atomically;
    ``stopped``: a callback ended the run after this epoch (a resume then trains no more)."""
    serialize.check_names(net, path)
    to_numpy, opt = net.backend.to_numpy, net.optimizer
    state = opt.state_dict()
    header = {"format": KIND, "version": serialize.FORMAT_VERSION, "config": net.get_config(),
              "epoch": int(epoch), "backend": str(net.backend), "optimizer": state["config"],
              "optimizer_t": state["t"], "optimizer_state_t": state["state_t"], "optimizer_lr_scale": state.get("lr_scale", 1.0),
              "rng": net.rng.bit_generator.state,
              "history": {"history": history.history, "epoch": history.epoch, "params": history.params},
              "callbacks": {key: c.get_state() for key, c in _keyed(callbacks, "get_state")},
              "stopped": bool(stopped)}
    arrays = {f"w/{p.name}": to_numpy(p.value) for p in net.parameters()}
    for key, c in _keyed(callbacks, "get_arrays"):
        arrays.update({f"cb/{key}/{name}": to_numpy(a) for name, a in c.get_arrays(net).items()})
    arrays.update({f"buf/{name}": value for name, value in net.get_buffers().items()})
    for name, slots in state["state"].items():
        arrays.update({f"opt/{name}/{key}": to_numpy(v) for key, v in slots.items()})
    if guard is not None and guard.best is not None:
        header["best"] = {"epoch": guard.best_epoch, "value": guard.best_value}
        arrays.update({f"best/{p.name}": to_numpy(w) for p, w in zip(saved_arrays(net), guard.best)})
    return serialize.save_arrays(path, header, arrays, compress=False)


def load(path):
    """Read a checkpoint: ``(header, arrays)``, or a ModelFileError / ModelNotFoundError."""
    if not os.path.exists(os.fspath(path)):
        raise ModelNotFoundError(f"No checkpoint at {os.fspath(path)!r}; check the path, or start without "
                                 "resume= (pass resume=True to resume only when the file exists).")
    return serialize.load_arrays(path, kind=KIND)


def load_header(path):
    """The header of the checkpoint at ``path`` alone (its epoch, network, history, run options: a few kB),
    none of its arrays read; where the file is not a checkpoint this version reads, the error :func:`load` raises.
    What the command line checks before ``fit``, which then reads the whole file once."""
    from .kinds import npz_header
    header = npz_header(os.fspath(path)) if os.path.isfile(os.fspath(path)) else None
    version = (header or {}).get("version", 0)
    if header is None or header.get("format") != KIND or not isinstance(version, int) or \
            version > serialize.FORMAT_VERSION:
        return load(path)[0]  # says what is wrong with the file, in load's words
    return header


def resume_path(resume, checkpoint):
    """The file to resume from: ``resume`` itself, or with ``resume=True`` the
    ``checkpoint`` path if it exists yet (None: start fresh)."""
    if resume is True:
        return checkpoint if checkpoint is not None and os.path.exists(os.fspath(checkpoint)) else None
    return resume or None


def optimizer_from(header, optimizer):
    """The optimizer to resume with: the one given, else the checkpoint's (one of the user's own,
    which cannot be rebuilt from its config, is asked for)."""
    if optimizer is not None:
        return get_optimizer(optimizer)
    try:
        return get_optimizer(header["optimizer"])
    except (ConfigError, TypeError) as exc:  # an unknown name, or options of its own (a KeywordError is both)
        config = header["optimizer"]
        name = config.get("name") if isinstance(config, dict) else config
        raise ConfigError(f"The checkpoint's optimizer {name!r} is one of your own, which nnscratch cannot "
                          f"rebuild from its saved settings ({exc}); pass it again to resume: "
                          f"fit(..., resume=..., optimizer=YourOptimizer(...)).") from None


def restore(net, path, header, arrays, guard=None, callbacks=()):
    """Load the checkpoint into ``net`` (weights, optimizer state, RNG), its
    ``guard`` and ``callbacks``; return the first epoch still to run."""
    _check_matches(net, path, header)
    params = net.parameters()
    try:
        net.set_weights([arrays[f"w/{p.name}"] for p in params])
        net.set_buffers({key[4:]: value for key, value in arrays.items() if key.startswith("buf/")})
        opt_state = {}
        for key, value in arrays.items():
            if key.startswith("opt/"):
                name, slot = key[4:].rsplit("/", 1)
                opt_state.setdefault(name, {})[slot] = value
        if not _same_kind(net.optimizer, header["optimizer"], opt_state):
            opt_state = {}
        asarray = lambda a: net.backend.asarray(a, dtype=net.dtype)  # noqa: E731
        net.optimizer.load_state_dict({"t": header["optimizer_t"], "state_t": header.get("optimizer_state_t", 0),
                                       "state": opt_state,
                                       "lr_scale": header.get("optimizer_lr_scale", 1.0)}, asarray=asarray)
        net.rng.bit_generator.state = header["rng"]
        if guard is not None and "best" in header:
            guard.best = [asarray(arrays[f"best/{p.name}"]) for p in params]
            # checkpoints written before the best snapshot held buffers: the current running statistics
            guard.best += [asarray(arrays.get(f"best/{b.name}", arrays[f"buf/{b.name}"])) for b in net.buffers()]
            guard.best_epoch, guard.best_value = header["best"]["epoch"], header["best"]["value"]
        _restore_callbacks(net, header, arrays, callbacks, asarray)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"Checkpoint {os.fspath(path)!r} is damaged ({type(exc).__name__}: {exc}); "
                             "start again without resume=.") from None
    return int(header["epoch"]) + 1


def _same_kind(optimizer, saved_config, saved_state):
    """Whether ``optimizer`` keeps the state the checkpoint's optimizer kept: the same name and the same
    slots per parameter (SGD with momentum has a buffer, plain SGD none). Another kind (resuming an Adam
    run with ``optimizer="momentum"``) starts its own state from zeros, as a new optimizer does in PyTorch
    and Keras; the step count and the plateau's lr scale carry on. The saved optimizer is not rebuilt, so
    a subclass of one's own (with its own name, options or schedule) resumes its moments as the class
    it extends does."""
    saved_slots = {slot for slots in saved_state.values() for slot in slots}
    return saved_config.get("name") == optimizer.name and saved_slots == _slots(optimizer)


def _slots(optimizer):
    """The names of the state ``optimizer`` keeps per parameter ("momentum"; "m" and "v"; ...)."""
    return set(optimizer._new_state(SimpleNamespace(value=np.zeros(1))))


def _check_matches(net, path, header):
    config = header.get("config", {})
    if _architecture(config.get("layers")) != _architecture(net.get_config()["layers"]):
        raise ModelFileError(f"Checkpoint {os.fspath(path)!r} was written for another network "
                             f"({config_text(config)}; this one is {config_text(net.get_config())}); build "
                             "the same network to resume, or start without resume=.")


def _architecture(layers):
    """The layers' configs without their initialisers: the checkpoint brings every weight, so a layer's
    ``init=`` does not change a resumed run (as the network's own ``init=``, which no config holds)."""
    if not isinstance(layers, list):
        return layers
    return [{k: v for k, v in c.items() if k != "init"} if isinstance(c, dict) else c for c in layers]


def _keyed(callbacks, method):
    """``(key, callback)`` for each callback with ``method``: its class name, with ``#2``, ``#3``
    for a second and third of the same class (so two EarlyStopping callbacks keep their own state)."""
    seen = {}
    for c in callbacks:
        name = type(c).__name__
        seen[name] = seen.get(name, 0) + 1
        if hasattr(c, method):
            yield (name if seen[name] == 1 else f"{name}#{seen[name]}"), c


def _restore_callbacks(net, header, arrays, callbacks, asarray):
    states = header.get("callbacks") or {}
    for key, c in _keyed(callbacks, "set_state"):
        if key in states:
            c.set_state(states[key])
    for key, c in _keyed(callbacks, "set_arrays"):
        prefix = f"cb/{key}/"
        c.set_arrays({name[len(prefix):]: asarray(a) for name, a in arrays.items() if name.startswith(prefix)}, net)
