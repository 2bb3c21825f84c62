"""Decision regions of a classifier on 2-D inputs."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._common import check_class_names, class_proba, finish, new_figure, require_classifier, to_host
from ._labels import true_classes
from .._typing import Array, PathLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..models.network import Network

PALETTE = ["#2b6cb0", "#d9480f", "#2f9e44", "#9c36b5", "#f59f00", "#0c8599", "#c2255c"]


def class_colours(k):
    """A distinct colour for each of ``k`` classes: the house palette up to 7, then matplotlib's tab10,
    tab20 (its dark shades first) and evenly spaced hues: never two classes in one colour."""
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb

    if k <= len(PALETTE):
        return [to_rgb(c) for c in PALETTE[:k]]
    if k <= 10:
        return [colormaps["tab10"].colors[c] for c in range(k)]
    if k <= 20:
        return [colormaps["tab20"].colors[c] for c in [*range(0, 20, 2), *range(1, 20, 2)][:k]]
    return [tuple(colormaps["hsv"](c / k)[:3]) for c in range(k)]


def _grid(X, resolution, padding):
    """A resolution x resolution grid over ``X``'s range, widened by ``padding`` of that range per axis
    (so raw table columns, whatever their units, get the same margin as standardised ones)."""
    span = X.max(axis=0) - X.min(axis=0)
    margin = padding * np.where(span > 0, span, 1.0)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()]), (lo, hi)  # float64: raw columns such as 1.7e9 s


def _region_image(proba, resolution, colours):
    """RGB picture: each point's class colour, paler where the model is unsure."""
    cls, conf = proba.argmax(axis=1), proba.max(axis=1)
    k = proba.shape[1]
    base = np.array(colours)[cls]
    strength = 0.15 + 0.4 * (conf - 1 / k) / (1 - 1 / k)
    rgb = 1 - strength[:, None] * (1 - base)
    return rgb.reshape(resolution, resolution, 3)


def _legend(ax, names, colours):
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], ls="", marker="o", markersize=7, markerfacecolor=colours[c],
                      markeredgecolor="black", markeredgewidth=0.4, label=str(name)) for c, name in enumerate(names)]
    ax.legend(handles=handles, title="class", fontsize=8, title_fontsize=8, loc="best", framealpha=0.85)


def plot_decision_boundary(network: Network, X: Array, y: Array, path: PathLike | None = None, *,
                           transform: Callable[[np.ndarray], Array] | None = None,
                           feature_names: Sequence[str] | None = None, class_names: Sequence[str] | None = None,
                           resolution: int = 250, padding: float = 0.1, title: str | None = None,
                           figsize: tuple[float, float] = (6.2, 5.6), show: bool = False) -> Figure:
    """Coloured regions of the predicted class over the plane, with the data on top.

    Regions are paler where the predicted probability is low (near a boundary).
    ``transform`` maps rows of ``X`` to what the network takes (e.g. a table model's
    standardisation, :func:`~nnscratch.saving.standardizer.standardize_for`), so the axes
    show ``X`` as given; ``feature_names`` label the axes and ``class_names`` the legend.
    ``padding`` is the margin around the data, a fraction of its range on each axis.

    Parameters
    ----------
    network : Network
        A trained classifier of two input features.
    X : array, (n, 2)
        The points to draw, as given (before ``transform``).
    y : array, (n,)
        Their classes, drawn as the points' colours.
    path : str or Path, optional
        Where to save the picture (its suffix, ``.png``, ``.svg`` or ``.pdf``, picks the format); None: not saved.
    transform : callable, optional
        Maps rows of ``X`` to the network's inputs (e.g. a standardisation); default: none.
    feature_names : sequence of str, optional
        Labels of the two axes; default: none.
    class_names : sequence of str, optional
        Names in the legend, one per class; default: the class numbers.
    resolution : int, default 250
        Grid points per axis at which the network is asked (more: smoother, slower).
    padding : float, default 0.1
        Margin around the data, a fraction of its range on each axis.
    title : str, optional
        Text above the plot; default: the accuracy on these points.
    figsize : (float, float), default (6.2, 5.6)
        Width and height in inches.
    show : bool, default False
        Also open it in a window (needs a display); the figure is returned either way.
    """
    require_classifier(network, "plot_decision_boundary", "plot_architecture")
    if getattr(network, "n_inputs", 2) != 2:
        raise ValueError(f"decision boundaries are drawn over a network's 2 inputs; this network takes "
                         f"{network.input_shape}: train one on 2 features (or use plot_confusion).")
    X = to_host(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision boundaries need 2-D inputs (n, 2); received shape {X.shape}.")
    y = true_classes(y, len(X), "plot_decision_boundary")
    seen = transform or (lambda rows: rows)
    grid, (lo, hi) = _grid(X, resolution, padding)
    proba = class_proba(network, seen(grid))
    fig = new_figure(figsize, show=show)
    ax = fig.subplots()
    n_classes = max(proba.shape[1], int(y.max(initial=0)) + 1)
    check_class_names(class_names, n_classes)
    colours = class_colours(n_classes)
    ax.imshow(_region_image(proba, resolution, colours), origin="lower", aspect="auto",
              extent=(lo[0], hi[0], lo[1], hi[1]), interpolation="bilinear")
    ax.scatter(X[:, 0], X[:, 1], c=np.array(colours)[y], s=14, edgecolors="black", linewidths=0.4)
    pred = to_host(network.predict(seen(X)), network).reshape(-1)
    acc = float(np.mean(pred == y))
    ax.set_title(title or f"decision regions: accuracy {acc:.1%} on {len(y)} points",
                 fontsize=11)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    if feature_names is not None:
        ax.set_xlabel(feature_names[0])
        ax.set_ylabel(feature_names[1])
    _legend(ax, class_names or [str(c) for c in range(n_classes)], colours)
    fig.tight_layout()
    return finish(fig, path, show=show)
