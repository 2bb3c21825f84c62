"""The training step: forward, loss, backward and update for one batch.

This is the hot path. It stays short and runs unchanged on every backend:
no host reads, no namespace look-ups beyond the layers' own, no gradient
for the input layer, the loss's ``1/n`` folded into the output delta.
"""

from array_api_compat import array_namespace

from .errors import ConfigError


class Step:
    """Forward/backward/update for one network, loss and optimizer.

    When the loss fuses with the output activation (cross-entropy after
    Softmax, binary cross-entropy after Sigmoid) that activation is skipped
    and the loss receives its input, the logits.
    """

    def __init__(self, net, loss=None, optimizer=None):
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
        self.optimizer = optimizer
        self.threshold = 0.0 if self.fused else 0.5
        self.xp = net.xp
        # Bound methods, looked up once: the step's Python is a few calls per layer.
        self._forwards = [layer.forward for layer in self.layers]
        self._backwards = [(layer.backward, need) for layer, need in self.backward_plan]

    def forward(self, x, training=False):
        """Outputs of the trained layers (logits when the loss is fused)."""
        for forward in self._forwards:
            x = forward(x, training)
        return x

    def gradients(self, x, Y, scale=None):
        """Set every parameter's ``grad`` for batch ``(x, Y)`` (times ``scale`` if
        given); return ``(loss, out)``."""
        out = self.forward(x, training=True)
        value, grad = self.loss(out, Y)
        if scale is not None:
            grad = grad * scale  # one (n, k) multiply scales every gradient below
        for backward, need_input_grad in self._backwards:
            grad = backward(grad, need_input_grad)
        return value, out

    def __call__(self, x, Y):
        """One optimisation step; returns the batch's mean loss and outputs (on the device).

        With plain SGD the learning rate is folded into the output delta, so
        afterwards each ``grad`` holds the applied update ``lr * dL/dw``.
        """
        lr = self.optimizer.foldable_lr()
        value, out = self.gradients(x, Y, scale=lr)
        self.optimizer.step(self.params, folded=lr is not None)
        return value, out


def predicted_labels(out, n_outputs, threshold=0.5, xp=None):
    """Classes from outputs: argmax over outputs, or ``out > threshold`` for one output."""
    xp = xp or array_namespace(out)
    if n_outputs == 1:
        return xp.astype(out[:, 0] > threshold, xp.int64)
    return xp.argmax(out, axis=1)


def _batches(n, batch_size):
    """``(start, stop)`` of every batch: the full ones, then the remainder."""
    return [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]


def run_epoch(net, step, data, batch_size, shuffle, per_batch):
    """Train one epoch; return the summed loss and correct count as device scalars.

    Per batch this gathers the (shuffled) rows, runs the step and keeps two
    device arrays: the mean loss and the predicted classes. They are summed
    and compared with the labels once, after the last batch.
    """
    x, (Y, labels, mode) = data
    xp, n = step.xp, x.shape[0]
    order = net.backend.asarray(net.rng.permutation(n)) if shuffle else None
    threshold, n_outputs = step.threshold, Y.shape[1]
    losses, predictions = [], []
    for batch, (start, stop) in enumerate(_batches(n, batch_size)):
        if order is None:
            value, out = step(x[start:stop, ...], Y[start:stop, ...])
        else:
            idx = order[start:stop]
            value, out = step(xp.take(x, idx, axis=0), xp.take(Y, idx, axis=0))
        losses.append(value)
        if mode:
            predictions.append(predicted_labels(out, n_outputs, threshold, xp=xp))
        for c in per_batch:
            c.on_batch_end(batch, net)
    return {"loss": _loss_sum(xp, losses, n, batch_size),
            "accuracy": _correct(xp, predictions, labels, order, Y.dtype) if mode else None}


def _loss_sum(xp, losses, n, batch_size):
    """Sum of per-sample losses from per-batch means: every batch but the last is full."""
    last = n - (len(losses) - 1) * batch_size
    head = xp.sum(xp.stack(losses[:-1])) * batch_size if len(losses) > 1 else 0.0
    return head + losses[-1] * last


def _correct(xp, predictions, labels, order, dtype):
    """How many predictions, concatenated in batch order, match the (shuffled) labels."""
    truth = labels if order is None else xp.take(labels, order, axis=0)
    hits = xp.concat(predictions) == truth
    return xp.sum(xp.astype(hits, dtype))


def evaluate_sums(step, data, prefix="", batch_size=4096):
    """Summed loss and correct count over ``data`` without training, as device scalars."""
    x, (Y, labels, mode) = data
    xp, n = array_namespace(x), x.shape[0]
    loss_sum = correct = 0.0
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        out = step.forward(x[start:stop, ...])
        value, _ = step.loss(out, Y[start:stop, ...])
        loss_sum = loss_sum + value * out.shape[0]
        if mode:
            lb = labels[start:stop]
            correct = correct + xp.sum(xp.astype(predicted_labels(out, Y.shape[1], step.threshold) == lb, Y.dtype))
    return {prefix + "loss": loss_sum, prefix + "accuracy": correct if mode else None}
