"""The divergence guard: keep the last finite weights, and optionally the best.

Once per epoch the fit loop asks :func:`nonfinite_flag` for a device scalar
(0, or NaN when a parameter entry is NaN or infinite) and reads it together with
the epoch's other figures, in one transfer. The guard keeps a device copy of
the weights (and running statistics) and of the optimizer's state (step count,
moments) from the end of the last good epoch (one copy per epoch), so
a diverged run hands back finite weights and an optimizer that can go on from
them: a later ``fit`` of the same network (with a smaller ``lr``) does not start
from NaN momenta, nor from a schedule advanced by the epoch that diverged.

:func:`left_as_it_was` is the same idea for one computation: what a training-mode
pass moves (the host RNG that draws dropout masks, BatchNorm's running
statistics, the gradients) is put back afterwards, so ``compute_gradients`` and
``check_gradients`` leave the model as they found it.
"""

import contextlib
import math

from ..errors import DivergenceError


def nonfinite_flag(net):
    """0 when every parameter entry is finite, NaN otherwise: a device scalar
    (nothing is read). ``w * 0`` is 0 for finite entries and NaN for NaN/inf,
    and a multiply-and-sum is ~15x cheaper than ``isfinite`` on PyTorch CPU."""
    total = 0.0
    for p in net.parameters():
        total = total + net.xp.sum(p.value * 0.0)
    return total


def saved_arrays(net):
    """What a snapshot holds: every parameter, then every buffer (BatchNorm's running
    statistics), so that a restored model predicts exactly as it did."""
    return net.parameters() + net.buffers()


def snapshot(net):
    """Device copies of :func:`saved_arrays`, in that order."""
    return [net.xp.asarray(p.value, copy=True) for p in saved_arrays(net)]


def restore(net, weights):
    """Put copies of ``weights`` (from :func:`snapshot`) back into ``net``."""
    for p, w in zip(saved_arrays(net), weights, strict=True):
        p.value = net.xp.asarray(w, copy=True)


@contextlib.contextmanager
def left_as_it_was(net):
    """Run a block of training-mode passes on ``net`` and leave no trace of them.

    Yields ``replay``, which puts the host RNG back where it was at the start, so that
    every pass draws the same dropout masks. Afterwards the RNG, the buffers (BatchNorm's
    running statistics, which each pass moves) and every parameter's gradient are as before."""
    state = net.rng.bit_generator.state
    buffers = [(b, net.xp.asarray(b.value, copy=True)) for b in net.buffers()]
    grads = [(p, None if p.grad is None else net.xp.asarray(p.grad, copy=True)) for p in net.parameters()]

    def replay():
        net.rng.bit_generator.state = state

    try:
        yield replay
    finally:
        replay()
        for b, value in buffers:
            b.value = value
        for p, grad in grads:
            p.grad = grad


class Guard:
    """Tracks the last good and (with ``restore_best``) the best epoch's weights.

    ``monitor`` is the logs key compared for "best" (lower is better).
    """

    def __init__(self, net, monitor="loss", restore_best=False):
        self.net, self.monitor, self.restore_best = net, monitor, restore_best
        self.remember()
        self.best, self.best_epoch, self.best_value = None, None, math.inf

    def remember(self):
        """Mark this moment as the last good point: copies of the weights (:func:`snapshot`) in
        ``last``, and of the optimizer's state beside them. ``fit`` calls it again after loading a
        checkpoint, so a resumed run that diverges goes back to the checkpoint's optimizer state.
        The old copies are dropped before the new ones are made (3 copies at once, not 6)."""
        self.last = self._optimizer = None
        optimizer = getattr(self.net, "optimizer", None)
        self.last = snapshot(self.net)
        self._optimizer = None if optimizer is None else optimizer.snapshot(self._copy)

    def _copy(self, a):
        """A copy of ``a`` on the network's device: optimizer state loaded without ``asarray`` may be another
        backend's (array-api-strict's device1, CuPy), which refuses the host conversion ``xp.asarray`` makes."""
        backend = self.net.backend
        return self.net.xp.asarray(a if backend.owns(a) else backend.asarray(a, dtype=self.net.dtype), copy=True)

    def _go_back(self):
        """Put the last good point back: weights, running statistics and the optimizer's state."""
        restore(self.net, self.last)
        if self._optimizer is not None:
            self.net.optimizer.restore(self._optimizer, self._copy)

    def check(self, epoch, epochs, logs, flag):
        """Raise :class:`DivergenceError` (after restoring the last good weights)
        if the epoch went bad; otherwise remember its weights."""
        bad = [k for k, v in logs.items() if not math.isfinite(v)]
        weights_bad = not math.isfinite(flag) or flag != 0
        if weights_bad or bad:
            self._go_back()
            raise divergence_error(self.net, epoch, epochs, bad, weights_bad)
        self.remember()
        value = logs.get(self.monitor)
        if self.restore_best and value is not None and value < self.best_value:
            self.best, self.best_epoch, self.best_value = self.last, epoch, value

    def finish(self):
        """With ``restore_best``, put the best epoch's weights and running statistics back; return its index."""
        if self.restore_best and self.best is not None:
            restore(self.net, self.best)
            return self.best_epoch
        return None


def divergence_error(net, epoch, epochs, bad_logs, weights_bad):
    """A DivergenceError naming the epoch, what went bad, and the fix."""
    what = []
    if bad_logs:
        what.append(" and ".join(bad_logs) + " became NaN or infinite")
    if weights_bad:
        what.append("weights became NaN or infinite")
    lr = getattr(getattr(net, "optimizer", None), "lr", None)
    hint = f"a smaller learning rate (e.g. lr={lr / 10:g} instead of {lr:g})" if lr else "a smaller learning rate"
    kept = f"the end of epoch {epoch}" if epoch > 0 else "the start of this run"
    err = DivergenceError(
        f"Training diverged in epoch {epoch + 1}/{epochs}: {'; '.join(what)}. The model keeps the last "
        f"finite weights, and its optimizer the state it had then (from {kept}). Try {hint}, or scale the "
        "inputs to about [0, 1].")
    err.epoch = epoch
    return err
