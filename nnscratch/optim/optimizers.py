"""Optimizers: the update rules (SGD, Adam, RMSProp) and ``get_optimizer``.

Each rule is one ``_update(param, grad, state, lr)`` on the :class:`~nnscratch.optim.base.Optimizer`
base, which computes the step's learning rate, keeps the state (created lazily on the
parameter's device) and saves it for checkpoints. The update rules follow PyTorch's, so a
network trained here and in ``torch.optim`` with the same settings agrees step by step.
Updates are written with in-place operators (``m *= b``), which NumPy, CuPy, PyTorch and
array-api-strict perform in place; for arrays without them Python rebinds the name and the
state is stored back, so the functional form gives the same numbers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from . import schedules
from .._keywords import keywords
from ..backend.core import namespace
from ..errors import ConfigError, unknown_name
from .._typing import Array, is_real
from .base import Optimizer  # the base class, importable from here as before
from .schedules import check_number

if TYPE_CHECKING:
    from ..layers.base import Parameter
    from ..models.params import ParameterBuffer


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    ``b <- momentum * b + g``; step ``d = g + momentum * b`` (Nesterov) or
    ``d = b``; ``w <- w - lr_t * d``. With ``momentum=0``: ``w <- w - lr_t * g``.
    As ``torch.optim.SGD`` with ``dampening=0``. Keras's SGD keeps the rate inside the velocity
    (``v <- momentum v - lr_t g``): the same steps at a constant rate, not while a schedule changes it.

    Parameters
    ----------
    lr : float, Schedule or dict, default 0.01
        Learning rate (step size), > 0, or a schedule of it such as ``Cosine(0.1, total=1000)``.
    momentum : float, default 0
        Fraction of the last step kept in the next, in ``[0, 1)``; 0 is plain SGD, 0.9 is usual.
    nesterov : bool, default False
        Nesterov's look-ahead form of momentum (needs ``momentum > 0``).
    decay : float, default 0
        Shorthand for ``lr=InverseTime(lr, decay)``: ``lr_t = lr / (1 + decay * t)``; 0 keeps it constant.
    weight_decay : float, default 0
        L2 penalty added to the gradient, ``g + weight_decay * w``; 0 adds none.
    clip_norm : float, optional
        ``fit`` clips the gradients to this global norm before each step (Keras's ``global_clipnorm``); None: never.
    """

    name = "sgd"

    @keywords("SGD")
    def __init__(self, lr: float | schedules.Schedule | dict[str, Any] = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, decay: float = 0.0, weight_decay: float = 0.0,
                 clip_norm: float | None = None) -> None:
        super().__init__(lr, decay, weight_decay, clip_norm)
        momentum = _below_one("SGD", "momentum", momentum, 0.9)
        if nesterov and not momentum:
            raise ConfigError("Nesterov momentum needs momentum > 0; got momentum=0.")
        self.momentum, self.nesterov = momentum, bool(nesterov)

    def _new_state(self, p):
        return {"momentum": namespace(p.value).zeros_like(p.value)} if self.momentum else {}

    def _update(self, p, g, state, lr):
        if self.momentum:
            buf = state["momentum"]
            buf *= self.momentum
            buf += g
            state["momentum"] = buf  # a no-op in place; keeps the functional form (immutable arrays) right
            g = g + self.momentum * buf if self.nesterov else buf
        if hasattr(p, "add_scaled"):
            p.add_scaled(-lr, g)     # the buffer: one in-place pass, no temporary
        else:
            p.value -= lr * g

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015).

    ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g**2``;
    ``w <- w - lr_t / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)``, ``t`` counting the steps
    since the moments started (a resume with another kind of optimizer starts them afresh).
    As ``torch.optim.Adam`` (``amsgrad=False``): ``eps`` is added to the bias-corrected root; Keras adds it
    before the correction (its "epsilon hat"), which differs while ``v`` is small.

    Parameters
    ----------
    lr : float, Schedule or dict, default 1e-3
        Learning rate (step size), > 0, or a schedule of it such as ``Cosine(0.1, total=1000)``.
    beta1 : float, default 0.9
        Decay of the running mean of gradients ``m``, in ``[0, 1)``.
    beta2 : float, default 0.999
        Decay of the running mean of squared gradients ``v``, in ``[0, 1)``.
    eps : float, default 1e-8
        Added to the denominator so a tiny ``v`` does not divide by 0.
    decay : float, default 0
        Shorthand for ``lr=InverseTime(lr, decay)``: ``lr_t = lr / (1 + decay * t)``; 0 keeps it constant.
    weight_decay : float, default 0
        L2 penalty added to the gradient, ``g + weight_decay * w``; 0 adds none.
    clip_norm : float, optional
        ``fit`` clips the gradients to this global norm before each step (Keras's ``global_clipnorm``); None: never.
    """

    name = "adam"

    @keywords("Adam")
    def __init__(self, lr: float | schedules.Schedule | dict[str, Any] = 1e-3, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, decay: float = 0.0, weight_decay: float = 0.0,
                 clip_norm: float | None = None) -> None:
        super().__init__(lr, decay, weight_decay, clip_norm)
        beta1, beta2 = _below_one("Adam", "beta1", beta1, 0.9), _below_one("Adam", "beta2", beta2, 0.999)
        self.beta1, self.beta2, self.eps = beta1, beta2, check_number("eps", eps)

    def _new_state(self, p):
        return adam_state(p)

    def _update(self, p, g, state, lr):
        xp = namespace(g)
        m, v = adam_moments(g, state, self.beta1, self.beta2)
        t = self.t - self.state_t  # steps since the moments started, as torch.optim.Adam's state["step"]
        denom = xp.sqrt(v)  # fresh arrays below are scaled in place: 4 temporaries, not 8
        denom *= 1.0 / math.sqrt(1.0 - self.beta2 ** t)
        denom += self.eps
        step = m / denom
        step *= lr / (1.0 - self.beta1 ** t)
        p.value -= step

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


class RMSProp(Optimizer):
    """RMSProp (Hinton): ``v <- rho v + (1 - rho) g**2``; ``w <- w - lr_t g / (sqrt(v) + eps)``.

    As ``torch.optim.RMSprop(alpha=rho)`` (not centered, no momentum; torch's default ``alpha`` is 0.99,
    Keras's ``rho`` 0.9 as here). Keras adds ``eps`` inside the root, ``sqrt(v + eps)``.

    Parameters
    ----------
    lr : float, Schedule or dict, default 1e-3
        Learning rate (step size), > 0, or a schedule of it such as ``Cosine(0.1, total=1000)``.
    rho : float, default 0.9
        Decay of the running mean of squared gradients ``v``, in ``[0, 1)``.
    eps : float, default 1e-8
        Added to the denominator so a tiny ``v`` does not divide by 0.
    decay : float, default 0
        Shorthand for ``lr=InverseTime(lr, decay)``: ``lr_t = lr / (1 + decay * t)``; 0 keeps it constant.
    weight_decay : float, default 0
        L2 penalty added to the gradient, ``g + weight_decay * w``; 0 adds none.
    clip_norm : float, optional
        ``fit`` clips the gradients to this global norm before each step (Keras's ``global_clipnorm``); None: never.
    """

    name = "rmsprop"

    @keywords("RMSProp")
    def __init__(self, lr: float | schedules.Schedule | dict[str, Any] = 1e-3, rho: float = 0.9, eps: float = 1e-8,
                 decay: float = 0.0, weight_decay: float = 0.0, clip_norm: float | None = None) -> None:
        super().__init__(lr, decay, weight_decay, clip_norm)
        self.rho, self.eps = _below_one("RMSProp", "rho", rho, 0.9), check_number("eps", eps)

    def _new_state(self, p):
        return {"v": namespace(p.value).zeros_like(p.value)}

    def _update(self, p, g, state, lr):
        xp = namespace(g)
        v = state["v"]
        v *= self.rho
        v += _scaled_square(g, 1.0 - self.rho)
        state["v"] = v  # no-op in place; the functional form rebinds
        denom = xp.sqrt(v)
        denom += self.eps
        step = g / denom
        step *= lr
        p.value -= step

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "eps": self.eps}


def adam_state(p: Parameter | ParameterBuffer) -> dict[str, Array]:
    """Adam's first and second moments of ``p``, zeros on its device."""
    xp = namespace(p.value)
    return {"m": xp.zeros_like(p.value), "v": xp.zeros_like(p.value)}


def adam_moments(g: Array, state: dict[str, Array], beta1: float, beta2: float) -> tuple[Array, Array]:
    """Adam's moments updated in place, ``m <- b1 m + (1 - b1) g`` and ``v <- b2 v + (1 - b2) g**2``
    (stored back into ``state`` for arrays without in-place operators); returns ``(m, v)``.
    :class:`Adam` and scikit-learn's Adam (:mod:`nnscratch.sklearn.optimizers`) differ only after this."""
    m, v = state["m"], state["v"]
    m *= beta1
    m += (1.0 - beta1) * g
    v *= beta2
    v += _scaled_square(g, 1.0 - beta2)
    state["m"], state["v"] = m, v  # no-op in place; the functional form rebinds
    return m, v


def _below_one(owner, label, value, example):
    """``value`` as a float, or a ConfigError unless it is a number in [0, 1)."""
    if not is_real(value) or not 0 <= value < 1:
        raise ConfigError(f"{owner} {label} must be a number in [0, 1); got {value!r}. Pass e.g. {label}={example}.")
    return float(value)


def _scaled_square(g, scale):
    """``scale * g**2`` with one temporary array (scaled in place)."""
    square = g * g
    square *= scale
    return square


OPTIMIZERS = {"sgd": (SGD, {}), "momentum": (SGD, {"momentum": 0.9}),
              "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
              "adam": (Adam, {}), "rmsprop": (RMSProp, {})}


def get_optimizer(spec: str | dict[str, Any] | Optimizer = "adam", **options: Any) -> Optimizer:
    """An optimizer from a name ("sgd", "momentum", "nesterov", "adam",
    "rmsprop") with keyword options, a config dict, or an Optimizer.

    Parameters
    ----------
    spec : str, dict or Optimizer, default "adam"
        An optimizer name, a ``get_config()`` dict, or an Optimizer returned as it is.
    **options
        Keyword arguments of that optimizer (``lr=0.1``, ``momentum=0.9``), and ``clip_norm``.
    """
    if isinstance(spec, dict):
        options = {**{k: v for k, v in spec.items() if k != "name"}, **options}
        spec = spec.get("name")  # type: ignore[assignment]  # a config dict names its optimizer
    clip_norm = options.pop("clip_norm", None)
    if isinstance(spec, Optimizer):
        given = {k: v for k, v in options.items() if v is not None}
        if given:  # an optimizer is built already: options for it would be dropped unseen
            raise ConfigError(f"get_optimizer({spec!r}) takes no options besides clip_norm, as the optimizer is "
                              f"built already; got {', '.join(f'{k}={v!r}' for k, v in given.items())}. Build it "
                              "with them, or pass its name: get_optimizer('adam', lr=...).")
        optimizer = spec
    else:
        key = str(spec).lower()
        if key not in OPTIMIZERS:
            error = unknown_name("optimizer", spec, OPTIMIZERS)
            if key == "adamw":  # "did you mean 'adam'" alone would suggest its weight_decay is AdamW's
                error = ConfigError(f"{error} Its weight_decay is the L2 gradient weight_decay * w added before "
                                    "the update, as torch.optim.Adam's; nnscratch has no AdamW (decoupled decay).")
            raise error
        cls, defaults = OPTIMIZERS[key]
        options = {k: v for k, v in options.items() if v is not None}
        optimizer = cls(**{**defaults, **options})
    if clip_norm is not None:
        optimizer.clip_norm = clip_norm  # checked: a positive finite number
    return optimizer
