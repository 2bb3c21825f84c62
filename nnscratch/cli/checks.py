"""What ``nnscratch train`` checks and says around training, so nothing is lost or misleading.

- :func:`check_train_options`: options that contradict each other;
- :func:`train_outputs`, :func:`picture_outputs`: every file the run writes, checked
  before training (:mod:`nnscratch.cli.outputs`);
- :func:`check_viz`: ``--plot``/``--live``/``--show`` find matplotlib (and a display)
  before training starts, not after;
- :func:`check_loss`: a --loss the target cannot take (classes asked of a regression);
- :func:`small_data_notes`: too few rows to hold out, to fill a batch or to measure with;
- :func:`health_notes`: a run that ended near chance or whose loss exploded; :func:`diverged`: one that
  went to NaN, in the options' words;
- :func:`warn`: each note as one ``warning:`` line (and in ``train --json``'s ``"warnings"``).

What ``--resume`` checks and says, and what Ctrl-C leaves, is :mod:`nnscratch.cli.resuming`.
"""

import math
import os
import shlex
import warnings

from . import outputs
from .resuming import resume_source
from ..errors import ConfigError


def check_train_options(args):
    """Options that contradict each other, refused before anything runs."""
    if args.no_save and args.out:
        raise ConfigError(f"--no-save and --out {args.out} contradict each other; drop one.")
    text = args.layers or ""
    dashed = text.replace("-", " ").split()  # 784-128-10, as train prints an MLP
    sizes = all(p.isdigit() for p in dashed)
    pieces = dashed if sizes else text.split()  # or 784 128 10, dense8 relu dense2
    if len(pieces) > 1 and "," not in text:
        raise ConfigError(f"--layers {text}: {'sizes' if sizes else 'layers'} are separated by commas: --layers "
                          f"{','.join(pieces)}.")
    if args.layers:
        from .recipe import check_layers_syntax
        check_layers_syntax(args.layers)


def train_outputs(args):
    """Check every file ``nnscratch train`` will write (see :mod:`nnscratch.cli.outputs`) and the
    checkpoint it resumes from; return the folders to create."""
    source, checkpoint = resume_source(args)
    if source is not None and not outputs.KINDS["checkpoint"][1](source):
        raise ConfigError(f"--resume {source} is not an nnscratch checkpoint; give the file a run wrote with "
                          "--checkpoint PATH.")
    planned = [outputs.Output("--out", None if args.no_save else args.out, "model"),
               outputs.Output("--checkpoint", checkpoint, "checkpoint", own=_same_file(checkpoint, source),
                              resuming=source),
               outputs.Output("--history", args.history, "history"),
               outputs.Output("--live", args.live, "picture"),
               outputs.Output("--plot", args.plot, "picture", folder=True)]
    from ..datasets.catalog import file_kind
    kind, path = file_kind(str(args.dataset))
    inputs = [("--dataset", p) for p in (path.split(",") if kind else ())]
    if source is not None and not _same_file(checkpoint, source):
        inputs.append(("--resume", source))
    return outputs.check(planned, args.force, inputs)


def picture_outputs(args, net, data):
    """Check the pictures ``--plot DIR`` will write for this network and data (and that the live view of
    ``--live``/``--show`` can draw it); return folders to create."""
    from ..viz.filters import is_conv_model
    flags = [flag for flag, on in (("--live", args.live), ("--show", args.show)) if on]
    if flags and is_conv_model(net):
        raise ConfigError(f"{' and '.join(flags)} draw{'' if len(flags) > 1 else 's'} a dense network's neurons and "
                          "weights as they learn, and this is a convolutional network; drop "
                          f"{' and '.join(flags)}: --plot DIR draws its filters and feature maps after training.")
    if not args.plot:
        return []
    from .pictures import planned_pictures
    from .plot import MOVING, STILL
    stem, suffix = os.path.splitext(args.plot)
    if suffix.lower() in STILL + MOVING and not os.path.isdir(args.plot):  # it became a folder of that name
        raise ConfigError(f"--plot {args.plot}: --plot takes a folder for every picture of the run, and "
                          f"{args.plot} names a picture file; give a folder (e.g. --plot {shlex.quote(stem)}), or "
                          "draw one picture after training with "
                          f"`nnscratch plot MODEL --what NAME --out {shlex.quote(args.plot)}`.")
    planned = [outputs.Output("--plot", os.path.join(args.plot, name), "picture")
               for name in planned_pictures(net, data, history=True)]
    return outputs.check(planned, args.force)


