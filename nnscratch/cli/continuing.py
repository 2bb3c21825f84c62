"""Where a run of ``nnscratch train`` continues from, and what an interrupted one leaves.

- :func:`resume_note`: the ``resuming from epoch N of M (PATH)`` line, what a finished
  checkpoint means, or that --resume alone found none yet;
- :func:`interrupted`: what Ctrl-C (or SIGTERM, SIGHUP) leaves behind, how far behind the run the last
  checkpoint is, and how to continue.
"""

import os
import shlex


def checkpoint_epochs(path):
    """Epochs completed in the checkpoint at ``path``, and whether a callback stopped the run there."""
    from ..saving import checkpoint
    header = checkpoint.load_header(path)
    return int(header["epoch"]) + 1, bool(header.get("stopped"))


def resume_note(path, epochs, checkpoint=None):
    """``resuming from epoch N of M (PATH)``, or what a finished checkpoint means; with no ``path`` (``--resume``
    alone, and no file at --checkpoint yet) that a new run starts, writing ``checkpoint``."""
    if path is None:
        return (f"no checkpoint at {checkpoint} yet: a new run starts and checkpoints there (the same command with "
                "--resume continues it)")
    done, stopped = checkpoint_epochs(path)
    if stopped:
        return (f"{path} was stopped early by a callback after epoch {done}: "
                f"resuming trains no further, as the uninterrupted run would not; start a new run "
                f"without --resume to train again")
    if done >= epochs:
        return (f"{path} already finished {done} of {epochs} epochs: nothing left to train "
                f"(pass --epochs larger than {done} to train further)")
    return f"resuming from epoch {done + 1} of {epochs} ({path})"


def interrupted(checkpoint, epoch, epochs, how="interrupted", batches=(0, 0)):
    """The message for Ctrl-C (or SIGTERM, ``how``: ``stopped by SIGTERM (...)``) during training (``epoch``:
    0-based epoch running; ``batches``: those of it done, and an epoch's): where it stopped, how far behind that
    the last checkpoint is, and how to continue."""
    where = f"{how} during epoch {epoch + 1} of {epochs}"
    done = checkpoint_epochs(checkpoint)[0] if checkpoint and os.path.exists(checkpoint) else None
    if done is not None and done <= epoch + 1:  # more: an earlier run's, which this one (--force) has not replaced yet
        if done > epoch:  # Ctrl-C while the epoch's checkpoint was being written: that epoch is done
            where = f"{how} after epoch {done} of {epochs}"
        return (f"{where}; the last checkpoint is {checkpoint} ({done} of {epochs} epochs done"
                f"{_behind(done, epoch, *batches)}). To continue, run the same command with "
                f"--resume {shlex.quote(str(checkpoint))}")
    if checkpoint:  # given, and Ctrl-C came before the end of the run's first epoch, where it is first written
        earlier = "" if done is None else f"; it still holds the {done} epochs of an earlier run"
        return (f"{where}; nothing was saved (no model; --checkpoint {checkpoint} is first written at the end of "
                f"epoch {epoch + 1}{earlier}). Run the same command again to start over.")
    return (f"{where}; nothing was saved (no model, no checkpoint). Add --checkpoint PATH "
            "to be able to resume an interrupted run.")


def _behind(done, epoch, batches, per_epoch):
    """``, 12 batches behind`` (``, 1 epoch and 12 batches behind``): how much the run had trained past its checkpoint
    of ``done`` epochs when it stopped in ``epoch`` (0-based) after ``batches`` of its ``per_epoch``; nothing when it
    had not."""
    if done > epoch:
        return ""
    whole = epoch - done + (0 < per_epoch <= batches)  # stopped after the epoch's last batch: the epoch is done
    part = 0 if 0 < per_epoch <= batches else batches
    since = [f"{whole} epoch{'s' * (whole != 1)}"] * (whole > 0) + [f"{part} batch{'es' * (part != 1)}"] * (part > 0)
    return f", {' and '.join(since)} behind" if since else ""
