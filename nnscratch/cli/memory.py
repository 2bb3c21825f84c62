"""A device-memory budget (``$NNSCRATCH_DEVICE_MEMORY``) too small for one batch: said once, as a warning.

The library streams data that does not fit the budget batch by batch
(:mod:`nnscratch.training.streaming`); one batch is the least it moves at a time, so a
budget below one batch cannot be kept. The command line says so before the work starts.
"""

import os
import warnings


def budget_note(net, X, batch_size, training=True, option="--batch-size"):
    """A one-line note (or None) when ``$NNSCRATCH_DEVICE_MEMORY`` holds less than one batch of ``X``
    (``batch_size`` rows; None: all of them for ``fit`` (``training``), else ``evaluate``'s and ``predict``'s
    batch of :data:`~nnscratch.training.streaming.INFERENCE_BATCH` rows) as the library counts it."""
    from ..training import streaming
    text = os.environ.get("NNSCRATCH_DEVICE_MEMORY", "").strip()
    if not text or len(X) == 0:
        return None
    budget = streaming.device_budget(net.backend)
    if batch_size is None and not training:
        batch_size = streaming.INFERENCE_BATCH
    rows = min(batch_size or len(X), len(X))
    one = X[:rows]
    need = streaming.training_bytes(net, one, batch_size=rows) if training else streaming.inference_bytes(net, one)
    if budget is None or need <= streaming.FRACTION * budget:
        return None
    small_model = streaming.parameter_bytes(net) <= streaming.FRACTION * budget  # then fewer rows may fit
    lower = f" or lower {option}" if option and rows > 1 and small_model else ""
    work = "a training step" if training else "a forward pass"
    return (f"NNSCRATCH_DEVICE_MEMORY={text} holds less than one batch ({work} on {rows} samples needs about "
            f"{size(need)} on the device, parameters included), so every batch is copied to the device on its own "
            f"and the run uses more than the budget; raise it above {size(need / streaming.FRACTION)}{lower}")


def warn_budget(*args, **options):
    """:func:`budget_note` as a ``warning: ...`` line, if there is one."""
    note = budget_note(*args, **options)
    if note:
        warnings.warn(note, UserWarning, stacklevel=2)


def size(n):
    """``n`` bytes as ``1.5 MiB``."""
    units = ("bytes", "KiB", "MiB", "GiB", "TiB")
    k = 0
    while n >= 1024 and k < len(units) - 1:
        n, k = n / 1024, k + 1
    return f"{n:.0f} bytes" if k == 0 else f"{n:.1f} {units[k]}"
