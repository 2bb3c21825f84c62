"""A pass over data that trains nothing: ``evaluate`` and ``compute_gradients``.

Also what ``fit``'s epoch loop (:mod:`nnscratch.training.loop`) shares with them:
the data checked and moved to the device once, and every per-epoch figure read
back from the device in one transfer.
"""

import warnings

from array_api_compat import array_namespace

from . import streaming
from .. import metrics, validation
from ..backend.core import on_device
from ..errors import DataError, DataWarning
from ..host_arrays import to_host
from ..layers.checks import refuse_one_value_per_channel
from .guard import left_as_it_was
from .weights import row_weights
from .step import DeviceData, PieceSums, Step, evaluate_outputs, evaluate_sums


def checked_data(net, step, X, y, name="X", host=False, sample_weight=None, class_weight=None):
    """``(X, y)`` (or the validation pair, ``name="validation"``) checked and moved to the device
    once (``host=True``: checked, kept in host memory for streaming; a ``y`` already on the device
    stays there, and each batch takes its rows of it). The rows' weights, if any, are checked
    and moved to the device once (:func:`nnscratch.training.weights.row_weights`)."""
    names = ("X", "y") if name == "X" else ("X_val", "y_val")
    if y is None:  # it read as 'an array of dtype object' with a hint about numbering class names
        raise DataError(f"{names[1]} is None; training and evaluating need the targets: one class label or row of "
                        f"targets per sample of {names[0]} (a network's outputs alone come from predict).")
    x = validation.as_inputs(net, X, name=names[0], host=host)
    targets = validation.as_targets(net, y, step.loss, x.shape[0], name=names[1],
                                    host=host and not validation.is_device_array(y))
    w = row_weights(net, targets, sample_weight, class_weight, step.loss)
    return (streaming.HostData if host else DeviceData)(net, x, targets, w)


def read_figures(net, sums, data, val, parallel=None, rmse=False):
    """Read every per-epoch figure from the device in one transfer and make it a float: sums of
    per-sample figures become means, ``nonfinite`` is read as is, and a regression's R^2 comes from
    the sums of its pieces (:class:`~nnscratch.training.step.PieceSums`) in float64. In a parallel run
    the figures are added over ranks first, each rank's R^2 sums in a slot of its own (the ranks'
    origins differ). A ``"rows"`` entry (a host int) is the number of rows the means are over (default:
    ``data.n``). ``rmse``: also ``rmse`` (``val_rmse``) after the others, as ``evaluate`` returns."""
    figures = {k: v for k, v in sums.items() if v is not None}
    n = figures.pop("rows", data.n)  # an epoch a callback stopped after some batches: the rows it trained
    xp = net.xp
    device = [xp.reshape(xp.asarray(v.sums if isinstance(v, PieceSums) else v, dtype=net.dtype,
                                    device=net.backend.device), (-1,)) for v in figures.values()]
    host = net.backend.to_numpy(xp.concat(device))
    hp = array_namespace(host)
    rank, size = (0, 1) if parallel is None else (parallel.comm.rank, parallel.comm.size)
    values, at = [], 0
    for v, a in zip(figures.values(), device):
        part, at = hp.astype(host[at:at + a.shape[0]], hp.float64), at + a.shape[0]
        values.append(part if not isinstance(v, PieceSums) else _slot(hp, v.rows, part, rank, size))
    total = hp.concat(values) if parallel is None else hp.asarray(parallel.sum_figures(hp.concat(values)))
    n_val, errors, at = (val.n if val is not None else 1), {}, 0
    for k, part in zip(list(figures), values):
        value, at = total[at:at + part.shape[0]], at + part.shape[0]
        if isinstance(figures[k], PieceSums):
            figures[k], errors[k.replace("r2", "rmse")] = _regression(hp, hp.reshape(value, (size, -1)))
        else:
            figures[k] = float(value[0]) / (n_val if k.startswith("val_") else 1 if k == "nonfinite" else n)
    return {**figures, **errors} if rmse else figures


