"""scikit-learn's stochastic optimizers and L2 penalty, on nnscratch's parameter holders.

The update rules of ``sklearn/neural_network/_stochastic_optimizers.py``, so that a
fit from the same weights and the same shuffles takes scikit-learn's steps:

- SGD: ``v <- momentum * v - lr * g``; ``w <- w + v``, or with Nesterov momentum
  ``w <- w + momentum * v - lr * g``; the rate follows the optimizer's own ``lr_schedule``
  (``invscaling``: ``lr = learning_rate_init / (t + 1)**power_t`` after each epoch, t the
  samples seen; ``adaptive``: divided by 5 where the no-improvement rule fires).
  (nnscratch's SGD, PyTorch's form, takes the same steps at a constant rate but not once
  ``invscaling`` or ``adaptive`` changes it: the velocity here keeps the rates it was built with.)
- Adam: ``lr_t = lr * sqrt(1 - b2**t) / (1 - b1**t)``; ``w <- w - lr_t * m / (sqrt(v) + eps)``
  (``eps`` before the bias correction of ``v``; nnscratch's Adam, like PyTorch's, adds it after).
- L2: ``g <- g + alpha / n_batch * W`` for the weights (not the biases), ``n_batch`` the rows
  of this batch (the last batch of an epoch may be smaller); the penalty's share of the
  loss, ``alpha / 2 * sum over batches ||W||^2 / n``, is summed on the device as it goes. With sample
  weights ``n_batch`` is the batch's sum of weights and each batch's share is scaled by ``n_b / S_b``
  (``norm_scale``, set by :class:`~nnscratch.sklearn.weights.SklearnWeights`), as scikit-learn divides.

``learning_rate`` is the current rate, a host float, as scikit-learn's optimizers keep it.
Like scikit-learn's, an optimizer keeps the settings it was built with: parameters set on
the estimator between ``partial_fit`` calls apply from the next ``fit``.
"""

import math

from ..backend.core import namespace
from ..optim.optimizers import Optimizer, adam_moments, adam_state


class SklearnOptimizer(Optimizer):
    """Base: the L2 penalty per batch, and ``learning_rate`` as the step's rate.

    ``batch_rows`` (the rows of each batch of an epoch) is set by every fit;
    :meth:`start_epoch` starts counting batches and summing ``||W||^2`` again.
    """

    learning_rate: float = 0.0  # scikit-learn's current rate, a plain attribute (not Optimizer's alias of lr)

    def __init__(self, learning_rate_init, alpha=0.0, weight_names=()):
        super().__init__(learning_rate_init)
        self.learning_rate, self.alpha = float(learning_rate_init), float(alpha)
        self.weight_names = frozenset(weight_names)
        self.batch_rows, self.batch, self.squared_norm = [1], 0, 0.0
        self.norm_scale = None  # with sample weights: n_b / S_b per batch (nnscratch.sklearn.weights)

    @property
    def current_lr(self):
        return self.learning_rate

    def start_epoch(self):
        self.batch, self.squared_norm = 0, 0.0

    def step(self, params):
        """Add ``alpha / n_batch * W`` to the weights' gradients (``params``: Parameters or a
        ParameterBuffer's ``[buffer]``), then update as scikit-learn does."""
        if self.alpha:
            at = min(self.batch, len(self.batch_rows) - 1)
            coef, share = self.alpha / self.batch_rows[at], 1.0 if self.norm_scale is None else self.norm_scale[at]
            for holder in params:
                for p in getattr(holder, "params", [holder]):
                    if p.name in self.weight_names:
                        norm = namespace(p.value).sum(p.value * p.value)
                        self.squared_norm = self.squared_norm + (norm if share == 1.0 else share * norm)
                        p.grad = p.grad + coef * p.value
        self.batch += 1
        super().step(params)

    def iteration_ends(self, time_step):
        """The end of an epoch, ``time_step`` samples seen in all: the rate stays (SGD's ``invscaling`` sets it)."""

    def trigger_stopping(self):
        """The no-improvement rule fired: ``(stop, note)``, whether training stops and the end of
        the verbose line; only SGD's ``adaptive`` schedule goes on, at a smaller rate."""
        return True, " Stopping."

    def settings(self):
        """The keyword arguments that build this optimizer again (but ``weight_names``)."""
        return {"learning_rate_init": self.lr, "alpha": self.alpha}

    def host_state(self, to_numpy):
        """Everything needed to continue (pickles): the solver and its settings, step count,
        rate and per-parameter state, on the host."""
        state = self.state_dict()
        return {"solver": self.name, "settings": self.settings(), "t": state["t"], "state_t": state["state_t"],
                "learning_rate": self.learning_rate,
                "state": {name: {k: to_numpy(v) for k, v in slots.items()} for name, slots in state["state"].items()}}


