"""``nnscratch train --class-weight``: how much each class's rows count in the training loss.

``--class-weight balanced`` is scikit-learn's rule, ``n_samples / (n_classes * count_c)`` for each class
``c`` present (:func:`nnscratch.training.weights.balanced`), over the labels of the whole training part:
after ``--validation`` holds its share out, before ``mpiexec`` shards it (every rank reads all the data
and computes the same weights). ``--class-weight yes:3,no:1`` names classes as the data do (a CSV's
``yes``/``no``, MNIST's ``0`` to ``9``; data without class names by their labels ``0``, ``1`` ...),
classes not named weighing 1; ``--class-weight none`` trains unweighted. Only the training loss is
weighted: the validation and test loss are not, as Keras reports them.

A model and its checkpoints remember the value (``net.metadata["training"]["class_weight"]``); ``--resume``
without ``--class-weight`` keeps the run's, and another value is said (:func:`kept`).
"""

import argparse
import math

from ..errors import ConfigError

EXAMPLE = "e.g. --class-weight balanced, or --class-weight 0:1,1:5 (LABEL:WEIGHT, a CSV's labels by name: yes:3)"


def parse(text):
    """The option's value: ``"balanced"``, ``"none"`` or ``{label: weight}`` (labels as typed); one line else."""
    word = text.strip().lower()
    if word in ("balanced", "none"):
        return word
    table = {}
    for piece in text.split(","):
        label, sep, weight = (part.strip() for part in piece.partition(":"))
        if not sep or not label:
            raise argparse.ArgumentTypeError(f"expected balanced, none or LABEL:WEIGHT pairs separated by commas; "
                                             f"received {text!r} ({piece.strip()!r} is not LABEL:WEIGHT); {EXAMPLE}")
        if label in table:
            raise argparse.ArgumentTypeError(f"class {label!r} is given twice in {text!r}; give each class once")
        try:
            value = float(weight)
        except ValueError:
            raise argparse.ArgumentTypeError(f"the weight of class {label!r} must be a number; received {weight!r} "
                                             f"in {text!r}; {EXAMPLE}") from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"the weight of class {label!r} must be a finite number >= 0 (0 leaves "
                                             f"its rows out); received {weight!r} in {text!r}")
        table[label] = value
    return table


parse.__name__ = "balanced, none or LABEL:WEIGHT,..."


def text(value):
    """The value as the option is typed: ``balanced``, ``none``, ``yes:3,no:1``."""
    return value if isinstance(value, str) else ",".join(f"{k}:{v:g}" for k, v in value.items())


def class_names(data):
    """The classes as the user knows them: the data's names, else the labels ``0``, ``1`` ..."""
    return tuple(map(str, data.class_names)) or tuple(str(i) for i in range(data.n_classes))


def resolve(args, data, y):
    """``{class index: weight}`` for ``fit(class_weight=)`` from ``args.class_weight`` (None, or ``none``: no
    weights); ``y``: the integer labels of the training part. Regression and multilabel data, an unknown class,
    or every class at weight 0 are refused in one line."""
    value = args.class_weight
    if value is None or value == "none":
        return None
    given = f"--class-weight {text(value)}"
    from .tables import is_regression
    if is_regression(data):
        raise ConfigError(f"{given}: class weights weigh the rows of each class, and {data.name} is a regression "
                          "(its target holds values, not classes); drop --class-weight (or pass --task "
                          "classification if the target holds classes).")
    if getattr(data, "task", None) == "multilabel":
        raise ConfigError(f"{given}: class weights weigh each row by its one class, and each row of {data.name} has "
                          "several labels (multilabel); drop --class-weight.")
    names = class_names(data)
    if value == "balanced":
        import numpy as np
        from ..training.weights import balanced
        weights = balanced(np.asarray(y, dtype=np.int64), len(names))
        return {i: float(w) for i, w in enumerate(weights)}
    unknown = [label for label in value if label not in names]
    if unknown:
        raise ConfigError(f"{given}: {data.name} has no class {unknown[0]!r}; its classes are "
                          f"{', '.join(names[:12])}{' ...' if len(names) > 12 else ''}: name them as the data do.")
    table = {names.index(label): weight for label, weight in value.items()}
    if all(table.get(i, 1.0) == 0 for i in range(len(names))):
        raise ConfigError(f"{given} gives every class weight 0, so nothing would be learned; give the classes to "
                          "train on a positive weight.")
    return table


def shown(weights, data, value):
    """``class weights (balanced): 0: 0.5, 1: 1.43, 2: 3.33``, for the line before training (``value``: the
    option's; every class, those not named weighing 1)."""
    names = class_names(data)
    how = " (balanced)" if value == "balanced" else ""
    return f"class weights{how}: " + ", ".join(f"{name}: {weights.get(i, 1.0):.3g}" for i, name in enumerate(names))


def record(args):
    """What the model and its checkpoints keep of the option (in ``metadata["training"]``): ``{"class_weight":
    "balanced"}`` or ``{"class_weight": {label: weight}}``; nothing without class weights."""
    value = args.class_weight
    return {} if value in (None, "none") else {"class_weight": value}


def kept(args, source):
    """``args.class_weight`` for a run resuming the checkpoint ``source`` (None: a new run): the checkpoint
    run's where not given; and the note (a list of one or none) when given other than that run's."""
    if source is None:
        return []
    from .resuming import header
    training = ((header(args, source).get("config") or {}).get("metadata") or {}).get("training") or {}
    theirs = training.get("class_weight")
    if args.class_weight is None:
        args.class_weight = theirs
        return []
    mine = record(args).get("class_weight")
    if mine == theirs:
        return []
    return [f"--resume {source}: --class-weight {text(mine or 'none')} differs from the run it continues "
            f"(--class-weight {text(theirs or 'none')}); the epochs left train with it, so the run will not end as that "
            "one would have (give its value to continue it exactly)"]
