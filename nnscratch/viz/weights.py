"""First-layer weights of an image model, each hidden unit drawn as an image."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._common import dense_weights, finish, guess_image_shape, is_network, new_figure, titled_layout
from .._typing import Array, PathLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..models.network import Network


def plot_first_layer_weights(model: Network | Array, path: PathLike | None = None, *,
                             image_shape: tuple[int, int] | None = None, max_units: int = 64, cols: int | None = None,
                             title: str | None = None, show: bool = False) -> Figure:
    """Each first-layer unit's incoming weights as an image (e.g. 28x28).

    Blue is a positive weight (the pixel excites the unit), red a negative one;
    each unit is scaled to its own largest magnitude. A convolutional Network's first layer is its
    filters: they are drawn as :func:`nnscratch.viz.filters.plot_conv_filters` draws them (``max_units``
    of them), never its first Dense layer's weights over the feature maps.

    Parameters
    ----------
    model : Network or array of shape (n_inputs, n_units)
        A network (its first Dense layer, or a CNN's first filters) or a weight matrix.
    path : str or Path, optional
        Where to save the picture (its suffix, ``.png``, ``.svg`` or ``.pdf``, picks the format); None: not saved.
    image_shape : (int, int), optional
        The ``(h, w)`` of one unit's weights as an image; default: guessed square (784 inputs: 28 x 28).
    max_units : int, default 64
        Units (or filters) drawn at most.
    cols : int, optional
        Images per row; default: about a square grid.
    title : str, optional
        Text above the images; default: the number of units and the colour key.
    show : bool, default False
        Also open it in a window (needs a display); the figure is returned either way.
    """
    from .filters import is_conv_model, plot_conv_filters

    if is_network(model) and is_conv_model(model):
        if image_shape is not None:
            raise ValueError(f"image_shape={image_shape} shapes a dense layer's weights, and this network's first "
                             "layer is a Conv2D, whose filters have their own shape; drop image_shape.")
        return plot_conv_filters(model, path, max_filters=max_units, cols=cols, title=title, show=show)
    W = dense_weights(model)[0] if is_network(model) else np.asarray(model)
    if W.ndim != 2:
        raise ValueError(f"plot_first_layer_weights draws a Network or a weight matrix of shape (n_inputs, "
                         f"n_units); received an array of shape {W.shape}.")
    shape = image_shape or guess_image_shape(W.shape[0])
    if shape is None:
        raise ValueError(f"cannot draw {W.shape[0]} inputs as an image; pass image_shape=(h, w).")
    n = min(W.shape[1], max_units)
    cols = cols or min(n, max(4, int(math.ceil(math.sqrt(n * 1.5)))))
    rows = math.ceil(n / cols)
    fig = new_figure((1.25 * cols + 0.3, 1.35 * rows + 0.7), show=show)
    axes = np.atleast_1d(fig.subplots(rows, cols)).reshape(-1)
    for j, ax in enumerate(axes):
        ax.axis("off")
        if j < n:
            w = W[:, j].reshape(shape)
            lim = float(np.abs(w).max()) or 1.0
            ax.imshow(w, cmap="RdBu", vmin=-lim, vmax=lim)
            ax.set_title(str(j), fontsize=8, pad=2)
    shown = f"{n} of {W.shape[1]}" if n < W.shape[1] else f"all {n}"
    titled_layout(fig, title or f"first-layer weights ({shown} units): blue excites, red inhibits", 11)
    return finish(fig, path, show=show)
