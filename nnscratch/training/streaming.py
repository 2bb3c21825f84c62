"""Data too large for the device: keep it in host memory, move one batch at a time.

:func:`should_stream` decides once per call (``fit``, ``evaluate``,
``compute_gradients``, ``predict``) from what the call really allocates on the
device against the free memory (or ``$NNSCRATCH_DEVICE_MEMORY``, a budget such
as ``512M``), both counted in :mod:`nnscratch.training.memory`; their names
(:func:`training_bytes`, :func:`device_budget`, ...) are importable from here too.

:class:`HostData` feeds the same epoch loop (:func:`nnscratch.training.step.run_epoch`)
as resident data, with the same shuffling order and arithmetic, so it gives the
same result for the same seed. Per batch it moves exactly one array of inputs
and one of targets (through :mod:`nnscratch.backend.staging`: pinned and asynchronous
on CUDA; where ``y`` is already on the device, its row numbers instead), prepared one
batch ahead; the epoch's figures come from the targets already on the device, so
nothing else moves and nothing is read back per batch.

A budget that holds less than one batch cannot be kept: ``fit``, ``evaluate``,
``predict`` and ``predict_proba`` say so once per call (:func:`warn_budget`).
"""

import os
import warnings

from .. import validation
from ..backend.kernels import row_taker
from ..validation import is_device_array
from .memory import (INFERENCE_BATCH, batch_rows, device_budget, inference_bytes, one_process, parameter_bytes,
                     processes, row_count, size, training_bytes)
from .memory import data_bytes  # noqa: F401  the older name, importable from here as before

#: Stream when a call would need more than this fraction of the free device memory.
FRACTION = 0.8


def should_stream(net, X, y=None, validation_data=None, stream=None, batch_size=None, training=True):
    """True to keep the data in host memory: ``stream`` if given, else when the call
    would take more than :data:`FRACTION` of the device's free memory. Data already
    on the device never streams: targets ``y`` or validation data there stay there and
    ``X`` may still stream; an ``X`` there cannot, and ``stream=True`` then warns so."""
    if is_device_array(X):
        if stream:
            warnings.warn(f"stream=True keeps nothing in host memory: X is already an array of {net.backend}, "
                          "so it trains from there; pass X as a NumPy array to stream it batch by batch.",
                          UserWarning, stacklevel=validation.user_stacklevel())
        return False
    if any(is_device_array(a) for a in validation_data or ()):
        validation_data = None  # already on the device: it takes no more room there
    if stream is not None:
        return bool(stream)
    free = device_budget(net.backend)
    if free is None:
        return False
    need = training_bytes(net, X, validation_data, batch_size) if training \
        else inference_bytes(net, X, with_targets=y is not None)
    return need > FRACTION * free


def budget_note(net, X, batch_size, training=True, option="batch_size"):
    """A one-line note (or None) when ``$NNSCRATCH_DEVICE_MEMORY`` holds less than one batch of ``X``
    (``batch_size`` rows; None: all of them for ``fit`` (``training``), else ``evaluate``'s and ``predict``'s
    batch of :data:`INFERENCE_BATCH` rows): every batch is then copied on its own, over the budget.
    Under ``mpiexec`` a training step holds this process's share of the batch
    (:func:`~nnscratch.training.memory.batch_rows`): the note counts that share, and says so.
    ``option`` names the setting that lowers the batch (the command line's ``--batch-size``)."""
    text = os.environ.get("NNSCRATCH_DEVICE_MEMORY", "").strip()
    if not text or row_count(X) == 0:
        return None
    budget = device_budget(net.backend)
    if batch_size is None and not training:
        batch_size = INFERENCE_BATCH
    n = row_count(X)
    batch, share = min(batch_size or n, n), (batch_rows(batch_size, n) if training else None)
    rows = share or batch
    with one_process():  # a training step of this process: its share of the batch, counted once
        need = training_bytes(net, X[:rows], batch_size=rows) if training else inference_bytes(net, X[:rows])
    if budget is None or need <= FRACTION * budget:
        return None
    shared = f" (each of the {processes()} processes trains on up to {rows} of each batch's {batch} rows)" \
        if training and rows < batch else ""
    small_model = parameter_bytes(net) <= FRACTION * budget  # then fewer rows may fit
    lower = f" or lower {option}" if option and rows > 1 and small_model else ""
    work = "a training step" if training else "a forward pass"
    return (f"NNSCRATCH_DEVICE_MEMORY={text} holds less than one batch ({work} on {rows} samples needs about "
            f"{size(need)} on the device, parameters included), so every batch is copied to the device on its own "
            f"and the run uses more than the budget; raise it above {size(need / FRACTION)}{lower}{shared}")


def warn_budget(*args, **options):
    """:func:`budget_note` as a warning (pointed at the caller's line), if there is one."""
    note = budget_note(*args, **options)
    if note:
        warnings.warn(note, UserWarning, stacklevel=validation.user_stacklevel())


def _batches(n, batch_size):
    return [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]


