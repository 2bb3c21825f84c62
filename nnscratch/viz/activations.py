"""Activation animation: an input, every hidden layer's activations, the output.

One forward pass over the chosen inputs, copied to the host once; each frame
then shows one input image beside the activations it causes (ReLU's switched-off
neurons are dark) and the softmax vote for each class.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._anim import save_animation
from ._common import (activation_names, check_class_names, class_proba, dense_blocks, guess_image_shape, new_figure,
                      require_classifier, to_host)
from ._labels import true_classes
from .._typing import Array, PathLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..models.network import Network


def layer_activations(network: Network, X: Array) -> list[np.ndarray]:
    """Host copies of each Dense layer's activations, after its activation (and BatchNorm, Dropout):
    ``[hidden..., output]``, one per Dense layer.

    Parameters
    ----------
    network : Network
        A network of Dense layers.
    X : array, (n, n_features)
        The inputs to pass through it (in predict mode).
    """
    outs = network.forward(X, return_all=True)
    return [to_host(outs[last], network) for _, last in dense_blocks(network)]


PAD = "0.6"
"""Grey: the cells of a layer's grid past its last neuron, never drawn as an activation (white was magma's
brightest, and RdBu's 0)."""


def _as_grid(values):
    """A tall grid for ``n`` activations (a column of neurons, folded), NaN past the last one."""
    n = values.shape[0]
    cols = max(1, int(round(math.sqrt(n / 4))))
    rows = math.ceil(n / cols)
    grid = np.full(rows * cols, np.nan)
    grid[:n] = values
    return grid.reshape(cols, rows).T


def _input_panel(ax, x, shape, feature_names=None, label=None):
    if shape:
        ax.imshow(x.reshape(shape), cmap="gray_r", vmin=0, vmax=max(1.0, float(x.max())))
        ax.set_xticks([]), ax.set_yticks([])
    else:  # one bar per feature, named where the names fit
        from matplotlib.ticker import MaxNLocator

        ax.barh(np.arange(len(x)), x, color="0.4")
        if len(x) <= 25:
            ax.set_yticks(np.arange(len(x)), feature_names or [str(i) for i in range(len(x))], fontsize=8)
        else:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.invert_yaxis()
        ax.set_xlabel(label or "value fed to the network", fontsize=8)  # a table's: maybe standardised, not its units
    ax.set_title("input", fontsize=10)


def _hidden_panel(ax, a, vmax, name, index, signed):
    """One layer's activations: dark where a ReLU is off; a layer with negative values (tanh) on a
    scale centred at 0 (-1 responds as strongly as +1), and a sigmoid's counted above its middle."""
    from matplotlib import colormaps

    if signed:
        ax.imshow(_as_grid(a), cmap=colormaps["RdBu_r"].with_extremes(bad=PAD), vmin=-vmax, vmax=vmax, aspect="equal")
        share = f"{np.count_nonzero(a > 0) / a.size:.0%} positive"
    else:
        ax.imshow(_as_grid(a), cmap=colormaps["magma"].with_extremes(bad=PAD), vmin=0, vmax=vmax, aspect="equal")
        middle = 0.5 if name.endswith("sigmoid") else 0
        share = f"{np.count_nonzero(a > middle) / a.size:.0%} {'above 0.5' if middle else 'active'}"
    ax.set_xticks([]), ax.set_yticks([])
    ax.set_title(f"hidden {index}\n{a.size} {name}\n{share}", fontsize=9)


MAX_BARS = 12  # classes in the output panel; a network of more shows its most likely ones


def _shown_classes(p, true):
    """The classes the output panel draws, top to bottom: all of up to ``MAX_BARS``, else the most
    likely ones (the true class among them, last where it is not one of them)."""
    if len(p) <= MAX_BARS:
        return np.arange(len(p))
    top = np.argsort(-p, kind="stable")[:MAX_BARS]
    return top if true is None or true in top else np.append(top[:-1], true)


def _output_panel(ax, p, pred, true, class_names, activation):
    shown = _shown_classes(p, true)
    colors = ["#2f9e44" if c == pred and (true is None or pred == true) else "#e03131" if c == pred else "0.75"
              for c in shown]
    ax.barh(np.arange(len(shown)), p[shown], color=colors)
    ax.set_yticks(np.arange(len(shown)), [class_names[c] for c in shown])
    ax.invert_yaxis()
    for i, v in enumerate(p[shown]):
        if v >= 0.01:
            ax.text(min(v, 0.8) + 0.02, i, f"{v:.0%}", va="center", fontsize=8,
                    color="white" if v > 0.82 else "0.2")
    ax.set_xlim(0, 1)
    most = "" if len(shown) == len(p) else f": {len(shown)} most likely of {len(p)} classes"
    ax.set_title(f"output ({activation}){most}", fontsize=10)
    ax.grid(axis="x", alpha=0.3)


