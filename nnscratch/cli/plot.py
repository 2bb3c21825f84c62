"""``nnscratch plot``: pictures of a saved run (history.json) or model (model.npz).

``register(subparsers)`` adds the subcommand; nothing here imports matplotlib
until a picture is drawn, so the command line starts fast without it.
"""
from __future__ import annotations

import os

from . import outputs
from ..errors import ConfigError

IMAGES = 10  # inputs in the activation animation
WHAT = ("architecture", "confusion", "weights", "activations", "misclassified", "boundary",
        "filters", "features", "all")


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
        from ..viz.curves import plot_history
        out = args.out or _default_out(args.path, "curves", ".png")
        _prepare([outputs.Output("--out", out, "picture")], args)
        plot_history(args.path, out, title=os.path.basename(args.path), show=args.show)
        print(f"saved {out}")
        return 0
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
        _prepare(planned, args)
        for saved in save_model_plots(outdir, net, data, n_images=args.images or IMAGES):
            print(f"saved {saved}")
        return 0
    suffix = ".gif" if args.what == "activations" else ".png"
    out = args.out or _default_out(args.path, args.what, suffix)
    if args.what in ("architecture", "weights", "filters"):
        _refuse_data_options(args)
        data = None
    else:
        data = _data(args, net)
    _prepare([outputs.Output("--out", out, "picture")], args)
    print(f"saved {draw_one(args.what, out, net, data, n_images=args.images or IMAGES, show=args.show)}")
    return 0


def _prepare(planned, args):
    outputs.prepare(planned, args.force, inputs=[("PATH", args.path)])


def _refuse_model_options(args):
    """A history draws the training curves; options about a model or its data have nothing to do."""
    given = [flag for flag, on in (("--what", args.what != "architecture"), ("--images", args.images is not None),
                                   ("--backend", args.backend is not None), ("--dtype", args.dtype is not None),
                                   *_data_flags(args)) if on]
    if given:
        raise ConfigError(f"{args.path} is a training history: it draws the curves, and {', '.join(given)} "
                          "apply to a model (.npz); drop them.")


def _refuse_data_options(args):
    given = [flag for flag, on in _data_flags(args) if on]
    if given:
        raise ConfigError(f"--what {args.what} draws the model alone; {', '.join(given)} choose data it does not "
                          "use: drop them.")


def _data_flags(args):
    return [(flag, getattr(args, key, None) is not None) for flag, key in
            (("--dataset", "dataset"), ("--data-dir", "data_dir"), ("--seed", "seed"), ("--target", "target"),
             ("--task", "task"), ("--test-fraction", "test_fraction"))]


def _default_out(path, what, suffix):
    return f"{os.path.splitext(path)[0]}_{what}{suffix}"


def _data(args, net, required=True):
    from .options import fits, load_data, model_dataset
    from ..errors import ConfigError

    if args.dataset is None and not (getattr(net, "metadata", None) or {}).get("dataset"):
        if net.n_inputs != 784:
            if not required:
                return None
            raise ConfigError(f"this model takes {net.n_inputs} inputs: name its dataset "
                              "with --dataset (xor, spirals, moons, blobs, csv:PATH ...).")
    model_dataset(args, net)
    data = load_data(args)
    fits(net, data, args.path)
    return data


def draw_one(what, out, net, data=None, *, n_images=10, show=False):
    """Draw picture ``what`` of ``net`` (on ``data``'s test split) to ``out``; return ``out``."""
    from ..viz import (animate_activations, plot_architecture, plot_confusion, plot_decision_boundary,
                       plot_first_layer_weights, plot_misclassified)

    from ..viz.filters import is_conv_model, plot_conv_filters, plot_feature_maps, plot_layer_diagram

    if what == "architecture" and is_conv_model(net):
        plot_layer_diagram(net, out, show=show)
    elif what in ("weights", "filters") and is_conv_model(net):
        plot_conv_filters(net, out, show=show)
    elif what == "features":
        plot_feature_maps(net, data.X_test[0], out, show=show)
    elif what == "architecture":
        plot_architecture(net, out, show=show)
    elif what == "weights":
        plot_first_layer_weights(net, out, show=show)
    elif what == "activations":
        animate_activations(net, data.X_test, out, y=data.y_test, n_images=n_images)
    elif what == "boundary":
        plot_decision_boundary(net, data.X_test, data.y_test, out, show=show)
    else:
        pred = net.backend.to_numpy(net.predict(data.X_test))
        if what == "confusion":
            plot_confusion(data.y_test, pred, out, labels=list(data.class_names) or None,
                           title=f"{data.name} test set", show=show)
        else:
            plot_misclassified(data.X_test, data.y_test, pred, out, show=show)
    return out


def planned_pictures(net, data=None, history=False):
    """The file names :func:`save_model_plots` writes for this model and data (and a history)."""
    from ..viz._common import guess_image_shape
    from ..viz.filters import is_conv_model

    image = guess_image_shape(net.n_inputs) is not None
    conv = is_conv_model(net)
    wanted = ["architecture"] + (["filters"] if conv else ["weights"] if image else [])
    if data is not None:
        wanted += ["confusion"] if net.n_outputs > 1 else []
        wanted += (["features", "misclassified"] if conv else ["activations", "misclassified"] if image else [])
        wanted += ["boundary"] if net.n_inputs == 2 else []
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
