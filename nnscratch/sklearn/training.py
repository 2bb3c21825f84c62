"""What scikit-learn's MLP does around the step, expressed with nnscratch's pieces.

- :class:`HalfSquaredError` and :class:`SummedBinaryCrossEntropy`: scikit-learn's
  loss values (``squared_error`` is ``mean((out - y)**2) / 2``, the binary log-loss
  is summed over outputs), reusing nnscratch's losses (no second formula).
- :class:`WeightPenalty`: scikit-learn's L2 term ``alpha / (2 n_batch) ||W||^2``
  (weights only, not biases) around any nnscratch optimizer.
- :class:`SklearnRun`: the per-epoch bookkeeping of ``_fit_stochastic``:
  ``loss_curve_``, the ``tol`` / ``n_iter_no_change`` stopping rule, early stopping
  on a validation score, and the ``invscaling`` / ``adaptive`` learning rates.
"""

from ..training.guard import restore, snapshot
from ..losses import BinaryCrossEntropy, SumSquaredError
from ..optim.optimizers import Optimizer
from ..training.history import Callback


class HalfSquaredError(SumSquaredError):
    """scikit-learn's ``squared_error``: L = sum((out - y)**2) / (2 n k); the
    gradient is scikit-learn's ``(out - y) / n`` (that of :class:`SumSquaredError`)."""

    name = "half_squared_error"

    def value(self, out, y):
        return super().value(out, y) / out.shape[1]


class SummedBinaryCrossEntropy(BinaryCrossEntropy):
    """scikit-learn's binary log-loss: summed over the k outputs, mean over samples;
    dL/dz = (sigmoid(z) - y) / n."""

    name = "summed_binary_cross_entropy"

    def value(self, z, y):
        return super().value(z, y) * z.shape[1]

    def gradient(self, z, y, scale=1.0):
        return super().gradient(z, y, scale * z.shape[1])


class WeightPenalty(Optimizer):
    """``inner`` with scikit-learn's L2 gradient ``coef * W`` added to the weights
    (``coef = alpha / batch_size``); biases are not penalised."""

    def __init__(self, inner, coef, weight_names):
        self.inner, self.coef, self.weight_names = inner, float(coef), frozenset(weight_names)

    name = property(lambda self: self.inner.name)
    t = property(lambda self: self.inner.t)
    state = property(lambda self: self.inner.state)

    @property
    def lr(self):
        """The inner optimizer's learning rate (its constant schedule times its ``lr_scale``)."""
        return self.inner.lr * self.inner.lr_scale

    @lr.setter
    def lr(self, value):
        self.inner.lr_scale = value / self.inner.lr

    @property
    def current_lr(self):
        return self.inner.current_lr

    def step(self, params):
        """Add ``coef * W`` to the weights' gradients (``params``: Parameters or a
        ParameterBuffer's ``[buffer]``), then let ``inner`` update."""
        for holder in params:
            for p in getattr(holder, "params", [holder]):
                if p.name in self.weight_names:
                    p.grad = p.grad + self.coef * p.value
        self.inner.step(params)

    def get_config(self):
        return {**self.inner.get_config(), "l2": self.coef}


class SklearnRun(Callback):
    """Epoch-end rules of scikit-learn's ``_fit_stochastic`` for one ``fit`` call.

    ``estimator`` receives ``loss_``, ``loss_curve_``, ``best_loss_``,
    ``validation_scores_``, ``best_validation_score_``, ``t_`` and
    ``_no_improvement_count`` as scikit-learn's MLP keeps them.
    ``score(net)`` returns the validation score (early stopping) or is None.
    """

    def __init__(self, estimator, n_samples, n_batches, penalty, score=None):
        self.est, self.n, self.n_batches, self.penalty, self.score = estimator, n_samples, n_batches, penalty, score
        self.epochs, self.converged, self.best = 0, False, None

    def on_epoch_end(self, epoch, logs, network):
        est = self.est
        est.loss_ = logs["loss"] + self._penalty_term(network)
        est.loss_curve_.append(est.loss_)
        est.t_ += self.n
        self.epochs += 1
        if est.verbose:
            print(f"Iteration {len(est.loss_curve_)}, loss = {est.loss_:.8f}")
        self._update_no_improvement(network)
        if est.solver == "sgd" and est.learning_rate == "invscaling":
            network.optimizer.lr = est.learning_rate_init / (est.t_ + 1) ** est.power_t
        if est._no_improvement_count > est.n_iter_no_change:
            self._trigger_stopping(network)

    def _penalty_term(self, net):
        """scikit-learn adds ``alpha / (2 n_batch) ||W||^2`` to every batch's loss;
        summed over an epoch's batches that is ``alpha n_batches ||W||^2 / (2 n)``
        (taken here with the epoch's final weights: one device read per epoch)."""
        if not self.penalty:
            return 0.0
        xp = net.xp
        total = sum(xp.sum(layer.weight.value * layer.weight.value) for layer in net.dense_layers)
        return 0.5 * self.penalty * self.n_batches * float(total) / self.n

    def _update_no_improvement(self, net):
        est = self.est
        if self.score is not None:
            value = self.score(net)
            est.validation_scores_.append(value)
            if est.verbose:
                print(f"Validation score: {value:f}")
            improved = not value < est.best_validation_score_ + est.tol
            if value > est.best_validation_score_:
                est.best_validation_score_, self.best = value, snapshot(net)
        else:
            improved = not est.loss_curve_[-1] > est.best_loss_ - est.tol
            est.best_loss_ = min(est.best_loss_, est.loss_curve_[-1])
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1

    def _trigger_stopping(self, net):
        est = self.est
        what = "Validation score" if self.score is not None else "Training loss"
        message = f"{what} did not improve more than tol={est.tol:f} for {est.n_iter_no_change} consecutive epochs."
        opt = net.optimizer
        if est.solver == "sgd" and est.learning_rate == "adaptive" and opt.lr > 1e-6:
            opt.lr = opt.lr / 5.0
            est._no_improvement_count = 0
            if est.verbose:
                print(f"{message} Setting learning rate to {opt.lr:f}")
            return
        if est.verbose:
            adaptive = est.solver == "sgd" and est.learning_rate == "adaptive"
            print(f"{message}{' Learning rate too small.' if adaptive else ''} Stopping.")
        self.converged = net.stop_training = True

    def on_train_end(self, network):
        if self.score is not None and self.best is not None:
            restore(network, self.best)  # scikit-learn keeps the best validation epoch's weights
