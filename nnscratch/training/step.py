"""The training step: forward, loss, backward and update for one batch.

This is the hot path. It stays short and runs unchanged on every backend:
no host reads, no namespace look-ups beyond the layers' own, no gradient
for the input layer, the loss's ``1/n`` folded into the output delta, every
gradient written into the network's flat gradient buffer and one optimizer
update over all parameters at once (:mod:`nnscratch.models.params`), and no
per-batch bookkeeping: an epoch keeps
each batch's outputs and takes the loss and accuracy (a regression: R^2
and MAE) from them once, at the end (the outputs are those of the weights the batch was trained from,
so the figures are the same as summing per batch).
"""

import contextlib
from typing import Any, NamedTuple

from array_api_compat import array_namespace

from ..backend.kernels import row_taker
from ..optim.clip import clip_gradients
from ..errors import ConfigError
from ..metrics import absolute_error_sum, r2_sums
from ..models.task import binary_threshold


class Step:
    """Forward/backward/update for one network, loss and optimizer.

    When the loss fuses with the output activation (cross-entropy after
    Softmax, binary cross-entropy after Sigmoid) that activation is skipped
    and the loss receives its input, the logits.
    """

    def __init__(self, net, loss=None, optimizer=None):
        self.net = net
        self.loss = net.resolve_loss(loss)
        output = net.layers[-1]
        if self.loss.accepts and not isinstance(output, self.loss.accepts):
            allowed = " or ".join(cls.__name__ for cls in self.loss.accepts)
            raise ConfigError(f"Loss {self.loss.name!r} needs a {allowed} output layer; the network ends "
                              f"with {type(output).__name__}. Change the output activation or the loss.")
        self.fused = self.loss.fuses is not None and isinstance(output, self.loss.fuses)
        self.layers = net.layers[:-1] if self.fused else list(net.layers)
        first = next(i for i, layer in enumerate(self.layers) if layer.params)
        self.backward_plan = [(layer, i > first) for i, layer in enumerate(self.layers) if i >= first][::-1]
        self.params = net.parameters()
        # The flat values/grads of every parameter (a data-parallel run all-reduces ``buffer.grads``).
        self.buffer = net.parameter_buffer
        self.holders = tuple(self.params) if self.buffer is None else (self.buffer,)  # what the optimizer updates
        self.optimizer = optimizer
        self.threshold = 0.0 if self.fused else binary_threshold(output)  # logits split at 0
        # A regression's R^2 and MAE are of the values the network predicts: the skipped activation's.
        self.activate = output.forward if self.fused else None
        self.xp = net.xp
        # The layers' ``training`` flag in backward; a data-parallel run puts a ShardContext here
        # (:mod:`nnscratch.distributed.sync`: the row offset and statistics of the global batch).
        self.training = True
        # Bound methods, looked up once: the step's Python is a few calls per layer.
        self._forwards = [layer.forward for layer in self.layers]
        self._backwards = [(layer.backward, need) for layer, need in self.backward_plan]

    def cores(self):
        """A context ``fit`` enters around its epochs: nothing here; a step that splits each
        batch over threads (:class:`nnscratch.training.threaded.ThreadedStep`) takes the cores in it."""
        return contextlib.nullcontext()

    def forward(self, x, training=False):
        """Outputs of the trained layers (logits when the loss is fused)."""
        for forward in self._forwards:
            x = forward(x, training)
        return x

    def backward(self, x, Y, scale=1.0, w=None):
        """Forward ``x``, then set every parameter's ``grad`` to ``scale * dL/dw``
        for targets ``Y`` (rows weighted by ``w (n, 1)`` if given); return the outputs (on the device)."""
        out = self.forward(x, training=self.training)
        grad = self.loss.gradient(out, Y, scale) if w is None else self.loss.gradient(out, Y, scale, w)
        for backward, need_input_grad in self._backwards:
            grad = backward(grad, need_input_grad)
        return out

    def train_batch(self, x, Y, w=None):
        """One optimisation step without the loss value; returns the outputs (on the device).
        Afterwards every parameter's ``grad`` is this batch's ``dL/dw`` (``w``: the rows' weights, or None)."""
        out = self.backward(x, Y) if w is None else self.backward(x, Y, 1.0, w)
        self.reduce_gradients(self.holders)
        if self.optimizer.clip_norm is not None:
            clip_gradients(self.holders, self.optimizer.clip_norm)
        self.optimizer.step(self.holders)
        return out

    def reduce_gradients(self, params):
        """Between backward and update: nothing in one process; a data-parallel run
        replaces it with the sum over ranks (:meth:`nnscratch.distributed.DataParallel.reduce_gradients`)."""

    def gradients(self, x, Y, w=None):
        """Set every parameter's ``grad`` for batch ``(x, Y)`` (rows weighted by ``w``); return ``(loss, out)``."""
        if w is None:  # a Loss of one's own may define value(out, y) alone
            out = self.backward(x, Y)
            return self.loss.value(out, Y), out
        out = self.backward(x, Y, 1.0, w)
        return self.loss.value(out, Y, w), out


