"""Architecture diagram: layers as columns of neurons, connections by weight.

A connection's colour is the sign of its value and its width and opacity its
magnitude (relative to the largest in that layer).  Layers wider than
``max_neurons`` are drawn as a sample of their strongest neurons, with a
vertical ellipsis and the true size written underneath.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import (NEGATIVE, POSITIVE, activation_names, dense_weights, finish,
                      is_network, new_figure)
from .._typing import PathLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..models.network import Network


def neuron_scores(weights):
    """Per layer, each neuron's summed |incoming| + |outgoing| weight."""
    sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
    scores = [np.zeros(n) for n in sizes]
    for i, w in enumerate(weights):
        scores[i] += np.abs(w).sum(axis=1)
        scores[i + 1] += np.abs(w).sum(axis=0)
    return scores


def pick_neurons(weights, max_neurons=16):
    """Indices of the neurons to draw in each layer (all, or the strongest)."""
    picked = []
    for score in neuron_scores(weights):
        if len(score) <= max_neurons:
            picked.append(np.arange(len(score)))
        else:
            picked.append(np.sort(np.argsort(-score, kind="stable")[:max_neurons]))
    return picked


def _positions(n_shown, sampled):
    """y of each drawn neuron (one unit apart, centred); a sampled layer leaves a
    middle slot for the ellipsis."""
    slots = n_shown + (1 if sampled else 0)
    y = (slots - 1) / 2 - np.arange(slots, dtype=float)
    if sampled:
        y = np.delete(y, n_shown // 2)
    return y


def _segment_style(values, colors):
    from matplotlib.colors import to_rgba

    mag = np.abs(values).ravel()
    rel = mag / (mag.max() or 1.0)
    v = np.asarray(values).ravel()[:, None]
    rgba = np.where(v > 0, to_rgba(colors[0]), np.where(v < 0, to_rgba(colors[1]), to_rgba("0.7")))
    rgba[:, 3] = 0.15 + 0.85 * rel
    return rgba, 0.3 + 3.0 * rel


def _draw_links(ax, x0, y0, x1, y1, values, colors):
    from matplotlib.collections import LineCollection

    a = np.repeat(np.column_stack([np.full_like(y0, x0), y0]), len(y1), axis=0)
    b = np.tile(np.column_stack([np.full_like(y1, x1), y1]), (len(y0), 1))
    order = np.argsort(np.abs(values).ravel())  # strongest drawn on top
    rgba, widths = _segment_style(values, colors)
    segs = np.stack([a, b], axis=1)[order]
    ax.add_collection(LineCollection(segs, colors=rgba[order], linewidths=widths[order],
                                     zorder=1, capstyle="round"))


def _label(ax, x, size, shown, name):
    text = f"{size}" if shown == size else f"{size}\n({shown} shown)"
    ax.text(x, 0.01, f"{text}\n{name}", ha="center", va="bottom", fontsize=9,
            color="0.15", transform=ax.get_xaxis_transform())


def draw_network(ax, weights, values=None, *, picked=None, names=None, max_neurons=16,
                 colors=(POSITIVE, NEGATIVE), neuron_color="white"):
    """Draw the network on ``ax``; ``values`` (default the weights) colour the links.

    Returns the neuron indices drawn per layer, to reuse across animation frames.
    """
    values = weights if values is None else values
    sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
    picked = picked if picked is not None else pick_neurons(weights, max_neurons)
    names = names or (["input"] + ["hidden"] * (len(sizes) - 2) + ["output"])
    ys = [_positions(len(p), len(p) < n) for p, n in zip(picked, sizes)]
    height = max(np.ptp(y) for y in ys)
    for i, v in enumerate(values):
        sub = np.asarray(v)[np.ix_(picked[i], picked[i + 1])]
        _draw_links(ax, 3.0 * i, ys[i], 3.0 * (i + 1), ys[i + 1], sub, colors)
    for i, (y, n) in enumerate(zip(ys, sizes)):
        ax.scatter(np.full_like(y, 3.0 * i), y, s=140, c=neuron_color, edgecolors="0.2",
                   linewidths=1.2, zorder=3)
        if len(picked[i]) < n:
            ax.text(3.0 * i, np.mean(y[len(y) // 2 - 1:len(y) // 2 + 1]), "⋮",
                    ha="center", va="center", fontsize=16, zorder=4)
        _label(ax, 3.0 * i, n, len(picked[i]), names[i])
    ax.set_xlim(-1.2, 3.0 * (len(sizes) - 1) + 1.2)
    ax.set_ylim(-height / 2 - 0.6 - 0.16 * (height + 3), height / 2 + 0.6)
    ax.axis("off")
    return picked


def layer_names(model, n_layers):
    """``input``, the hidden activations and the output activation, from a Network."""
    if not is_network(model):
        return None
    acts = activation_names(model)
    return ["input"] + acts[:n_layers - 1] if len(acts) == n_layers - 1 else None


def weights_of(model):
    """Weight matrices ``(n_in, n_out)`` of a Network, a list of matrices, or of sizes."""
    if is_network(model):
        return dense_weights(model)
    model = list(model)
    if all(isinstance(s, (int, np.integer)) for s in model):
        return [np.ones((a, b)) for a, b in zip(model[:-1], model[1:])]
    return [np.asarray(w) for w in model]


def plot_architecture(model: Network | Sequence[Any], path: PathLike | None = None, *, max_neurons: int = 16,
                      names: Sequence[str] | None = None, title: str | None = None,
                      figsize: tuple[float, float] | None = None, show: bool = False) -> Figure:
    """Diagram of a Network (or weight matrices, or layer sizes), coloured by weight sign.

    Blue links are positive weights, orange-red negative; thicker and more opaque
    means larger in magnitude relative to the rest of that layer. A convolutional Network is drawn
    as :func:`nnscratch.viz.filters.plot_layer_diagram` draws it: one box per layer and its output
    shape (its layers are not columns of neurons, so ``max_neurons`` and ``names`` do not apply).

    Parameters
    ----------
    model : Network, list of weight matrices, or list of int
        What to draw: a network, its ``(n_in, n_out)`` weight matrices, or the layer sizes.
    path : str or Path, optional
        Where to save the picture (its suffix, ``.png``, ``.svg`` or ``.pdf``, picks the format); None: not saved.
    max_neurons : int, default 16
        Neurons drawn per layer at most: a wider layer shows its strongest, with its true size.
    names : sequence of str, optional
        A label under each column (layer); default: "input", the activations' names, "output".
    title : str, optional
        Text above the diagram; default: the sizes and the colour key.
    figsize : (float, float), optional
        Width and height in inches; default: sized to the network.
    show : bool, default False
        Also open it in a window (needs a display); the figure is returned either way.
    """
    from .filters import is_conv_model, plot_layer_diagram

    if is_network(model) and is_conv_model(model):
        if names is not None:
            raise ValueError("names label columns of neurons, and this network has Conv2D layers, drawn as one "
                             "box per layer named by its type; drop names.")
        return plot_layer_diagram(model, path, title=title, figsize=figsize, show=show)
    weights = weights_of(model)
    if not weights:
        raise ValueError(f"plot_architecture draws a Network, its weight matrices or at least two layer sizes "
                         f"(inputs, outputs), e.g. [784, 128, 10]; received {model!r}.")
    if names is not None and len(names) != len(weights) + 1:
        raise ValueError(f"names label each column of neurons, input to output: {len(weights) + 1} for this "
                         f"network; received {len(names)} ({list(names)}).")
    n_layers = len(weights) + 1
    names = names or layer_names(model, n_layers)
    tallest = min(max_neurons + 1, max(max(w.shape) for w in weights))
    height = min(6.5, max(3.8, 2.2 + 0.26 * tallest))
    fig = new_figure(figsize or (min(11.0, max(6.0, 1.5 * n_layers + 1.5)), height), show=show)
    ax = fig.subplots()
    draw_network(ax, weights, names=names, max_neurons=max_neurons)
    sizes = "-".join(str(s) for s in [weights[0].shape[0]] + [w.shape[1] for w in weights])
    ax.set_title(title or f"network {sizes}: blue = positive weight, red = negative",
                 fontsize=12)
    fig.tight_layout()
    return finish(fig, path, show=show)
