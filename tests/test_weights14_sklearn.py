"""The scikit-learn estimators' ``fit(X, y, sample_weight=)`` and ``partial_fit(X, y, sample_weight=, classes=)``
train scikit-learn 1.9's weighted MLP: its division of each batch by the batch's sum of weights, its
weighted early-stopping split and score, compared as tests/test_sklearn.py compares the unweighted ones."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install 'nnscratch[sklearn]')")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from test_sklearn import _pair, _targets, assert_same_model  # noqa: E402


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _weights(n, seed=0):
    return np.random.default_rng(seed).uniform(0.1, 3.0, n)


@pytest.mark.parametrize("target", ["multiclass", "binary", "multilabel", "one", "two"])
@pytest.mark.parametrize("options", [dict(solver="adam"), dict(solver="sgd", momentum=0.9, alpha=1e-2),
                                     dict(solver="adam", early_stopping=True, n_iter_no_change=3),
                                     dict(solver="sgd", shuffle=False, learning_rate="adaptive")],
                         ids=["adam", "sgd", "early", "unshuffled"])
def test_weighted_fit_trains_scikit_learns_model(iris, target, options):
    """Batches of 32 of 150 rows whose sums of weights differ: each divided by its own sum, as scikit-learn."""
    X, y = iris
    y = _targets(X, y, target)
    kind = "regressor" if target in ("one", "two") else "classifier"
    if kind == "classifier" and target == "multilabel" and options.get("early_stopping"):
        options = {**options, "early_stopping": False}
    pair = _pair(kind, hidden_layer_sizes=(8,), max_iter=12, batch_size=32, random_state=0, **options)
    w = _weights(len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for est in pair:
            est.fit(X, y, sample_weight=w)
    assert_same_model(*pair, atol=1e-12)


def test_weighted_partial_fit_trains_scikit_learns_model(iris):
    X, y = iris
    pair = _pair("classifier", hidden_layer_sizes=(8,), batch_size=20, random_state=0)
    for chunk in range(3):
        rows = slice(chunk * 50, chunk * 50 + 50)
        for est in pair:
            est.partial_fit(X[rows], y[rows], sample_weight=_weights(50, chunk), classes=[0, 1, 2])
    assert_same_model(*pair, atol=1e-12)
    reg = _pair("regressor", hidden_layer_sizes=(8,), batch_size=20, random_state=0)
    for est in reg:
        est.partial_fit(X, X[:, 0], _weights(150))
    assert_same_model(*reg, atol=1e-12)


def test_a_weight_of_two_is_the_row_twice_in_one_full_batch(iris):
    """scikit-learn divides by the sum of weights: integer weights are repeated rows (one batch, unshuffled)."""
    from nnscratch.sklearn import MLPClassifier
    X, y = iris
    w = np.ones(len(X))
    w[:10] = 2.0
    options = dict(hidden_layer_sizes=(8,), max_iter=5, batch_size=1000, shuffle=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", "Got `batch_size`", UserWarning)  # one batch of all the rows, on purpose
        weighted = MLPClassifier(**options).fit(X, y, sample_weight=w)
        repeated = MLPClassifier(**options).fit(np.concatenate([X[:10], X]), np.concatenate([y[:10], y]))
    for a, b in zip(weighted.coefs_ + weighted.intercepts_, repeated.coefs_ + repeated.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-12)


def test_bad_sample_weights_are_refused_in_one_line(iris):
    from nnscratch.sklearn import MLPClassifier
    X, y = iris
    with pytest.raises(ValueError, match=r"^sample_weight must be >= 0; got -1 at row 3\. "):
        MLPClassifier(max_iter=2).fit(X, y, sample_weight=np.r_[np.ones(3), -1.0, np.ones(146)])
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(149,\), expected \(150,\)!"):  # scikit-learn's
        MLPClassifier(max_iter=2).fit(X, y, sample_weight=np.ones(149))


def test_weighting_meta_estimators_see_and_pass_sample_weight(iris):
    """AdaBoostClassifier boosts the estimator (it refused one without sample_weight before)."""
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.utils.validation import has_fit_parameter

    from nnscratch.sklearn import MLPClassifier, MLPRegressor
    X, y = iris
    assert has_fit_parameter(MLPClassifier(), "sample_weight") and has_fit_parameter(MLPRegressor(), "sample_weight")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        boosted = AdaBoostClassifier(MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, learning_rate_init=0.05,
                                                   random_state=0),
                                     n_estimators=3, random_state=0).fit(X, y)
    assert len(boosted.estimators_) >= 1 and boosted.score(X, y) > 0.5


def test_every_backend_trains_the_weighted_model_and_its_pickle_goes_on(iris, backend):
    import pickle
    X, y = iris
    w = _weights(150, 1)
    theirs, ours = _pair("classifier", hidden_layer_sizes=(8,), max_iter=6, batch_size=40, random_state=0)
    ours.set_params(backend=backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for est in (theirs, ours):
            est.fit(X, y, sample_weight=w)
        copy = pickle.loads(pickle.dumps(ours))
        for est in (theirs, ours, copy):
            est.partial_fit(X, y, sample_weight=w)
    assert_same_model(theirs, ours, atol=1e-10)  # float64 data trains in float64 on every backend
    for a, b in zip(copy.coefs_ + copy.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
