"""``nnscratch plot``: pictures of a saved run (history.json) or model (model.npz).

``register(subparsers)`` adds the subcommand; nothing here imports matplotlib
until a picture is drawn, so the command line starts fast without it. Which
pictures fit a model, and drawing them, is :mod:`nnscratch.cli.pictures`. Under ``mpiexec -n N``
rank 0 alone draws (one file, one report, its exit status the job's); the other ranks end at once.
"""
from __future__ import annotations

import json
import os
import sys

from . import outputs
from ..distributed.comm import launched_rank
from .pictures import IMAGES, draw_one, planned_pictures, refuse_mp4_without_ffmpeg, save_model_plots, unfit
from ..errors import ConfigError

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
    p.add_argument("path", type=values.PATH, help="a history.json (from `nnscratch train --history`) or a model.npz")
    p.add_argument("--what", choices=WHAT, default="architecture",
                   help="picture of a model (default architecture; all: every one that fits)")
    p.add_argument("--out", type=values.PATH, metavar="PATH", help="output file (or folder for --what all; a missing "
                   "folder is created); default: next to PATH, named after it")
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
    """Draw what ``args`` ask; a refused write (a full disk) is one line naming --out, and a folder made for
    --out is removed again if the command ends before writing in it."""
    if launched_rank() != 0:  # under mpiexec: rank 0 draws each picture, once (two writers would race)
        return 0
    planned = []  # the outputs, once settled: an OSError in writing one of them is said in their words
    with outputs.tidy(), outputs.writing(lambda: planned):
        return _run(args, planned)


def _run(args, planned):
    from ..viz._common import require_matplotlib

    require_matplotlib()
    if outputs.KINDS["history"][1](args.path) or (args.path.lower().endswith(".json") and not _is_model(args.path)):
        _refuse_model_options(args)
        _check_show(args)
        history = _history(args.path)
        from ..viz.curves import plot_history
        out = args.out or _default_out(args.path, "curves", ".png")
        planned.append(outputs.Output("--out", out, "picture"))
        outputs.make_folders(_check_outputs(planned, args, STILL))
        plot_history(history, out, title=os.path.basename(args.path), show=args.show)
        print(f"saved {out}")
        return 0
    _check_show(args)
    from .model_file import read_model

    net = read_model(args.path, backend=args.backend, dtype=args.dtype, command="plot")
    if args.images is not None and args.what not in ("activations", "all"):
        raise ConfigError(f"--images sets the inputs of the activation animation; --what {args.what} draws none "
                          "(use --what activations, or drop --images).")
    if args.what == "all":
        data = _data(args, net, required=False)
        outdir = args.out or os.path.splitext(args.path)[0] + "_plots"
        if os.path.splitext(outdir)[1].lower() in STILL + MOVING and not os.path.isdir(outdir):
            raise ConfigError(f"--what all saves every picture that fits into a folder; --out {outdir} names one "
                              f"picture file. Give a folder (e.g. --out {os.path.splitext(outdir)[0]}_plots), or "
                              "--what NAME for one picture.")
        names = planned_pictures(net, data)
        if args.images is not None and "activations.gif" not in names:
            from ..viz.filters import is_conv_model
            why = ("it is convolutional (--what features draws it)" if is_conv_model(net) else
                   "it is a regression" if net.task == "regression" else "it is multilabel (a row of 0/1 labels "
                   "per sample, no one class to vote for)" if net.task == "multilabel" else "no --dataset names its "
                   "data" if data is None else "its inputs are not images (--what activations draws them alone)")
            raise ConfigError(f"--images sets the inputs of the activation animation, and --what all draws none "
                              f"of {os.path.basename(args.path)}: {why}; drop --images.")
        planned.append(outputs.Output("--out", outdir, "picture", folder=True))
        planned += [outputs.Output("--out", os.path.join(outdir, name), "picture") for name in names]
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
    planned.append(outputs.Output("--out", out, "picture"))
    folders = _check_outputs(planned, args, MOVING if args.what == "activations" else STILL)
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
    refuse_mp4_without_ffmpeg("--out", out)  # before the pictures are drawn, not after
    return folders


def _is_model(path):
    """A model or checkpoint, whatever its name (`train --out history.json` writes a model there)."""
    from ..saving.kinds import is_kind
    return is_kind(path, "model") or is_kind(path, "checkpoint")


def _history(path):
    """The dict of a history.json, or a ConfigError saying what ``path`` is instead."""
    from ..viz.curves import history_dict

    fix = "give the history.json that `nnscratch train --history PATH` wrote"
    if not os.path.isfile(path):
        from .model_file import near_name
        raise ConfigError(f"history file {path} does not exist (the current directory is {os.getcwd()}); "
                          f"{near_name(path) or fix + '.'}")
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
    from .options import differs, fits, load_for_model, model_dataset, sample_shape
    from ..errors import ConfigError

    if args.dataset is None and not (getattr(net, "metadata", None) or {}).get("dataset"):
        if sample_shape(net, 784) is None:  # not a digit model: which data is unknown
            if not required:
                return None
            raise ConfigError(f"this model takes {net.n_inputs} input{'s' * (net.n_inputs != 1)}: name its dataset "
                              "with --dataset (xor, spirals, moons, blobs, csv:PATH ...).")
    from . import tables
    given = args.dataset
    _refuse_nnscratch_file(args, net)
    model_dataset(args, net)
    data = load_for_model(args, net, args.path)
    fits(net, data, args.path, targets=net.task != "regression")  # an autoencoder: pictures of its inputs
    from .inspect import split_differs, table_changed
    warning = (differs(net, data, args.path, given) if given is not None else None) or split_differs(args, net, data) \
        or table_changed(args, net, data)
    if warning:  # as evaluate says it: the picture is of the model on data it never learned, or trained on
        print(f"warning: {warning}", file=sys.stderr)
    return tables.as_the_model_sees(net, data)  # a table model's pictures see the rows as it was trained on


def _refuse_nnscratch_file(args, net):
    """``--dataset`` naming a model or checkpoint (the model twice, or another): what it is, and that --dataset
    takes the data to draw this model's pictures on (the library's words send the file to evaluate)."""
    from ..datasets.not_data import DATA
    from ..datasets.catalog import file_kind
    from ..errors import ConfigError
    from ..saving.kinds import npz_header
    kind, path = file_kind(str(args.dataset or "").strip())
    header = npz_header(path) if kind in ("csv", "npz") else None
    if header is None:
        return
    what = "a checkpoint" if header.get("format") == "nnscratch-checkpoint" else "a model file"
    trained = ((getattr(net, "metadata", None) or {}).get("dataset") or {}).get("spec")
    fix = f"name it, or leave out --dataset to draw on {trained}, its training data" if trained else "name it"
    raise ConfigError(f"--dataset {args.dataset}: {path} is {what} written by nnscratch, not data; --dataset takes "
                      f"the data to draw {args.path}'s pictures on, {DATA}: {fix}.")
