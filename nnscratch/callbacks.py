"""Ready-made callbacks. Each runs on the host once per epoch, from the
figures the fit loop has already read; none reads the device itself."""

import math

from .errors import ConfigError
from .guard import restore, snapshot
from .train import Callback
from .validation import check_positive_int


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    patience : int
        Epochs without improvement to wait before stopping.
    monitor : str
        A logs key: "val_loss" (default; falls back to "loss" without
        validation data), "loss", "val_accuracy", "accuracy".
    min_delta : float
        Smallest change that counts as an improvement.
    restore_best : bool
        At the end, put back the weights of the best epoch (one device copy
        each time the monitored figure improves).
    """

    def __init__(self, patience=5, monitor="val_loss", min_delta=0.0, restore_best=False):
        self.patience = check_positive_int("patience", patience)
        if not isinstance(min_delta, (int, float)) or not math.isfinite(min_delta) or min_delta < 0:
            raise ConfigError(f"min_delta must be a non-negative number; got {min_delta!r}.")
        self.monitor, self.min_delta, self.restore_best = monitor, float(min_delta), restore_best
        self.sign = -1.0 if "acc" in monitor else 1.0  # accuracy: higher is better
        self._reset()

    def _reset(self):
        self.best, self.best_epoch, self.wait, self.stopped_epoch, self.weights = math.inf, None, 0, None, None

    def on_train_begin(self, network):
        if not getattr(self, "_resumed", False):
            self._reset()
        self._resumed = False

    def on_epoch_end(self, epoch, logs, network):
        key = self.monitor if self.monitor in logs else self.monitor.removeprefix("val_")
        if key not in logs:
            raise ConfigError(f"EarlyStopping monitors {self.monitor!r}, which this run does not report; "
                              f"expected one of {sorted(k for k in logs if k != 'seconds')}.")
        value = self.sign * logs[key]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.weights = snapshot(network)
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch, network.stop_training = epoch, True

    def on_train_end(self, network):
        if self.restore_best and self.weights is not None:
            restore(network, self.weights)

    def get_state(self):
        """JSON-able state for checkpoints (the best weights are not stored)."""
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def set_state(self, state):
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self._resumed = True

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r}, "
                f"restore_best={self.restore_best})")
