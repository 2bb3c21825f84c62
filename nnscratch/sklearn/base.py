"""What MLPClassifier and MLPRegressor share: scikit-learn's parameters, one
nnscratch ``fit`` call per ``fit``, and the forward pass of ``predict``.

The network they train, kept in step with ``coefs_`` / ``intercepts_`` and
rebuilt after pickling, is :mod:`nnscratch.sklearn.network`'s half of the class
(:class:`~nnscratch.sklearn.network.KeptNetwork`).

Random numbers are drawn as scikit-learn draws them, from ``random_state``: the
initial weights (``uniform(-b, b)`` per layer, weights then biases), the
early-stopping split and each epoch's shuffle; with scikit-learn's update rules
(:mod:`nnscratch.sklearn.optimizers`) an estimator trains scikit-learn's model,
to rounding.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..backend.core import get_backend
from ..errors import ConfigError, DivergenceError
from ..layers import Dense
from ..models.network import Network
from .inputs import kept_if_refused, one_line, refuse_dispatched, refuse_sparse
from .network import ACTIVATIONS, KeptNetwork
from .optimizers import SklearnAdam, SklearnSGD
from .training import SklearnRun, SklearnShuffle, early_stopping_split
from .weights import checked_weights, weighted_run

if TYPE_CHECKING:
    from ..backend.core import Backend


class NonFiniteWeightsError(DivergenceError, ValueError):
    """Training produced NaN or infinity: a ValueError, as scikit-learn's MLP raises."""


def _new_model(incremental):
    """How to start over where the data does not fit a model that a fit goes on from."""
    return f"start a new model with {'fit (not partial_fit)' if incremental else 'fit with warm_start=False'}"