class _Frames:
    def __init__(self, fig, X, acts, names, y, shape, class_names, feature_names=None, input_label=None):
        self.fig, self.X, self.acts, self.names = fig, X, acts, names
        self.y, self.shape, self.class_names, self.feature_names = y, shape, class_names, feature_names
        self.input_label = input_label
        self.vmax = [max(float(np.abs(a).max()), 1e-6) for a in acts[:-1]]
        self.signed = [bool((a < 0).any()) for a in acts[:-1]]

    def __call__(self, k):
        fig, hidden, out = self.fig, self.acts[:-1], self.acts[-1][k]
        fig.clf()
        ratios = [3] + [1] * len(hidden) + [2.2]
        axes = fig.subplots(1, len(ratios), gridspec_kw={"width_ratios": ratios})
        _input_panel(axes[0], self.X[k], self.shape, self.feature_names, self.input_label)
        for i, (ax, a) in enumerate(zip(axes[1:-1], hidden)):
            _hidden_panel(ax, a[k], self.vmax[i], self.names[i], i + 1, self.signed[i])
        pred = int(np.argmax(out))
        true = None if self.y is None else int(self.y[k])
        vote = "sigmoid" if self.names[-1] == "sigmoid" else "softmax"  # predict_proba's, also of logits
        _output_panel(axes[-1], out, pred, true, self.class_names, vote)
        truth = "" if true is None else f"true {self.class_names[true]}, "
        fig.suptitle(f"{truth}predicted {self.class_names[pred]} ({out[pred]:.1%})", fontsize=12)
        fig.tight_layout()


def animate_activations(network: Network, X: Array, path: PathLike | None = None, *, y: Array | None = None,
                        n_images: int = 10, image_shape: tuple[int, ...] | str | None = "auto",
                        class_names: Sequence[str] | None = None, feature_names: Sequence[str] | None = None,
                        input_label: str | None = None, fps: float = 1, figsize: tuple[float, float] = (11, 4.6)) -> str | Figure:
    """Save a GIF (or MP4) of ``n_images`` inputs passing through ``network``.

    ``class_names`` name the outputs (of more than ``MAX_BARS`` classes, the most likely are drawn);
    ``feature_names`` the bars of an input that is not an image.
    Returns the path, or the figure of the first input when ``path`` is None. A network of dense
    layers that classifies: a convolutional one's layers are images
    (:func:`nnscratch.viz.filters.plot_feature_maps` draws them), a regression casts no vote.

    Parameters
    ----------
    network : Network
        A classifier of Dense layers.
    X : array, (n, n_features)
        Inputs to animate; the first ``n_images`` are used.
    path : str or Path, optional
        The ``.gif`` (or ``.mp4``, with ffmpeg) to write; None returns the first frame's figure.
    y : array, (n,), optional
        The true classes, shown beside each prediction; default: not shown.
    n_images : int, default 10
        Inputs shown, one after another.
    image_shape : (h, w), (C, H, W), "auto" or None, default "auto"
        How to draw an input as an image; "auto" guesses square images; None draws bars.
    class_names : sequence of str, optional
        Names of the outputs; default: the class numbers.
    feature_names : sequence of str, optional
        Names of the bars of an input that is not an image.
    input_label : str, optional
        What the bars' length is, under them; default "value fed to the network" (a table's columns
        standardised before the network sees them are not in their own units).
    fps : float, default 1
        Inputs per second.
    figsize : (float, float), default (11, 4.6)
        Width and height in inches.
    """
    from .filters import is_conv_model

    if is_conv_model(network):
        raise ValueError("animate_activations draws a dense network's neurons; this network has Conv2D layers, "
                         "whose outputs are images: use nnscratch.viz.filters.plot_feature_maps(network, x).")
    require_classifier(network, "animate_activations", "plot_architecture")
    if int(n_images) < 1:
        raise ValueError(f"n_images is the number of inputs to animate, at least 1; received {n_images}.")
    X = to_host(X)
    y = None if y is None else true_classes(y, len(X), "animate_activations")[:n_images]
    X = X[:n_images]
    acts = layer_activations(network, X)
    acts[-1] = class_proba(network, X)  # the vote, also of a binary or logit output
    shape = guess_image_shape(X.shape[1]) if image_shape == "auto" else image_shape
    n_classes = max(acts[-1].shape[1], 0 if y is None else int(y.max(initial=0)) + 1)
    check_class_names(class_names, n_classes)
    class_names = class_names or [str(c) for c in range(n_classes)]
    fig = new_figure(figsize)
    draw = _Frames(fig, X, acts, activation_names(network), y, shape, class_names, feature_names, input_label)
    if path is None:
        draw(0)
        return fig
    return save_animation(fig, draw, len(X), path, fps=fps)
