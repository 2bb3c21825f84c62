"""nnscratch.sklearn where it meets the rest of nnscratch: the task of the network an estimator
trains (:mod:`nnscratch.models.task`), and the backend a fit in a worker of ``n_jobs`` uses."""

import pickle
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install 'nnscratch[sklearn]')")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from nnscratch.sklearn import MLPClassifier  # noqa: E402


def _fitted(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.mark.parametrize("rows", ["one-hot", "multi-hot"])
def test_a_multilabel_classifier_trains_a_multilabel_network(rows):
    """Indicator rows are a multilabel target for scikit-learn even where each row holds one label;
    the network the estimator keeps says "multilabel" too (Network.fit would call one-hot rows
    "multiclass", and a network rebuilt after pickling has no targets to tell), so its predict and
    evaluate agree with the estimator's predict and score."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = np.eye(3, dtype=int)[rng.integers(0, 3, 40)]
    if rows == "multi-hot":
        Y[:5] = 1
    clf = _fitted(MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0, backend="numpy"), X, Y)
    for estimator in (clf, pickle.loads(pickle.dumps(clf))):
        net = estimator._get_network()
        assert net.task == "multilabel"
        np.testing.assert_array_equal(net.backend.to_numpy(net.predict(X)), estimator.predict(X))
        assert net.evaluate(X, Y)["accuracy"] == pytest.approx(estimator.score(X, Y))
    clf.partial_fit(X[:10], np.eye(3, dtype=int)[[0, 1, 2, 0, 1, 2, 0, 1, 2, 0]])
    assert clf._get_network().task == "multilabel"


@pytest.mark.parametrize("parallel", ["loky", "threading"])
def test_a_use_backend_block_reaches_the_fits_of_n_jobs(parallel):
    """GridSearchCV and cross_validate clone the estimator where they are called and fit the clones in
    worker processes (loky) or threads, which do not see the caller's ``use_backend`` block; the clones
    keep it, so ``n_jobs=2`` trains where ``n_jobs=1`` does. A device without float64 shows it: the
    coefficients come back in float32 from there, in float64 from NumPy."""
    pytest.importorskip("array_api_strict", reason="array-api-strict is not installed")
    from joblib import parallel_backend
    from sklearn.model_selection import cross_validate

    import nnscratch as nn
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    estimator = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with warnings.catch_warnings(), nn.use_backend("array_api_strict:no_float64"), parallel_backend(parallel):
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = cross_validate(estimator, X, y, cv=2, n_jobs=2, return_estimator=True)["estimator"]
    assert [clf.coefs_[0].dtype for clf in fitted] == [np.float32, np.float32]
    assert str(fitted[0]._get_network().backend) == "array_api_strict:no_float64"  # outside the block too
    assert _fitted(estimator, X, y).coefs_[0].dtype == np.float64  # not the original: a clone carries the block


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
@pytest.mark.parametrize("first, then, fitted_on", [
    ("rows3", "rows2", "rows of 3 labels; pass y of shape (n_samples, 3)"),
    ("rows3", "rows4", "rows of 3 labels; pass y of shape (n_samples, 3)"),
    ("labels", "rows3", "one label per sample (classes_ [0 1 2]); pass y of shape (n_samples,)"),
])
def test_rows_of_labels_that_do_not_fit_the_model_are_one_line(how, first, then, fitted_on):
    """A later call with indicator rows of another width, or rows where the model learnt one label per
    sample: scikit-learn's LabelBinarizer said "The object was not fitted with multilabel input." or
    "classes [0 1 2] mismatch with the labels [0 1] found in the data" (or, for more columns, named
    classes the user never had); now one line with the shapes and the fix."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    targets = {"labels": np.arange(30) % 3, **{f"rows{k}": (rng.random((30, k)) > 0.5).astype(int) for k in (2, 3, 4)}}
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0, warm_start=how == "warm_start")
    new = "fit (not partial_fit)" if how == "partial_fit" else "fit with warm_start=False"
    message = (f"y holds rows of {then[-1]} labels (shape (30, {then[-1]})), but the model was fitted on {fitted_on}, "
               f"or start a new model with {new}.")

    def call(y):
        return clf.partial_fit(X, y, classes=[0, 1, 2]) if how == "partial_fit" else _fitted(clf, X, y)
    call(targets[first])
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        call(targets[then])


@pytest.mark.parametrize("n, fraction, rarest", [(2, 0.1, 1), (10, 0.1, 1), (60, 0.01, 30)])
def test_too_few_rows_to_stop_early_on_are_one_line(n, fraction, rarest):
    """scikit-learn's split said "The least populated classes in y have only 1 member ... Classes with too
    few members are: ['0.0', '1.0']" (the 0/1 columns, not the user's labels) or "The test_size = 1 should
    be greater or equal to the number of classes = 2", nothing about early stopping. The line names
    n_samples as scikit-learn's check_fit2d_1sample looks for it."""
    X = np.random.default_rng(0).normal(size=(n, 3))
    y = np.array(["cat", "dog"])[np.arange(n) % 2 if n != 10 else (np.arange(n) == 0).astype(int)]  # 10: one dog
    message = (f"early_stopping=True cannot hold out validation_fraction={fraction:g} of the n_samples={n} rows "
               "(1 held out): a "
               "split with every class on both sides needs 2 rows of each class and 2 held out; the rarest class "
               f"has {rarest}. Pass more rows, a larger validation_fraction, or early_stopping=False.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        MLPClassifier(early_stopping=True, validation_fraction=fraction, max_iter=2).fit(X, y)


def test_ensembles_without_sample_weight_as_the_guide_says():
    """docs/guides/sklearn-onnx.md: bagging and AdaBoostRegressor resample the rows themselves (no
    ``sample_weight``); AdaBoostClassifier weighs them (tests/test_weights14_sklearn.py)."""
    from sklearn.ensemble import AdaBoostRegressor, BaggingClassifier

    from nnscratch.sklearn import MLPRegressor
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    small = dict(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        bagging = BaggingClassifier(MLPClassifier(**small), n_estimators=2, random_state=0)
        assert _fitted(bagging, X, y).predict(X).shape == (30,)
        boosting = AdaBoostRegressor(MLPRegressor(**small), n_estimators=2, random_state=0)
        assert _fitted(boosting, X, X[:, 0]).predict(X).shape == (30,)


def test_early_stopping_on_one_sample_passes_sklearns_check():
    """scikit-learn's MLPClassifier(early_stopping=True) passes check_fit2d_1sample (its split's message
    names n_samples=1); nnscratch's must too, with its own line about the split."""
    from sklearn.utils.estimator_checks import check_fit2d_1sample
    check_fit2d_1sample("MLPClassifier", MLPClassifier(early_stopping=True, max_iter=2))
