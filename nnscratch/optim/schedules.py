"""Learning-rate schedules: the learning rate as a function of the step count.

A schedule is a small host object an optimizer takes in place of a number,
``SGD(lr=Cosine(0.1, total=1000, warmup=100))``. The optimizer asks it for
``schedule(t)`` once per step (a Python float: no device read), where ``t``
is the number of steps already taken. A schedule holds no state besides its
settings, so a checkpoint that keeps the optimizer's config and ``t`` resumes
it exactly.

Every schedule takes ``warmup``: during the first ``warmup`` steps the rate
rises linearly, ``lr_t = lr * (t + 1) / warmup``, then the schedule runs with
``t`` counted from the end of the warm-up.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import ConfigError, unknown_name
from .._keywords import KeywordError, keywords
from .._typing import is_int, is_real


class Schedule:
    """Base class: ``schedule(t)`` is the learning rate of step ``t`` (0-based).

    Parameters
    ----------
    lr : float
        The peak (initial) learning rate, > 0.
    warmup : int
        Steps of linear warm-up before the schedule proper (default 0).
    """

    name = "?"

    @keywords("Schedule")
    def __init__(self, lr: float, warmup: int = 0) -> None:
        self.lr = check_number("lr", lr, positive=True)
        self.warmup = _steps("warmup", warmup, allow_zero=True)

    def __call__(self, t: int) -> float:
        if t < self.warmup:
            return self.lr * (t + 1) / self.warmup
        return self.rate(t - self.warmup)

    def rate(self, t: int) -> float:
        """The learning rate ``t`` steps after the warm-up."""
        raise NotImplementedError

    def describe(self) -> str:
        """The schedule in words, e.g. ``linear warm-up to 0.003 over 90 steps, then cosine down to 0
        over the remaining 3490 steps``."""
        if not self.warmup:
            return self._words(first=True)
        return f"linear warm-up to {self.lr:g} over {_count(self.warmup)}, then {self._words(first=False)}"

    def _words(self, first: bool) -> str:
        """What follows the warm-up, in words (``first``: no warm-up before it)."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "lr": self.lr, "warmup": self.warmup}

    def __repr__(self):
        options = ", ".join(f"{k}={v}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({options})"

    def __eq__(self, other):
        return type(other) is type(self) and other.get_config() == self.get_config()


class Constant(Schedule):
    """``lr_t = lr``.

    Parameters
    ----------
    lr : float
        The peak learning rate, > 0: reached after the warm-up, where the decay starts.
    warmup : int, default 0
        Optimizer steps (batches) of linear rise from ``lr / warmup`` to ``lr`` first; 0: none.
    """

    name = "constant"

    def rate(self, t: int) -> float:
        return self.lr

    def _words(self, first):
        return f"{self.lr:g}, constant" if first else "constant"


class InverseTime(Schedule):
    """Seed 003's decay: ``lr_t = lr / (1 + decay * t)`` (``Optimizer(decay=...)`` is this).

    Parameters
    ----------
    lr : float
        The peak learning rate, > 0: reached after the warm-up, where the decay starts.
    decay : float
        How fast the rate falls per step: it halves after ``1 / decay`` steps; 0 keeps it constant.
    warmup : int, default 0
        Optimizer steps (batches) of linear rise from ``lr / warmup`` to ``lr`` first; 0: none.
    """

    name = "inverse_time"

    @keywords("InverseTime")
    def __init__(self, lr: float, decay: float, warmup: int = 0) -> None:
        super().__init__(lr, warmup)
        self.decay = check_number("decay", decay)

    def rate(self, t: int) -> float:
        return self.lr / (1.0 + self.decay * t)

    def _words(self, first):
        return f"{self.lr:g} / (1 + {self.decay:g} x step)" if first else \
            f"{self.lr:g} / (1 + {self.decay:g} x steps after it)"

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "decay": self.decay}


class StepDecay(Schedule):
    """``lr_t = lr * gamma ** floor(t / step_size)``: divided every ``step_size`` steps.

    Parameters
    ----------
    lr : float
        The peak learning rate, > 0: reached after the warm-up, where the decay starts.
    step_size : int
        Optimizer steps (batches) between two drops of the rate.
    gamma : float, default 0.1
        Factor of each drop: 0.1 divides the rate by 10.
    warmup : int, default 0
        Optimizer steps (batches) of linear rise from ``lr / warmup`` to ``lr`` first; 0: none.
    """

    name = "step"

    @keywords("Schedule")
    def __init__(self, lr: float, step_size: int, gamma: float = 0.1, warmup: int = 0) -> None:
        super().__init__(lr, warmup)
        self.step_size = _steps("step_size", step_size)
        self.gamma = check_number("gamma", gamma, positive=True)

    def rate(self, t: int) -> float:
        return self.lr * self.gamma ** (t // self.step_size)

    def _words(self, first):
        return f"{self.lr:g}, " * first + f"multiplied by {self.gamma:g} every {_count(self.step_size)}"

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "step_size": self.step_size, "gamma": self.gamma}


