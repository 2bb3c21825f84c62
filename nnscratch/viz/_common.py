"""Shared plumbing for the plots: lazy matplotlib, figures, saving, host copies.

Every picture is drawn on a :class:`matplotlib.figure.Figure` that is *not*
registered with pyplot, so plotting never changes the user's matplotlib
backend and never needs a display.  Only ``show=True`` goes through pyplot.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable

import numpy as np

from .._typing import PathLike
from ..errors import ConfigError

DEFAULT_DPI = 100
POSITIVE = "#2b6cb0"   # blue: positive weight
NEGATIVE = "#d9480f"   # orange-red: negative weight
UP = "#2f9e44"         # green: weight went up since the last frame
DOWN = "#e03131"       # red: weight went down since the last frame


def require_matplotlib():
    """Import matplotlib or say how to install it."""
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "nnscratch.viz needs matplotlib, which is not installed. "
            "Install the plotting extra: pip install 'nnscratch[viz]'"
        ) from exc
    return matplotlib


def new_figure(figsize=(8, 5), *, show=False, dpi=DEFAULT_DPI):
    """A fresh Figure: a pyplot one when it will be shown, a headless one otherwise."""
    require_matplotlib()
    if show:
        import matplotlib.pyplot as plt
        return plt.figure(figsize=figsize, dpi=dpi)
    from matplotlib.figure import Figure
    return Figure(figsize=figsize, dpi=dpi)


def finish(fig, path=None, *, show=False):
    """Save ``fig`` to ``path`` (if given) at its own size, and show it if asked.

    Returns the figure so notebooks can display it.
    """
    if path is not None:
        from ..saving.serialize import atomic_write

        path = picture_path(path)
        kind = os.path.splitext(path)[1][1:].lower() or None  # what matplotlib would read from the name
        atomic_write(path, lambda f: fig.savefig(f, format=kind, dpi=fig.dpi, facecolor="white"))  # all or nothing
    if show:
        import matplotlib.pyplot as plt
        plt.show()
    return fig


def titled_layout(fig, title, fontsize):
    """``fig.suptitle(title)`` in a band of its own along the top, the panels laid out below it:
    ``tight_layout`` alone lets a tall figure's title (100 classes, 200 images) run into its top panels."""
    inches = fig.get_figheight()
    fig.suptitle(title, fontsize=fontsize, y=1 - 0.08 / inches, va="top").set_in_layout(False)  # placed here
    band = 0.2 + 1.25 * fontsize / 72 * (1 + str(title).count("\n"))  # its margin and lines, in inches
    fig.tight_layout(rect=(0, 0, 1, 1 - band / inches))


def picture_path(path):
    """``path`` as a string, its folder created; a ConfigError where a file there is not a
    picture (nnscratch replaces a file only with one of the same kind, see :mod:`nnscratch.saving.kinds`)."""
    from ..saving.kinds import refuse_foreign

    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    refuse_foreign(path, "picture")
    return path


def check_picture_paths(paths: Iterable[PathLike], *, parser: argparse.ArgumentParser | None = None) -> None:
    """Check, before any training, that a picture can be written at each of ``paths``: matplotlib
    is installed, no file there is other than a picture, no folder on the way is a file. A
    ConfigError (ImportError without matplotlib) otherwise; given an ``argparse`` ``parser`` (a
    script's), one line on stderr and exit status 2 instead of a traceback.

    Parameters
    ----------
    paths : iterable of str or Path
        The pictures about to be written, e.g. the ``--plot`` and ``--confusion`` files.
    parser : argparse.ArgumentParser, optional
        A script's parser: a problem is then its one-line error and exit status 2.
    """
    try:
        require_matplotlib()
        for path in paths:
            _check_picture_path(os.fspath(path))
    except (ImportError, ConfigError) as exc:
        if parser is None:
            raise
        known = {o for action in parser._actions for o in action.option_strings}
        elsewhere = () if isinstance(exc, ImportError) else (("--out", "--out DIR draws them elsewhere"),)
        ways = [way for flag, way in (*elsewhere, ("--no-plots", "--no-plots draws none")) if flag in known]
        hint = f" ({', '.join(ways)})" if ways else ""
        parser.exit(2, f"{parser.prog}: {' '.join(str(exc).split()).rstrip('.')}{hint}.\n")


def _check_picture_path(path):
    from ..saving.kinds import refuse_foreign

    folder = os.path.dirname(os.path.abspath(path))
    above = folder
    while not os.path.lexists(above):  # the nearest part of the path that exists
        above = os.path.dirname(above)
    if not os.path.isdir(above):
        raise ConfigError(f"Cannot write {path!r}: {above!r} is a file, not a folder; choose another "
                          "folder for the pictures (e.g. --out nnscratch-pictures) or move that file away.")
    if above == folder:
        refuse_foreign(path, "picture")


