"""Training curves: loss and accuracy per epoch, training and validation."""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import finish, new_figure
from .._typing import PathLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..training.history import History

_TRAIN = "#2b6cb0"
_VAL = "#d9480f"


def history_dict(history):
    """The ``{"loss": [...], "accuracy": [...], ...}`` dict of a History, dict or JSON file."""
    if isinstance(history, (str, os.PathLike)):
        with open(history, encoding="utf-8") as fh:
            history = json.load(fh)
    if hasattr(history, "history"):
        history = history.history
    if isinstance(history, dict) and isinstance(history.get("history"), dict):
        history = history["history"]
    if not isinstance(history, dict):
        raise TypeError(
            f"plot_history expects a History, a dict of lists or a history.json path; "
            f"received {type(history).__name__}.")
    return {k: [np.nan if v is None else float(v) for v in vals] for k, vals in history.items()
            if isinstance(vals, (list, tuple)) and vals}  # null: JSON's NaN where a writer (pandas) has no NaN


def kept_record(history):
    """Index of the record whose weights the network ended with (``params["best_epoch"]``, set where ``fit``
    restored its best epoch, as ``nnscratch train`` does for a regression), or None where that is the last one."""
    if isinstance(history, (str, os.PathLike)):
        with open(history, encoding="utf-8") as fh:
            history = json.load(fh)
    def field(name):
        return getattr(history, name, None) or (history.get(name) if isinstance(history, dict) else None)

    params, epochs = field("params"), field("epoch")
    best = params.get("best_epoch") if isinstance(params, dict) else None
    epochs = list(epochs) if isinstance(epochs, (list, tuple)) else []
    if not isinstance(best, int) or isinstance(best, bool):
        return None
    records = len(epochs) if epochs else len(history_dict(history).get("loss", []))
    index = epochs.index(best) if best in epochs else None if epochs else best  # epoch numbers, e.g. of a resume
    return index if index is not None and index < records - 1 else None


def _recorded(hist, metric):
    """``hist[metric]``, or a ValueError naming what the history holds instead of a KeyError."""
    if metric not in hist:
        raise ValueError(f"the history holds no {metric!r} per epoch; it holds {sorted(hist)}: "
                         "pass one of those as the metric.")
    return hist[metric]


def _wide_range(values):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return len(v) > 0 and v.min() > 0 and v.max() / v.min() > 20


def percent_formatter():
    """A tick formatter for fractions as percent, with as many decimals as the ticks
    need to be exact (0.975 is "97.5%", never "98%"; 0.9 is "90%")."""
    from matplotlib.ticker import Formatter

    class Percent(Formatter):
        decimals = 0

        def set_locs(self, locs):
            super().set_locs(locs)
            self.decimals = next((d for d in range(6) if all(
                abs(round(100 * v, d) - 100 * v) < 1e-6 for v in locs)), 6)

        def __call__(self, x, pos=None):
            return f"{100 * x:.{self.decimals}f}%"

    return Percent()


TITLES = {"r2": "$R^2$", "mae": "MAE", "rmse": "RMSE"}
"""How a panel names a regression's figures (the epoch lines say R^2 and MAE)."""


def _dot(values):
    """A marker where a line cannot show the values: one record (a one-epoch run) is a line of no length."""
    return {"marker": "o"} if len(values) == 1 else {}


def _panel(ax, hist, metric, x, references, logy, kept=None):
    lw = 2.0 if len(hist[metric]) < 300 else 1.0
    ax.plot(x(hist[metric]), hist[metric], color=_TRAIN, lw=lw, label="training", **_dot(hist[metric]))
    if f"val_{metric}" in hist:
        v = hist[f"val_{metric}"]
        ax.plot(x(v), v, color=_VAL, lw=lw, label="validation", **_dot(v))
    if kept is not None:  # the network is not the last epoch's: say which one it is
        at = x.step * (kept + 1)
        ax.axvline(at, color="0.3", ls=":", lw=1.3, label=f"weights kept ({x.label} {at:g})")
    _decorate(ax, hist, metric, references, logy)
    ax.set_title(TITLES.get(metric, metric.replace("_", " ")))
    ax.set_xlabel(x.label)
    ax.legend(frameon=False)


