"""Optimizers: turn gradients into parameter updates, in place where possible.

``step(params)`` computes the step's learning rate on the host (a Python
float, no device read), then calls one ``_update`` per parameter. Per-
parameter state (momenta, moments) is created lazily on the parameter's own
device with ``zeros_like``. The update rules follow PyTorch's, so a network
trained here and in ``torch.optim`` with the same settings agrees step by step.

Updates are written with in-place operators (``m *= b``), which NumPy, CuPy,
PyTorch and array-api-strict perform in place; for arrays without in-place
operators Python rebinds the name instead, and the state is stored back, so
the functional form gives the same numbers.
"""

import math

from array_api_compat import array_namespace

from . import schedules
from .errors import ConfigError, unknown_name


class Optimizer:
    """Base class.

    Parameters
    ----------
    lr : float or Schedule
        Learning rate, > 0, or a schedule of it (:mod:`nnscratch.schedules`,
        e.g. ``Cosine(0.1, total=1000, warmup=100)``).
    decay : float
        Learning-rate decay (seed 003): ``lr_t = lr / (1 + decay * t)`` at step t
        (shorthand for ``lr=InverseTime(lr, decay)``).
    weight_decay : float
        L2 penalty: ``g <- g + weight_decay * w`` before the update.

    Attributes
    ----------
    lr_scale : float
        Multiplies the (scheduled) rate; ReduceLROnPlateau lowers it.
    clip_norm : float or None
        Clip the gradients to this global norm before each step
        (:func:`nnscratch.clip.clip_gradients`); set with ``get_optimizer(clip_norm=...)``.
    """

    name = "?"
    clip_norm = None

    def __init__(self, lr, decay=0.0, weight_decay=0.0):
        self.schedule = _schedule(lr, decay)
        _check("weight_decay", weight_decay)
        self.lr, self.decay, self.weight_decay = self.schedule.lr, float(decay), float(weight_decay)
        self.lr_scale = 1.0
        self.t = 0
        self.state = {}

    @property
    def current_lr(self):
        """The learning rate of the next step (a host float)."""
        return self.lr_scale * self.schedule(self.t)

    def foldable_lr(self):
        """The next step's learning rate if the update is exactly ``w <- w - lr_t g``, else None.

        The training step may then scale the loss gradient by it, so every
        parameter gradient arrives as ``lr_t g`` and the update is a single
        subtraction (``step(params, folded=True)``): plain SGD only.
        """
        return None

    def step(self, params, folded=False):
        """Update every parameter from its ``grad``, in place where the array allows.

        ``folded=True`` means each ``grad`` already holds ``lr_t g`` (see
        :meth:`foldable_lr`) and the update is ``w <- w - grad``.
        """
        lr = self.current_lr
        self.t += 1
        if folded:
            for p in params:
                p.value -= p.grad
            return
        for p in params:
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.value
            state = self.state.get(p.name)
            if state is None:
                state = self.state[p.name] = self._new_state(p)
            self._update(p, g, state, lr)

    def _new_state(self, p):
        return {}

    def _update(self, p, g, state, lr):
        raise NotImplementedError

    def get_config(self):
        plain = self.schedule == _schedule(self.lr, self.decay)  # a number (and decay) says it all
        lr = self.lr if plain else self.schedule.get_config()
        config = {"name": self.name, "lr": lr, "decay": self.decay, "weight_decay": self.weight_decay}
        return config if self.clip_norm is None else {**config, "clip_norm": self.clip_norm}

    def state_dict(self):
        """Step count, lr scale and per-parameter state (device arrays), for checkpoints."""
        return {"config": self.get_config(), "t": self.t, "lr_scale": self.lr_scale,
                "state": {name: dict(s) for name, s in self.state.items()}}

    def load_state_dict(self, state, asarray=None):
        """Restore :meth:`state_dict`; ``asarray`` moves host arrays to the device."""
        move = asarray or (lambda a: a)
        self.t = int(state["t"])
        self.lr_scale = float(state.get("lr_scale", 1.0))
        self.state = {name: {k: move(v) for k, v in s.items()} for name, s in state["state"].items()}

    def __repr__(self):
        options = ", ".join(f"{k}={v}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({options})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    ``b <- momentum * b + g``; step ``d = g + momentum * b`` (Nesterov) or
    ``d = b``; ``w <- w - lr_t * d``. With ``momentum=0``: ``w <- w - lr_t * g``.
    """

    name = "sgd"

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, decay=0.0, weight_decay=0.0):
        super().__init__(lr, decay, weight_decay)
        if not 0 <= momentum < 1:
            raise ConfigError(f"SGD momentum must be in [0, 1); got {momentum}.")
        if nesterov and not momentum:
            raise ConfigError("Nesterov momentum needs momentum > 0; got momentum=0.")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def foldable_lr(self):
        return None if self.momentum or self.weight_decay else self.current_lr

    def _new_state(self, p):
        return {"momentum": array_namespace(p.value).zeros_like(p.value)} if self.momentum else {}

    def _update(self, p, g, state, lr):
        if not self.momentum:
            p.value -= lr * g
            return
        buf = state["momentum"]
        buf *= self.momentum
        buf += g
        state["momentum"] = buf  # a no-op in place; keeps the functional form (immutable arrays) right
        p.value -= lr * (g + self.momentum * buf) if self.nesterov else lr * buf

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015).

    ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g**2``;
    ``w <- w - lr_t / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)``.
    """

    name = "adam"

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, decay=0.0, weight_decay=0.0):
        super().__init__(lr, decay, weight_decay)
        for label, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise ConfigError(f"Adam {label} must be in [0, 1); got {beta}.")
        _check("eps", eps)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _new_state(self, p):
        xp = array_namespace(p.value)
        return {"m": xp.zeros_like(p.value), "v": xp.zeros_like(p.value)}

    def _update(self, p, g, state, lr):
        xp = array_namespace(g)
        m, v = state["m"], state["v"]
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += _scaled_square(g, 1.0 - self.beta2)
        state["m"], state["v"] = m, v  # no-op in place; the functional form rebinds
        denom = xp.sqrt(v)  # fresh arrays below are scaled in place: 4 temporaries, not 8
        denom *= 1.0 / math.sqrt(1.0 - self.beta2 ** self.t)
        denom += self.eps
        step = m / denom
        step *= lr / (1.0 - self.beta1 ** self.t)
        p.value -= step

    def get_config(self):
        return {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


class RMSProp(Optimizer):
    """RMSProp (Hinton): ``v <- rho v + (1 - rho) g**2``; ``w <- w - lr_t g / (sqrt(v) + eps)``."""

    name = "rmsprop"

    def __init__(self, lr=1e-3, rho=0.9, eps=1e-8, decay=0.0, weight_decay=0.0):
        super().__init__(lr, decay, weight_decay)
        if not 0 <= rho < 1:
            raise ConfigError(f"RMSProp rho must be in [0, 1); got {rho}.")
        _check("eps", eps)
        self.rho, self.eps = float(rho), float(eps)

    def _new_state(self, p):
        return {"v": array_namespace(p.value).zeros_like(p.value)}

    def _update(self, p, g, state, lr):
        xp = array_namespace(g)
        v = state["v"]
        v *= self.rho
        v += _scaled_square(g, 1.0 - self.rho)
        state["v"] = v  # no-op in place; the functional form rebinds
        denom = xp.sqrt(v)
        denom += self.eps
        step = g / denom
        step *= lr
        p.value -= step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "eps": self.eps}


