"""A pass over data that trains nothing: ``evaluate`` and ``compute_gradients``.

Also what ``fit``'s epoch loop (:mod:`nnscratch.training.loop`) shares with them:
the data checked and moved to the device once, and every per-epoch figure read
back from the device in one transfer.
"""

import warnings

from . import streaming
from .. import validation
from ..backend.core import on_device
from ..errors import DataWarning
from ..layers.checks import refuse_one_value_per_channel
from .guard import left_as_it_was
from .step import DeviceData, Step, evaluate_sums


def checked_data(net, step, X, y, name="X", host=False):
    """``(X, y)`` (or the validation pair, ``name="validation"``) checked and moved to the device
    once (``host=True``: checked, kept in host memory for streaming; a ``y`` already on the device
    stays there, and each batch takes its rows of it)."""
    names = ("X", "y") if name == "X" else ("X_val", "y_val")
    x = validation.as_inputs(net, X, name=names[0], host=host)
    targets = validation.as_targets(net, y, step.loss, x.shape[0], name=names[1],
                                    host=host and not validation.is_device_array(y))
    return (streaming.HostData if host else DeviceData)(net, x, targets)


def read_figures(net, sums, data, val, parallel=None):
    """Read every per-epoch figure from the device in one transfer (sums of
    per-sample figures become means; ``nonfinite`` is read as is); in a
    parallel run the sums are added over ranks first."""
    keys = [k for k, v in sums.items() if v is not None]
    xp = net.xp
    values = net.backend.to_numpy(xp.stack([xp.asarray(sums[k], dtype=net.dtype, device=net.backend.device)
                                            for k in keys]))
    if parallel is not None:
        values = parallel.sum_figures(values)
    n, n_val = data.n, (val.n if val is not None else 1)
    scale = {k: (n_val if k.startswith("val_") else 1 if k == "nonfinite" else n) for k in keys}
    return {k: float(v) / scale[k] for k, v in zip(keys, values)}


@on_device
def evaluate(net, X, y, loss=None, batch_size=4096):
    """Mean loss and accuracy (classification) of ``net`` on ``(X, y)``, as floats
    (batch by batch from host memory when ``X`` does not fit on the device)."""
    step = Step(net, loss)
    host = streaming.should_stream(net, X, y, training=False)
    data = checked_data(net, step, X, y, host=host)
    if host:  # a budget below one batch: said once, as fit says it
        streaming.warn_budget(net, data.x, batch_size, training=False)
    return read_figures(net, evaluate_sums(step, data, batch_size=batch_size), data, None)


@on_device
def compute_gradients(net, X, y, loss=None):
    """Backprop one batch without updating: ``(loss_float, [grad per parameter])``
    (accumulated batch by batch from host memory when ``X`` does not fit on the device).

    A training-mode pass (batch statistics, dropout), that leaves the model as it was:
    running statistics, the RNG and the parameters' gradients are put back (see
    :func:`nnscratch.training.guard.left_as_it_was`)."""
    step = Step(net, loss)
    host = streaming.should_stream(net, X, y, training=False)
    data = checked_data(net, step, X, y, host=host)
    refuse_one_value_per_channel(net.layers, data.x.shape[1:], data.n)
    with left_as_it_was(net):
        if host:
            if any(type(layer).__name__ == "BatchNorm" for layer in net.layers):
                warnings.warn(f"compute_gradients streams these {data.n} rows from host memory in pieces (they "
                              "do not fit the device), and BatchNorm normalises each piece with its own "
                              "statistics, not the whole batch's; pass fewer rows for the one-pass value.",
                              DataWarning, stacklevel=validation.user_stacklevel())
            value, grads = streaming.accumulate_gradients(step, data, rng=net.rng)
            return float(value), grads
        value, _ = step.gradients(data.x, data.targets.Y)
        return float(value), [net.xp.asarray(p.grad, copy=True) for p in step.params]  # the views are put back