def _slot(hp, rows, sums, rank, size):
    """``[rows, sums]`` in slot ``rank`` of ``size`` slots, zeros in the others': added over the ranks,
    every rank's own piece."""
    width = sums.shape[0] + 1
    return hp.concat([hp.zeros(rank * width, dtype=hp.float64), hp.asarray([float(rows)], dtype=hp.float64), sums,
                      hp.zeros((size - rank - 1) * width, dtype=hp.float64)])


def _regression(hp, slots):
    """``(R^2, RMSE)`` from the ranks' ``slots`` ``(ranks, 1 + 4 k)`` of ``[rows, sums]``."""
    slots = slots[slots[:, 0] > 0, ...]  # ranks that saw rows: the first one's origin is the common one
    rows = slots[:, 0]
    sse, sst = metrics.combine_r2_sums(rows, hp.reshape(slots[:, 1:], (slots.shape[0], 4, -1)))
    n = int(hp.sum(rows))
    if n < 2:  # NaN, as scikit-learn's r2_score: one sample has no variance to explain
        metrics.warn_undefined_r2()
    return float(metrics.r2_from_sums(sse, sst, rows=n)), float(hp.sqrt(hp.sum(sse) / (n * sse.shape[0])))


@on_device
def evaluate(net, X, y, loss=None, batch_size=4096, sample_weight=None):
    """Mean loss and accuracy (classification), or R^2, MAE and RMSE (regression), of ``net``
    on ``(X, y)``, as floats (batch by batch from host memory when ``X`` does not fit on the device).
    With ``sample_weight`` the loss is ``sum_i w_i l_i / n``, as ``fit`` weighs it; the rest unweighted."""
    step = Step(net, loss)
    host = streaming.should_stream(net, X, y, training=False)
    data = checked_data(net, step, X, y, host=host, sample_weight=sample_weight)
    if host:  # a budget below one batch: said once, as fit says it
        streaming.warn_budget(net, data.x, batch_size, training=False)
    out = evaluate_outputs(step, data, batch_size=batch_size)
    wide = None if data.mode else _wider_targets(net, y, data.n)
    with warnings.catch_warnings():
        if wide is not None:  # R^2 of one sample is said once, by the scores that replace these
            warnings.simplefilter("ignore", metrics.UndefinedMetricWarning)
        figures = read_figures(net, evaluate_sums(step, data, out=out), data, None, rmse=True)
    if wide is not None:
        figures.update(metrics.regression_scores(wide, out if step.activate is None else step.activate(out)))
    return figures


def _wider_targets(net, y, n):
    """A regression's targets ``y`` as ``(n, k)`` when they hold a wider float than the network
    (float64 beside float32), else None. ``evaluate`` scores R^2, MAE and RMSE against them, as
    scikit-learn scores ``model.predict(X)``, rather than against the targets rounded to the network's
    float, which the loss (and ``fit``'s per-epoch figures) use: 1000 +- 0.01 is 1000 +- 6e-5 in float32."""
    wide = y if validation.is_device_array(y) else to_host(y, "y")
    xp = array_namespace(wide)
    if not xp.isdtype(wide.dtype, "real floating") or xp.finfo(wide.dtype).bits <= net.xp.finfo(net.dtype).bits:
        return None
    return xp.reshape(wide, (n, -1))


@on_device
def compute_gradients(net, X, y, loss=None, sample_weight=None):
    """Backprop one batch without updating: ``(loss_float, [grad per parameter])``
    (accumulated batch by batch from host memory when ``X`` does not fit on the device;
    rows weighted by ``sample_weight`` as ``fit`` weighs them).

    A training-mode pass (batch statistics, dropout), that leaves the model as it was:
    running statistics, the RNG and the parameters' gradients are put back (see
    :func:`nnscratch.training.guard.left_as_it_was`)."""
    step = Step(net, loss)
    host = streaming.should_stream(net, X, y, training=False)
    data = checked_data(net, step, X, y, host=host, sample_weight=sample_weight)
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
        value, _ = step.gradients(data.x, data.targets.Y, data.w)
        return float(value), [net.xp.asarray(p.grad, copy=True) for p in step.params]  # the views are put back