class BaseMLP(KeptNetwork, BaseEstimator):
    """Base for :class:`MLPClassifier` and :class:`MLPRegressor` (see their docstrings)."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "backend": "no_validation",
    }

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001, power_t: float = 0.5,
                 max_iter: int = 200, shuffle: bool = True, random_state: int | np.random.RandomState | None = None,
                 tol: float = 1e-4, verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8, n_iter_no_change: int | float = 10,
                 max_fun: int = 15000, backend: str | Backend | None = None) -> None:
        self.hidden_layer_sizes, self.activation, self.solver = hidden_layer_sizes, activation, solver
        self.alpha, self.batch_size, self.learning_rate = alpha, batch_size, learning_rate
        self.learning_rate_init, self.power_t, self.max_iter = learning_rate_init, power_t, max_iter
        self.shuffle, self.random_state, self.tol, self.verbose = shuffle, random_state, tol, verbose
        self.warm_start, self.momentum, self.nesterovs_momentum = warm_start, momentum, nesterovs_momentum
        self.early_stopping, self.validation_fraction = early_stopping, validation_fraction
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.n_iter_no_change, self.max_fun, self.backend = n_iter_no_change, max_fun, backend

    # ------------------------------------------------------------ fitting
    def _fit(self, X, y, incremental=False, classes=None, sample_weight=None):
        self._refuse(X, incremental)
        refuse_dispatched(self, X=X, y=y, sample_weight=sample_weight)
        sizes = self._hidden_sizes()
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        with kept_if_refused(self):  # refused on its data (up to the early-stopping split): as it was
            if incremental:
                self._start_partial_fit(y, classes)
            X, Y = self._validate_input(X, y, incremental, reset=first_pass)
            sample_weight = None if sample_weight is None else checked_weights(sample_weight, X)
            if self._compute_dtype(X.dtype) != X.dtype:  # float64 data, a device without float64
                X, Y = X.astype(np.float32), Y.astype(np.float32)
            random_state = check_random_state(self.random_state)
            if first_pass:
                self._initialize(Y, [X.shape[1], *sizes, Y.shape[1]], X.dtype, random_state)
            elif Y.shape[1] != self.n_outputs_:
                raise ValueError(f"y has {Y.shape[1]} outputs but the fitted model has {self.n_outputs_}; pass y "
                                 f"with {self.n_outputs_} outputs, or {_new_model(incremental)}.")
            if (self.validation_scores_ is None) == self.early_stopping:  # switched since the last fit
                self._start_stopping_rule()
            net = self._get_network()
            split = self._split(net, X, Y, random_state, sample_weight)
        self._train(net, split, random_state, incremental)
        return self

    def _refuse(self, X, incremental):
        """What fit and partial_fit refuse before they touch the estimator (scikit-learn's partial_fit
        leaves classes_ and fresh weights behind there): the parameters, a backend that cannot be
        used here, and sparse ``X`` (``hidden_layer_sizes``: :meth:`_hidden_sizes`, next)."""
        if self.solver == "lbfgs":
            raise ConfigError("solver='lbfgs' is not available in nnscratch's MLP (it trains with minibatch "
                              "steps on any backend); use solver='adam' (the default) or solver='sgd'.")
        self._validate_params()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True (it trains one epoch on the rows "
                             "it is given, none held out); set_params(early_stopping=False) before partial_fit, "
                             "or use fit.")
        if self.early_stopping and not self.validation_fraction:
            raise ValueError("early_stopping=True holds out validation_fraction of the rows, got "
                             f"validation_fraction={self.validation_fraction!r}; set it between 0 and 1 (e.g. 0.1), "
                             "or early_stopping=False.")
        get_backend(self._backend_spec())  # its own one-line error: unknown, not installed, no GPU
        refuse_sparse(self, X)

    def _start_partial_fit(self, y, classes):
        """A partial_fit call past :meth:`_refuse`: a classifier's first one fixes its classes."""

    def _train(self, net, split, random_state, incremental):
        """One ``Network.fit`` of ``net`` (one epoch for ``partial_fit``) on ``split`` (:meth:`_split`) with
        scikit-learn's rules as a callback (and with sample weights, scikit-learn's per-batch division by the
        weights' sum: :mod:`nnscratch.sklearn.weights`)."""
        X_train, Y_train, w_train, score = split
        n = X_train.shape[0]
        batch_size = self._batch_size(n)
        if not incremental or getattr(self, "_optimizer", None) is None:
            self._optimizer = self._new_optimizer(net)
        self._optimizer.alpha = float(self.alpha)  # scikit-learn's backprop reads alpha at every call
        self._optimizer.batch_rows = [min(batch_size, n - start) for start in range(0, n, batch_size)]
        run = SklearnRun(self, n, score)
        loss, weighing, on_order = weighted_run(self._loss(), w_train, batch_size, self._optimizer, net)
        own_rng, net.rng = net.rng, SklearnShuffle(random_state, n, on_order)  # scikit-learn's order, epoch by epoch
        try:
            net.fit(X_train, Y_train, epochs=1 if incremental else self.max_iter, batch_size=batch_size, loss=loss,
                    optimizer=self._optimizer, shuffle=self.shuffle, callbacks=[*weighing, run], sample_weight=w_train)
        except KeyboardInterrupt:  # as scikit-learn: Ctrl-C ends training and keeps the model (the best, if early)
            warnings.warn("Training interrupted by user.")
            run.on_train_end(net)
        except DivergenceError as exc:
            self._diverged(net, run, exc, incremental)
        finally:
            net.rng, self.n_iter_ = own_rng, run.epochs
        if not incremental and not run.converged and run.epochs == self.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                          "optimization hasn't converged yet.", ConvergenceWarning)
        self._store_weights(net)
        if self.early_stopping or run.live_best:  # scikit-learn's ``coefs_ = _best_coefs``: one list from now on
            self._best_coefs, self._best_intercepts = self.coefs_, self.intercepts_

    def _diverged(self, net, run, exc, incremental):
        """An epoch that made the weights NaN or infinite. With early stopping the fit ends on the best
        validation epoch's weights, as scikit-learn's does (its later NaN scores never beat the best, and
        ``coefs_ = _best_coefs`` at the end), with a ConvergenceWarning; otherwise the estimator keeps the
        last finite weights (scikit-learn keeps NaN ones) and raises :class:`NonFiniteWeightsError`.
        ``partial_fit`` keeps the optimizer it has (as scikit-learn's): a smaller
        ``learning_rate_init`` takes effect at a ``fit``, which the message says."""
        data = "The input data may contain large values and need to be preprocessed (e.g. StandardScaler), or "
        if incremental:
            self._store_weights(net)  # the call's first weights, which the network went back to
            rate = self._optimizer.learning_rate
            raise NonFiniteWeightsError(
                "Solver produced non-finite parameter weights in this partial_fit call; the estimator keeps the "
                f"weights and optimizer state it had before it. {data}its learning rate {rate:g} is too large: "
                "partial_fit goes on with the optimizer it has (a new rate applies from a fit), so continue with "
                f"set_params(warm_start=True, learning_rate_init={rate / 10:g}).fit(X, y).") from exc
        rate = self.learning_rate_init
        fix = f"{data}learning_rate_init={rate:g} is too large (try {rate / 10:g})."
        if self.early_stopping and not run.live_best:
            run.on_train_end(net)
            warnings.warn(f"Solver produced non-finite parameter weights in epoch {exc.epoch + 1}; training stopped "
                          "there and, as early stopping does, the estimator keeps the weights of the best validation "
                          f"score ({self.best_validation_score_:g}). {fix}", ConvergenceWarning, stacklevel=5)
            run.converged = True  # ended by the rule above, not by max_iter
            return
        self._store_weights(net)  # the last finite weights, which the network keeps
        raise NonFiniteWeightsError(f"Solver produced non-finite parameter weights in epoch {exc.epoch + 1}; the "
                                    f"estimator keeps the last finite ones. {fix}") from exc

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}; pass whole numbers of units per hidden "
                             "layer, e.g. hidden_layer_sizes=(100,).")
        return [int(s) for s in sizes]

    def _initialize(self, Y, units, dtype, random_state):
        """Fresh fitted state and a network with scikit-learn's initialisation, drawn as
        scikit-learn draws it: per layer ``random_state.uniform(-b, b)`` for the weights
        (n_in, n_out), then the biases, b = sqrt(f / (fan_in + fan_out)), f = 2 for logistic
        hidden units, else 6."""
        self.n_outputs_, self.n_layers_, self.t_ = Y.shape[1], len(units), 0
        self.out_activation_ = self._output_activation()
        factor = 2.0 if self.activation == "logistic" else 6.0
        layers, weights = [], []
        for i, (fan_in, fan_out) in enumerate(zip(units[:-1], units[1:])):
            bound = np.sqrt(factor / (fan_in + fan_out))
            weights += [random_state.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype, copy=False),
                        random_state.uniform(-bound, bound, fan_out).astype(dtype, copy=False)]
            last = i == len(units) - 2
            layers += [Dense(fan_in, fan_out), ACTIVATIONS[self.out_activation_ if last else self.activation]()]
        net = Network(layers, seed=0, backend=self._backend_spec(), dtype=np.dtype(dtype).name)
        net.set_weights(weights)
        self._set_network(net)
        self._store_weights(net)
        self._best_coefs, self._best_intercepts = list(self.coefs_), list(self.intercepts_)
        self._optimizer, self.loss_curve_ = None, []
        self._start_stopping_rule()

    def _start_stopping_rule(self):
        """The bookkeeping of the stopping rule ``early_stopping`` names, started afresh: at
        initialisation, and where a warm-started fit or ``partial_fit`` follows a fit with the
        other setting (scikit-learn's MLP fails there, on ``None.append`` or ``None - tol``)."""
        self._no_improvement_count = 0
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self.best_loss_ = None if self.early_stopping else np.inf

    def _split(self, net, X, Y, random_state, sample_weight=None):
        """``(X_train, Y_train, w_train, score)``: the early-stopping split as scikit-learn draws it (the weights
        split with their rows), and ``score(net)`` on the held-out part (weighted; None without early stopping)."""
        if not self.early_stopping:
            return X, Y, sample_weight, None
        X_train, X_val, Y_train, Y_val, *w = early_stopping_split(X, Y, self.validation_fraction, self._stratify(),
                                                                  random_state, sample_weight)
        with net.backend.activate():
            x_val = net.backend.asarray(X_val, dtype=net.dtype)  # moved to the device once
        return X_train, Y_train, (w or [None])[0], lambda net: self._score_outputs(
            net.backend.to_numpy(net.predict_proba(x_val)), Y_val, (w or [None, None])[1])

    def _batch_size(self, n):
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped")
        return int(np.clip(self.batch_size, 1, n))

    def _new_optimizer(self, net):
        """scikit-learn's optimizer for ``solver``, with its L2 penalty on the weights."""
        weights = [layer.weight.name for layer in net.dense_layers]
        if self.solver == "adam":
            return SklearnAdam(self.learning_rate_init, self.alpha, weights, self.beta_1, self.beta_2, self.epsilon)
        return SklearnSGD(self.learning_rate_init, self.alpha, weights, self.momentum, self.nesterovs_momentum,
                          self.learning_rate, self.power_t)

    def _validated(self, *Xy, reset, incremental=None, **options):
        """``validate_data(self, *Xy, ...)`` in float64 or float32; X with another number of columns
        than the model's is scikit-learn's message (which its checks match) with the fix on the same
        line, and so are its messages of several lines (:func:`~nnscratch.sklearn.inputs.one_line`).
        ``incremental`` (None where nothing trains) picks the fix."""
        try:
            return validate_data(self, *Xy, reset=reset, dtype=(np.float64, np.float32), **options)
        except ValueError as exc:
            n = getattr(self, "n_features_in_", None)
            if not reset and f"is expecting {n} features as input" in str(exc):
                how = "fit the model again on these columns" if incremental is None else _new_model(incremental)
                raise ValueError(f"{exc} Pass X with the {n} columns the model was fitted on, or {how}.") from None
            line = one_line(str(exc), *Xy, name=type(self).__name__)  # 1-D X, images, NaN, complex: one line
            if line is None:
                raise
            raise ValueError(line) from None

    def __sklearn_is_fitted__(self):
        """Fitted once there are weights, not on ``n_features_in_`` alone (which validate_data sets before the
        data may be refused; ``check_is_fitted`` and the HTML repr called such an estimator fitted)."""
        return hasattr(self, "coefs_")

    def _forward(self, X):
        """Output activations for ``X`` as a host array (n_samples, n_outputs)."""
        check_is_fitted(self)  # coefs_ (__sklearn_is_fitted__), not n_features_in_ alone
        refuse_sparse(self, X)
        refuse_dispatched(self, X=X)
        X = self._validated(X, reset=False)
        net = self._get_network()
        return net.backend.to_numpy(net.predict_proba(X))
