"""What ``nnscratch train --resume`` checks of a table's data (:mod:`nnscratch.cli.resuming` checks the rest):
the checkpoint's run read its table with the same --target, --task, --test-fraction and --seed
(:func:`same_table`), from a file that holds the same rows still (:func:`same_rows`), or from another path
holding the same table (:func:`moved_table`: a copy staged for each job, on a cluster, at a path of its own).

What a model keeps of its table tells them: the features' names and the means and standard deviations it was
standardised by, the class names; a change to a regression's target alone goes unseen.
"""

import numpy as np

from ..errors import ConfigError


_IN_STEPS = ("--warmup", "--step-size")


def words(options, flags, per_epoch=None):
    """``--lr 0.5, --warmup 1``: ``flags`` with their values in ``options``; --warmup and --step-size (steps)
    in epochs of ``per_epoch`` steps where given, else as steps."""
    shown = [f"no {flag}" if options[flag] is None else
             f"{flag} {options[flag] / per_epoch:.3g}" if flag in _IN_STEPS and per_epoch else
             f"{flag} of {options[flag]} steps" if flag in _IN_STEPS else
             f"{flag} {options[flag]:g}" if isinstance(options[flag], float) else f"{flag} {options[flag]}"
             for flag in flags]
    return ", ".join(shown)


def _same_figures(old, new):
    """Whether two ``standardize`` metadata (``{"mean": [...], "std": [...]}``) hold the same figures."""
    return all(np.shape(old[k]) == np.shape(new[k]) and np.allclose(old[k], new[k], rtol=1e-12, atol=0)
               for k in ("mean", "std"))


def moved_table(source, config, net):
    """``(config, notes)``: where this run reads its table from another path than the checkpoint's run (``csv:`` of
    the same kind) and the file holds the same table (the same feature names, their figures on the training split,
    the classes), ``config`` as if the run had read this path, and a note saying so; else ``config`` as it is and
    no note (another file: :func:`~nnscratch.cli.resuming._same_network` refuses it). A table whose features are not
    standardised (an array of images) cannot be told the same, and is refused as another file."""
    from ..datasets.catalog import file_kind
    metadata = config.get("metadata") or {}
    theirs, mine = metadata.get("dataset") or {}, net.metadata["dataset"]
    then, now = theirs.get("spec"), mine.get("spec")
    old, new = metadata.get("standardize"), net.metadata.get("standardize")
    if then is None or then == now or file_kind(str(then))[0] is None or file_kind(str(then))[0] != \
            file_kind(str(now))[0] or not (old and new) or metadata.get("features") != net.metadata.get("features") \
            or list(theirs.get("class_names") or ()) != list(mine.get("class_names") or ()) \
            or not _same_figures(old, new):
        return config, []
    moved = dict(config, metadata=dict(metadata, dataset=dict(theirs, spec=now)))
    return moved, [f"--resume {source}: its run read {then}, and this one reads {now}, the same table (its columns, "
                   "their figures and its classes agree): the run goes on with it"]


_TABLE_OPTIONS = (("target", "--target"), ("task", "--task"), ("test_fraction", "--test-fraction"),
                  ("seed", "--seed"))


def same_table(source, config, net):
    """ConfigError when the checkpoint's table was read with another --target, --task or --test-fraction than
    this run's (another target is another problem; another test fraction draws another split, whose test rows
    the checkpoint's weights trained on, and another target scale), or data that draw their test split with it
    (a table, a digit CSV, spirals, moons, blobs: these are drawn whole) with another --seed. Checkpoints that did
    not keep them pass."""
    theirs = (config.get("metadata") or {}).get("dataset") or {}
    mine = net.metadata["dataset"]
    if theirs.get("spec") != mine.get("spec"):
        return  # another file: resuming._same_network says so
    drawn = theirs.get("test_fraction") is not None  # its test split drawn by --seed
    changed = [flag for key, flag in _TABLE_OPTIONS if theirs.get(key) is not None and theirs[key] != mine.get(key)
               and (key != "seed" or drawn)]
    if not changed:
        return
    then, now = ({flag: table.get(key) for key, flag in _TABLE_OPTIONS} for table in (theirs, mine))
    raise ConfigError(f"--resume {source}: its run read {theirs.get('name') or 'its table'} with "
                      f"{words(then, changed)}, and this command with {words(now, changed)}; resume with the "
                      f"checkpoint run's values ({words(then, changed).replace(', ', ' ')}), or start a new run "
                      "without --resume.")


def same_rows(source, config, net):
    """ConfigError when the checkpoint's table file holds other rows than its run read (rows added, removed or
    edited since): its weights were learnt on features scaled by that run's means and standard deviations and on
    its classes, and the split drawn now puts rows the checkpoint trained on in the test split. Told by what the
    model keeps of its table (the features' scaling, the class names); a change to a regression's target alone
    goes unseen."""
    then, now = config.get("metadata") or {}, net.metadata
    table = then.get("dataset") or {}
    if table.get("spec") != now["dataset"].get("spec"):
        return  # another file: resuming._same_network says so
    old, new = then.get("standardize"), now.get("standardize")
    scaled = old and new and not _same_figures(old, new)
    classes = table.get("class_names"), now["dataset"].get("class_names")
    renamed = all(c is not None for c in classes) and list(classes[0]) != list(classes[1])
    if not (scaled or renamed):
        return
    from .tables import few
    columns = then.get("features"), now.get("features")
    what = (f"its classes were {few(classes[0])} and are {few(classes[1])} now" if renamed else
            f"its feature columns were {few(columns[0])} and are {few(columns[1])} now" if None not in columns
            and list(columns[0]) != list(columns[1]) else "the means and standard deviations of its feature columns "
            "on the training split differ: rows added, removed or edited")
    raise ConfigError(f"--resume {source}: {table.get('name') or 'its table'} has changed since the checkpoint's run "
                      f"read it ({what}), and the weights were learnt on it as it was; resume on the table as it was, "
                      "or start a new run without --resume.")
