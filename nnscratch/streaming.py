"""Data too large for the device: keep it in host memory, move one batch at a time.

:func:`should_stream` decides once, before training, from the device's free
memory (``Backend.memory_info()``). The streamed epoch mirrors
:func:`nnscratch.step.run_epoch` batch for batch (same shuffling order, same
arithmetic), so it gives the same result as the resident path for the same
seed; the only extra cost is one host -> device copy per batch. Nothing is
read back from the device per batch.
"""

from array_api_compat import array_namespace

from .step import predicted_labels
from .validation import is_device_array

#: Stream when the data would need more than this fraction of the free device memory.
FRACTION = 0.5


def data_bytes(net, X, validation_data=None):
    """Bytes the data would occupy on the device: inputs, float targets and labels."""
    itemsize = 8 if net.backend.dtype_name == "float64" else 4
    rows = _rows(X) + (_rows(validation_data[0]) if validation_data is not None else 0)
    return rows * ((net.n_inputs + net.n_outputs) * itemsize + 8)


def _rows(a):
    shape = getattr(a, "shape", None)
    if shape is None:
        try:
            return len(a)
        except TypeError:
            return 0
    return shape[0] if len(shape) else 0


def should_stream(net, X, y, validation_data=None, stream=None):
    """True to stream batches from the host: ``stream`` if given, else when the data
    would take more than :data:`FRACTION` of the device's free memory."""
    arrays = [X, y] + list(validation_data or ())
    if any(is_device_array(a) for a in arrays):
        return False
    if stream is not None:
        return bool(stream)
    info = net.backend.memory_info()
    return info is not None and data_bytes(net, X, validation_data) > FRACTION * info[0]


def _batch(net, host, rows):
    return None if host is None else net.backend.asarray(host[rows])


def run_epoch(net, step, data, batch_size, shuffle, per_batch):
    """As :func:`nnscratch.step.run_epoch`, for host ``data`` from ``validation.as_*(host=True)``."""
    x, (Y, labels, mode) = data
    n = x.shape[0]
    order = net.rng.permutation(n) if shuffle else None
    loss_sum = correct = 0.0
    for batch, start in enumerate(range(0, n, batch_size)):
        rows = slice(start, min(start + batch_size, n)) if order is None else order[start:start + batch_size]
        xb = net.backend.asarray(x[rows], dtype=net.dtype)
        yb, lb = _batch(net, Y, rows), _batch(net, labels, rows)
        value, out = step(xb, yb)
        loss_sum = loss_sum + value * xb.shape[0]
        if lb is not None:
            xp = array_namespace(out)
            correct = correct + xp.sum(xp.astype(predicted_labels(out, net.n_outputs, step.threshold) == lb,
                                                 yb.dtype))
        for c in per_batch:
            c.on_batch_end(batch, net)
    return {"loss": loss_sum, "accuracy": correct if mode else None}


def evaluate_sums(net, step, data, prefix="", batch_size=4096):
    """As :func:`nnscratch.step.evaluate_sums`, for host ``data``."""
    x, (Y, labels, mode) = data
    n = x.shape[0]
    loss_sum = correct = 0.0
    for start in range(0, n, batch_size):
        rows = slice(start, min(start + batch_size, n))
        out = step.forward(net.backend.asarray(x[rows], dtype=net.dtype))
        yb = _batch(net, Y, rows)
        value, _ = step.loss(out, yb)
        loss_sum = loss_sum + value * out.shape[0]
        if mode:
            xp = array_namespace(out)
            lb = _batch(net, labels, rows)
            correct = correct + xp.sum(xp.astype(predicted_labels(out, yb.shape[1], step.threshold) == lb,
                                                 yb.dtype))
    return {prefix + "loss": loss_sum, prefix + "accuracy": correct if mode else None}
