"""Callbacks and History: the hooks ``fit`` calls (per epoch, and per batch on request), and the per-epoch record."""

from __future__ import annotations

import json
import math
import statistics
from typing import TYPE_CHECKING, Any

from array_api_compat import array_namespace, is_array_api_obj

from .._typing import PathLike
from ..errors import ConfigError
from ..saving.jsonvalues import strict

if TYPE_CHECKING:
    from ..models.network import Network


class Callback:
    """Hooks ``fit`` calls on the host: at its start, around each epoch, and after each batch for
    a callback that overrides :meth:`on_batch_end` (never inside the step's math).

    Set ``network.stop_training = True`` in a hook to stop. ``fit`` reads it after every batch and
    every epoch, as Keras 3 does: set in ``on_epoch_end`` it stops after that epoch, in ``on_batch_end``
    after that batch (in ``on_epoch_begin``, after the epoch's first); a cut epoch's figures are those of
    the rows it trained, and its validation and ``on_epoch_end`` still run. Under ``mpiexec`` the ranks
    agree on it once per epoch, so there it stops after the epoch.

    A callback with state that must survive a resume defines ``get_state()`` (a
    JSON-able dict) and ``set_state(state)``, and for arrays ``get_arrays(network)``
    (``{name: array}``) and ``set_arrays(arrays, network)``: checkpoints keep them, so a
    killed and resumed run ends as the uninterrupted one (see EarlyStopping).

    ``fit`` calls the callbacks in the order given, then its :class:`History`, as Keras does: a
    callback may add a figure to ``logs`` in ``on_epoch_end`` (``logs["f1"] = ...``); History
    records it, and the callbacks after it in the list (EarlyStopping, ReduceLROnPlateau) may
    monitor it. The epoch's printed line (``fit(verbose=True)``'s, ``nnscratch train``'s) comes last, after the
    History, so it shows those figures too (:class:`~nnscratch.training.epochs.EpochLogger`). Before
    ``on_train_begin`` each callback receives the run's :attr:`params`.
    """

    @property
    def params(self) -> dict[str, Any]:
        """The run's settings, as Keras's ``Callback.params``: the dict of :attr:`History.params`
        (``epochs``, ``batch_size``, ``loss``, ...), with ``rank`` (0 outside ``mpiexec``) and
        ``processes`` (the data-parallel job's size). Empty before the first ``fit``; after one, its settings."""
        return self.__dict__.setdefault("_params", {})

    @params.setter
    def params(self, params: dict[str, Any]) -> None:
        self._params = params

    def set_params(self, params: dict[str, Any]) -> None:
        """Called by ``fit`` before ``on_train_begin`` (Keras's name).

        Parameters
        ----------
        params : dict
            ``fit``'s settings: ``epochs``, ``batch_size``, ``loss``, ``optimizer``, ``backend``, ...
        """
        self.params = params

    @property
    def is_root(self) -> bool:
        """Whether this process speaks for the run: True outside ``mpiexec``, and on rank 0 alone
        of a data-parallel ``fit`` (every rank calls its callbacks; print only where this is True)."""
        return self.params.get("rank", 0) == 0

    def on_train_begin(self, network: Network) -> None:
        """Called once when ``fit`` starts (also when it resumes from a checkpoint).

        Parameters
        ----------
        network : Network
            The network being trained.
        """

    def on_epoch_begin(self, epoch: int, network: Network) -> None:
        """Called before each epoch; ``epoch`` counts from 0.

        Parameters
        ----------
        epoch : int
            The epoch, counting from 0 (a resumed run goes on counting).
        network : Network
            The network being trained.
        """

    def on_batch_end(self, batch: int, network: Network) -> None:
        """Called after each batch, only if a callback overrides it (it reads nothing from the device).

        Parameters
        ----------
        batch : int
            The batch within the epoch, counting from 0.
        network : Network
            The network being trained.
        """

    def on_epoch_end(self, epoch: int, logs: dict[str, float], network: Network) -> None:
        """Called after each epoch (from 0) with ``logs``, host floats:
        ``{"loss": ..., "accuracy": ..., "seconds": ...}`` (a regression: ``"r2"`` and ``"mae"``
        instead of ``"accuracy"``; with validation data also the ``val_`` figures).

        Parameters
        ----------
        epoch : int
            The epoch, counting from 0 (a resumed run goes on counting).
        logs : dict of str to float
            The epoch's figures (above); a callback may add its own for those after it.
        network : Network
            The network being trained.
        """

    def on_train_end(self, network: Network) -> None:
        """Called once when ``fit`` ends (also after early stopping).

        Parameters
        ----------
        network : Network
            The network being trained.
        """