def optimizer_from_host(saved, weight_names, asarray, schedule=None):
    """The optimizer :meth:`SklearnOptimizer.host_state` kept, its state moved by ``asarray``:
    the solver and settings it was built with, as scikit-learn's pickled optimizer keeps them.
    ``schedule`` (SGD's ``lr_schedule`` and ``power_t``) stands in where a pickle from before
    the optimizer kept them has none: the estimator's, which that version read at each epoch."""
    settings = saved["settings"]
    if saved["solver"] == "sgd":
        settings = {**(schedule or {}), **settings}
    optimizer = SOLVERS[saved["solver"]](weight_names=weight_names, **settings)
    optimizer.load_state_dict({"t": saved["t"], "state_t": saved.get("state_t", 0), "state": saved["state"]},
                              asarray=asarray)
    optimizer.learning_rate = saved["learning_rate"]
    return optimizer


class SklearnSGD(SklearnOptimizer):
    """scikit-learn's ``SGDOptimizer`` (see the module docstring)."""

    name = "sgd"

    def __init__(self, learning_rate_init, alpha=0.0, weight_names=(), momentum=0.9, nesterov=True,
                 lr_schedule="constant", power_t=0.5):
        super().__init__(learning_rate_init, alpha, weight_names)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.lr_schedule, self.power_t = lr_schedule, float(power_t)

    def _new_state(self, p):
        return {"velocity": namespace(p.value).zeros_like(p.value)} if self.momentum else {}

    def _update(self, p, g, state, lr):
        if not self.momentum:
            p.value -= lr * g
            return
        v = state["velocity"]
        v *= self.momentum
        v -= lr * g
        state["velocity"] = v  # a no-op in place; keeps the functional form right
        p.value += (self.momentum * v - lr * g) if self.nesterov else v

    def iteration_ends(self, time_step):
        if self.lr_schedule == "invscaling":
            self.learning_rate = self.lr / (time_step + 1) ** self.power_t

    def trigger_stopping(self):
        if self.lr_schedule != "adaptive":
            return True, " Stopping."
        if self.learning_rate <= 1e-6:
            return True, " Learning rate too small. Stopping."
        self.learning_rate /= 5.0
        return False, f" Setting learning rate to {self.learning_rate:f}"

    def settings(self):
        return {**super().settings(), "momentum": self.momentum, "nesterov": self.nesterov,
                "lr_schedule": self.lr_schedule, "power_t": self.power_t}

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov, "alpha": self.alpha}


class SklearnAdam(SklearnOptimizer):
    """scikit-learn's ``AdamOptimizer`` (see the module docstring)."""

    name = "adam"

    def __init__(self, learning_rate_init, alpha=0.0, weight_names=(), beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate_init, alpha, weight_names)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _new_state(self, p):
        return adam_state(p)

    def _update(self, p, g, state, lr):
        m, v = adam_moments(g, state, self.beta_1, self.beta_2)
        xp = namespace(g)
        t = self.t - self.state_t  # steps since the moments started
        lr_t = lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        p.value -= lr_t * m / (xp.sqrt(v) + self.epsilon)

    def settings(self):
        return {**super().settings(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "alpha": self.alpha}


SOLVERS = {"sgd": SklearnSGD, "adam": SklearnAdam}
