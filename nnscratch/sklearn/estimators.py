"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's MLP estimators, trained by nnscratch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets, type_of_target
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import column_or_1d

from .base import BaseMLP
from .._keywords import keywords
from .training import HalfSquaredError, SummedBinaryCrossEntropy
from .._typing import Array

if TYPE_CHECKING:
    from ..backend.core import Backend

_DOC = """

    Same parameters, defaults and fitted attributes as scikit-learn's
    ``sklearn.neural_network.{name}`` (``solver`` is "adam" or "sgd"; "lbfgs" is
    refused; ``max_fun`` is accepted and unused), plus ``backend``: where it trains.

    The same random numbers (initial weights, early-stopping split, each epoch's
    shuffle, all drawn from ``random_state`` as scikit-learn draws them) and the
    same update rules (SGD and Adam as scikit-learn writes them, the L2 gradient
    ``alpha / n_batch * W`` per batch, ``loss_`` with the penalty of each batch's
    weights): from the same ``random_state`` the estimator trains scikit-learn's
    model, to rounding (``tests/test_sklearn.py`` checks 1e-10 after whole fits).
    A pickle keeps the optimizer's state: ``partial_fit`` after a round trip
    continues exactly as without one. Differences: ``sample_weight`` is not supported;
    sparse ``X`` is refused (pass ``X.toarray()``; in a Pipeline, ``OneHotEncoder(sparse_output=False)``
    or ``ColumnTransformer(sparse_threshold=0)``); ``coefs_`` / ``intercepts_`` are host
    copies of the trained weights, the network itself stays on its backend (weights set or
    edited there are the model's from the next call on, as in scikit-learn). Weights that become NaN
    or infinite raise a ValueError and keep the last finite ones (scikit-learn keeps the NaN ones); with
    ``early_stopping`` the fit ends on the best validation epoch's weights with a ConvergenceWarning, the
    model scikit-learn's ends on.

    Parameters
    ----------
{extra}    hidden_layer_sizes : int or tuple of int, default (100,)
        Units of each hidden layer: ``(64, 32)`` is two hidden layers.
    activation : str, default "relu"
        The hidden layers' activation: "identity", "logistic", "tanh" or "relu".
    solver : str, default "adam"
        The optimizer: "adam" or "sgd" ("lbfgs" is refused).
    alpha : float, default 1e-4
        Strength of the L2 penalty on the weights; 0 adds none.
    batch_size : int or "auto", default "auto"
        Samples per update; "auto" is ``min(200, n_samples)``.
    learning_rate : str, default "constant"
        SGD's rate: "constant", "invscaling" (``lr / t**power_t``) or "adaptive" (divided by 5 when the loss stalls).
    learning_rate_init : float, default 1e-3
        The (initial) step size.
    power_t : float, default 0.5
        Exponent of the "invscaling" rate.
    max_iter : int, default 200
        Epochs (passes over the data) at most.
    shuffle : bool, default True
        Shuffle the rows before each epoch.
    random_state : int, RandomState or None, default None
        Seeds the initial weights, the early-stopping split and the shuffles; None draws afresh.
    tol : float, default 1e-4
        Smallest improvement of the loss (or validation score) that counts.
    verbose : bool, default False
        Print the loss after each epoch.
    warm_start : bool, default False
        ``fit`` goes on from the weights of the last fit instead of starting afresh.
    momentum : float, default 0.9
        SGD's momentum, in ``[0, 1]``.
    nesterovs_momentum : bool, default True
        Nesterov's form of SGD's momentum.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` and stop when its score stops improving.
    validation_fraction : float, default 0.1
        Share of the training rows held out for ``early_stopping``.
    beta_1 : float, default 0.9
        Adam's decay of the running mean of gradients.
    beta_2 : float, default 0.999
        Adam's decay of the running mean of squared gradients.
    epsilon : float, default 1e-8
        Adam's guard against a division by 0.
    n_iter_no_change : int, default 10
        Epochs without an improvement of ``tol`` before training stops.
    max_fun : int, default 15000
        lbfgs's budget of loss evaluations: accepted and unused.
    backend : str or nnscratch.Backend, optional
        Where to train: "numpy", "torch", "torch:cuda", "cupy", ... (default: as
        :func:`nnscratch.get_backend`, a GPU when one is usable). Computation runs
        in the dtype of ``X``: float32 data trains in float32, anything else in float64
        (in float32 on a device without float64, such as ``torch:mps``).
    """


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = "Multi-layer perceptron classifier (binary, multiclass, multilabel)." + _DOC.format(
        name="MLPClassifier", extra="")

    @keywords("estimator_fit")
    def fit(self, X: Array, y: Array) -> MLPClassifier:
        """Fit the model to ``X (n_samples, n_features)`` and labels ``y`` of any type.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (dense; float32 data trains in float32).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels of any type (numbers, text), or 0/1 indicator columns (multilabel).
        """
        return self._fit(X, y, incremental=False)

    @keywords("estimator_fit")
    def partial_fit(self, X: Array, y: Array, classes: Array | None = None) -> MLPClassifier:
        """One epoch over ``(X, y)``; ``classes`` (every label) is required on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Their labels.
        classes : array-like of shape (n_classes,), optional
            Every label the model will ever see; needed on the first call only.
        """
        return self._fit(X, y, incremental=True, classes=classes)

    def _start_partial_fit(self, y, classes):
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y if type_of_target(y).startswith("multilabel") else classes)

    def _validate_input(self, X, y, incremental, reset):
        X, y = self._validated(X, y, multi_output=True, reset=reset, incremental=incremental)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and set(classes) != set(self.classes_):
                raise ValueError("warm_start can only be used where `y` has the same classes as in the previous "
                                 f"call to fit. Previously got {self.classes_}, `y` has {classes}")
            if len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                                 f"'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(X.dtype)

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _loss(self):
        return None if self.out_activation_ == "softmax" else SummedBinaryCrossEntropy()

    def _stratify(self):
        return self.n_outputs_ == 1

    def _labels(self, out):
        return self._label_binarizer.inverse_transform(out.ravel() if self.n_outputs_ == 1 else out)

    def _score_outputs(self, out, Y):
        return accuracy_score(self._label_binarizer.inverse_transform(Y), self._labels(out))

    def predict(self, X: Array) -> np.ndarray:
        """Predicted labels ``(n_samples,)`` (``(n_samples, n_classes)`` indicators if multilabel).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs to classify.
        """
        return self._labels(self._forward(X))

    def predict_proba(self, X: Array) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs to classify.
        """
        p = self._forward(X)
        if self.n_outputs_ == 1 and self._label_binarizer.y_type_ != "multilabel-indicator":
            return np.hstack([1.0 - p, p])
        return p

    def predict_log_proba(self, X: Array) -> np.ndarray:
        """``log(predict_proba(X))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs to classify.
        """
        return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = "Multi-layer perceptron regressor (squared error, identity output)." + _DOC.format(
        name="MLPRegressor", extra="""    loss : {"squared_error"}
        The loss minimised, scikit-learn's first parameter; "poisson" is refused.
