"""How a classifier errs: confusion matrix and the misclassified examples."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._common import (check_class_names, colour_picture, finish, guess_image_shape, new_figure, per_class,
                      titled_layout, to_host)
from ._labels import class_indices
from .._typing import Array, PathLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def confusion_matrix(y_true: Array, y_pred: Array, n_classes: int | None = None) -> np.ndarray:
    """Counts ``cm[i, j]`` of samples of true class ``i`` predicted as ``j``.

    The labels are class indices ``0 .. n_classes - 1``; anything else (a regression's values, a
    negative or fractional number, a class past ``n_classes``) is a ValueError, never a wrong count.

    Parameters
    ----------
    y_true : array of int, (n,)
        The true class of each sample, ``0 .. n_classes - 1``.
    y_pred : array of int, (n,)
        The predicted class of each sample.
    n_classes : int, optional
        Rows and columns of the matrix; default: the largest label + 1.
    """
    y_true, y_pred = class_indices(y_true, "y_true"), class_indices(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length; "
                         f"received {y_true.shape[0]} and {y_pred.shape[0]}.")
    top = int(max(y_true.max(initial=0), y_pred.max(initial=0)))
    n = n_classes or top + 1
    if top >= n:
        raise ValueError(f"a confusion matrix of {n} classes (labels 0 to {n - 1}) received label {top}; "
                         "give a label (a name) for every class, or leave them out.")
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _counts(matrix, n_labels):
    """A ready count matrix, square, of one row per label where labels are given; else a ValueError."""
    cm = to_host(matrix)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != (n_labels or cm.shape[0]):
        names = f" and {n_labels} labels" if n_labels else ""
        raise ValueError(f"plot_confusion takes labels y_true, y_pred, or a square count matrix (a row and a column "
                         f"per class) as y_true; received a matrix of shape {cm.shape}{names}: give one label per "
                         "class, or the labels and predictions themselves.")
    return cm


def _matrix(ax, fig, values, fmt, title, cmap, labels):
    n = values.shape[0]
    im = ax.imshow(values, cmap=cmap, vmin=0)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    top = values.max() or 1
    size = 9 if n <= 10 else 7 if n <= 15 else 0
    for i in range(n if size else 0):
        for j in range(n):
            ax.text(j, i, fmt(values[i, j]), ha="center", va="center", fontsize=size,
                    color="white" if values[i, j] > 0.55 * top else "black")
    crowded = n > 20 or n * max(len(str(name)) for name in labels) > 40  # labels that would run together
    ax.set_xticks(range(n), labels, rotation=45 if crowded else 0, ha="right" if crowded else "center",
                  rotation_mode="anchor", fontsize=None if n <= 20 else 8)
    ax.set_yticks(range(n), labels, fontsize=None if n <= 20 else 8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)


def plot_confusion(y_true: Array, y_pred: Array | None = None, path: PathLike | None = None, *,
                   labels: Sequence[str] | None = None, title: str | None = None,
                   figsize: tuple[float, float] | None = None, show: bool = False) -> Figure:
    """Confusion matrix as counts (left) and row-normalised recall (right).

    Pass ``y_true, y_pred`` label arrays, or a ready count matrix as ``y_true``. With ``labels`` the
    matrix has a row and a column per label, also for classes that none of the samples are or got.
    ``figsize`` defaults to 13 x 5.6 inches, larger for more than 18 classes.

    Parameters
    ----------
    y_true : array, (n,) or (n_classes, n_classes)
        The true class of each sample, or a count matrix ready made.
    y_pred : array, (n,), optional
        The predicted class of each sample (not needed with a count matrix).
    path : str or Path, optional
        Where to save the picture (its suffix, ``.png``, ``.svg`` or ``.pdf``, picks the format); None: not saved.
    labels : sequence of str, optional
        One name per class, in class order; default: the class numbers.
    title : str, optional
        Text above the plots; default: the accuracy and the number of samples.
    figsize : (float, float), optional
        Width and height in inches; default: 13 x 5.6, larger for more than 18 classes.
    show : bool, default False
        Also open it in a window (needs a display); the figure is returned either way.
    """
    n = len(labels) if labels else None  # rows of one class, of a model that knows three: 3 x 3
    cm = confusion_matrix(y_true, y_pred, n) if y_pred is not None else _counts(y_true, n)
    rows = cm.sum(axis=1, keepdims=True)
    norm = 100.0 * cm / np.maximum(rows, 1)
    labels = labels or [str(i) for i in range(cm.shape[0])]
    grow = max(1.0, cm.shape[0] / 18)  # a cell stays at least a quarter inch, room for its tick label
    fig = new_figure(figsize or (13 * grow, 5.6 * grow), show=show)
    ax1, ax2 = fig.subplots(1, 2)
    _matrix(ax1, fig, cm, lambda v: f"{v:d}", "counts", "Blues", labels)
    _matrix(ax2, fig, norm, lambda v: "" if v == 0 else "<1" if v < 1 else ">99" if 99 < v < 100 else f"{v:.0f}",
            "row-normalised (% of each true class)", "Blues", labels)
    acc = np.trace(cm) / max(cm.sum(), 1)
    titled_layout(fig, title or f"accuracy {100 * acc:.1f}% on {cm.sum()} samples", 13)
    return finish(fig, path, show=show)


def plot_misclassified(X: Array, y_true: Array, y_pred: Array, path: PathLike | None = None, *,
                       proba: Array | None = None, image_shape: tuple[int, ...] | str | None = "auto",
                       class_names: Sequence[str] | None = None, max_images: int = 24, cols: int = 8,
                       title: str | None = None, show: bool = False) -> Figure:
    """Up to ``max_images`` wrongly classified inputs, each titled predicted/true (by ``class_names``
    where given). With ``proba`` (n, classes) the most confident mistakes come first.
    A binary model's ``proba`` may be its one column of P(class 1).
    ``image_shape``: ``(h, w)`` or ``(C, H, W)`` (three channels drawn in colour, others by their first).

    Parameters
    ----------
    X : array, (n, n_features) or (n, C, H, W)
        The inputs, host or device arrays.
    y_true : array of int, (n,)
        Their true classes.
    y_pred : array of int, (n,)
        The predicted classes.
    path : str or Path, optional
        Where to save the picture (its suffix, ``.png``, ``.svg`` or ``.pdf``, picks the format); None: not saved.
    proba : array, (n, n_classes) or (n,), optional
        Predicted probabilities: the most confident mistakes are drawn first; default: in data order.
    image_shape : (h, w), (C, H, W), "auto" or None, default "auto"
        How to draw a row as an image; "auto" guesses square images (784 pixels: 28 x 28).
    class_names : sequence of str, optional
        One name per class for the tiles' titles; default: the class numbers.
    max_images : int, default 24
        Mistakes drawn at most.
    cols : int, default 8
        Tiles per row.
    title : str, optional
        Text above the tiles; default: how many of how many are misclassified.
    show : bool, default False
        Also open it in a window (needs a display); the figure is returned either way.
    """
    X, y_true, y_pred = to_host(X), _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if not len(X) == len(y_true) == len(y_pred):
        raise ValueError(f"plot_misclassified takes one true and one predicted class per input; received {len(X)} "
                         f"inputs, {len(y_true)} true and {len(y_pred)} predicted classes: pass the same samples' "
                         "X, y_true and network.predict(X).")
    proba = None if proba is None else per_class(to_host(proba))  # a binary model's P(class 1): both columns
    if class_names:
        check_class_names(class_names, int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1)
    if image_shape == "auto":
        X, image_shape = _auto_shape(X)
    wrong = np.flatnonzero(y_true != y_pred)
    if proba is not None:  # the most confident mistakes first
        wrong = wrong[np.argsort(-proba[wrong].max(axis=1), kind="stable")]
    wrong = wrong[:max_images]
    cols = max(1, min(cols, len(wrong)))
    rows = max(1, math.ceil(len(wrong) / cols))
    fig = new_figure((1.5 * cols + 0.4, 1.9 * rows + 0.6), show=show)  # a tile: its image, two lines of title
    axes = np.atleast_1d(fig.subplots(rows, cols)).reshape(-1)
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, wrong):
        picture, options = _picture(X[i], image_shape)
        ax.imshow(picture, **options)
        conf = "" if proba is None else f" {100 * proba[i].max():.0f}%"
        name = (lambda c: class_names[int(c)]) if class_names else (lambda c: c)
        ax.set_title(f"pred {name(y_pred[i])}{conf}\ntrue {name(y_true[i])}", fontsize=9,
                     color="#c92a2a")
    if len(wrong) == 0:
        axes[0].text(0.5, 0.5, "no mistakes", ha="center", va="center", fontsize=14)
    n_wrong = np.count_nonzero(y_true != y_pred)
    shown = "" if len(wrong) == n_wrong else \
        f" ({'the most confident ' if proba is not None else 'the first '}{len(wrong)} shown)"
    titled_layout(fig, title or f"{n_wrong} of {len(y_true)} misclassified{shown}", 12)
    return finish(fig, path, show=show)


def _labels(labels, name):
    """One class per sample for the tiles' titles: names (strings) as given, else class indices
    (a regression's values, or a multilabel model's rows of 0/1, are a ValueError)."""
    values = to_host(labels)
    if values.dtype.kind in "USO" and values.ndim == 1:
        return values
    return class_indices(values, name, "plot_misclassified takes")


def _auto_shape(X):
    """``(X, the picture shape of its samples)``: images ``(n, C, H, W)`` or ``(n, H, W)`` as they are (channels-last
    ``(n, H, W, 3)`` as ``(3, H, W)``, the order :func:`_picture` reads), a flat square as ``(side, side)``,
    other rows as a strip ``(1, n_features)``."""
    if X.ndim == 4 and X.shape[-1] in (1, 3) and X.shape[1] not in (1, 3):
        return np.moveaxis(X, -1, 1), (X.shape[-1], *X.shape[1:3])
    if X.ndim > 2:
        return X, X.shape[1:]
    return X, guess_image_shape(X.shape[1]) or (1, X.shape[1])


def _picture(x, image_shape):
    """``(picture, imshow options)`` of one flat input: grey levels of ``(h, w)`` or one channel, or the
    colours of a 3-channel ``(C, H, W)`` image scaled to [0, 1]."""
    image = np.asarray(x).reshape(image_shape)
    if image.ndim == 3 and image.shape[0] == 3:
        return colour_picture(image), {}
    image = image[0] if image.ndim == 3 else image
    return image, {"cmap": "gray_r", "vmin": 0, "vmax": max(1.0, float(image.max()))}
