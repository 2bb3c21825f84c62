"""nnscratch.sklearn where one feature meets another: fits that follow each other with a
setting changed in between, and a fit cut short.

``tests/test_sklearn.py`` checks each feature side by side with scikit-learn; here are the
crossings where scikit-learn's own MLP fails (so there is nothing to compare with) and the
estimator must still leave a model whose fitted attributes agree with each other.
"""

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install 'nnscratch[sklearn]')")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from nnscratch.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return call(*args, **kwargs)


def _assert_stopping_state(est, epochs):
    """The fitted attributes of the stopping rule ``est.early_stopping`` names, over the last fit's epochs."""
    if est.early_stopping:
        assert est.best_loss_ is None and len(est.validation_scores_) == epochs
        assert est.best_validation_score_ == max(est.validation_scores_)
    else:
        assert est.validation_scores_ is None and est.best_validation_score_ is None
        assert est.best_loss_ == min(est.loss_curve_[-epochs:])


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("first", [False, True], ids=["then-early", "then-loss"])
def test_early_stopping_switched_between_warm_fits(Estimator, first):
    """A warm-started fit after one with the other ``early_stopping`` failed on ``None.append``
    (validation_scores_) or ``None - float`` (best_loss_), as scikit-learn's MLP does; it goes on
    from the fitted weights with the stopping rule it names now."""
    X, y = _data()
    est = _quiet(Estimator(hidden_layer_sizes=(6,), max_iter=4, warm_start=True, early_stopping=first,
                           random_state=0).fit, X, y)
    before = [c.copy() for c in est.coefs_]
    est.set_params(early_stopping=not first)
    _quiet(est.fit, X, y)
    _assert_stopping_state(est, est.n_iter_)
    assert len(est.loss_curve_) == 4 + est.n_iter_
    assert any(not np.array_equal(a, b) for a, b in zip(before, est.coefs_))  # it trained on from them


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_partial_fit_after_a_fit_with_early_stopping(Estimator):
    """Fine-tuning with partial_fit after a fit with early stopping (partial_fit needs
    early_stopping=False) failed on ``best_loss_ - tol`` with best_loss_ None."""
    X, y = _data()
    est = _quiet(Estimator(hidden_layer_sizes=(6,), max_iter=4, early_stopping=True, random_state=0).fit, X, y)
    est.set_params(early_stopping=False)
    est.partial_fit(X, y)
    est.partial_fit(X, y)
    _assert_stopping_state(est, 2)
    assert est.n_iter_ == 1 and len(est.loss_curve_) == 6
