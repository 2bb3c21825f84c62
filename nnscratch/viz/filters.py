"""Convolutional models: first-layer filters, the feature maps of one image, and a layer diagram."""
from __future__ import annotations

import math

import numpy as np

from ._common import colour_picture, finish, new_figure, titled_layout, to_host


def is_conv_model(net):
    """True when the network has a Conv2D layer."""
    return any(type(layer).__name__ == "Conv2D" for layer in getattr(net, "layers", ()))


def _conv_layers(net):
    return [layer for layer in net.layers if type(layer).__name__ == "Conv2D"]


def plot_conv_filters(net, path=None, *, max_filters=64, cols=None, title=None, show=False):
    """The first Conv2D's kernels, one small image per (filter, input channel), titled ``filter`` (or
    ``filter:channel``, R/G/B for colour) and ``cols`` (default up to 8, whole filters) a row; blue
    positive, red negative, each filter scaled to its own largest magnitude. At most ``max_filters``
    images, of whole filters (the title says how many of them are shown)."""
    conv = _conv_layers(net)
    if not conv:
        raise ValueError("this model has no Conv2D layer; use plot_first_layer_weights for an MLP.")
    W = to_host(conv[0].weight.value, net)  # (out, in, kh, kw)
    channels = W.shape[1]
    names = ("RGB" if channels == 3 else [str(c) for c in range(channels)]) if channels > 1 else [""]
    shown = min(W.shape[0], max(1, max_filters // channels))
    tiles = [(f"{o}:{names[c]}" if channels > 1 else str(o), W[o, c], float(np.abs(W[o]).max()) or 1.0)
             for o in range(shown) for c in range(channels)]
    cols = min(len(tiles), cols or (channels * max(1, 8 // channels)))
    rows = math.ceil(len(tiles) / cols)
    fig = new_figure((1.1 * cols + 0.3, 1.2 * rows + 0.7), show=show)
    axes = np.atleast_1d(fig.subplots(rows, cols)).reshape(-1)
    for j, ax in enumerate(axes):
        ax.axis("off")
        if j < len(tiles):
            name, tile, lim = tiles[j]
            ax.imshow(tile, cmap="RdBu", vmin=-lim, vmax=lim, interpolation="nearest")
            ax.set_title(name, fontsize=8, pad=2)
    of = f"{W.shape[0]} x {channels} channels x" if channels > 1 else f"{W.shape[0]} x"
    some = f", the first {shown} shown" if shown < W.shape[0] else ""
    titled_layout(fig, title or f"first-layer filters ({of} {W.shape[2]}x{W.shape[3]}{some}): blue excites, red "
                  "inhibits", 10)
    return finish(fig, path, show=show)


def feature_maps(net, x):
    """``[(layer name, (C, H, W) host array)]`` of every image-shaped layer output for one sample ``x``."""
    maps = []
    x = _sample(net, x)
    with net.backend.activate():  # the model's device (CuPy allocates on the current one)
        out = net.backend.asarray(x[None], dtype=net.dtype)
        for index, layer in enumerate(net.layers):
            out = layer.forward(out)
            if out.ndim == 4 and type(layer).__name__ != "Reshape":
                maps.append((f"{index}: {type(layer).__name__}", to_host(out, net)[0]))
    return maps


def plot_feature_maps(net, x, path=None, *, max_channels=8, title=None, show=False):
    """The input image and, per row, the first ``max_channels`` channels of every conv/pool
    (and activation) output for one sample ``x`` (flat or image-shaped), on one colour scale per row
    (a weak channel looks dark beside a strong one, not as bright)."""
    maps = [m for m in feature_maps(net, x) if not m[0].endswith(("ReLU", "LeakyReLU", "BatchNorm", "Dropout"))]
    if not maps:
        raise ValueError("this model has no image-shaped layer outputs to draw; use a model with Conv2D.")
    cols = 1 + min(max_channels, max(m.shape[0] for _, m in maps))
    fig = new_figure((1.3 * cols + 0.5, 1.4 * len(maps) + 0.8), show=show)
    axes = np.atleast_2d(fig.subplots(len(maps), cols))
    image, cmap = _input_image(net, x)
    for r, (name, fmap) in enumerate(maps):
        shown = fmap[:cols - 1]  # one colour scale per layer: a channel's brightness compares with its neighbours'
        scale = dict(vmin=float(shown.min()), vmax=float(shown.max()))
        for c, ax in enumerate(axes[r]):
            ax.axis("off")
            if c == 0:
                if r == 0:
                    ax.imshow(image, cmap=cmap)
                    ax.set_title("input", fontsize=8)
                else:
                    ax.text(0.5, 0.5, name, ha="center", va="center", fontsize=8)
            elif c - 1 < fmap.shape[0]:
                ax.imshow(fmap[c - 1], cmap="viridis", interpolation="nearest", **scale)
                ax.set_title(f"{name} ch 0" if c == 1 else f"ch {c - 1}", fontsize=7)  # "1: Conv2D ch 0": row 0's too
    widest = max(m.shape[0] for _, m in maps)
    some = f"; the first {cols - 1} channels of each layer, of up to {widest}" if widest > cols - 1 else ""
    titled_layout(fig, title or f"feature maps of one image, layer by layer (bright = strong response{some})", 10)
    return finish(fig, path, show=show)


def _input_image(net, x):
    """``(picture, colour map)`` of one input sample ``x`` (flat or ``(C, H, W)``) as the network sees
    it: the images its first ``Reshape`` makes or its input shape; three channels as colour."""
    x = _sample(net, x)
    first = net.layers[0]
    if type(first).__name__ == "Reshape":
        x = x.reshape(tuple(first.shape))
    x = x.reshape((1, *x.shape)) if x.ndim == 2 else x
    return (colour_picture(x), None) if x.shape[0] == 3 else (x[0], "gray_r")


def _sample(net, x):
    """One sample ``x`` as the network takes it: a model that starts with a ``Reshape`` takes it flat;
    one of ``(C, H, W)`` images as such, a flat square image of open size as ``(1, side, side)``."""
    x = np.asarray(x, dtype=np.float32)
    shape = tuple(net.input_shape)
    if type(net.layers[0]).__name__ == "Reshape" or len(shape) != 3 or x.shape == shape:
        return x
    if None not in shape and x.size == math.prod(shape):
        return x.reshape(shape)
    side = math.isqrt(x.size)
    if x.ndim == 1 and side * side == x.size:  # a flat square image of open size
        return x.reshape(1, side, side)
    return x


def plot_layer_diagram(net, path=None, *, title=None, figsize=None, show=False):
    """One box per layer with its output shape and parameter count, left to right (for CNNs,
    whose layers are not columns of neurons)."""
    shapes, shape = [], tuple(net.input_shape)
    for layer in net.layers:
        shape = layer.output_shape(shape)
        shapes.append(shape)
    fig = new_figure(figsize or (max(8, 1.25 * len(net.layers) + 1.5), 3.2), show=show)
    ax = fig.add_subplot(1, 1, 1)
    ax.axis("off")
    colours = {"Conv2D": "#2b6cb0", "MaxPool2D": "#2f9e44", "AvgPool2D": "#2f9e44", "Dense": "#d9480f",
               "BatchNorm": "#ae3ec9", "Dropout": "#868e96"}
    for i, (layer, out) in enumerate(zip(net.layers, shapes)):
        name = type(layer).__name__
        params = sum(math.prod(p.value.shape) for p in layer.params)
        ax.add_patch(_box(i, colours.get(name, "#adb5bd")))
        ax.text(i + 0.4, 0.62, name, ha="center", va="center", fontsize=8, color="white", weight="bold")
        size = "x".join("?" if n is None else str(n) for n in out)  # ?: a size the input image decides
        ax.text(i + 0.4, 0.38, size, ha="center", va="center", fontsize=7, color="white")
        if params:
            ax.text(i + 0.4, 0.05, f"{params:,} params", ha="center", fontsize=6)
    ax.set_xlim(-0.2, len(net.layers))
    ax.set_ylim(-0.1, 1.1)
    total = sum(math.prod(p.value.shape) for p in net.parameters())
    given = "x".join("?" if n is None else str(n) for n in net.input_shape)  # the first box is the first output
    ax.set_title(title or f"{len(net.layers)} layers, {total:,} parameters, input {given}; boxes show each "
                 "layer's output shape", fontsize=10)
    return finish(fig, path, show=show)


def _box(i, colour):
    from matplotlib.patches import FancyBboxPatch
    return FancyBboxPatch((i, 0.2), 0.8, 0.6, boxstyle="round,pad=0.02", facecolor=colour, edgecolor="none")
