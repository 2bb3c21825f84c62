"""``nnscratch plot``: pictures of a saved run (history.json) or model (model.npz).

``register(subparsers)`` adds the subcommand; nothing here imports matplotlib
until a picture is drawn, so the command line starts fast without it.
"""
from __future__ import annotations

import os

WHAT = ("architecture", "confusion", "weights", "activations", "misclassified", "boundary",
        "filters", "features", "all")


def register(subparsers):
    from .options import add_backend_options, add_dataset_options

    p = subparsers.add_parser(
        "plot", help="draw training curves, confusion matrix, architecture ... to image files",
        description="Draw pictures of a saved run: `nnscratch plot history.json` draws the "
        "training curves; `nnscratch plot model.npz --what confusion --dataset mnist-sample` "
        "draws a picture of a saved model on a dataset.")
    p.add_argument("path", help="a history.json (from `nnscratch train --history`) or a model.npz")
    p.add_argument("--what", choices=WHAT, default="architecture",
                   help="picture of a model (default architecture; all: every one that fits)")
    p.add_argument("--out", metavar="PATH", help="output file (or directory for --what all); "
                   "default: next to PATH, named after it")
    p.add_argument("--images", type=int, default=10, metavar="N",
                   help="inputs in the activation animation (default 10)")
    p.add_argument("--show", action="store_true", help="also open a window")
    add_dataset_options(p, from_model=True)
    add_backend_options(p)
    p.set_defaults(func=run)


def run(args):
    from ..viz._common import require_matplotlib

    require_matplotlib()
    if args.path.lower().endswith(".json"):
        from ..viz.curves import plot_history
        out = args.out or _default_out(args.path, "curves", ".png")
        plot_history(args.path, out, title=os.path.basename(args.path), show=args.show)
        print(f"saved {out}")
        return 0
    from ..models.network import Network

    net = Network.load(args.path, backend=args.backend, dtype=args.dtype)
    if args.what == "all":
        data = _data(args, net, required=False)
        outdir = args.out or os.path.splitext(args.path)[0] + "_plots"
        for saved in save_model_plots(outdir, net, data):
            print(f"saved {saved}")
        return 0
    suffix = ".gif" if args.what == "activations" else ".png"
    out = args.out or _default_out(args.path, args.what, suffix)
    data = None if args.what in ("architecture", "weights", "filters") else _data(args, net)
    print(f"saved {draw_one(args.what, out, net, data, n_images=args.images, show=args.show)}")
    return 0


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


def save_model_plots(outdir, net, data=None, history=None, n_images=10):
    """Every picture that fits this model and data into ``outdir``; returns the paths.

    This is what ``nnscratch train --plot DIR`` calls after training.
    """
    from ..viz._common import guess_image_shape

    from ..viz.filters import is_conv_model

    image = guess_image_shape(net.n_inputs) is not None
    conv = is_conv_model(net)
    wanted = ["architecture"] + (["filters"] if conv else ["weights"] if image else [])
    if data is not None:
        wanted += ["confusion"] if net.n_outputs > 1 else []
        wanted += (["features", "misclassified"] if conv else ["activations", "misclassified"] if image else [])
        wanted += ["boundary"] if net.n_inputs == 2 else []
    saved = []
    if history is not None:
        from ..viz.curves import plot_history
        saved.append(os.path.join(outdir, "curves.png"))
        plot_history(history, saved[-1])
    for what in wanted:
        suffix = ".gif" if what == "activations" else ".png"
        saved.append(draw_one(what, os.path.join(outdir, what + suffix), net, data,
                              n_images=n_images))
    return saved
