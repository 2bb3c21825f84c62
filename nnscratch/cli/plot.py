"""``nnscratch plot``: pictures of a saved run (history.json) or model (model.npz).

``register(subparsers)`` adds the subcommand; nothing here imports matplotlib
until a picture is drawn, so the command line starts fast without it.
"""
from __future__ import annotations

import json
import os

from . import outputs
from ..errors import ConfigError

IMAGES = 10  # inputs in the activation animation
WHAT = ("architecture", "confusion", "weights", "activations", "misclassified", "boundary",
        "filters", "features", "all")
STILL = (".png", ".svg", ".pdf", ".jpg", ".jpeg", ".webp")  # what --out saves a picture as
MOVING = (".gif", ".mp4")  # ... and the activation animation


def register(subparsers):
    from . import values
    from .options import add_backend_options, add_dataset_options
    from .tables import add_table_options

    p = subparsers.add_parser(
        "plot", help="draw training curves, confusion matrix, architecture ... to image files",
        description="Draw pictures of a saved run: `nnscratch plot history.json` draws the "
        "training curves; `nnscratch plot model.npz --what confusion --dataset mnist-sample` "
        "draws a picture of a saved model on a dataset.")
    p.add_argument("path", help="a history.json (from `nnscratch train --history`) or a model.npz")
    p.add_argument("--what", choices=WHAT, default="architecture",
                   help="picture of a model (default architecture; all: every one that fits)")
    p.add_argument("--out", metavar="PATH", help="output file (or folder for --what all; a missing folder is "
                   "created); default: next to PATH, named after it")
    p.add_argument("--force", action="store_true", help="replace pictures already at --out (never a file of "
                   "another kind)")
    p.add_argument("--images", type=values.POSITIVE_INT, default=None, metavar="N",
                   help=f"inputs in the activation animation (default {IMAGES})")
    p.add_argument("--show", action="store_true", help="also open a window")
    add_dataset_options(p, from_model=True)
    add_table_options(p, from_model=True)
    add_backend_options(p, from_model=True)
    p.set_defaults(func=run)


def run(args):
    from ..viz._common import require_matplotlib

    require_matplotlib()
    if args.path.lower().endswith(".json") or outputs.KINDS["history"][1](args.path):  # any name --history wrote
        _refuse_model_options(args)
        _check_show(args)
        history = _history(args.path)
        from ..viz.curves import plot_history
        out = args.out or _default_out(args.path, "curves", ".png")
        outputs.make_folders(_check_outputs([outputs.Output("--out", out, "picture")], args, STILL))
        plot_history(history, out, title=os.path.basename(args.path), show=args.show)
        print(f"saved {out}")
        return 0
    _check_show(args)
    from ..models.network import Network

    net = Network.load(args.path, backend=args.backend, dtype=args.dtype)
    if args.images is not None and args.what not in ("activations", "all"):
        raise ConfigError(f"--images sets the inputs of the activation animation; --what {args.what} draws none "
                          "(use --what activations, or drop --images).")
    if args.what == "all":
        data = _data(args, net, required=False)
        outdir = args.out or os.path.splitext(args.path)[0] + "_plots"
        planned = [outputs.Output("--out", outdir, "picture", folder=True)]
        planned += [outputs.Output("--out", os.path.join(outdir, name), "picture")
                    for name in planned_pictures(net, data)]
        outputs.make_folders(_check_outputs(planned, args))
        for saved in save_model_plots(outdir, net, data, n_images=args.images or IMAGES):
            print(f"saved {saved}")
        return 0
    reason = unfit(args.what, net, os.path.basename(args.path))
    if reason:
        raise ConfigError(reason)
    suffix = ".gif" if args.what == "activations" else ".png"
    out = args.out or _default_out(args.path, args.what, suffix)
    alone = args.what in ("architecture", "weights", "filters")
    if alone:
        _refuse_data_options(args)
    folders = _check_outputs([outputs.Output("--out", out, "picture")], args,
                             MOVING if args.what == "activations" else STILL)
    data = None if alone else _data(args, net)
    outputs.make_folders(folders)
    print(f"saved {draw_one(args.what, out, net, data, n_images=args.images or IMAGES, show=args.show)}")
    return 0


