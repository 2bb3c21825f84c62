"""The optimizer base class: the learning rate, the state and checkpoints; each rule
(:mod:`nnscratch.optim.optimizers`) adds one ``_update``.

``step(params)`` computes the step's learning rate on the host (a Python
float, no device read), then calls one ``_update`` per parameter holder: the
network's :class:`~nnscratch.models.params.ParameterBuffer` (all parameters as one
flat array, so a step is a handful of array operations in total), or each
Parameter of a plain list. State (momenta, moments) is created lazily on the
parameter's own device with ``zeros_like``.

State belongs to the parameters it was made for: an optimizer stepped with
other parameters (another network, another buffer) starts afresh there, with
new moments and step count 0. Checkpoints store state per parameter name
(``state_dict``), whatever the layout in memory (:mod:`nnscratch.optim.state`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import schedules
from .state import Probe, copied, gather, scatter
from ..errors import ConfigError
from .._typing import Array, is_real
from .schedules import check_number

if TYPE_CHECKING:
    from ..layers.base import Parameter
    from ..models.params import ParameterBuffer


class Optimizer:
    """Base class.

    Parameters
    ----------
    lr : float or Schedule
        Learning rate, > 0, or a schedule of it (:mod:`nnscratch.optim.schedules`,
        e.g. ``Cosine(0.1, total=1000, warmup=100)``).
    decay : float
        Learning-rate decay (seed 003): ``lr_t = lr / (1 + decay * t)`` at step t
        (shorthand for ``lr=InverseTime(lr, decay)``).
    weight_decay : float
        L2 penalty: ``g <- g + weight_decay * w`` before the update (torch.optim's ``weight_decay``:
        coupled, so Adam and RMSProp divide it by ``sqrt(v)`` too; not AdamW's decoupled decay).
    clip_norm : float, optional
        Clip the gradients to this global norm before each step of ``fit`` (the attribute below).

    Attributes
    ----------
    lr : float
        The (peak) learning rate. Setting it (a callback between epochs) makes the schedule
        start from the new rate from the next step: a constant rate becomes it, a cosine or step
        schedule keeps its shape scaled to the new peak (a cosine's min_lr too); checkpoints keep it.
    lr_scale : float
        Multiplies the (scheduled) rate; ReduceLROnPlateau lowers it.
    clip_norm : float or None
        Clip the gradients to this global norm before each step
        (:func:`nnscratch.optim.clip.clip_gradients`); set with ``Adam(clip_norm=...)`` (any optimizer's),
        ``get_optimizer(..., clip_norm=...)`` or by assigning it.
        ``fit`` clips (after summing the ranks' gradients); :meth:`step` itself does not, so a training
        loop of one's own calls ``clip_gradients(params, optimizer.clip_norm)`` before it, as with
        ``torch.nn.utils.clip_grad_norm_``.
    """

    name = "?"
    state: dict[str, dict[str, Array]]
    _owner: list[Any] | None
    _loaded: dict[str, dict[str, Array]] | None
    _given: Any  # the object the last step() received (a buffer or tuple), or None

    def __init__(self, lr: float | schedules.Schedule | dict[str, Any], decay: float = 0.0,
                 weight_decay: float = 0.0, clip_norm: float | None = None) -> None:
        self.schedule = _schedule(lr, decay)
        self.clip_norm = clip_norm  # checked by the property's setter
        check_number("weight_decay", weight_decay)
        self.decay, self.weight_decay = float(decay), float(weight_decay)
        self.lr_scale = 1.0
        self.t = 0
        self.state_t = 0      # t when the per-parameter state began (Adam's bias correction counts from it)
        self.state = {}       # holder name ("buffer" or a parameter's name) -> {slot: array}
        self._owner = None    # the holders ``state`` and ``t`` belong to
        self._given = None    # the object the last step() received, whose holders are ``_owner``
        self._loaded = None   # per-parameter state from load_state_dict, adopted by the next step

    @property
    def lr(self) -> float:
        """The schedule's (peak) learning rate; see the class docstring for setting it."""
        return self.schedule.lr

    @lr.setter
    def lr(self, value: float) -> None:
        options = {k: v for k, v in self.schedule.get_config().items() if k != "name"}
        if options.get("min_lr") and is_real(value) and value > 0:  # the whole curve scaled (NumPy scalars too)
            options["min_lr"] *= value / options["lr"]  # (a rate halved below min_lr is no error)
        self.schedule = type(self.schedule)(**{**options, "lr": value})  # checked as a new schedule is

    @property
    def learning_rate(self) -> float:
        """Keras's name for :attr:`lr`, read and set alike (a callback written for Keras sets
        ``optimizer.learning_rate``; a new attribute of that name would change nothing)."""
        return self.lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.lr = value

    @property
    def clip_norm(self) -> float | None:
        """The global norm gradients are clipped to before each step, or None (no clipping)."""
        return self.__dict__.get("_clip_norm", self.__dict__.get("clip_norm"))  # or as pickled before it was checked

    @clip_norm.setter
    def clip_norm(self, value: float | None) -> None:
        # 0 would stop training and a negative norm turn every step uphill: refused, as get_optimizer refuses them
        self._clip_norm = None if value is None else check_number("clip_norm", value, positive=True)

    @property
    def current_lr(self) -> float:
        """The learning rate of the next step (a host float)."""
        return self.lr_scale * self.schedule(self.t)

    def step(self, params: ParameterBuffer | Iterable[Parameter]) -> None:
        """Update every parameter from its ``grad`` (``dL/dw``, left unchanged), in place
        where the array allows.

        ``params`` is a ParameterBuffer (one update over the flat arrays) or a
        list of Parameters (one update each). Other parameters than the last
        call's start afresh (see the module docstring). A Parameter whose ``grad`` is None
        (frozen, or unused by the loss) is left as it is, as ``torch.optim`` skips it (one step count
        serves all: Adam's bias correction of a parameter whose gradient comes later counts from the first
        step, where torch counts each parameter's own steps).

        Parameters
        ----------
        params : ParameterBuffer or iterable of Parameter
            What to update: ``net.parameters()``, or a network's parameter buffer.
        """
        holders: list[Any]
        if params is self._given and self._owner is not None:  # the training loop's own buffer or tuple again
            holders = self._owner
        else:
            holders = [params] if hasattr(params, "split") else list(params)
            self._claim(holders)
            self._given = None if isinstance(params, list) else params  # a list may change in place
        lr = self.current_lr
        if not self.state:  # moments start now (a fresh run, or a resume with another kind of optimizer)
            self.state_t = self.t
        self.t += 1
        for h in holders:
            g = h.grad
            if g is None:  # was a TypeError from inside the update rule
                continue
            if self.weight_decay:
                g = g + self.weight_decay * h.value
            state = self.state.get(h.name)
            if state is None:
                state = self.state[h.name] = self._new_state(h)
            self._update(h, g, state, lr)

    def _claim(self, holders):
        """Tie the state to ``holders``: adopt loaded state, or start afresh for new ones."""
        owner = self._owner
        if owner is not None and len(owner) == len(holders) and all(a is b for a, b in zip(owner, holders)):
            return
        if owner is not None:  # another network's parameters: its moments and t do not apply here
            self.t, self.state = 0, {}
        self._owner, loaded, self._loaded = holders, self._loaded, None
        if loaded:
            self.state = {h.name: s for h in holders if (s := gather(h, loaded))}

    def _new_state(self, p):
        return {}

    def _update(self, p, g, state, lr):
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        plain = self.schedule == _schedule(self.lr, self.decay)  # a number (and decay) says it all
        lr = self.lr if plain else self.schedule.get_config()
        config = {"name": self.name, "lr": lr, "decay": self.decay, "weight_decay": self.weight_decay}
        return config if self.clip_norm is None else {**config, "clip_norm": self.clip_norm}

    def state_dict(self) -> dict[str, Any]:
        """Step count, lr scale and per-parameter state (device arrays, keyed by parameter name), for checkpoints.

        The arrays are the live state, as ``torch.optim``'s (views of a buffer's): later steps change
        them, so copy them (``backend.to_numpy``, as checkpoints do) to keep this point."""
        if self._loaded is not None:
            per_name = {name: dict(s) for name, s in self._loaded.items()}
        else:
            per_name = {}
            for h in self._owner or ():
                per_name.update(scatter(h, self.state.get(h.name, {})))
        return {"config": self.get_config(), "t": self.t, "state_t": self.state_t, "lr_scale": self.lr_scale,
                "state": per_name}

    def load_state_dict(self, state: dict[str, Any], asarray: Callable[[Any], Array] | None = None) -> None:
        """Restore :meth:`state_dict`; ``asarray`` moves host arrays to the device.
        The next :meth:`step` adopts the state for its parameters.

        Parameters
        ----------
        state : dict
            What :meth:`state_dict` returned (step count, lr scale, per-parameter moments).
        asarray : callable, optional
            Moves each array to the device, e.g. ``net.backend.asarray``; default: kept as given.
        """
        move = asarray or (lambda a: a)
        loaded = {name: {k: move(v) for k, v in s.items()} for name, s in state["state"].items()}
        self._check_slots(loaded)
        self.t, self.state_t = int(state["t"]), int(state.get("state_t", 0))
        self._loaded = loaded
        self.state, self._owner, self._given = {}, None, None
        self.lr_scale = float(state.get("lr_scale", 1.0))

    def _check_slots(self, loaded):
        """A ConfigError unless ``loaded`` holds the slots this optimizer keeps (Adam's "m" and "v"): another
        kind's state (SGD's "momentum") failed at the next step with a KeyError from inside ``_update``."""
        for name, per_slot in loaded.items():  # each parameter's own (a rule of one's own may keep less for some)
            if not per_slot:
                continue
            own = set(self._new_state(Probe(name, next(iter(per_slot.values())))))
            if set(per_slot) != own:
                theirs = ", ".join(sorted(per_slot))
                raise ConfigError(f"{type(self).__name__}.load_state_dict: the state holds slots {theirs}, another "
                                  f"optimizer's; {type(self).__name__} keeps {', '.join(sorted(own)) or 'none'}. "
                                  "Load it into the kind of optimizer that saved it (its state_dict()['config'] "
                                  "names it), or skip load_state_dict to start the moments afresh.")

    def snapshot(self, copy: Callable[[Array], Array]) -> dict[str, Any]:
        """What steps change (the step count and the moments, copied by ``copy``; not the settings, nor the
        ``lr_scale`` callbacks set), for :meth:`restore`: the divergence guard keeps the last good one.

        Parameters
        ----------
        copy : callable
            Copies one array (e.g. ``xp.asarray(a, copy=True)``), so later steps do not change the snapshot.
        """
        return {"t": self.t, "state_t": self.state_t, "owner": self._owner,
                "given": self._given, "state": copied(self.state, copy), "loaded": copied(self._loaded, copy)}

    def restore(self, point: dict[str, Any], copy: Callable[[Array], Array]) -> None:
        """Go back to :meth:`snapshot`'s ``point`` (its arrays copied again by ``copy``).

        Parameters
        ----------
        point : dict
            What :meth:`snapshot` returned.
        copy : callable
            Copies one array, so the snapshot can be restored again later.
        """
        self.t, self.state_t = point["t"], point["state_t"]
        self._owner, self._given = point["owner"], point["given"]
        self.state, self._loaded = copied(point["state"], copy) or {}, copied(point["loaded"], copy)

    def __repr__(self):
        options = ", ".join(f"{k}={v}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({options})"


def _schedule(lr, decay):
    """The Schedule behind ``lr`` and ``decay``: a number is Constant, or InverseTime with decay."""
    if isinstance(lr, (schedules.Schedule, dict)):
        if decay:
            raise ConfigError(f"decay={decay} is the InverseTime schedule; with a schedule as lr pass "
                              "decay=0 (or lr=InverseTime(lr, decay) alone).")
        return schedules.get_schedule(lr)
    check_number("lr", lr, positive=True)
    check_number("decay", decay)
    return schedules.InverseTime(lr, decay) if decay else schedules.Constant(lr)