def _decorate(ax, hist, metric, references, logy):
    """Reference lines, integer x ticks, percent or log y axis, grid."""
    from matplotlib.ticker import MaxNLocator

    for value, label in references.get(metric, []):
        ax.axhline(value, color="0.35", ls="--", lw=1.2)
        ax.annotate(label, (0.01, value), xycoords=("axes fraction", "data"),
                    xytext=(0, 4), textcoords="offset points", color="0.25", fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    low, high = ax.get_xlim()
    if high - low < 1:  # one epoch: between matplotlib's margins (0.945 to 1.055) ticks of 0.96, 0.975 ...
        middle = (low + high) / 2
        ax.set_xlim(middle - 0.5, middle + 0.5)
        ax.set_xticks([middle])
    if metric.endswith("accuracy"):
        ax.yaxis.set_major_formatter(percent_formatter())
    elif logy and _wide_range(hist[metric]):
        ax.set_yscale("log")
    ax.grid(alpha=0.3)


class _XAxis:
    def __init__(self, step, label):
        self.step, self.label = step, label

    def __call__(self, values):
        return self.step * np.arange(1, len(values) + 1)


def plot_history(history: History | dict[str, Any] | PathLike, path: PathLike | None = None, *,
                 metrics: Sequence[str] | None = None,
                 references: dict[str, Sequence[tuple[float, str]]] | None = None, title: str | None = None,
                 logy: bool = False, step: float = 1, xlabel: str = "epoch",
                 figsize: tuple[float, float] | None = None, show: bool = False) -> Figure:
    """Loss (and accuracy, or a regression's R^2, if recorded) per epoch, training against validation.
    Where ``fit`` ended with an earlier epoch's weights (``restore_best``: ``history.params["best_epoch"]``),
    a dotted line marks that epoch.

    Parameters
    ----------
    history
        A History, a dict or the path to a ``history.json``.
    metrics
        Names to draw; default ``loss`` and ``accuracy`` (a regression: ``r2``) when present.
    references
        Dashed lines to beat, e.g. ``{"accuracy": [(0.907, "write-up: 90.7%")]}``.
    step
        The x value of the i-th record is ``step * i`` (e.g. 10 when recorded every 10 steps).
    path
        Where to save the picture (``.png``, ``.svg``, ``.pdf``: the suffix picks the format); None saves nothing.
    title
        Text above the plots; default: none.
    logy
        Draw the loss on a logarithmic axis (useful when it falls by orders of magnitude).
    xlabel
        The label of the x axis.
    figsize
        Width and height in inches; default: sized to the number of panels.
    show
        Also open it in a window (needs a display); the figure is returned either way.
    """
    hist, kept = history_dict(history), kept_record(history)
    metrics = metrics or [m for m in ("loss", "accuracy", "r2") if m in hist]
    if not metrics:
        raise ValueError(f"nothing to plot: the history holds {sorted(hist)}; "
                         "expected 'loss' or 'accuracy'.")
    for metric in metrics:
        _recorded(hist, metric)
    fig = new_figure(figsize or (5.5 * len(metrics), 4.2), show=show)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        _panel(ax, hist, metric, _XAxis(step, xlabel), references or {}, logy, kept)
    if title:
        fig.suptitle(title, fontsize=13)
    fig.tight_layout()
    return finish(fig, path, show=show)


def plot_curves(curves: dict[str, Any], path: PathLike | None = None, *, metric: str = "loss",
                title: str | None = None, logy: bool = True, step: float = 1, start: float = 1,
                xlabel: str = "epoch", references: Sequence[tuple[float, str]] | None = None,
                figsize: tuple[float, float] = (7.5, 4.6), show: bool = False) -> Figure:
    """Several runs' curves of one metric on one axis, e.g. ``{"SGD": h1, "Adam": h2}``.

    Each value is a list of numbers or a History / dict / history.json (its ``metric``).
    ``references`` is a list of ``(value, label)`` dashed lines; the i-th value of
    a curve is drawn at x = ``start + step * i``.

    Parameters
    ----------
    curves : dict of str to list or History
        One curve per label: a list of numbers, or a History, dict or ``history.json`` (its ``metric``).
    path : str or Path, optional
        Where to save the picture (its suffix, ``.png``, ``.svg`` or ``.pdf``, picks the format); None: not saved.
    metric : str, default "loss"
        The figure drawn from each History (``"val_accuracy"``, ...).
    title : str, optional
        Text above the plot; default: the metric's name.
    logy : bool, default True
        A logarithmic y axis (losses falling by orders of magnitude stay readable).
    step : float, default 1
        x distance between two values of a curve (e.g. 10 when recorded every 10 steps).
    start : float, default 1
        x of each curve's first value.
    xlabel : str, default "epoch"
        The label of the x axis.
    references : list of (float, str), optional
        Dashed horizontal lines to beat, each ``(value, label)``.
    figsize : (float, float), default (7.5, 4.6)
        Width and height in inches.
    show : bool, default False
        Also open it in a window (needs a display); the figure is returned either way.
    """
    curves = {name: v if isinstance(v, (list, tuple, np.ndarray)) else _recorded(history_dict(v), metric)
              for name, v in curves.items()}
    if not any(len(values) for values in curves.values()):
        given = f"runs without values ({', '.join(map(str, curves))})" if curves else "no runs"
        raise ValueError(f"plot_curves draws one line per run and received {given}; pass a dict of a name and "
                         "values (or a History) per run, e.g. {\"SGD\": h1, \"Adam\": h2}.")
    fig = new_figure(figsize, show=show)
    ax = fig.subplots()
    for name, values in curves.items():
        ax.plot(start + step * np.arange(len(values)), values, lw=2, label=name, **_dot(values))
    hist = {metric: [x for v in curves.values() for x in v]}
    _decorate(ax, hist, metric, {metric: references or []}, logy)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(title or metric.replace("_", " "))
    ax.legend(frameon=False)
    fig.tight_layout()
    return finish(fig, path, show=show)