def _check_show(args):
    """``--show`` opens one still picture in a window: refused where it cannot (as ``train --show`` is)."""
    from ..viz._common import has_display

    if args.show and args.what in ("all", "activations"):
        raise ConfigError(f"--show opens one picture in a window; --what {args.what} saves "
                          f"{'an animation' if args.what == 'activations' else 'several pictures to a folder'}, "
                          "which it cannot show: drop --show and open the saved file.")
    if args.show and not has_display():
        raise ConfigError("--show needs a display to open a window and none was found (DISPLAY and "
                          "WAYLAND_DISPLAY are not set); drop --show: the picture is saved to --out all the same.")


def _check_outputs(planned, args, suffixes=None):
    """Refuse what must not be written (:func:`outputs.check`), then an ``--out`` file whose extension is not
    among ``suffixes`` (a still picture's ``STILL`` or the animation's ``MOVING``); return the folders to create."""
    folders = outputs.check(planned, args.force, inputs=[("PATH", args.path)])
    out = planned[0].path
    if suffixes and os.path.splitext(out)[1].lower() not in suffixes:
        names = [s for s in suffixes if s != ".jpeg"]
        drawn = "the animation" if suffixes == MOVING else "a picture"
        raise ConfigError(f"--out {out}: {drawn} is saved as a {', '.join(names[:-1])} or {names[-1]} file; "
                          f"received {os.path.splitext(out)[1] or 'no extension'} "
                          f"(e.g. --out {os.path.splitext(out)[0]}{suffixes[0]}).")
    return folders


def _history(path):
    """The dict of a history.json, or a ConfigError saying what ``path`` is instead."""
    from ..viz.curves import history_dict

    fix = "give the history.json that `nnscratch train --history PATH` wrote"
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: no such file (the current directory is {os.getcwd()}); {fix}.")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ConfigError(f"{path} is not valid JSON ({exc}); {fix}.") from None
    try:
        curves = history_dict(data) if isinstance(data, dict) else {}
    except (TypeError, ValueError):  # values that are not numbers
        curves = {}
    if not {"loss", "accuracy"} & set(curves):
        raise ConfigError(f"{path} is not a training history: it holds no loss or accuracy per epoch "
                          f"(expected {{\"history\": {{\"loss\": [...], ...}}}}); {fix}.")
    return data


def _refuse_model_options(args):
    """A history draws the training curves; options about a model or its data have nothing to do."""
    given = [flag for flag, on in (("--what", args.what != "architecture"), ("--images", args.images is not None),
                                   ("--backend", args.backend is not None), ("--dtype", args.dtype is not None),
                                   *_data_flags(args)) if on]
    if given:
        many = len(given) > 1
        raise ConfigError(f"{args.path} is a training history: it draws the curves, and {', '.join(given)} "
                          f"appl{'y' if many else 'ies'} to a model (.npz); drop {'them' if many else 'it'}.")


def _refuse_data_options(args):
    given = [flag for flag, on in _data_flags(args) if on]
    if given:
        flags = " and ".join([", ".join(given[:-1]), given[-1]] if len(given) > 1 else given)
        raise ConfigError(f"--what {args.what} draws the model alone; {flags} "
                          f"{'choose' if len(given) > 1 else 'chooses'} data that --what {args.what} does not use; "
                          f"drop {'them' if len(given) > 1 else 'it'}.")


def _data_flags(args):
    return [(flag, getattr(args, key, None) is not None) for flag, key in
            (("--dataset", "dataset"), ("--data-dir", "data_dir"), ("--seed", "seed"), ("--target", "target"),
             ("--task", "task"), ("--test-fraction", "test_fraction"))]


def _default_out(path, what, suffix):
    return f"{os.path.splitext(path)[0]}_{what}{suffix}"


def _data(args, net, required=True):
    from .options import fits, load_data, model_dataset, sample_shape
    from ..errors import ConfigError

    if args.dataset is None and not (getattr(net, "metadata", None) or {}).get("dataset"):
        if sample_shape(net, 784) is None:  # not a digit model: which data is unknown
            if not required:
                return None
            raise ConfigError(f"this model takes {net.n_inputs} inputs: name its dataset "
                              "with --dataset (xor, spirals, moons, blobs, csv:PATH ...).")
    from . import tables
    model_dataset(args, net)
    data = tables.in_model_order(net, load_data(args))
    fits(net, data, args.path)
    return tables.as_the_model_sees(net, data)  # a table model's pictures see the rows as it was trained on