def _same_file(a, b):
    return a is not None and b is not None and os.path.realpath(a) == os.path.realpath(b)


def check_viz(args):
    """ConfigError now, not after training, when a picture option cannot work here."""
    wanted = [flag for flag, on in (("--plot", args.plot), ("--live", args.live),
                                    ("--show", args.show)) if on]
    if not wanted:
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        many = len(wanted) > 1
        raise ConfigError(f"{' and '.join(wanted)} need{'' if many else 's'} matplotlib, which is not installed; "
                          f"pip install 'nnscratch[viz]', or train without {'them' if many else 'it'}.") from None
    if args.live and os.path.splitext(args.live)[1].lower() not in (".gif", ".mp4"):
        raise ConfigError(f"--live saves a .gif or .mp4; received {args.live!r} (e.g. --live run.gif).")
    if args.live:
        from .pictures import refuse_mp4_without_ffmpeg
        refuse_mp4_without_ffmpeg("--live", args.live)
    from ..viz._common import has_display
    if args.show and not has_display():
        raise ConfigError("--show needs a display to open a window and none was found "
                          "(DISPLAY and WAYLAND_DISPLAY are not set); save the view with "
                          "--live run.gif instead.")


def check_loss(args, data):
    """ConfigError now when --loss asks for classes and the table's target is a regression, or when rows of
    labels (a multilabel target) would be learnt with another loss than binary cross-entropy."""
    task = getattr(data, "task", None)
    if task == "multilabel" and args.loss not in (None, "binary_cross_entropy"):
        raise ConfigError(f"--loss {args.loss}: {data.name}'s targets are rows of {data.n_classes} 0/1 labels (a "
                          "multilabel classification), learnt by sigmoid outputs with binary cross-entropy; drop "
                          "--loss (or --loss binary_cross_entropy), pass --task multiclass to learn one-hot columns as "
                          "one class per row, or --task regression to learn them as values.")
    if args.loss not in ("cross_entropy", "binary_cross_entropy") or task != "regression":
        return
    import numpy as np
    target = f"target {data.target_name!r}" if getattr(data, "target_name", None) is not None else data.name
    whole = bool(np.all(np.mod(np.asarray(data.y_train, dtype=float), 1) == 0))
    task = " (or --task classification, to learn its values as classes)" if whole else ""
    raise ConfigError(f"--loss {args.loss} needs classes; {target} is a regression: use --loss mse{task}.")


def small_data_notes(args, data, cfg, n_train, n_val):
    """Warnings (one line each, in the options' words) when the data are too small for the run."""
    notes = []
    fraction, batch = cfg["validation"], cfg["batch_size"]
    if fraction and not n_val:
        notes.append(f"--validation {fraction:g} of {n_train} training sample{'s' * (n_train != 1)} holds out none; "
                     "training without validation (use more data, or --validation 0 to silence this)")
    copies = cfg.get("augment") or 0  # an epoch trains on each sample and its distorted copies
    if batch and n_train * (1 + copies) < batch:
        given = "" if args.batch_size else " (the default here)"
        rows = n_train * (1 + copies)
        what = (f"{rows} rows an epoch trains on ({n_train} samples and {copies} distorted "
                f"cop{'y' if copies == 1 else 'ies'} of each)" if copies else
                f"{n_train} training sample{'s' * (n_train != 1)}")
        notes.append(f"--batch-size {batch}{given} is more than the {what}: every epoch is one step over "
                     f"{'all of them' if rows != 1 else 'it'} (--batch-size 0 asks for that)")
    n_test = len(data.y_test)
    if data.name != "xor" and n_test < 100:
        moves = ("scores measured on so few rows say little" if cfg.get("regression") else
                 f"one sample moves the test accuracy by {1 / n_test:.0%}, so it says little")
        notes.append(f"only {n_test} test sample{'s' if n_test != 1 else ''} in {data.name}: {moves}; use more "
                     "data (a few hundred test rows at least)")
    return notes


