"""The pictures of a saved model: which ones fit it, and drawing them.

:func:`unfit` says why a picture does not fit a model (a regression has no confusion
matrix, an MLP no filters); :func:`draw_one` draws one; :func:`planned_pictures` and
:func:`save_model_plots` are every picture that fits (``nnscratch plot --what all`` and
``nnscratch train --plot DIR``). matplotlib is imported only when a picture is drawn.
"""
from __future__ import annotations

import os

IMAGES = 10  # inputs in the activation animation


def unfit(what, net, name="this model"):
    """Why picture ``what`` does not fit ``net`` (the one-line refusal), or None when it does."""
    from ..viz.filters import is_conv_model

    conv, image, classifier = is_conv_model(net), _takes_images(net), net.task != "regression"
    kind = ("a convolutional model" if conv else f"an MLP ({'-'.join(map(str, net.sizes))})" if net.is_mlp
            else "a model without Conv2D layers")
    if what in ("filters", "features") and not conv:
        drawn = "first-layer filters" if what == "filters" else "feature maps of one image"
        other = ("weights" if image else "architecture") if what == "filters" else \
            ("activations" if unfit("activations", net) is None else "architecture")  # never one refused too
        return f"--what {what} draws a convolutional model's {drawn}; {name} is {kind}: use --what {other}."
    if what == "weights" and not image:
        return (f"--what weights draws each first-layer unit's weights as an image; {name} takes {net.n_inputs} "
                "inputs, not an image: use --what architecture (its links are coloured by weight).")
    if what in ("confusion", "misclassified", "activations", "boundary") and not classifier:
        return (f"--what {what} needs a classification model; {name} is a regression model (it predicts "
                "values, not classes): use --what architecture.")
    if what in ("confusion", "misclassified", "activations", "boundary") and net.task == "multilabel":
        return (f"--what {what} draws one predicted class per sample; {name} is a multilabel model (it predicts a "
                f"row of {net.n_outputs} 0/1 labels per sample): use --what architecture, or score each label "
                "with sklearn.metrics.multilabel_confusion_matrix.")
    if what == "misclassified" and not image:
        return (f"--what misclassified draws the wrongly classified images; {name} takes {net.n_inputs} "
                "inputs, not an image: use --what confusion.")
    if what == "activations" and conv:
        return f"--what activations animates an MLP's layers; {name} is {kind}: use --what features."
    if what == "boundary" and net.n_inputs != 2:
        return (f"--what boundary draws class regions over 2 inputs; {name} takes {_inputs(net)}: "
                "use --what confusion.")
    return None


def _inputs(net):
    """What ``net`` takes, in words: ``784`` or ``images of any size (1x?x?)``."""
    if net.n_inputs is not None:
        return str(net.n_inputs)
    return f"images of any size ({'x'.join('?' if n is None else str(n) for n in net.input_shape)})"


def _takes_images(net):
    """A convolutional model, or an MLP on square images (never a table model)."""
    from .tables import is_table_model
    from ..viz._common import guess_image_shape
    from ..viz.filters import is_conv_model

    return is_conv_model(net) or (guess_image_shape(net.n_inputs) is not None and not is_table_model(net))


def draw_one(what, out, net, data=None, *, n_images=10, show=False):
    """Draw picture ``what`` of ``net`` (on ``data``'s test split) to ``out``; return ``out``."""
    from ..viz import plot_architecture, plot_confusion, plot_first_layer_weights, plot_misclassified

    from ..viz.filters import plot_feature_maps

    from .options import model_rows

    names = None if data is None else list(data.class_names) or None
    if what in ("weights", "filters"):  # a convolutional model's first layer is its filters
        plot_first_layer_weights(net, out, show=show)
    elif what == "features":
        plot_feature_maps(net, model_rows(net, data.X_test[:1])[0], out, show=show)
    elif what == "architecture":  # a convolutional model's as a diagram of its layers
        plot_architecture(net, out, show=show)
    elif what == "activations":
        _activations(net, data, out, n_images, names)
    elif what == "boundary":
        _boundary(net, data, out, show)
    else:
        pred, title = _on_the_test_set(net, data)
        if what == "confusion":
            plot_confusion(data.y_test, pred, out, labels=names, show=show, title=title)
        else:
            plot_misclassified(_as_read(net, data.X_test), data.y_test, pred, out, class_names=names, show=show,
                               image_shape=_image_shape(net))
    return out


