"""What scikit-learn's MLP does around the step, expressed with nnscratch's pieces.

- :class:`HalfSquaredError` and :class:`SummedBinaryCrossEntropy`: scikit-learn's
  loss values (``squared_error`` is ``mean((out - y)**2) / 2``, the binary log-loss
  is summed over outputs), reusing nnscratch's losses (no second formula).
- :class:`SklearnShuffle`: scikit-learn's order of the rows, epoch by epoch.
- :func:`early_stopping_split`: the rows early stopping holds out, as scikit-learn draws them.
- :class:`SklearnRun`: the per-epoch bookkeeping of ``_fit_stochastic``:
  ``loss_curve_``, the ``tol`` / ``n_iter_no_change`` stopping rule, early stopping
  on a validation score, and the ``invscaling`` / ``adaptive`` learning rates.
"""

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import shuffle

from ..losses import BinaryCrossEntropy, SumSquaredError
from ..training.history import Callback


class HalfSquaredError(SumSquaredError):
    """scikit-learn's ``squared_error``: L = sum((out - y)**2) / (2 n k); the
    gradient is scikit-learn's ``(out - y) / n`` (that of :class:`SumSquaredError`)."""

    name = "half_squared_error"

    def value(self, out, y, weights=None):
        return super().value(out, y, weights) / out.shape[1]


class SummedBinaryCrossEntropy(BinaryCrossEntropy):
    """scikit-learn's binary log-loss: summed over the k outputs, mean over samples;
    dL/dz = (sigmoid(z) - y) / n."""

    name = "summed_binary_cross_entropy"

    def value(self, z, y, weights=None):
        return super().value(z, y, weights) * z.shape[1]

    def gradient(self, z, y, scale=1.0, weights=None):
        return super().gradient(z, y, scale * z.shape[1], weights)


class SklearnShuffle:
    """Stands in for the network's RNG while it trains for an estimator: each epoch's
    order is scikit-learn's, ``sample_idx = sklearn.utils.shuffle(sample_idx, random_state)``
    (every epoch shuffles the previous epoch's order), from the estimator's ``random_state``;
    ``on_order(order)``, if given, sees each order (:class:`~nnscratch.sklearn.weights.SklearnWeights`)."""

    def __init__(self, random_state, n, on_order=None):
        self.random_state, self.order, self.on_order = random_state, np.arange(n), on_order

    def permutation(self, n):
        self.order = shuffle(self.order, random_state=self.random_state)
        if self.on_order is not None:
            self.on_order(self.order)
        return self.order


def early_stopping_split(X, Y, fraction, stratified, random_state, sample_weight=None):
    """``(X_train, X_val, Y_train, Y_val)`` (then ``w_train, w_val`` with ``sample_weight``): ``fraction`` of
    the rows held out as scikit-learn's MLP draws them (``stratified``: every class on both sides), or a
    ValueError in one line that says why not (``train_test_split``'s own words name the classes by the 0/1
    columns of ``Y``); where the held-out rows leave too few to train on, the fix is a smaller fraction."""
    try:
        parts = train_test_split(X, Y, *([] if sample_weight is None else [sample_weight]),
                                 random_state=random_state, test_size=fraction, stratify=Y if stratified else None)
    except ValueError as exc:
        reason, fix = str(exc).rstrip("."), "more rows, a larger validation_fraction"
        n, held = Y.shape[0], int(np.ceil(fraction * Y.shape[0]))
        need = len(np.unique(Y, axis=0)) if stratified else 1  # rows each side needs at least
        if n - held < need and n >= 2 * need:  # a smaller fraction leaves enough to train on
            reason = f"{n - held} row{'' if n - held == 1 else 's'} left to train on" + (f", fewer than the {need} classes" if stratified else "")
            fix = "a smaller validation_fraction"
        elif stratified:
            counts = np.unique(Y, axis=0, return_counts=True)[1]
            reason = (f"a split with every class on both sides needs 2 rows of each class and {len(counts)} held "
                      f"out; the rarest class has {counts.min()}")
        raise ValueError(f"early_stopping=True cannot hold out validation_fraction={fraction:g} of the n_samples={n} "
                         f"rows ({held} held out): {reason}. Pass {fix}, or early_stopping=False.") from None
    if parts[1].shape[0] < 2:
        raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size of your dataset.")
    return parts