class Exponential(Schedule):
    """``lr_t = lr * gamma ** (t / every)``: smooth decay by ``gamma`` every ``every`` steps.

    Parameters
    ----------
    lr : float
        The peak learning rate, > 0: reached after the warm-up, where the decay starts.
    gamma : float
        Factor the rate reaches after ``every`` steps, e.g. 0.96; below 1 decays.
    every : int, default 1
        Optimizer steps over which the rate is multiplied by ``gamma`` (a little each step).
    warmup : int, default 0
        Optimizer steps (batches) of linear rise from ``lr / warmup`` to ``lr`` first; 0: none.
    """

    name = "exponential"

    @keywords("Exponential")
    def __init__(self, lr: float, gamma: float, every: int = 1, warmup: int = 0) -> None:
        super().__init__(lr, warmup)
        self.gamma = check_number("gamma", gamma, positive=True)
        self.every = _steps("every", every)

    def rate(self, t: int) -> float:
        return self.lr * self.gamma ** (t / self.every)

    def _words(self, first):
        return f"{self.lr:g}, " * first + f"multiplied by {self.gamma:g} every {_count(self.every)}, a little each step"

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gamma": self.gamma, "every": self.every}


class Cosine(Schedule):
    """Cosine annealing after a linear warm-up, over ``total`` steps in all:

    ``lr_t = min_lr + (lr - min_lr) * (1 + cos(pi * t / (total - warmup))) / 2``,
    then ``min_lr`` once the ``total`` steps are done, as Keras's ``CosineDecay`` holds its floor (torch's
    ``CosineAnnealingLR(T_max=total, eta_min=min_lr)``, equal up to ``total``, rises again after it).

    Parameters
    ----------
    lr : float
        The peak learning rate, > 0: reached after the warm-up, where the decay starts.
    total : int
        Optimizer steps of the whole run, warm-up included: the rate reaches ``min_lr`` there.
    warmup : int, default 0
        Optimizer steps (batches) of linear rise from ``lr / warmup`` to ``lr`` first; 0: none.
    min_lr : float, default 0
        The floor the rate anneals down to and then stays at.
    """

    name = "cosine"

    @keywords("Cosine")
    def __init__(self, lr: float, total: int, warmup: int = 0, min_lr: float = 0.0) -> None:
        super().__init__(lr, warmup)
        self.total = _steps("total", total)
        if self.warmup >= self.total:
            raise ConfigError(f"Cosine warmup must be shorter than total; got warmup={warmup}, total={total}. "
                              "Lower the warm-up or raise total (the steps of the whole run).")
        self.min_lr = check_number("min_lr", min_lr)
        if self.min_lr > self.lr:
            raise ConfigError(f"Cosine min_lr must not exceed lr: it anneals from lr down to min_lr; got lr={lr!r}, "
                              f"min_lr={min_lr!r}. Lower min_lr (default 0) or raise lr.")

    def rate(self, t: int) -> float:
        span = self.total - self.warmup
        progress = min(t, span) / span
        return self.min_lr + (self.lr - self.min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def _words(self, first):
        span = _count(self.total - self.warmup)
        return f"cosine from {self.lr:g} down to {self.min_lr:g} over {span}" if first else \
            f"cosine down to {self.min_lr:g} over the remaining {span}"

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "total": self.total, "min_lr": self.min_lr}


SCHEDULES = {cls.name: cls for cls in (Constant, InverseTime, StepDecay, Exponential, Cosine)}


def get_schedule(spec: str | dict[str, Any] | Schedule, **options: Any) -> Schedule:
    """A Schedule from a Schedule, a config dict (``{"name": "cosine", ...}``) or a name and options."""
    if isinstance(spec, Schedule):
        return spec
    if isinstance(spec, dict):
        options = {**{k: v for k, v in spec.items() if k != "name"}, **options}
        spec = spec.get("name")  # type: ignore[assignment]  # a config dict names its schedule
    if not isinstance(spec, str):  # a config without its "name", or neither a name nor a config
        raise ConfigError(f"A learning-rate schedule is a Schedule, a name ({', '.join(SCHEDULES)}) or a config dict "
                          f"with its 'name'; got {spec!r}" + (f" from {options!r}" if options else "") + ".")
    if spec not in SCHEDULES:
        raise unknown_name("learning-rate schedule", spec, SCHEDULES)
    try:
        return SCHEDULES[spec](**options)
    except KeywordError:
        raise  # already says what to write instead
    except TypeError as exc:
        raise ConfigError(f"Schedule {spec!r}: {exc}; see help(nnscratch.optim.schedules.{SCHEDULES[spec].__name__}).") \
            from None


def _count(steps):
    return f"{steps} step" + "s" * (steps != 1)


def check_number(label, value, positive=False):
    """``value`` as a float, or a ConfigError unless it is a finite number >= 0 (> 0 if ``positive``)."""
    if not is_real(value) or value < 0 or (positive and value == 0):
        bound = "a positive" if positive else "a non-negative"
        raise ConfigError(f"Invalid {label}: expected {bound} finite number, got {value!r}.")
    return float(value)


def _steps(label, value, allow_zero=False):
    ok = is_int(value) and value >= (0 if allow_zero else 1)
    if not ok:
        least = 0 if allow_zero else 1
        raise ConfigError(f"Invalid {label}: expected a whole number of steps >= {least}, got {value!r}.")
    return int(value)
