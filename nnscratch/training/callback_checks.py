"""The callbacks ``fit`` is given, checked before any training: each hook takes what ``fit`` passes.

A mistake in a callback (a Keras signature, a hook ``fit`` never calls, the same object listed
twice) would otherwise surface as a TypeError after the first epoch, or as hooks silently never
called; :func:`checked_callbacks` says it in one line before the first batch.
"""

from __future__ import annotations

import inspect

from ..errors import ConfigError
from .history import Callback


#: Each hook's arguments after ``self``, as ``fit`` passes them.
HOOKS = {"on_train_begin": ("network",), "on_epoch_begin": ("epoch", "network"), "on_batch_end": ("batch", "network"),
         "on_epoch_end": ("epoch", "logs", "network"), "on_train_end": ("network",)}

#: Keras hooks ``fit`` never calls, and what to define instead.
KERAS_HOOKS = {"on_train_batch_end": "on_batch_end(self, batch, network)",
               "on_train_batch_begin": "on_batch_end(self, batch, network) of the batch before",
               "on_batch_begin": "on_batch_end(self, batch, network) of the batch before"}


def checked_callbacks(callbacks: list[Callback]) -> list[Callback]:
    """``callbacks`` (a list of Callback instances) when fit can call them as they are, else one ConfigError
    before any training: the same object listed twice (its hooks would run twice per epoch, so
    ``EarlyStopping(patience=4)`` would stop after 2 epochs without improvement; two instances of one class
    are fine), a hook that takes other arguments than fit passes (Keras's ``on_epoch_end(self, epoch,
    logs=None)`` raised a TypeError after the first epoch, and ``on_train_begin(self, logs=None)`` received the
    network as ``logs``), or a Keras hook fit never calls (``on_train_batch_end``) without ``on_batch_end``."""
    seen: set[int] = set()
    for c in callbacks:
        if id(c) in seen:
            raise ConfigError(f"callbacks lists the same {c!r:.80} twice, so its hooks would run twice per epoch "
                              f"(its counts of epochs doubled); list it once, or pass two separate instances.")
        seen.add(id(c))
        for hook, arguments in HOOKS.items():
            _check_hook(c, hook, arguments)
        own_batch_end = type(c).on_batch_end is not Callback.on_batch_end  # a class written for both: fine
        for hook, instead in KERAS_HOOKS.items():
            if callable(getattr(c, hook, None)) and not own_batch_end:
                raise ConfigError(f"{type(c).__name__}.{hook} is a Keras hook that nnscratch's fit never calls; "
                                  f"define {instead} instead.")
    return callbacks


def _check_hook(callback: Callback, hook: str, arguments: tuple[str, ...]) -> None:
    """A ConfigError when ``callback``'s own ``hook`` cannot take fit's ``arguments``, or would receive the
    network in a parameter named ``logs`` (Keras's hooks take ``logs`` and reach the model as ``self.model``)."""
    if getattr(type(callback), hook, None) is getattr(Callback, hook):
        return
    try:
        signature = inspect.signature(getattr(callback, hook))
    except (TypeError, ValueError):  # no signature to read (a builtin): called as it is
        return
    names = [p.name for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    try:
        signature.bind(*arguments)
        fits = len(names) < len(arguments) or names[len(arguments) - 1] != "logs"
    except TypeError:
        fits = False
    if not fits:
        raise ConfigError(f"{type(callback).__name__}.{hook}{signature} does not take what fit passes: "
                          f"{hook}({', '.join(arguments)}), the network last (where Keras has self.model); "
                          f"define {hook}(self, {', '.join(arguments)}).")
