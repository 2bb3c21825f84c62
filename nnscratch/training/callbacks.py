"""Ready-made callbacks. Each runs on the host once per epoch, from the
figures the fit loop has already read; none reads the device itself."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .._keywords import keywords
from ..errors import ConfigError, closest
from .guard import restore, saved_arrays, snapshot
from .history import Callback, as_figure
from ..options import check_positive_int

if TYPE_CHECKING:
    from ..models.network import Network


#: Words of the figures that improve upwards, as Keras's metrics of them do (accuracy, AUC, F1, precision,
#: recall, R^2): a name holding one (``val_top5_acc``, ``f1``, ``val_auc``) is better higher, unless it
#: also says ``loss`` or ``error`` (``cauchy_loss``, ``recall_error``: lower is better).
UPWARDS = ("acc", "auc", "f1", "precision", "recall")

#: The figures fit itself logs (also with ``val_``); any other is one a callback adds.
FIT_FIGURES = ("loss", "accuracy", "r2", "mae")


def _sign(owner: str, monitor: str) -> float:
    """-1 for a figure that improves upwards (:data:`UPWARDS`, R^2), so that lower ``sign * value`` is better;
    a ConfigError for a ``monitor`` that is not a logs key's name."""
    if not isinstance(monitor, str) or not monitor:
        raise ConfigError(f"{owner} monitor must name a logs key such as 'val_loss', 'loss' or 'val_accuracy'; "
                          f"got {monitor!r}.")
    name = monitor.lower().removeprefix("val_")
    if "loss" in name or "error" in name:
        return 1.0
    return -1.0 if name == "r2" or any(word in name for word in UPWARDS) else 1.0


def _monitored(owner: str, monitor: str, logs: dict[str, float]) -> str:
    """The logs key ``monitor`` reads: itself, else without ``val_`` (no validation data), else a
    ConfigError that names the keys this run reports."""
    key = monitor if monitor in logs else monitor.removeprefix("val_")
    if key not in logs:
        keys = sorted(k for k in logs if k != "seconds")
        close = closest(monitor, keys)
        hint = f"monitor={close!r}" if close else "monitor= one of them"
        if not close and key not in FIT_FIGURES:  # a callback's own figure reaches only the callbacks after it
            hint += f", or list the callback that adds {monitor!r} to logs before {owner} in callbacks="
        raise ConfigError(f"{owner} monitors {monitor!r}, which this run does not report; expected one of "
                          f"{keys}: pass {hint}.")
    return key


class _Watching(Callback):
    """What EarlyStopping and ReduceLROnPlateau share: the figure they monitor, read once per epoch, and the
    best value of it so far. That is kept as ``_score = sign * value`` (lower is better, the form checkpoints
    keep); :attr:`best` is the figure itself, as Keras's ``best`` (the highest accuracy, not its negative)."""

    monitor: str
    sign: float
    _score: float = math.inf

    @property
    def best(self) -> float:
        """The best value of ``monitor`` so far: ``inf`` (``-inf`` for a figure that improves upwards) before any."""
        return self.sign * self._score

    @best.setter
    def best(self, value: float) -> None:
        self._score = self.sign * float(value)

    def _reading(self, logs: dict[str, float]) -> tuple[str, float] | None:
        """``(key, sign * value)`` of the monitored figure, read once as a float (a device scalar a callback
        logged too); None in an epoch that lacks a figure an earlier epoch had (a callback's figure logged on
        some epochs only: the epoch does not count, as Keras skips it), the checkpoint's epochs of a resumed
        run included. A figure missing from the first epoch is a ConfigError (:func:`_monitored`)."""
        monitor = self.monitor
        if self.__dict__.get("_seen") and monitor not in logs and monitor.removeprefix("val_") not in logs:
            return None
        key = _monitored(type(self).__name__, monitor, logs)
        self._seen = True
        return key, self.sign * float(as_figure(key, logs[key]))