def warn(notes):
    """Each note as one ``warning: ...`` line (the command line's warnings, :mod:`nnscratch.cli.app`)."""
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)


def health_notes(args, data, cfg, history, test):
    """Warnings when the run ended near chance or its training loss exploded, with the usual causes."""
    import numpy as np
    notes, losses = [], history.history.get("loss") or []
    lr = f"--lr {cfg['lr']:g}"
    guessing = math.log(max(cfg["n_classes"], 2)) if args.loss in (None, "cross_entropy") and "r2" not in test \
        else math.inf  # the cross-entropy of a uniform guess
    if losses and (not math.isfinite(losses[-1]) or losses[-1] > 3 * guessing
                   or len(losses) > 1 and losses[-1] > 2 * max(losses[0], 1e-12)):
        grew = f"grew from {losses[0]:.4g} to" if len(losses) > 1 and losses[-1] > losses[0] else "ended at"
        worse = f", far above the {guessing:.2f} of a uniform guess" if losses[-1] > 3 * guessing else ""
        notes.append(f"the training loss {grew} {losses[-1]:.4g}{worse}: it exploded. The learning rate is "
                     f"probably too high ({lr}; try one ten times smaller)")
    if "r2" in test:
        if test["r2"] < 0.05:
            notes.append(f"R^2 {test['r2']:.3f}: the model explains almost none of the target. Usual causes: a "
                         f"learning rate too high or too low ({lr}), too few --epochs ({cfg['epochs']}), or "
                         "features that do not predict the target")
        return notes
    accuracy = test.get("accuracy")
    if accuracy is None or len(data.y_test) == 0:
        return notes
    y = np.asarray(data.y_test)  # a multilabel target's rows: the most common row (set of labels) is its chance
    chance = float(np.max(np.unique(y.reshape(len(y), -1), axis=0, return_counts=True)[1])) / len(y)
    if accuracy <= chance + 0.1 * (1 - chance) and accuracy < 1:
        where = "below" if accuracy < chance - 0.05 else "near"
        common = "set of labels" if y.ndim == 2 else "class"
        notes.append(f"test accuracy {accuracy:.2%} is {where} chance (always answering the most common {common} "
                     f"scores {chance:.2%}). Usual causes: a learning rate too high or too low ({lr}), too few "
                     f"--epochs ({cfg['epochs']}), or inputs that do not predict the labels")
    return notes


def diverged(exc, args, cfg, checkpoint):
    """The DivergenceError of a run whose loss or weights became NaN, in the options' words (the library's ``exc``
    speaks of ``lr=`` and of a model object that keeps its weights; the command line saved nothing)."""
    from ..errors import DivergenceError
    kept = (f"; {checkpoint} holds the epochs before it" if checkpoint and os.path.exists(checkpoint) and exc.epoch
            else "")
    clip = "" if getattr(args, "clip_norm", None) else " or clip the gradients with --clip-norm 1"
    said = DivergenceError(f"Training diverged in epoch {exc.epoch + 1} of {cfg['epochs']}: the loss or the weights "
                           f"became NaN or infinite, and no model was saved{kept}; train with a smaller learning rate "
                           f"(e.g. --lr {cfg['lr'] / 10:g} instead of {cfg['lr']:g}){clip}.")
    said.epoch = exc.epoch
    said.collective = getattr(exc, "collective", False)  # under mpiexec: every rank's, said once (rank 0's words)
    return said