def predicted_labels(out, n_outputs, threshold=0.5, xp=None, task=None):
    """Classes from outputs: argmax over outputs, or ``out > threshold`` for one output; for
    ``task="multilabel"`` indicator rows ``(n, n_outputs)`` of int 0/1, ``out > threshold`` per output."""
    xp = xp or array_namespace(out)
    if task == "multilabel":
        return xp.astype(out > threshold, xp.int64)
    if n_outputs == 1:
        return xp.astype(out[:, 0] > threshold, xp.int64)
    return xp.argmax(out, axis=1)


def _batches(n, batch_size):
    """``(start, stop)`` of every batch: the full ones, then the remainder."""
    return [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]


class DeviceData:
    """Training data resident on the device: ``x (n, n_inputs)``, its Targets and the rows'
    weights ``w (n, 1)`` or None (:mod:`nnscratch.training.weights`): a batch is ``(x, Y)``, or
    ``(x, Y, w)`` when weighted.

    A data source hands the epoch loop its batches. :class:`nnscratch.training.streaming.HostData`
    is the other source: the same interface over host memory, moving one batch at a time.
    """

    def __init__(self, net, x, targets, w=None):
        self.backend, self.xp, self.x, self.targets, self.w = net.backend, net.xp, x, targets, w
        self.n, self.mode = x.shape[0], targets.mode
        self.take = row_taker(net.backend)
        self._split_of = self._split = self._size = None

    def permutation(self, rng):
        """A shuffled order of the rows, drawn on the host and moved to the device."""
        return self.backend.asarray(rng.permutation(self.n))

    def batch(self, order, start, stop):
        """Inputs and float targets of rows ``start:stop`` (of ``order`` if shuffled)."""
        x, Y = self.x, self.targets.Y
        if order is None:
            if self.w is not None:
                return x[start:stop, ...], Y[start:stop, ...], self.w[start:stop, ...]
            return x[start:stop, ...], Y[start:stop, ...]
        if self._split_of is not order:  # first batch of an epoch: cut ``order`` into batches at once
            self._split_of, self._size = order, stop - start
            self._split = _split(self.xp, order, stop - start)
        piece, offset = divmod(start, self._size)
        cut = self._split[piece] if offset == 0 and piece < len(self._split) else None
        idx = cut if cut is not None and cut.shape[0] == stop - start \
            else order[start:stop]  # a slice the cut does not hold (a data-parallel shard, an idle rank)
        if self.w is not None:
            return self.take(x, idx), self.take(Y, idx), self.take(self.w, idx)
        return self.take(x, idx), self.take(Y, idx)

    def inputs(self, start, stop):
        return self.x[start:stop, ...]

    def all_targets(self, order=None):
        """``(Y, labels, w)`` of every row, in ``order`` if given (``w`` None when unweighted)."""
        Y, labels, w = self.targets.Y, self.targets.labels, self.w
        if order is None:
            return Y, labels, w
        return (self.take(Y, order), None if labels is None else self.take(labels, order),
                None if w is None else self.take(w, order))


