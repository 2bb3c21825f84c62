"""scikit-learn's weighted MLP loss, from nnscratch's ``fit(sample_weight=)``.

scikit-learn's MLP (1.9) divides a batch's weighted loss, its gradient and the L2 penalty by the
batch's sum of weights ``S_b``: ``L_b = (sum_i w_i l_i + alpha/2 ||W||^2) / S_b``, and reports
``loss_ = sum_b n_b L_b / n``. ``Network.fit`` divides by the batch's rows ``n_b`` (Keras'
``"sum_over_batch_size"``), so an estimator maps one onto the other per batch, exactly:

- the gradient's ``scale`` is ``n_b / S_b`` (folded into the loss's one multiplication, no extra
  operation), and the L2 term's divisor ``S_b`` (:attr:`SklearnOptimizer.batch_rows`);
- the epoch's loss figure weighs the rows of batch ``b`` by ``n_b / S_b`` too, and so does the
  penalty's share of ``loss_`` (:attr:`SklearnOptimizer.norm_scale`).

The sums ``S_b`` follow each epoch's order (:class:`~nnscratch.sklearn.training.SklearnShuffle`);
a batch of zero weight trains nothing (scikit-learn divides 0 by 0 there).
"""

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from ..losses import CrossEntropy
from ..training.history import Callback
from .training import HalfSquaredError, SummedBinaryCrossEntropy


class PerBatchWeights:
    """A loss mixin: with sample weights, the batch's gradient scaled by ``n_b / S_b`` (the batches in
    the order ``fit`` trains them) and the epoch's value weighted per row by its batch's factor."""

    batch_scale = None  # host floats n_b / S_b, one per batch of the epoch
    row_scale = None  # device column (n, 1): each position's batch factor
    batch = 0

    def gradient(self, out, y, scale=1.0, weights=None):
        if weights is not None and self.batch_scale is not None:
            scale = scale * self.batch_scale[min(self.batch, len(self.batch_scale) - 1)]
            self.batch += 1
        return super().gradient(out, y, scale, weights)

    def value(self, out, y, weights=None):
        if weights is not None and self.row_scale is not None and weights.shape[0] == self.row_scale.shape[0]:
            weights = weights * self.row_scale
        return super().value(out, y, weights)


class WeightedCrossEntropy(PerBatchWeights, CrossEntropy):
    """scikit-learn's weighted softmax log-loss."""


class WeightedHalfSquaredError(PerBatchWeights, HalfSquaredError):
    """scikit-learn's weighted ``squared_error``."""


class WeightedSummedBinaryCrossEntropy(PerBatchWeights, SummedBinaryCrossEntropy):
    """scikit-learn's weighted binary log-loss."""


def weighted_loss(loss):
    """The per-batch weighted twin of an estimator's loss (None: softmax cross-entropy)."""
    if loss is None:
        return WeightedCrossEntropy()
    return {HalfSquaredError: WeightedHalfSquaredError,
            SummedBinaryCrossEntropy: WeightedSummedBinaryCrossEntropy}[type(loss)]()


def checked_weights(sample_weight, X):
    """scikit-learn's own check (shape, numbers, finite), then nnscratch's: none negative, not all zero."""
    w = _check_sample_weight(sample_weight, X, dtype=np.float64)
    if np.any(w < 0):
        raise ValueError(f"sample_weight must be >= 0; got {w.min():g} at row {int(np.argmin(w))}. "
                         "A weight scales its row's loss: use 0 to leave a row out.")
    if not np.any(w > 0):
        raise ValueError(f"sample_weight is zero for all {w.shape[0]} rows, so nothing would be learned; "
                         "give the rows to train on a positive weight.")
    return w


class SklearnWeights(Callback):
    """Keeps the loss's and the optimizer's per-batch factors in step with the epoch's order: call
    :meth:`set_order` with each order (``SklearnShuffle``'s hook; once with ``arange(n)`` unshuffled)."""

    def __init__(self, weights, batch_size, loss, optimizer, backend, dtype):
        self.w, self.batch_size, self.loss, self.optimizer = weights, batch_size, loss, optimizer
        self.backend, self.dtype = backend, dtype
        self.set_order(np.arange(weights.shape[0]))

    def set_order(self, order):
        n = self.w.shape[0]
        starts = np.arange(0, n, self.batch_size)
        rows = np.diff(np.append(starts, n))
        sums = np.add.reduceat(self.w[order], starts)
        scale = np.where(sums > 0, rows / np.where(sums > 0, sums, 1.0), 0.0)
        self.loss.batch_scale = [float(s) for s in scale]
        self.optimizer.batch_rows = [float(s) if s > 0 else np.inf for s in sums]
        self.optimizer.norm_scale = self.loss.batch_scale
        with self.backend.activate():
            self.loss.row_scale = self.backend.asarray(np.repeat(scale, rows)[:, None], dtype=self.dtype)

    def on_epoch_begin(self, epoch, network):
        self.loss.batch = 0

    def on_train_end(self, network):
        self.optimizer.norm_scale = None


def weighted_run(loss, weights, batch_size, optimizer, net):
    """``(loss, callbacks, on_order)`` for one estimator fit: the weighted twin of ``loss``, the
    :class:`SklearnWeights` that keeps its factors and that callback's order hook; without ``weights``
    ``(loss, [], None)``, the optimizer's penalty unscaled."""
    if weights is None:
        optimizer.norm_scale = None
        return loss, [], None
    loss = weighted_loss(loss)
    keeper = SklearnWeights(weights, batch_size, loss, optimizer, net.backend, net.dtype)
    return loss, [keeper], keeper.set_order