class HostData:
    """Training data kept in host memory (the same interface as
    :class:`nnscratch.training.step.DeviceData`). Each batch's inputs and targets move to
    the device as one array each, the next batch's move being started before this
    batch is handed out; the targets handed out are kept (on the device) for the
    epoch's figures, so :meth:`all_targets` moves nothing. The rows' weights ``w (n, 1)``, if any,
    were moved to the device once: a batch takes its rows of them there, as of a device ``y``."""

    def __init__(self, net, x, targets, w=None):
        self.backend, self.xp, self.dtype, self.x, self.Y = net.backend, net.xp, net.dtype, x, targets.Y
        self.n, self.mode, self.w = x.shape[0], targets.mode, w
        self._stagers = (net.backend.stager(), net.backend.stager())
        self._take = row_taker(net.backend)
        self._ahead, self._kept = None, []

    def permutation(self, rng):
        """A shuffled order of the rows, kept on the host (rows are gathered there)."""
        return rng.permutation(self.n)

    def batch(self, order, start, stop, following=None):
        """Inputs and float targets of rows ``start:stop`` (of ``order`` if shuffled), on the device.
        ``following``: the rows ``(a, b)`` the next call asks for, whose copy starts now (default: the next
        ``stop - start`` rows; a data-parallel rank names its shard of the next batch)."""
        if start == 0:
            self._kept = []
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] is order and ahead[1] == (start, stop):
            pair = ahead[2]
        else:
            pair = self._move(order, start, stop)
        following = following or (stop, min(stop + (stop - start), self.n))
        if following[0] < following[1]:  # prepare the next batch now, so its copy overlaps this batch's step
            self._ahead = (order, following, self._move(order, *following))
        self._kept.append(pair[1:])
        return pair

    def _move(self, order, start, stop):
        rows = slice(start, stop) if order is None else order[start:stop]
        if self.w is not None:
            return self._stagers[0].put(self.x, rows, self.dtype), self._targets(rows), self._on_device(self.w, rows)
        return self._stagers[0].put(self.x, rows, self.dtype), self._targets(rows)

    def _targets(self, rows):
        """The targets of ``rows``: staged from the host, or taken where a device ``y`` left them."""
        if not is_device_array(self.Y):
            return self._stagers[1].put(self.Y, rows, self.dtype)
        return self._on_device(self.Y, rows)

    def _on_device(self, a, rows):
        return a[rows, ...] if isinstance(rows, slice) else self._take(a, self.backend.asarray(rows))

    def inputs(self, start, stop, following=None):
        return self.batch(None, start, stop, following)[0]

    def all_targets(self, order=None):
        """``(Y, labels, w)`` of the rows handed out this epoch, in that order (already on the device)."""
        kept, self._kept = self._kept, []
        Y, *w = (parts[0] if len(parts) == 1 else self.xp.concat(list(parts)) for parts in zip(*kept))
        return Y, (validation._labels_of(self.xp, Y, self.mode) if self.mode else None), (w[0] if w else None)


def in_batches(net, X, run, name="X", batch_size=None):
    """``run(x)`` for device inputs ``x`` of ``batch_size`` rows at a time (default :data:`INFERENCE_BATCH`), the
    outputs (an array or a list of arrays) concatenated on the device. The batches are slices of ``X`` on the
    device when it fits there, else each is moved from host memory. Either way a pass holds one batch's
    activations, as :func:`~nnscratch.training.memory.inference_bytes` counts them (all rows at once held
    ``n`` rows of them: 386 MB to predict 16384 small images with a 16-channel convolution)."""
    host = should_stream(net, X, training=False)
    x = validation.as_inputs(net, X, name=name, host=host)
    rows = _batches(x.shape[0], batch_size or INFERENCE_BATCH)
    if not host:
        if len(rows) == 1:
            return run(x)
        outs = [run(x[a:b, ...]) for a, b in rows]
    else:
        warn_budget(net, x, batch_size, training=False, option="batch_size")
        stager = net.backend.stager()
        outs = [run(stager.put(x, slice(a, b), net.dtype)) for a, b in rows]
    concat = net.xp.concat
    if isinstance(outs[0], list):
        return [parts[0] if len(parts) == 1 else concat(list(parts)) for parts in zip(*outs)]
    return outs[0] if len(outs) == 1 else concat(outs)


class _Rows:
    """The ``training`` flag (true) of one piece of a pass over more rows: Dropout keys its masks by
    the row's index in the whole batch, counted from ``row_offset``."""

    def __init__(self, row_offset):
        self.row_offset = row_offset

    def __bool__(self):
        return True


def accumulate_gradients(step, data, batch_size=None, rng=None):
    """``(loss, grads)`` over all of ``data`` (a HostData), batch by batch: each
    batch's mean loss and gradients weighted by its share of the rows. With the
    network's ``rng``, every piece draws the whole batch's Dropout keys and masks its
    own rows of it, so Dropout is as in one pass; BatchNorm normalises each piece
    with its own statistics (one pass would use the whole batch's)."""
    total, grads = 0.0, None
    keys = None if rng is None else rng.bit_generator.state
    for start, stop in _batches(data.n, batch_size or INFERENCE_BATCH):
        x, Y, *w = data.batch(None, start, stop)
        if keys is not None:
            rng.bit_generator.state = keys
        step.training = _Rows(start)
        value, _ = step.gradients(x, Y, *w)
        weight = (stop - start) / data.n
        total = total + weight * value
        batch_grads = [weight * p.grad for p in step.params]
        grads = batch_grads if grads is None else [g + b for g, b in zip(grads, batch_grads)]
    step.training = True
    for p, g in zip(step.params, grads):
        p.grad = g
    return total, grads
