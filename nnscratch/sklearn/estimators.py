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

from ..errors import ConfigError
from .base import BaseMLP, _new_model
from .docstring import docstring
from .inputs import one_line
from .targets import refuse_label_classes, refuse_target_type
from .._keywords import keywords
from .training import HalfSquaredError, SummedBinaryCrossEntropy
from .._typing import Array

if TYPE_CHECKING:
    from ..backend.core import Backend


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = docstring("MLPClassifier", "Multi-layer perceptron classifier (binary, multiclass, multilabel).")

    @keywords("estimator_fit")
    def fit(self, X: Array, y: Array, sample_weight: Array | None = None) -> MLPClassifier:
        """Fit the model to ``X (n_samples, n_features)`` and labels ``y`` of any type.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (dense; float32 data trains in float32).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels of any type (numbers, text), or 0/1 indicator columns (multilabel).
        sample_weight : array-like of shape (n_samples,), optional
            A weight >= 0 per row, as scikit-learn's MLP takes it: each batch's loss, gradient and L2
            penalty are divided by the batch's sum of weights (:mod:`nnscratch.sklearn.weights`).
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @keywords("estimator_partial_fit")
    def partial_fit(self, X: Array, y: Array, sample_weight: Array | None = None,
                    classes: Array | None = None) -> MLPClassifier:
        """One epoch over ``(X, y)``; ``classes`` (every label) is required on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Their labels.
        sample_weight : array-like of shape (n_samples,), optional
            A weight >= 0 per row, as scikit-learn's MLP takes it: each batch's loss, gradient and L2
            penalty are divided by the batch's sum of weights (:mod:`nnscratch.sklearn.weights`).
        classes : array-like of shape (n_classes,), optional
            Every label the model will ever see; needed on the first call only.
        """
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def _start_partial_fit(self, y, classes):
        refuse_target_type(y)
        if classes is not None and not hasattr(self, "classes_") and type_of_target(y) == "multilabel-indicator":
            refuse_label_classes(np.shape(y)[1], classes)
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y if type_of_target(y).startswith("multilabel") else classes)

    def _validate_input(self, X, y, incremental, reset):
        X, y = self._validated(X, y, multi_output=True, reset=reset, incremental=incremental)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        refuse_target_type(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            self._check_target_kind(y, incremental)
            classes = unique_labels(y)
            if self.warm_start and set(classes) != set(self.classes_):
                raise ValueError("warm_start can only be used where `y` has the same classes as in the previous "
                                 f"call to fit. Previously got {self.classes_}, `y` has {classes}")
            if len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                                 f"'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(X.dtype)

    def _check_target_kind(self, y, incremental):
        """Rows of labels for a model fitted on one label per sample, or the other way round, or rows
        of another number of labels: one line (scikit-learn's LabelBinarizer says "The object was not
        fitted with multilabel input." or "classes [0 1 2] mismatch with the labels [0 1] ...").
        One label per sample for a model fitted on rows was taken as one-hot rows (as scikit-learn's MLP
        takes it), or refused as "1 outputs" where the labels were 0/1."""
        rows = self._label_binarizer.y_type_ == "multilabel-indicator"
        n = len(self.classes_)
        if y.ndim == 2 and (not rows or y.shape[1] != n) or y.ndim == 1 and rows:
            fitted, shape = ((f"rows of {n} labels", f"(n_samples, {n})") if rows else
                             (f"one label per sample (classes_ {self.classes_})", "(n_samples,)"))
            given = f"rows of {y.shape[1]} labels" if y.ndim == 2 else "one label per sample"
            raise ValueError(f"y holds {given} (shape {y.shape}), but the model was fitted on "
                             f"{fitted}; pass y of shape {shape}, or {_new_model(incremental)}.")

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _loss(self):
        return None if self.out_activation_ == "softmax" else SummedBinaryCrossEntropy()

    def _network_task(self):
        return "multilabel" if self._label_binarizer.y_type_ == "multilabel-indicator" and self.n_outputs_ > 1 else None

    def _stratify(self):
        return self.n_outputs_ == 1

    def _labels(self, out):
        return self._label_binarizer.inverse_transform(out.ravel() if self.n_outputs_ == 1 else out)

    def _score_outputs(self, out, Y, sample_weight=None):
        labels = self._label_binarizer.inverse_transform(Y)
        return accuracy_score(labels, self._labels(out), sample_weight=sample_weight)

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
            if len(self.classes_) == 1:  # fitted on one class: one column, as classes_ (scikit-learn's gives two)
                return np.ones_like(p)
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
    __doc__ = docstring("MLPRegressor", "Multi-layer perceptron regressor (squared error, identity output).")

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
    def fit(self, X: Array, y: Array, sample_weight: Array | None = None) -> MLPRegressor:
        """Fit the model to ``X (n_samples, n_features)`` and targets ``y (n_samples,)`` or ``(n_samples, n_outputs)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (dense; float32 data trains in float32).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: one value per sample, or one column per output.
        sample_weight : array-like of shape (n_samples,), optional
            A weight >= 0 per row, as scikit-learn's MLP takes it: each batch's loss, gradient and L2
            penalty are divided by the batch's sum of weights (:mod:`nnscratch.sklearn.weights`).
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @keywords("estimator_partial_fit")
    def partial_fit(self, X: Array, y: Array, sample_weight: Array | None = None) -> MLPRegressor:
        """One epoch over ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.
        sample_weight : array-like of shape (n_samples,), optional
            A weight >= 0 per row, as scikit-learn's MLP takes it: each batch's loss, gradient and L2
            penalty are divided by the batch's sum of weights (:mod:`nnscratch.sklearn.weights`).
        """
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def _refuse(self, X, incremental):
        """scikit-learn's ``loss="poisson"`` as ``solver="lbfgs"`` is: one line with the fix (its constraint
        said only "must be a str among {'squared_error'}")."""
        if self.loss == "poisson":
            raise ConfigError("loss='poisson' is not available in nnscratch's MLPRegressor (it trains scikit-learn's "
                              "squared_error, the default); use loss='squared_error', or scikit-learn's own "
                              "sklearn.neural_network.MLPRegressor(loss='poisson').")
        super()._refuse(X, incremental)

    def _validate_input(self, X, y, incremental, reset):
        X, y = self._validated(X, y, multi_output=True, y_numeric=True, reset=reset, incremental=incremental)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        try:
            return X, np.reshape(y, (y.shape[0], -1)).astype(X.dtype)
        except ValueError as exc:  # text y: validate_data's y_numeric converts object arrays only
            raise ValueError(one_line(str(exc), X, y, name=type(self).__name__) or str(exc)) from None

    def _output_activation(self):
        return "identity"

    def _loss(self):
        return HalfSquaredError()

    def _stratify(self):
        return False

    def _score_outputs(self, out, Y, sample_weight=None):
        if not np.isfinite(out).all():
            return np.nan  # scikit-learn: NaN for non-finite predictions
        return r2_score(Y, out, sample_weight=sample_weight)

    def predict(self, X: Array) -> np.ndarray:
        """Predicted values ``(n_samples,)``, or ``(n_samples, n_outputs)`` for several targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs to predict for.
        """
        out = self._forward(X)
        return out.ravel() if self.n_outputs_ == 1 else out
