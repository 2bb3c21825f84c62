"""What ``nnscratch train`` checks and says around training, so nothing is lost or misleading.

- :func:`check_out`: never replace an existing file unless ``--force`` (and never a
  file that is not an nnscratch model, even then);
- :func:`check_viz`: ``--plot``/``--live``/``--show`` find matplotlib (and a display)
  before training starts, not after;
- :func:`resume_source` / :func:`resume_note`: ``--resume [PATH]`` and the
  ``resuming from epoch N of M (PATH)`` line;
- :func:`interrupted`: what Ctrl-C leaves behind and how to continue;
- :func:`small_data_notes`: too few rows to hold out or to measure with.
"""

import os
import sys

from ..errors import ConfigError, ModelFileError


def check_out(path, force=False):
    """Refuse (before training) to replace ``path`` unless ``force``; refuse a non-model file always."""
    from ..saving.serialize import load_arrays
    if not os.path.exists(path):
        return
    try:
        load_arrays(path)
    except (ModelFileError, OSError):
        raise ConfigError(f"--out {path} exists and is not an nnscratch model; "
                          "choose another --out or move that file away.") from None
    if not force:
        raise ConfigError(f"--out {path} already holds a model; pass --force to replace it, "
                          "or choose another --out PATH (e.g. --out model2.npz).")


def check_viz(args):
    """ConfigError now, not after training, when a picture option cannot work here."""
    wanted = [flag for flag, on in (("--plot", args.plot), ("--live", args.live),
                                    ("--show", args.show)) if on]
    if not wanted:
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ConfigError(f"{' and '.join(wanted)} need matplotlib, which is not installed; "
                          "`pip install nnscratch[viz]`, or train without them.") from None
    if args.live and os.path.splitext(args.live)[1].lower() not in (".gif", ".mp4"):
        raise ConfigError(f"--live saves a .gif or .mp4; received {args.live!r} (e.g. --live run.gif).")
    if args.show and not has_display():
        raise ConfigError("--show needs a display to open a window and none was found "
                          "(DISPLAY and WAYLAND_DISPLAY are not set); save the view with "
                          "--live run.gif instead.")


def has_display():
    """True where a matplotlib window can open: Windows, macOS, or a set DISPLAY/WAYLAND_DISPLAY."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def resume_source(args):
    """(the checkpoint to resume from or None, the checkpoint to write or None).

    ``--resume PATH`` resumes from PATH (and keeps checkpointing there unless
    ``--checkpoint`` says elsewhere); ``--resume`` alone resumes from
    ``--checkpoint`` when that file exists (a fresh start otherwise)."""
    if args.resume is None:
        return None, args.checkpoint
    if args.resume is True:
        if not args.checkpoint:
            raise ConfigError("--resume needs a checkpoint: --resume PATH, or --checkpoint PATH "
                              "(the file to resume from and keep writing).")
        return (args.checkpoint if os.path.exists(args.checkpoint) else None), args.checkpoint
    if not os.path.exists(args.resume):
        raise ConfigError(f"--resume {args.resume}: no such checkpoint; give the file a run wrote "
                          "with --checkpoint PATH.")
    return args.resume, args.checkpoint or args.resume


def checkpoint_epochs(path):
    """Epochs completed in the checkpoint at ``path``."""
    from ..saving import checkpoint
    header, _ = checkpoint.load(path)
    return int(header["epoch"]) + 1


def resume_note(path, epochs):
    """``resuming from epoch N of M (PATH)``, or what a finished checkpoint means."""
    done = checkpoint_epochs(path)
    if done >= epochs:
        return (f"{path} already finished {done} of {epochs} epochs: nothing left to train "
                f"(pass --epochs larger than {done} to train further)")
    return f"resuming from epoch {done + 1} of {epochs} ({path})"


def interrupted(checkpoint, epoch, epochs):
    """The message for Ctrl-C during training (``epoch``: 0-based epoch running)."""
    where = f"interrupted during epoch {epoch + 1} of {epochs}"
    if checkpoint and os.path.exists(checkpoint):
        done = checkpoint_epochs(checkpoint)
        return (f"{where}; the last checkpoint is {checkpoint} ({done} of {epochs} epochs done). "
                f"To continue, run the same command with --resume {checkpoint}")
    return (f"{where}; nothing was saved (no model, no checkpoint). Add --checkpoint PATH "
            "to be able to resume an interrupted run.")


def small_data_notes(data, n_train, n_val, fraction):
    """Warnings (one line each) when the data is too small for what the run reports."""
    notes = []
    if fraction and not n_val:
        notes.append(f"--validation {fraction:g} of {n_train} training samples holds out none; "
                     "training without validation (use more data, or --validation 0 to silence this)")
    n_test = len(data.y_test)
    if data.name != "xor" and n_test < 100:
        notes.append(f"only {n_test} test sample{'s' if n_test != 1 else ''} in {data.name}: one sample "
                     f"moves the test accuracy by {1 / n_test:.0%}, so it says little; use more data "
                     "(a few hundred test rows at least)")
    return notes