def figure_to_rgb(fig):
    """Render a figure to an ``(height, width, 3)`` uint8 array (one animation frame)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def has_display():
    """True where a matplotlib window can open: Windows, macOS, or a set DISPLAY/WAYLAND_DISPLAY."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def to_host(array, network=None):
    """A NumPy copy of ``array``, through the owning backend's ``to_numpy``."""
    if network is not None:
        return np.array(network.backend.to_numpy(array), copy=True)
    if isinstance(array, np.ndarray):
        return array
    if isinstance(array, (list, tuple, int, float)):
        return np.asarray(array)
    from .. import backend_of
    return np.asarray(backend_of(array).to_numpy(array))


def class_proba(network, X):
    """Host copy of ``network.predict_proba(X)`` with a column per class: a one-unit
    (binary) output ``p`` becomes ``[1 - p, p]``."""
    return per_class(to_host(network.predict_proba(X), network))


def per_class(proba):
    """Probabilities with a column per class: a binary model's one column (or 1-D array) of
    ``p`` = P(class 1) becomes ``[1 - p, p]``, so a row's largest value is the predicted class's."""
    proba = np.asarray(proba)
    proba = proba.reshape(-1, 1) if proba.ndim == 1 else proba
    return np.column_stack([1 - proba[:, 0], proba[:, 0]]) if proba.shape[1] == 1 else proba


def require_classifier(network, picture, instead):
    """A ValueError where ``network`` does not predict one class per sample: ``picture`` would draw a
    regression's outputs, or a multilabel model's independent labels, as the votes for one class. ``instead``
    names a picture that fits it."""
    task = getattr(network, "task", None)
    if task == "regression":
        raise ValueError(f"{picture} needs a classifier; this network is a regression (it predicts values, "
                         f"not classes): use {instead}.")
    if task == "multilabel":
        raise ValueError(f"{picture} draws one predicted class per sample; this network is multilabel (it predicts "
                         f"a row of 0/1 labels per sample, any number of them 1): use {instead}.")


def check_class_names(class_names, n_classes):
    """A ValueError unless ``class_names`` (if given) names each of ``n_classes`` classes."""
    if class_names is not None and len(class_names) < n_classes:
        raise ValueError(f"class_names names {len(class_names)} classes ({', '.join(map(str, class_names))}), and "
                         f"there are {n_classes} (labels 0 to {n_classes - 1}): give one name per class.")


def guess_image_shape(n_features):
    """``(h, w)`` for a square image input, else None."""
    side = int(round(n_features ** 0.5))
    return (side, side) if side * side == n_features and side > 2 else None


def colour_picture(image):
    """A ``(3, H, W)`` image as ``(H, W, 3)`` colours scaled to [0, 1] for ``imshow``."""
    image = np.asarray(image, dtype=np.float64)
    low, high = float(image.min()), float(image.max())
    return np.moveaxis((image - low) / ((high - low) or 1.0), 0, -1)


def is_network(obj):
    """True for an nnscratch Network (duck-typed, so viz needs no core import)."""
    return hasattr(obj, "parameters") and hasattr(obj, "backend") and hasattr(obj, "layers")


def dense_weights(network):
    """Host copies of every Dense weight matrix, shape ``(n_in, n_out)`` each (not BatchNorm's
    scale, whose parameter is named "weight" too)."""
    return [to_host(layer.weight.value, network) for layer in network.dense_layers]


_PRETTY = {"LeakyReLU": "leaky relu", "ReLU": "relu", "Identity": "linear"}


def dense_blocks(network):
    """``(first, last)`` layer indices of each Dense layer's block: the Dense and what follows it up to
    the next Dense (its BatchNorm, activation, Dropout); the block's output is layer ``last``'s."""
    layers = list(network.layers)
    starts = [i for i, layer in enumerate(layers) if type(layer).__name__ == "Dense"]
    return [(a, b - 1) for a, b in zip(starts, starts[1:] + [len(layers)])]


def activation_names(network):
    """Name of what follows each Dense layer (``"relu"``, ``"softmax"``, ``"batchnorm+relu"``;
    ``"linear"`` for nothing), its Dropout left out: it does nothing to a trained network's output."""
    layers, names = list(network.layers), []
    for first, last in dense_blocks(network):
        after = [type(layer).__name__ for layer in layers[first + 1:last + 1]]
        after = [_PRETTY.get(name, name.lower()) for name in after if name != "Dropout"]
        names.append("+".join(after) or "linear")
    return names
