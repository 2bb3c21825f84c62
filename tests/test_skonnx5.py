"""Today's training changes (divergence guard with optimizer state, regression figures, image targets)
where they meet the scikit-learn estimators and the ONNX export."""

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install 'nnscratch[sklearn]')")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor  # noqa: E402

from nnscratch.sklearn import MLPRegressor  # noqa: E402


def _diverging_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    return X * 3, (X @ [1.0, 2, -1, 0.5] + 0.1 * rng.normal(size=200)) * 30


def test_early_stopping_ends_a_diverged_fit_on_its_best_validation_epoch_as_scikit_learn_does():
    """SGD that improves for four epochs, then blows up: scikit-learn's MLP goes on with NaN scores that
    never beat the best and ends on the best validation epoch's weights. The estimator raised instead,
    keeping the last finite weights (R^2 about -1e30) while best_validation_score_ said 0.99."""
    X, y = _diverging_data()
    options = dict(hidden_layer_sizes=(8,), max_iter=40, solver="sgd", learning_rate_init=0.002, momentum=0.99,
                   batch_size=20, early_stopping=True, random_state=0)
    ours, theirs = MLPRegressor(**options), SklearnMLPRegressor(**options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours.fit(X, y)
        theirs.fit(X, y)
    said = [str(w.message) for w in caught if w.category is ConvergenceWarning and "non-finite" in str(w.message)]
    assert len(said) == 1 and "best validation score" in said[0] and "learning_rate_init=0.002" in said[0]
    assert ours.n_iter_ < options["max_iter"] and np.isfinite(ours.validation_scores_).all()
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=1e-9)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), rel=1e-9) and ours.score(X, y) > 0.9


def test_a_diverged_fit_without_early_stopping_still_raises_and_a_fresh_fit_starts_over():
    """No early stopping: a ValueError (scikit-learn's kind) keeping the last finite weights; the next fit
    (warm_start=False) starts from new weights and a new optimizer, as scikit-learn's does."""
    X, y = _diverging_data()
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=40, solver="sgd", learning_rate_init=0.002, momentum=0.99,
                       batch_size=20, random_state=0)
    with pytest.raises(ValueError, match="non-finite parameter weights in epoch"):
        est.fit(X, y)
    assert all(np.isfinite(c).all() for c in est.coefs_)
    est.set_params(learning_rate_init=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    reference = SklearnMLPRegressor(hidden_layer_sizes=(8,), max_iter=40, solver="sgd", learning_rate_init=1e-4,
                                    momentum=0.99, batch_size=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X, y)
    np.testing.assert_allclose(est.coefs_[0], reference.coefs_[0], rtol=1e-8, atol=1e-10)