class SklearnRun(Callback):
    """Epoch-end rules of scikit-learn's ``_fit_stochastic`` for one ``fit`` call.

    ``estimator`` receives ``loss_``, ``loss_curve_``, ``best_loss_``,
    ``validation_scores_``, ``best_validation_score_``, ``_best_coefs``,
    ``_best_intercepts``, ``t_`` and ``_no_improvement_count`` as scikit-learn's MLP
    keeps them. ``score(net)`` returns the validation score (early stopping) or is None.

    As in scikit-learn, a fit with early stopping ends with ``coefs_`` and ``_best_coefs`` one
    list: a later warm-started fit that never beats ``best_validation_score_`` ends on its last
    epoch's weights, not on the earlier fit's best (scikit-learn's steps update the arrays both
    names hold); see :meth:`BaseMLP._train <nnscratch.sklearn.base.BaseMLP._train>`.
    """

    def __init__(self, estimator, n_samples, score=None):
        self.est, self.n, self.score = estimator, n_samples, score
        self.epochs, self.converged = 0, False
        # After a fit with early stopping scikit-learn's coefs_ *are* its best weights (one list, and its
        # steps update the arrays in place): until a better validation score, the "best" are the live ones.
        self.live_best = estimator.coefs_ is estimator._best_coefs

    def on_epoch_begin(self, epoch, network):
        network.optimizer.start_epoch()

    def on_epoch_end(self, epoch, logs, network):
        est, opt = self.est, network.optimizer
        est.loss_ = logs["loss"] + (0.5 * opt.alpha * float(opt.squared_norm) / self.n if opt.alpha else 0.0)
        est.loss_curve_.append(est.loss_)
        est.t_ += self.n
        self.epochs += 1
        if est.verbose:
            print(f"Iteration {self.epochs}, loss = {est.loss_:.8f}")  # counted within this fit, as scikit-learn
        self._update_no_improvement(network)
        opt.iteration_ends(est.t_)  # the optimizer's own schedule, as scikit-learn's
        if est._no_improvement_count > est.n_iter_no_change:
            self._trigger_stopping(network)

    def _update_no_improvement(self, net):
        est = self.est
        if self.score is not None:
            value = self.score(net)
            est.validation_scores_.append(value)
            if est.verbose:
                print(f"Validation score: {value:f}")
            improved = not value < est.best_validation_score_ + est.tol
            if value > est.best_validation_score_:
                weights = net.get_weights()
                est.best_validation_score_ = value
                est._best_coefs, est._best_intercepts = weights[0::2], weights[1::2]
                self.live_best = False
        else:
            improved = not est.loss_curve_[-1] > est.best_loss_ - est.tol
            est.best_loss_ = min(est.best_loss_, est.loss_curve_[-1])
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1

    def _trigger_stopping(self, net):
        est = self.est
        what = "Validation score" if self.score is not None else "Training loss"
        stop, note = net.optimizer.trigger_stopping()  # SGD's adaptive schedule goes on at a fifth of the rate
        if est.verbose:
            print(f"{what} did not improve more than tol={est.tol:f} for {est.n_iter_no_change} consecutive "
                  f"epochs.{note}")
        if stop:
            self.converged = net.stop_training = True
        else:
            est._no_improvement_count = 0

    def on_train_end(self, network):
        if self.score is not None and not self.live_best:  # scikit-learn ends on the best validation epoch's
            est = self.est                                   # weights (of any fit)
            network.set_weights([a for pair in zip(est._best_coefs, est._best_intercepts) for a in pair])