class EarlyStopping(_Watching):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    patience : int
        Epochs without improvement to wait before stopping.
    monitor : str
        A logs key: "val_loss" (default), "loss", "val_accuracy", "accuracy". Without
        validation data a ``val_`` figure falls back to its training twin ("val_loss" to
        "loss"). Figures named *acc*, *auc*, *f1*, *precision*, *recall* and r2 improve
        upwards (a callback's ``logs["val_f1"]`` too), the others downwards.
    min_delta : float
        Smallest change that counts as an improvement.
    restore_best : bool
        At the end, put back the weights and running statistics of the best
        epoch (one device copy each time the monitored figure improves).

    Attributes
    ----------
    best : float
        The best value of ``monitor`` so far (the highest accuracy, the lowest loss), as Keras's.
    best_epoch, stopped_epoch : int or None
        The epoch (from 0) of ``best``, and the one after which the run stopped (None: it did not).

    Notes
    -----
    ``monitor`` may name a figure a callback earlier in ``fit``'s list adds to ``logs``.
    """

    @keywords("EarlyStopping")
    def __init__(self, patience: int = 5, monitor: str = "val_loss", min_delta: float = 0.0,
                 restore_best: bool = False) -> None:
        self.patience = _patience("EarlyStopping", patience)
        if not isinstance(min_delta, (int, float)) or not math.isfinite(min_delta) or min_delta < 0:
            raise ConfigError(f"min_delta must be a non-negative number; got {min_delta!r}.")
        self.monitor, self.min_delta, self.restore_best = monitor, float(min_delta), restore_best
        self.sign = _sign("EarlyStopping", monitor)
        self._reset()

    def _reset(self):
        self._score, self.best_epoch, self.wait, self.stopped_epoch, self.weights = math.inf, None, 0, None, None

    def on_train_begin(self, network: Network) -> None:
        if not getattr(self, "_resumed", False):
            self._reset()
        self._resumed, self._seen = False, math.isfinite(self._score)  # resumed after epochs that had the figure

    def on_epoch_end(self, epoch: int, logs: dict[str, float], network: Network) -> None:
        reading = self._reading(logs)
        if reading is None:
            return
        value = reading[1]
        if value < self._score - self.min_delta:
            self._score, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.weights = snapshot(network)
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch, network.stop_training = epoch, True

    def on_train_end(self, network: Network) -> None:
        """With ``restore_best``, put the best epoch's weights back, after ``fit(restore_best=True)``
        put back its own: these are kept, and ``params["best_epoch"]`` (the History's) says so.

        Parameters
        ----------
        network : Network
            The trained network, whose weights are replaced by the best epoch's.
        """
        if self.restore_best and self.weights is not None:
            restore(network, self.weights)
            self.params["best_epoch"] = self.best_epoch

    def get_state(self) -> dict[str, Any]:
        """JSON-able state for checkpoints (the best weights go in :meth:`get_arrays`)."""
        return {"best": self._score, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch}

    def set_state(self, state: dict[str, Any]) -> None:
        self._score, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.stopped_epoch, self.weights = state.get("stopped_epoch"), None
        self._resumed = True

    def get_arrays(self, network: Network) -> dict[str, Any]:
        """The best epoch's weights and running statistics (with ``restore_best``), by name, for checkpoints.

        Parameters
        ----------
        network : Network
            The network whose parameter and buffer names key the arrays.
        """
        if self.weights is None:
            return {}
        return {p.name: w for p, w in zip(saved_arrays(network), self.weights, strict=True)}

    def set_arrays(self, arrays: dict[str, Any], network: Network) -> None:
        """Take back :meth:`get_arrays` (device arrays) from a checkpoint.

        Parameters
        ----------
        arrays : dict of str to array
            What :meth:`get_arrays` returned, read back from a checkpoint.
        network : Network
            The network whose parameter and buffer names key the arrays.
        """
        if arrays:
            self.weights = [arrays[p.name] for p in saved_arrays(network)]

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r}, "
                f"restore_best={self.restore_best})")


class ReduceLROnPlateau(_Watching):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    After ``patience`` epochs without an improvement larger than ``min_delta``
    the optimizer's ``lr_scale`` is multiplied by ``factor`` (the rate it gives then is never below
    ``min_lr``, nor is a rate already at or below it lowered), then ``cooldown`` epochs pass before
    counting again, as PyTorch's ``cooldown`` (``patience=2, cooldown=1``: a figure that
    never improves lowers the rate every third epoch). Works with any schedule: it scales what the schedule
    gives (a schedule that decays on may later take the rate below ``min_lr``).
    The scale lives in the optimizer (saved in checkpoints), the counters here
    (saved by :meth:`get_state`), so a resumed run reduces when an
    uninterrupted one would. ``verbose`` prints a line at each reduction (under ``mpiexec``
    once, from rank 0: :attr:`~nnscratch.training.history.Callback.is_root`).

    Parameters
    ----------
    monitor : str, default "val_loss"
        The logs figure to watch, as EarlyStopping's (accuracies improve upwards, losses downwards).
    factor : float, default 0.1
        Multiplies the rate at each reduction, in ``(0, 1)``: 0.1 divides it by 10.
    patience : int, default 10
        Epochs without improvement before the rate is lowered.
    min_delta : float, default 0
        Smallest change of ``monitor`` that counts as an improvement.
    cooldown : int, default 0
        Epochs after a reduction before counting again; 0 counts at once.
    min_lr : float, default 0
        The rate is never lowered below this.
    verbose : bool, default False
        Print a line at each reduction.
    """

    reductions: list[int]  # the epochs at which the rate was lowered

    @keywords("ReduceLROnPlateau")
    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, min_delta: float = 0.0,
                 cooldown: int = 0, min_lr: float = 0.0, verbose: bool = False) -> None:
        if not isinstance(factor, (int, float)) or not 0 < factor < 1:
            raise ConfigError(f"ReduceLROnPlateau factor must be in (0, 1); got {factor!r}. Pass e.g. factor=0.5.")
        for label, value in (("min_delta", min_delta), ("min_lr", min_lr)):
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"ReduceLROnPlateau {label} must be a non-negative number; got {value!r}.")
        if isinstance(cooldown, bool) or not isinstance(cooldown, int) or cooldown < 0:
            raise ConfigError(f"ReduceLROnPlateau cooldown must be a whole number of epochs >= 0; got {cooldown!r}.")
        self.patience = _patience("ReduceLROnPlateau", patience)
        self.monitor, self.factor, self.min_delta = monitor, float(factor), float(min_delta)
        self.cooldown, self.min_lr, self.verbose = cooldown, float(min_lr), verbose
        self.sign = _sign("ReduceLROnPlateau", monitor)
        self._score, self.wait, self.cooling, self.reductions = math.inf, 0, 0, []
        self._resumed = False

    def on_train_begin(self, network: Network) -> None:
        if not self._resumed:
            self._score, self.wait, self.cooling, self.reductions = math.inf, 0, 0, []
        self._resumed, self._seen = False, math.isfinite(self._score)  # resumed after epochs that had the figure

    def on_epoch_end(self, epoch: int, logs: dict[str, float], network: Network) -> None:
        reading = self._reading(logs)
        if reading is None:
            return
        key, value = reading
        cooling = self.cooling > 0  # this epoch is one of the ``cooldown`` after a reduction: not counted
        self.cooling -= cooling
        if value < self._score - self.min_delta:
            self._score, self.wait = value, 0
        elif not cooling:
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch, network.optimizer, key)

    def _reduce(self, epoch, optimizer, key):
        lr = optimizer.current_lr
        new = max(lr * self.factor, self.min_lr)
        if lr > 0 and new < lr:
            optimizer.lr_scale *= new / lr
            self.reductions.append(epoch)
            if self.verbose and self.is_root:  # under mpiexec every rank reduces alike; rank 0 says it
                print(f"epoch {epoch + 1}: {key} has not improved for {self.wait} epoch{'s' * (self.wait != 1)}; "
                      f"learning rate {lr:.3g} -> {new:.3g}", flush=True)
        self.wait, self.cooling = 0, self.cooldown

    def get_state(self) -> dict[str, Any]:
        return {"best": self._score, "wait": self.wait, "cooling": self.cooling, "reductions": self.reductions}

    def set_state(self, state: dict[str, Any]) -> None:
        self._score, self.wait, self.cooling = state["best"], state["wait"], state["cooling"]
        self.reductions = list(state["reductions"])
        self._resumed = True

    def __repr__(self):
        return f"ReduceLROnPlateau(monitor={self.monitor!r}, factor={self.factor}, patience={self.patience})"


def _patience(owner, value):
    """``patience`` as a positive int, or a ConfigError; 0 (Keras's EarlyStopping default, PyTorch's
    ``patience=0``) acts on the first epoch without improvement, which is ``patience=1`` here: said so."""
    if isinstance(value, int) and not isinstance(value, bool) and value == 0:
        raise ConfigError(f"{owner} patience must be at least 1; got 0. Keras's (and PyTorch's) patience=0 acts at "
                          "the first epoch without improvement, which is patience=1 here: pass patience=1.")
    return check_positive_int("patience", value)
