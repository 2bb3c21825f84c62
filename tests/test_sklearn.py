"""nnscratch.sklearn: scikit-learn's own estimator checks, and the estimators in sklearn's tools."""

import pickle
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install 'nnscratch[sklearn]')")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from nnscratch.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _same_start(ours, theirs, X, y):
    """``ours`` (already fitted once) with ``theirs``' weights, through a pickle round trip
    (the network is rebuilt from ``coefs_`` / ``intercepts_``)."""
    ours = pickle.loads(pickle.dumps(ours))
    ours.coefs_ = [w.copy() for w in theirs.coefs_]
    ours.intercepts_ = [b.copy() for b in theirs.intercepts_]
    return ours


STEP_CASES = [("classifier", "multiclass", "sgd"), ("classifier", "multiclass", "adam"),
              ("classifier", "binary", "sgd"), ("classifier", "multilabel", "sgd"),
              ("regressor", "one", "sgd"), ("regressor", "two", "adam"), ("regressor", "one", "invscaling")]


@pytest.mark.parametrize("kind, target, solver", STEP_CASES, ids=["-".join(c) for c in STEP_CASES])
def test_one_epoch_matches_sklearn_from_the_same_weights(iris, kind, target, solver):
    """Losses, gradients, L2 and the update rule agree with scikit-learn's MLP step for step."""
    from sklearn import neural_network
    X, y = iris
    y = {"multiclass": y, "binary": y == 1, "multilabel": np.stack([y == 1, X[:, 0] > 0], axis=1),
         "one": X[:, 0] * 2 + 1, "two": X[:, :2] - X[:, 2:]}[target]
    X = X[:, 1:] if kind == "regressor" else X
    name = "MLPClassifier" if kind == "classifier" else "MLPRegressor"
    solver, schedule = ("sgd", solver) if solver == "invscaling" else (solver, "constant")
    options = dict(hidden_layer_sizes=(7, 5), activation="tanh", solver=solver, alpha=0.01, batch_size=50,
                   learning_rate=schedule, power_t=0.25,
                   shuffle=False, momentum=0.0, learning_rate_init=0.05, max_iter=1, warm_start=True,
                   random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = getattr(neural_network, name)(**options).fit(X, y)
        ours = _same_start(getattr(__import__("nnscratch.sklearn").sklearn, name)(**options).fit(X, y), theirs, X, y)
        before = theirs.loss_curve_[-1]
        for est in (theirs, ours):
            est.set_params(max_iter=3).fit(X, y)
    # Adam: scikit-learn adds epsilon before the bias correction of v, nnscratch (like PyTorch) after it,
    # which moves each of the 9 steps of 0.05 by ~1e-6 where gradients are tiny.
    atol = 2e-5 if solver == "adam" else 1e-8
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=atol)
    assert ours.n_iter_ == theirs.n_iter_ == 3 and len(ours.loss_curve_) == 4
    np.testing.assert_allclose(ours.loss_curve_[1:], theirs.loss_curve_[1:], rtol=2e-3)  # L2 term: end-of-epoch weights
    assert ours.loss_curve_[1] != pytest.approx(before)


def test_string_labels_pipeline_grid_search_and_cross_val_score(iris):
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, random_state=0,
                                                         learning_rate_init=0.02))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(pipe, X, names, cv=3)
        search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 10.0]}, cv=3).fit(X, names)
    assert scores.mean() > 0.85
    assert search.best_params_ == {"mlpclassifier__alpha": 1e-4}
    assert set(search.predict(X[:10])) <= set(names) and search.predict(X).dtype == names.dtype
    clf = search.best_estimator_[-1]
    assert list(clf.classes_) == sorted(set(names)) and clf.predict_proba(X[:4]).shape == (4, 3)


def test_convergence_warning_only_when_max_iter_stops_training(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(5\)"):
        MLPClassifier(max_iter=5, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = MLPClassifier(max_iter=300, tol=0.05, n_iter_no_change=2, random_state=0).fit(X, y)
    assert clf.n_iter_ < 300 and len(clf.loss_curve_) == clf.n_iter_
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_early_stopping_keeps_the_best_validation_epoch(iris):
    X, y = iris
    clf = MLPClassifier(early_stopping=True, n_iter_no_change=3, max_iter=200, learning_rate_init=0.05,
                        random_state=0).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_) and clf.best_loss_ is None
    assert clf.score(X, y) > 0.85


def test_lbfgs_is_refused_with_the_fix(iris):
    from nnscratch.errors import ConfigError
    with pytest.raises(ConfigError, match="solver='adam'"):
        MLPClassifier(solver="lbfgs").fit(*iris)


def test_pickle_and_other_backend_give_the_same_predictions(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y.astype(float))
    copy = pickle.loads(pickle.dumps(reg))
    assert "_network" not in copy.__dict__
    np.testing.assert_array_equal(copy.predict(X), reg.predict(X))
    copy.set_params(backend="array_api_strict")
    np.testing.assert_allclose(copy.predict(X), reg.predict(X), rtol=1e-12)
    assert str(copy._network.backend).startswith("array_api_strict")


def test_partial_fit_needs_classes_then_continues(iris):
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2]).partial_fit(X[50:], y[50:])
    assert len(clf.loss_curve_) == 2 and clf.predict_proba(X).shape == (150, 3)


def test_float32_data_trains_in_float32(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(max_iter=3, random_state=0).fit(X.astype(np.float32), y)
    assert clf.coefs_[0].dtype == np.float32 and clf.predict_proba(X).dtype == np.float32


def test_import_nnscratch_does_not_import_sklearn_or_ndonnx():
    import subprocess
    import sys
    code = "import sys, nnscratch; print(sorted({'sklearn', 'ndonnx', 'onnx'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_same_signatures_as_sklearn_plus_backend():
    import inspect

    from sklearn import neural_network
    for ours in (MLPClassifier, MLPRegressor):
        theirs = inspect.signature(getattr(neural_network, ours.__name__)).parameters
        mine = inspect.signature(ours).parameters
        assert list(mine) == list(theirs) + ["backend"]
        assert all(mine[k].default == theirs[k].default and mine[k].kind == theirs[k].kind for k in theirs)
    with pytest.raises(ValueError, match="loss"):
        MLPRegressor(loss="poisson").fit([[0.0], [1.0]], [0.0, 1.0])