""")

    _parameter_constraints = {**BaseMLP._parameter_constraints, "loss": [StrOptions({"squared_error"})]}

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: int | Sequence[int] = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 0.0001,
                 batch_size: int | str = "auto", learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: int | np.random.RandomState | None = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9, nesterovs_momentum: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, n_iter_no_change: int | float = 10, max_fun: int = 15000,
                 backend: str | Backend | None = None) -> None:
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose, warm_start=warm_start,
            momentum=momentum, nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            n_iter_no_change=n_iter_no_change, max_fun=max_fun, backend=backend)
        self.loss = loss

    @keywords("estimator_fit")
    def fit(self, X: Array, y: Array) -> MLPRegressor:
        """Fit the model to ``X (n_samples, n_features)`` and targets ``y (n_samples,)`` or ``(n_samples, n_outputs)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (dense; float32 data trains in float32).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: one value per sample, or one column per output.
        """
        return self._fit(X, y, incremental=False)

    @keywords("estimator_fit")
    def partial_fit(self, X: Array, y: Array) -> MLPRegressor:
        """One epoch over ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.
        """
        return self._fit(X, y, incremental=True)

    def _validate_input(self, X, y, incremental, reset):
        X, y = self._validated(X, y, multi_output=True, y_numeric=True, reset=reset, incremental=incremental)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, np.reshape(y, (y.shape[0], -1)).astype(X.dtype)

    def _output_activation(self):
        return "identity"

    def _loss(self):
        return HalfSquaredError()

    def _stratify(self):
        return False

    def _score_outputs(self, out, Y):
        return r2_score(Y, out) if np.isfinite(out).all() else np.nan  # scikit-learn: NaN for non-finite predictions

    def predict(self, X: Array) -> np.ndarray:
        """Predicted values ``(n_samples,)``, or ``(n_samples, n_outputs)`` for several targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs to predict for.
        """
        out = self._forward(X)
        return out.ravel() if self.n_outputs_ == 1 else out