class History(Callback):
    """Per-epoch figures: ``history.history["loss"]``, ``["accuracy"]``,
    ``["val_loss"]``, ``["val_accuracy"]``, ``["seconds"]`` (a "multilabel" task's accuracy is the subset
    accuracy: the share of rows whose every label is right). A regression records
    ``["r2"]`` and ``["mae"]`` (and ``["val_r2"]``, ``["val_mae"]``) instead of the accuracies:
    scikit-learn's ``r2_score`` and ``mean_absolute_error``, averaged over the target columns.
    A fit with ``sample_weight`` or ``class_weight`` records the weighted ``loss`` (and ``val_loss``),
    ``sum_i w_i l_i / n`` as Keras reports it; the accuracies, ``r2`` and ``mae`` stay unweighted.

    Parameters
    ----------
    history : dict of str to list of float, optional
        Figures to start from (as ``History.from_json`` rebuilds them); default: empty.
    epoch : list of int, optional
        The epoch numbers (from 0) those figures belong to, one per entry of each list.
    params : dict, optional
        What ``fit`` was given (``epochs``, ``batch_size``, ...); ``fit`` sets it.
    """

    def __init__(self, history: dict[str, list[float]] | None = None, epoch: list[int] | None = None,
                 params: dict[str, Any] | None = None) -> None:
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.epoch = list(epoch or [])
        self.params = dict(params or {})

    def on_epoch_end(self, epoch: int, logs: dict[str, float], network: Network) -> None:
        """Append ``logs``, what the callbacks before it added included. Every list lines up with
        :attr:`epoch` (``pandas.DataFrame(history.history)`` needs that): a figure new to this history
        (one a callback logs from some epoch on, or a regression's ``r2`` after a resume from a checkpoint
        written before nnscratch logged it) starts with NaN for the epochs before, and one missing
        from ``logs`` this epoch is NaN there. A figure a callback logs as an array scalar (computed on
        the device) is read here, once per epoch, and kept as a Python float, as fit's own figures are.

        Parameters
        ----------
        epoch : int
            The epoch just ended, counting from 0.
        logs : dict of str to float
            The epoch's figures (``loss``, ``accuracy``, ``val_loss``, ...).
        network : Network
            The network being trained.
        """
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, [math.nan] * (len(self.epoch) - 1)).append(as_figure(key, value))
        for values in self.history.values():
            if len(values) < len(self.epoch):
                values.append(math.nan)

    def __getitem__(self, key):
        return self.history[key]

    def __repr__(self):
        """``History(epochs=3, last={'loss': 0.1234, ...})``: each figure's last value, numbers rounded (a
        callback may log anything, a string or None, which is shown as it is)."""
        last = {k: _rounded(v[-1]) for k, v in self.history.items() if v}
        return f"History(epochs={len(self.epoch)}, last={last})"

    def timing(self) -> str | None:
        """The first epoch of the last ``fit`` call apart from the steady state:
        ``"first epoch 2.31 s (...), then 0.52 s per epoch (median of 14)"``. On a
        GPU the first epoch also pays kernel compilation, cuBLAS start-up and the
        allocator's first allocations; None before any epoch ran."""
        first, rest = self.params.get("first_epoch_seconds"), self.params.get("steady_epoch_seconds")
        if first is None:
            return None
        line = f"first epoch {first:.2f} s (includes start-up: first allocations; on a GPU also kernel compilation)"
        if rest:
            line += f", then {statistics.median(rest):.2f} s per epoch (median of {len(rest)})"
        return line

    def to_json(self, path: PathLike | None = None) -> str:
        """The history as JSON text; also written to ``path`` if given. A figure that is NaN (one missing
        from an epoch, an R^2 of one row) or infinite is written as ``null``, as pandas' ``to_json`` writes it:
        ``NaN`` is not JSON (``JSON.parse``, ``jq`` refuse it). :meth:`from_json` reads ``null`` back as NaN.

        Parameters
        ----------
        path : str or Path, optional
            A file to write the JSON to as well (replaced whole, never half-written); None: only returned.
        """
        data = {"epoch": self.epoch, "history": self.history, "params": self.params}
        text = json.dumps(strict(data), indent=1, allow_nan=False)
        if path is not None:
            from ..saving.serialize import atomic_write_text
            atomic_write_text(path, text, "history")
        return text

    @classmethod
    def from_json(cls, source: PathLike) -> History:
        """Read :meth:`to_json` output from a path or a JSON string: a figure written as ``null`` is NaN again
        (files of older versions, which wrote ``NaN``, read the same).

        Parameters
        ----------
        source : str or Path
            A ``history.json`` file, or JSON text itself (starting with ``{``).
        """
        text = str(source) if str(source).lstrip().startswith("{") else open(source, encoding="utf-8").read()
        data = json.loads(text)
        figures = {k: [math.nan if v is None else v for v in vs] for k, vs in (data.get("history") or {}).items()}
        return cls(figures, data.get("epoch"), data.get("params"))


def as_figure(key, value):
    """``value`` as History keeps it: an array scalar (NumPy's, a device's) as a Python float, which
    JSON and checkpoints take; Python numbers and anything else as given. An array of several values is a
    ConfigError naming ``key`` (it was "only 0-dimensional arrays can be converted" from inside fit)."""
    if not is_array_api_obj(value):
        return value
    if math.prod(value.shape) != 1:
        raise ConfigError(f"A callback logged logs[{key!r}] as an array of shape {tuple(value.shape)}; History "
                          f"keeps one number per figure and epoch: log each value under its own key "
                          f"(logs[{key + '_0'!r}] = ...), or keep the array in the callback.")
    return float(array_namespace(value).reshape(value, ()))  # one value in any shape: (1,) or (1, 1) too


def _rounded(value):
    """A figure for :meth:`History.__repr__`: a real number to 4 decimals, anything else as it is."""
    return round(value, 4) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
