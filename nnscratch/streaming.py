"""Data too large for the device: keep it in host memory, move one batch at a time.

:func:`should_stream` decides once, before training, from the device's free
memory (``Backend.memory_info()``). :class:`HostData` feeds the same epoch loop
(:func:`nnscratch.step.run_epoch`) as resident data, with the same shuffling
order and arithmetic, so it gives the same result for the same seed; the only
extra cost is one host -> device copy per batch. Nothing is read back from the
device per batch.
"""

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


class HostData:
    """Training data kept in host memory (the same interface as
    :class:`nnscratch.step.DeviceData`): each batch moves to the device when it
    is needed; the targets, ``n x n_outputs``, move once per epoch."""

    def __init__(self, net, x, targets):
        self.backend, self.dtype, self.x, self.targets = net.backend, net.dtype, x, targets
        self.n, self.mode = x.shape[0], targets.mode

    def permutation(self, rng):
        return rng.permutation(self.n)

    def batch(self, order, start, stop):
        rows = slice(start, stop) if order is None else order[start:stop]
        return self.inputs_at(rows), self.backend.asarray(self.targets.Y[rows], dtype=self.dtype)

    def inputs_at(self, rows):
        return self.backend.asarray(self.x[rows], dtype=self.dtype)

    def inputs(self, start, stop):
        return self.inputs_at(slice(start, stop))

    def all_targets(self, order=None):
        rows = slice(None) if order is None else order
        labels = self.targets.labels
        return (self.backend.asarray(self.targets.Y[rows], dtype=self.dtype),
                None if labels is None else self.backend.asarray(labels[rows]))