def unfit(what, net, name="this model"):
    """Why picture ``what`` does not fit ``net`` (the one-line refusal), or None when it does."""
    from ..viz.filters import is_conv_model

    conv, image, classifier = is_conv_model(net), _takes_images(net), net.task != "regression"
    kind = ("a convolutional model" if conv else f"an MLP ({'-'.join(map(str, net.sizes))})" if net.is_mlp
            else "a model without Conv2D layers")
    if what in ("filters", "features") and not conv:
        drawn = "first-layer filters" if what == "filters" else "feature maps of one image"
        other = ("weights" if image else "architecture") if what == "filters" else \
            ("activations" if classifier else "architecture")
        return f"--what {what} draws a convolutional model's {drawn}; {name} is {kind}: use --what {other}."
    if what == "weights" and not image:
        return (f"--what weights draws each first-layer unit's weights as an image; {name} takes {net.n_inputs} "
                "inputs, not an image: use --what architecture (its links are coloured by weight).")
    if what in ("confusion", "misclassified", "activations", "boundary") and not classifier:
        return (f"--what {what} needs a classification model; {name} is a regression model (it predicts "
                "values, not classes): use --what architecture.")
    if what == "misclassified" and not image:
        return (f"--what misclassified draws the wrongly classified images; {name} takes {net.n_inputs} "
                "inputs, not an image: use --what confusion.")
    if what == "activations" and conv:
        return f"--what activations animates an MLP's layers; {name} is {kind}: use --what features."
    if what == "boundary" and net.n_inputs != 2:
        return (f"--what boundary draws class regions over 2 inputs; {name} takes {net.n_inputs}: "
                "use --what confusion.")
    return None


def _takes_images(net):
    """A convolutional model, or an MLP on square images (never a table model)."""
    from .tables import is_table_model
    from ..viz._common import guess_image_shape
    from ..viz.filters import is_conv_model

    return is_conv_model(net) or (guess_image_shape(net.n_inputs) is not None and not is_table_model(net))


def draw_one(what, out, net, data=None, *, n_images=10, show=False):
    """Draw picture ``what`` of ``net`` (on ``data``'s test split) to ``out``; return ``out``."""
    from ..viz import animate_activations, plot_architecture, plot_confusion, plot_first_layer_weights, plot_misclassified

    from ..viz.filters import is_conv_model, plot_conv_filters, plot_feature_maps, plot_layer_diagram

    import numpy as np

    from .options import model_rows

    names = None if data is None else list(data.class_names) or None
    if what == "architecture" and is_conv_model(net):
        plot_layer_diagram(net, out, show=show)
    elif what in ("weights", "filters"):
        (plot_conv_filters if is_conv_model(net) else plot_first_layer_weights)(net, out, show=show)
    elif what == "features":
        plot_feature_maps(net, model_rows(net, data.X_test[:1])[0], out, show=show)
    elif what == "architecture":
        plot_architecture(net, out, show=show)
    elif what == "activations":
        animate_activations(net, data.X_test, out, y=data.y_test, n_images=n_images, class_names=names,
                            feature_names=getattr(data, "feature_names", None) or None)
    elif what == "boundary":
        _boundary(net, data, out, show)
    else:
        pred = net.backend.to_numpy(net.predict(model_rows(net, data.X_test)))
        if what == "confusion":
            acc = f"accuracy {100 * float(np.mean(pred.reshape(-1) == data.y_test.reshape(-1))):.1f}%"
            plot_confusion(data.y_test, pred, out, labels=names, show=show,
                           title=f"{data.name} test set: {acc} on {len(data.y_test)} samples")
        else:
            plot_misclassified(data.X_test, data.y_test, pred, out, class_names=names, show=show)
    return out


def _boundary(net, data, out, show):
    """The class regions of a 2-input classifier; a table model's on the table's own axes (its rows
    as read, standardised for the network), named after its columns and classes."""
    from ..saving.standardizer import Standardizer
    from ..viz import plot_decision_boundary

    X, scaler = data.X_test, Standardizer.from_metadata(net.metadata)
    if scaler is not None:  # data holds the rows as the model sees them: undo the scaling for the axes
        X = scaler.mean + X.astype("float64") * scaler.std
    plot_decision_boundary(net, X, data.y_test, out, transform=None if scaler is None else scaler.transform,
                           feature_names=getattr(data, "feature_names", None) or None,
                           class_names=list(data.class_names) or None, show=show)


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
