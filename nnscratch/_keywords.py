"""Keyword arguments spelled the Keras, PyTorch or scikit-learn way: one line naming nnscratch's own.

Python answers ``Adam(betas=(0.9, 0.999))`` with "got an unexpected keyword argument 'betas'".
A callable decorated with :func:`keywords` checks the names it is given first (one set
comparison per call) and answers an unknown one with what nnscratch calls it: from the
callable's table of foreign names, else the closest of its own options (difflib), else the
list of them. The error is a :class:`~nnscratch.errors.ConfigError` and, as Python's own,
a ``TypeError``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

from .errors import ConfigError, closest

F = TypeVar("F", bound=Callable[..., Any])

_LR = "nnscratch calls the learning rate lr= (as PyTorch does)"
_OPTIMIZER = {
    "learning_rate": _LR, "l2": "nnscratch calls its L2 penalty weight_decay= (g <- g + weight_decay * w)",
    "clipnorm": "clip the global gradient norm with Adam(..., clip_norm=1.0) (SGD, RMSProp alike) or get_optimizer(..., clip_norm=1.0)",
    "global_clipnorm": "clip the global gradient norm with get_optimizer(..., clip_norm=1.0)",
    "clipvalue": "nnscratch clips by global norm only: get_optimizer(..., clip_norm=1.0)",
}
_SCHEDULE = {"learning_rate": _LR, "initial_learning_rate": _LR, "warmup_steps": "nnscratch calls it warmup="}
_MODE = ("nnscratch takes the direction from monitor (acc, auc, f1, precision, recall and r2 improve upwards, "
         "unless the name also says loss or error; the others downwards)")

_ESTIMATOR_FIT = {
    "epochs": "set max_iter= (epochs) on the estimator", "batch_size": "set batch_size= on the estimator",
    "verbose": "set verbose= on the estimator",
    "validation_data": "set early_stopping=True and validation_fraction= on the estimator",
    "validation_split": "set early_stopping=True and validation_fraction= on the estimator",
    "class_weight": ("scikit-learn's MLP has no class weights; weigh the rows instead: "
                     "sample_weight=sklearn.utils.class_weight.compute_sample_weight('balanced', y)"),
    "classes": "fit reads the classes from y; classes= is for MLPClassifier.partial_fit's first call",
}

#: Per callable (a class, or a function's name): foreign keyword -> what to write instead.
HINTS: dict[str, dict[str, str]] = {
    "fit": {"nb_epoch": "nnscratch calls it epochs= (nb_epoch is Keras 1's name)",
            "restore_best_weights": "nnscratch calls it restore_best=",
            "lr": "set it on the optimizer: optimizer=nn.Adam(lr=0.01)",
            "learning_rate": "set it on the optimizer: optimizer=nn.Adam(lr=0.01)",
            "initial_epoch": "continue a run from its checkpoint instead: fit(..., checkpoint=path, resume=True)",
            "steps_per_epoch": "an epoch trains on every row once; set its number of steps with batch_size="},
    "evaluate": {"x": "nnscratch calls the inputs X, given first: evaluate(X, y)",
                 "verbose": "evaluate prints nothing; drop verbose=",
                 "return_dict": "evaluate always returns a dict; drop return_dict=",
                 "class_weight": "evaluate weighs rows by sample_weight= only (class weights shape training)"},
    "predict": {"x": "nnscratch calls the inputs X, given first: predict(X)",
                "verbose": "predict prints nothing; drop verbose="},
    "estimator_fit": _ESTIMATOR_FIT,
    "estimator_partial_fit": {**_ESTIMATOR_FIT, **dict.fromkeys(
        ("validation_data", "validation_split"), "partial_fit holds out no rows (early stopping is fit's): score "
        "rows you keep apart after each call, estimator.score(X_val, y_val)"),
        "epochs": "set max_iter= (epochs) on the estimator and call fit; partial_fit trains one epoch per call "
                  "(call it again for more)"},
    "export_onnx": {"input_shapes": "nnscratch calls it input_shape=, the shape of one sample, e.g. (1, 28, 28)",
                    "input_names": "nnscratch calls it input_name= (the graph has one input)",
                    "output_names": "nnscratch calls it output_name= (the graph has one output)",
                    "dynamic_axes": "the batch axis N is always dynamic; nothing else is (give input_shape=)",
                    "opset_version": "nnscratch writes ndonnx's opset; convert it afterwards with "
                                     "onnx.version_converter.convert_version"},
    "Network": {"random_state": "nnscratch calls it seed=",
                "device": "nnscratch picks the device with backend=, e.g. backend='torch:cuda'",
                "kernel_initializer": "nnscratch calls it init=, e.g. init='glorot'"},
    "SGD": {**_OPTIMIZER, "dampening": "nnscratch's SGD has no dampening (it does what PyTorch's default 0 does)"},
    "Adam": {**_OPTIMIZER, "betas": "nnscratch takes them apart: beta1=0.9, beta2=0.999",
             "beta_1": "nnscratch calls it beta1=", "beta_2": "nnscratch calls it beta2=",
             "epsilon": "nnscratch calls it eps=", "amsgrad": "nnscratch's Adam has no AMSGrad variant"},
    "RMSProp": {**_OPTIMIZER, "alpha": "PyTorch's alpha is nnscratch's rho= (the moving-average factor)",
                "epsilon": "nnscratch calls it eps=",
                "momentum": "nnscratch's RMSProp has no momentum; SGD(momentum=0.9) and Adam have",
                "centered": "nnscratch's RMSProp has no centered variant"},
    "Schedule": _SCHEDULE,
    "InverseTime": {**_SCHEDULE, "decay_rate": "nnscratch's rate is lr / (1 + decay * t): decay=decay_rate / decay_steps",
                    "decay_steps": "nnscratch's rate is lr / (1 + decay * t): decay=decay_rate / decay_steps"},
    "Exponential": {**_SCHEDULE, "decay_rate": "nnscratch calls it gamma=", "decay_steps": "nnscratch calls it every=",
                    "staircase": "for a staircase use StepDecay(lr, step_size=decay_steps, gamma=decay_rate)"},
    "Cosine": {**_SCHEDULE, "T_max": "nnscratch calls it total= (optimizer steps, warm-up included)",
               "decay_steps": "nnscratch counts the whole run, warm-up included: total=warmup + decay_steps",
               "eta_min": "nnscratch calls it min_lr=", "alpha": "nnscratch takes the floor as a rate: min_lr=alpha * lr"},
    "EarlyStopping": {"restore_best_weights": "nnscratch calls it restore_best=", "mode": _MODE,
                      "baseline": "nnscratch's EarlyStopping has no baseline",
                      "verbose": "EarlyStopping prints nothing; read its stopped_epoch after fit"},
    "ReduceLROnPlateau": {"mode": _MODE, "threshold": "nnscratch calls the smallest improvement min_delta=",
                          "epsilon": "nnscratch calls the smallest improvement min_delta="},
}


class KeywordError(ConfigError, TypeError):
    """An unknown keyword argument: a ConfigError, and the TypeError Python raises for one."""


def keywords(table: str) -> Callable[[F], F]:
    """Decorate a function (or ``__init__``) so that an unknown keyword argument raises a
    :class:`KeywordError` saying what nnscratch calls it, from ``HINTS[table]``. The error
    names the callable as the user called it: the class for an ``__init__``."""
    hints = HINTS[table]

    def decorate(func: F) -> F:
        parameters = inspect.signature(func).parameters.values()
        known = frozenset(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        options = [p.name for p in parameters if p.default is not p.empty and p.kind is not p.POSITIONAL_ONLY]
        init = func.__name__ == "__init__"

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not known.issuperset(kwargs):
                unknown = next(k for k in kwargs if k not in known)
                label = type(args[0]).__name__ if init and args else func.__name__
                raise KeywordError(unknown_keyword(label, unknown, options, hints))
            return func(*args, **kwargs)
        return cast(F, wrapper)
    return decorate


def unknown_keyword(label: str, unknown: str, options: list[str], hints: dict[str, str]) -> str:
    """The one-line message for keyword ``unknown`` given to ``label``."""
    start = f"{label}() got an unexpected keyword argument {unknown!r}"
    if unknown in hints:
        return f"{start}: {hints[unknown]}."
    close = closest(unknown, options)
    if close:
        return f"{start}; did you mean {close}=?"
    if not options:
        return f"{start}; it takes no options, only its data."
    return f"{start}; its options are: {', '.join(options)}."