def _scaled_square(g, scale):
    """``scale * g**2`` with one temporary array (scaled in place)."""
    square = g * g
    square *= scale
    return square


def _schedule(lr, decay):
    """The Schedule behind ``lr`` and ``decay``: a number is Constant, or InverseTime with decay."""
    if isinstance(lr, (schedules.Schedule, dict)):
        if decay:
            raise ConfigError(f"decay={decay} is the InverseTime schedule; with a schedule as lr pass "
                              "decay=0 (or lr=InverseTime(lr, decay) alone).")
        return schedules.get_schedule(lr)
    _check("lr", lr, positive=True)
    _check("decay", decay)
    return schedules.InverseTime(lr, decay) if decay else schedules.Constant(lr)


def _check(label, value, positive=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        bound = "a positive" if positive else "a non-negative"
        raise ConfigError(f"Invalid {label}: expected {bound} finite number, got {value!r}.")


OPTIMIZERS = {"sgd": (SGD, {}), "momentum": (SGD, {"momentum": 0.9}),
              "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
              "adam": (Adam, {}), "rmsprop": (RMSProp, {})}


def get_optimizer(spec="adam", **options):
    """An optimizer from a name ("sgd", "momentum", "nesterov", "adam",
    "rmsprop") with keyword options, a config dict, or an Optimizer."""
    if isinstance(spec, dict):
        options = {**{k: v for k, v in spec.items() if k != "name"}, **options}
        spec = spec.get("name")
    clip_norm = options.pop("clip_norm", None)
    if isinstance(spec, Optimizer):
        optimizer = spec
    else:
        key = str(spec).lower()
        if key not in OPTIMIZERS:
            raise unknown_name("optimizer", spec, OPTIMIZERS)
        cls, defaults = OPTIMIZERS[key]
        options = {k: v for k, v in options.items() if v is not None}
        optimizer = cls(**{**defaults, **options})
    if clip_norm is not None:
        _check("clip_norm", clip_norm, positive=True)
        optimizer.clip_norm = float(clip_norm)
    return optimizer