def _on_the_test_set(net, data, what=""):
    """``(the predicted classes of data's test split, "<data> test set: <what>accuracy A% on N samples")``."""
    import numpy as np

    from .options import model_rows

    pred = net.backend.to_numpy(net.predict(model_rows(net, data.X_test))).reshape(-1)
    acc, n = 100 * float(np.mean(pred == data.y_test.reshape(-1))), len(data.y_test)
    return pred, f"{data.name} test set: {what}accuracy {acc:.1f}% on {n} sample{'s' * (n != 1)}"


def _image_shape(net):
    """The ``(C, H, W)`` of a CNN's images (its first ``Reshape``'s, or its input shape), else "auto"."""
    from ..models.spec import leading_images
    shape = leading_images(net.layers) or tuple(net.input_shape)
    return shape if len(shape) == 3 and None not in shape else "auto"


def _activations(net, data, out, n_images, names):
    """The activation animation of the first ``n_images`` test inputs; a table's inputs as bars named after its
    columns, their length what the network is fed (standardised, where it was trained so, not the columns' units)."""
    from ..saving.standardizer import Standardizer
    from ..viz import animate_activations

    standardised = Standardizer.from_metadata(net.metadata) is not None
    animate_activations(net, data.X_test, out, y=data.y_test, n_images=n_images, class_names=names,
                        feature_names=getattr(data, "feature_names", None) or None,
                        input_label="standardised value fed to the network" if standardised else None,
                        image_shape="auto" if _takes_images(net) else None)  # 9 or 16 columns: bars


def _as_read(net, X):
    """Rows as the model sees them (``as_the_model_sees``) as they were read, for a picture: a standardised table's
    scaling undone (a digit's pixels, not their z-scores; a column's own units on an axis)."""
    from ..saving.standardizer import Standardizer

    scaler = Standardizer.from_metadata(net.metadata)
    if scaler is None:
        return X
    return (scaler.mean + X.reshape(len(X), -1).astype("float64") * scaler.std).reshape(X.shape)


def _boundary(net, data, out, show):
    """The class regions of a 2-input classifier; a table model's on the table's own axes (its rows
    as read, standardised for the network), named after its columns and classes."""
    from ..saving.standardizer import Standardizer
    from ..viz import plot_decision_boundary

    scaler = Standardizer.from_metadata(net.metadata)
    plot_decision_boundary(net, _as_read(net, data.X_test), data.y_test, out,
                           transform=None if scaler is None else scaler.transform,
                           feature_names=getattr(data, "feature_names", None) or None,
                           class_names=list(data.class_names) or None, show=show,
                           title=_on_the_test_set(net, data, "decision regions, ")[1])  # which points: the test split


def planned_pictures(net, data=None, history=False):
    """The file names :func:`save_model_plots` writes for this model and data (and a history):
    every picture that fits (:func:`unfit`), less the activation animation of a model on non-images."""
    from ..viz.filters import is_conv_model

    conv = is_conv_model(net)
    wanted = ["architecture", "filters" if conv else "weights"]
    if data is not None:
        wanted += ["confusion", "features" if conv else "activations", "misclassified", "boundary"]
    wanted = [w for w in wanted if unfit(w, net) is None and (w != "activations" or _takes_images(net))]
    return (["curves.png"] if history else []) + [w + (".gif" if w == "activations" else ".png") for w in wanted]


def save_model_plots(outdir, net, data=None, history=None, n_images=IMAGES):
    """Every picture that fits this model and data into ``outdir``; returns the paths.

    This is what ``nnscratch train --plot DIR`` calls after training.
    """
    saved = []
    for name in planned_pictures(net, data, history is not None):
        saved.append(os.path.join(outdir, name))
        if name == "curves.png":
            from ..viz.curves import plot_history
            plot_history(history, saved[-1])
        else:
            draw_one(os.path.splitext(name)[0], saved[-1], net, data, n_images=n_images)
    return saved


def refuse_mp4_without_ffmpeg(option, path):
    """A ConfigError, before any work, where ``path`` (given as ``option``) is an ``.mp4`` and no ffmpeg writes it."""
    if not path.lower().endswith(".mp4"):
        return
    from ..errors import ConfigError
    from ..viz._anim import can_write_mp4
    if not can_write_mp4():
        raise ConfigError(f"{option} {path}: writing an MP4 needs the ffmpeg program, which was not found (e.g. "
                          f"apt-get install ffmpeg); or save a GIF: {option} {os.path.splitext(path)[0]}.gif.")