def _split(xp, order, size):
    """``order`` cut into consecutive pieces of ``size`` (the last one shorter): one
    reshape and one unstack per epoch instead of one slice per batch."""
    full = (order.shape[0] // size) * size
    pieces = list(xp.unstack(xp.reshape(order[:full], (-1, size)))) if full else []
    return pieces + ([order[full:]] if full < order.shape[0] else [])


def run_epoch(net, step, data, batch_size, shuffle, per_batch, stoppable=True):
    """Train one epoch over ``data`` (a DeviceData or HostData); return its figures
    on the device: the summed loss and correct count (classification) or R^2 and
    absolute-error sums (regression), see :func:`_sums`.

    Per batch: fetch the (shuffled) rows, train, keep the outputs. After the
    last batch the loss and accuracy (R^2, MAE) come from all the outputs at once.

    A hook that sets ``net.stop_training`` ends the epoch after the batch in progress, as in Keras 3
    (``stoppable=False``, a data-parallel run: the ranks agree on it at the epoch's end instead). The
    figures are then those of the rows trained, counted in ``"rows"`` (a host int; absent: all of them).
    """
    order = data.permutation(net.rng) if shuffle else None
    outs, rows = [], data.n
    for batch, (start, stop) in enumerate(_batches(data.n, batch_size)):
        outs.append(step.train_batch(*data.batch(order, start, stop)))
        for c in per_batch:
            c.on_batch_end(batch, net)
        if stoppable and net.stop_training:
            rows = stop
            break
    out = outs[0] if len(outs) == 1 else step.xp.concat(outs)
    Y, labels, w = data.all_targets(order)
    if rows < data.n:  # the rows trained before the stop (streamed data kept only those)
        Y, labels, w = (None if a is None else a[:rows, ...] for a in (Y, labels, w))
        return {**_sums(step, out, Y, labels, data.mode, w=w), "rows": rows}
    return _sums(step, out, Y, labels, data.mode, w=w)


class PieceSums(NamedTuple):
    """The R^2 figure of one piece of rows: ``rows`` (a Python int) and the device sums of
    :func:`nnscratch.metrics.r2_sums`; :func:`nnscratch.training.evaluation.read_figures`
    adds the pieces of every data-parallel rank up on the host."""

    rows: int
    sums: Any


def _sums(step, out, Y, labels, mode, prefix="", w=None):
    """Device figures of outputs ``out`` against ``Y``/``labels``: the summed loss (weighted by ``w``, the
    rows' weights, if given: ``sum_i w_i l_i``, as Keras reports it), and the correct count (classification;
    multilabel: rows whose every label is right) or the sums of R^2 and of the absolute error (regression),
    unweighted (Keras weighs only ``weighted_metrics``). Counts, not means: data-parallel ranks add them up
    before dividing."""
    xp = step.xp
    value = step.loss.value(out, Y) if w is None else step.loss.value(out, Y, w)
    if not mode:  # values: a fused loss took the logits, the network predicts its output layer's values of them
        values = out if step.activate is None else step.activate(out)
        return {prefix + "loss": value * out.shape[0], prefix + "r2": PieceSums(out.shape[0], r2_sums(Y, values)),
                prefix + "mae": absolute_error_sum(Y, values)}
    hits = predicted_labels(out, Y.shape[1], step.threshold, xp=xp, task=mode) == labels
    if mode == "multilabel":  # subset accuracy: a row is right when each of its labels is (scikit-learn's)
        hits = xp.all(hits, axis=1)
    return {prefix + "loss": value * out.shape[0], prefix + "accuracy": xp.sum(xp.astype(hits, Y.dtype))}


def evaluate_sums(step, data, prefix="", batch_size=4096, out=None):
    """The figures of :func:`_sums` over ``data`` without training, on the device (of the outputs
    ``out`` if given: :func:`evaluate_outputs`)."""
    out = evaluate_outputs(step, data, batch_size) if out is None else out
    Y, labels, w = data.all_targets()
    return _sums(step, out, Y, labels, data.mode, prefix, w)


def evaluate_outputs(step, data, batch_size=4096):
    """The step's outputs (logits when the loss is fused) for every row of ``data``, batch by batch."""
    outs = [step.forward(data.inputs(start, stop)) for start, stop in _batches(data.n, batch_size)]
    return outs[0] if len(outs) == 1 else step.xp.concat(outs)
