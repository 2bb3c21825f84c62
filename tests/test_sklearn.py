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


def _targets(X, y, target):
    return {"multiclass": y, "binary": y == 1, "multilabel": np.stack([y == 1, X[:, 0] > 0], axis=1),
            "one": X[:, 0] * 2 + 1, "two": X[:, :2] - X[:, 2:]}[target]


def _pair(kind, **options):
    """``(scikit-learn's estimator, nnscratch's)`` of ``kind`` with the same ``options``."""
    from sklearn import neural_network

    import nnscratch.sklearn
    name = "MLPClassifier" if kind == "classifier" else "MLPRegressor"
    return getattr(neural_network, name)(**options), getattr(nnscratch.sklearn, name)(**options)


def _call(estimators, method, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return [getattr(est, method)(*args, **kwargs) for est in estimators]


def assert_same_model(theirs, ours, atol=1e-10):
    """Weights, loss curve and every piece of fitted state scikit-learn keeps, alike."""
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)
    assert (ours.n_iter_, ours.t_, len(ours.loss_curve_)) == (theirs.n_iter_, theirs.t_, len(theirs.loss_curve_))
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-10)
    assert ours._no_improvement_count == theirs._no_improvement_count
    if theirs.early_stopping:
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, atol=1e-12)
        assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
        assert ours.best_loss_ is None and theirs.best_loss_ is None
    else:
        assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-10)
    assert ours._optimizer.learning_rate == pytest.approx(
        theirs._optimizer.learning_rate if hasattr(theirs._optimizer, "momentum") else theirs.learning_rate_init,
        rel=1e-12)  # SGD's rate, or Adam's learning_rate_init (its learning_rate is the bias-corrected step)


MATRIX = [(solver, schedule, alpha, early) for solver in ("sgd", "adam")
          for schedule in ("constant", "invscaling", "adaptive") for alpha in (0.0, 0.01) for early in (False, True)]


@pytest.mark.parametrize("solver, schedule, alpha, early", MATRIX,
                         ids=[f"{s}-{r}-alpha{a}-{'early' if e else 'loss'}" for s, r, a, e in MATRIX])
def test_fit_warm_start_partial_fit_and_pickle_match_sklearn(iris, solver, schedule, alpha, early):
    """Side by side with sklearn.neural_network from the same random_state: fit (with its
    stopping rules), a warm-started fit, partial_fit and partial_fit after a pickle round
    trip give scikit-learn's model, to rounding."""
    order = np.random.default_rng(0).permutation(150)  # every class in each part given to partial_fit
    X, y = iris[0][order], iris[1][order]
    options = dict(hidden_layer_sizes=(6,), solver=solver, learning_rate=schedule, alpha=alpha,
                   early_stopping=early, batch_size=40, learning_rate_init=0.1 if solver == "sgd" else 0.02,
                   max_iter=12, tol=0.02, n_iter_no_change=2, random_state=0)
    pair = _pair("classifier", **options)
    _call(pair, "fit", X, y)
    assert_same_model(*pair)
    for est in pair:
        est.set_params(warm_start=True, max_iter=5)
    _call(pair, "fit", X, y)
    assert_same_model(*pair)
    if early:
        for est in pair:
            with pytest.raises(ValueError, match="early_stopping"):
                est.partial_fit(X, y)
        return
    _call(pair, "partial_fit", X[:70], y[:70])
    assert_same_model(*pair)
    copies = [pickle.loads(pickle.dumps(est)) for est in pair]
    _call([*pair, *copies], "partial_fit", X[70:], y[70:])
    assert_same_model(*pair)
    assert_same_model(*copies)
    for a, b in zip(copies[1].coefs_ + copies[1].intercepts_, pair[1].coefs_ + pair[1].intercepts_):
        np.testing.assert_array_equal(a, b)  # the pickle lost nothing


TARGETS = [("classifier", "binary", "sgd"), ("classifier", "multilabel", "adam"), ("regressor", "one", "sgd"),
           ("regressor", "two", "adam")]


@pytest.mark.parametrize("kind, target, solver", TARGETS, ids=["-".join(c) for c in TARGETS])
@pytest.mark.parametrize("early", [False, True], ids=["loss", "early"])
def test_every_target_type_matches_sklearn(iris, kind, target, solver, early):
    X, y = iris
    y = _targets(X, y, target)
    X = X[:, 1:] if kind == "regressor" else X
    options = dict(hidden_layer_sizes=(7, 5), activation="tanh", solver=solver, alpha=0.01, batch_size=50,
                   learning_rate="invscaling", power_t=0.25, learning_rate_init=0.05, max_iter=10,
                   early_stopping=early, n_iter_no_change=3, random_state=1)
    pair = _pair(kind, **options)
    _call(pair, "fit", X, y)
    assert_same_model(*pair)
    np.testing.assert_allclose(pair[1].predict(X), pair[0].predict(X), atol=1e-10)
    if kind == "classifier":
        np.testing.assert_allclose(pair[1].predict_proba(X), pair[0].predict_proba(X), atol=1e-10)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_each_activation_and_float32_match_sklearn(iris, activation):
    X, y = iris
    for dtype, atol in ((np.float64, 1e-10), (np.float32, 1e-4)):
        pair = _pair("classifier", hidden_layer_sizes=(5,), activation=activation, max_iter=6, random_state=2,
                     learning_rate_init=0.01)
        _call(pair, "fit", X.astype(dtype), y)
        assert pair[1].coefs_[0].dtype == pair[0].coefs_[0].dtype == dtype
        assert_same_model(*pair, atol=atol) if dtype == np.float64 else np.testing.assert_allclose(
            pair[1].coefs_[0], pair[0].coefs_[0], atol=atol)


ONE_AT_A_TIME = [
    dict(shuffle=False), dict(momentum=0.0), dict(nesterovs_momentum=False),
    dict(momentum=0.5, nesterovs_momentum=False, learning_rate="invscaling", power_t=0.7),
    dict(solver="adam", beta_1=0.5, beta_2=0.9, epsilon=1e-4), dict(early_stopping=True, validation_fraction=0.3),
    dict(tol=0.0, n_iter_no_change=1), dict(batch_size=1, max_iter=2), dict(batch_size=1000),
    dict(hidden_layer_sizes=(3, 4, 5), activation="logistic"), dict(learning_rate="adaptive", tol=0.5),
    dict(random_state="RandomState"), dict(random_state=None), dict(verbose=True, learning_rate="adaptive", tol=0.5),
    dict(verbose=True, early_stopping=True),
]


@pytest.mark.parametrize("change", ONE_AT_A_TIME, ids=[",".join(f"{k}={v}" for k, v in c.items()) for c in ONE_AT_A_TIME])
def test_each_hyperparameter_matches_sklearn(iris, change, capsys):
    X, y = iris
    options = {**dict(hidden_layer_sizes=(6,), solver="sgd", batch_size=32, learning_rate_init=0.05, max_iter=8,
                      n_iter_no_change=2, random_state=3), **change}
    if options["random_state"] == "RandomState":  # each estimator draws from its own, equally seeded
        pair = _pair("classifier", **dict(options, random_state=np.random.RandomState(5)))
        pair[1].set_params(random_state=np.random.RandomState(5))
    else:
        pair = _pair("classifier", **options)
    printed = []
    for est in pair:
        np.random.seed(11)  # random_state=None: both draw from NumPy's global RandomState
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X, y)
        printed.append((capsys.readouterr().out, sorted(str(w.message) for w in caught)))
    assert_same_model(*pair)
    assert printed[1] == printed[0]  # the same verbose lines and warnings


def test_partial_fit_after_a_pickle_keeps_the_optimizer_state(iris):
    """Issue 20, item 10: as scikit-learn's own, a pickled estimator continues its Adam moments."""
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    clf.partial_fit(X[:75], y[:75], classes=[0, 1, 2])
    kept = dict(clf.__dict__)
    copy = pickle.loads(pickle.dumps(clf))
    assert clf.__dict__.keys() == kept.keys() and all(clf.__dict__[k] is v for k, v in kept.items())  # untouched
    assert "_network" not in copy.__dict__ and "_optimizer" not in copy.__dict__
    for est in (clf, copy):
        est.partial_fit(X[75:], y[75:])
    for a, b in zip(copy.coefs_ + copy.intercepts_, clf.coefs_ + clf.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert copy._optimizer.t == clf._optimizer.t == 2


def test_another_backend_continues_with_the_optimizer_state(iris):
    pytest.importorskip("array_api_strict")
    X, y = iris
    clf, copy = (MLPClassifier(hidden_layer_sizes=(8,), batch_size=50, random_state=0, learning_rate_init=0.1)
                 .partial_fit(X, y, classes=[0, 1, 2]) for _ in range(2))
    copy.set_params(backend="array_api_strict")
    for est in (clf, copy):
        est.partial_fit(X, y)
    assert str(copy._network.backend).startswith("array_api_strict")
    for a, b in zip(copy.coefs_ + copy.intercepts_, clf.coefs_ + clf.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_grid_search_on_digits_selects_and_scores_as_sklearn():
    """The issue's model selection (digits, StandardScaler + MLPClassifier, hidden (32,) or (64,),
    cv=3), shortened to max_iter=20 for speed: nnscratch's scores are scikit-learn's."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = load_digits(return_X_y=True)
    searches = []
    for est in _pair("classifier", max_iter=20, random_state=0):
        search = GridSearchCV(make_pipeline(StandardScaler(), est),
                              {"mlpclassifier__hidden_layer_sizes": [(32,), (64,)]}, cv=3)
        searches.append(_call([search], "fit", X, y)[0])
    theirs, ours = searches
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"],
                               atol=0.005)


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


def test_a_backend_object_clones_pickles_and_cross_validates(iris):
    """backend= takes an nnscratch.Backend: clone, pickle and cross_val_score (which clone it) work."""
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    import nnscratch
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0, backend=nnscratch.get_backend("numpy"))
    assert clone(clf).backend == clf.backend
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert cross_val_score(clf, X, y, cv=2).shape == (2,)
        clf.fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    assert copy.backend == clf.backend
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))


def test_alpha_changed_between_partial_fits_applies_as_in_sklearn(iris):
    X, y = iris
    pair = _pair("classifier", hidden_layer_sizes=(6,), learning_rate_init=0.05, random_state=0)
    _call(pair, "partial_fit", X, y, classes=[0, 1, 2])
    for est in pair:
        est.set_params(alpha=1.0)
    _call(pair, "partial_fit", X, y)
    assert_same_model(*pair)


@pytest.mark.parametrize("first, change", [("adam", dict(beta_1=0.5, epsilon=1e-3)), ("sgd", dict(momentum=0.2)),
                                           ("sgd", dict(nesterovs_momentum=False)), ("adam", dict(solver="sgd"))])
def test_a_pickle_keeps_the_optimizer_its_parameters_built(iris, first, change):
    """As scikit-learn's pickled optimizer: parameters set between partial_fit calls leave the
    optimizer as it was built, with or without a pickle round trip in between."""
    X, y = iris
    pair = _pair("classifier", hidden_layer_sizes=(6,), solver=first, learning_rate_init=0.05, random_state=0)
    _call(pair, "partial_fit", X, y, classes=[0, 1, 2])
    for est in pair:
        est.set_params(**change)
    copies = [pickle.loads(pickle.dumps(est)) for est in pair]
    _call([*pair, *copies], "partial_fit", X, y)
    assert_same_model(*pair)
    assert_same_model(*copies)


def test_activation_set_after_fit_applies_as_in_sklearn(iris):
    """scikit-learn's forward pass reads ``activation`` at each call: predictions, a warm-started
    fit and a pickle round trip all use the one set last."""
    X, y = iris
    pair = _pair("classifier", hidden_layer_sizes=(6,), max_iter=5, random_state=0, warm_start=True)
    _call(pair, "fit", X, y)
    for est in pair:
        est.set_params(activation="tanh")
    np.testing.assert_allclose(pair[1].predict_proba(X), pair[0].predict_proba(X), atol=1e-12)
    _call(pair, "fit", X, y)
    assert_same_model(*pair)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(pair[1])).predict_proba(X), pair[1].predict_proba(X))


def test_sparse_input_is_refused_with_the_fix(iris):
    """A documented difference from scikit-learn's MLP: sparse X is refused, the message says how to densify."""
    from scipy import sparse
    X, y = iris
    with pytest.raises(TypeError, match="toarray"):
        MLPClassifier(max_iter=1).fit(sparse.csr_matrix(X), y)


def test_divergence_is_scikit_learns_value_error_naming_learning_rate_init(iris):
    """As scikit-learn's MLP: a ValueError (still nnscratch's DivergenceError) that names the
    estimator's own parameter; coefs_ are the last finite weights the network keeps."""
    from nnscratch.errors import DivergenceError
    X, y = iris
    reg = MLPRegressor(solver="sgd", learning_rate_init=1e10, max_iter=50, random_state=0)
    with pytest.raises(ValueError, match=r"non-finite parameter weights.*learning_rate_init=1e\+10") as caught:
        reg.fit(X, y * 1e100)
    assert isinstance(caught.value, DivergenceError)
    assert all(np.isfinite(w).all() for w in reg.coefs_ + reg.intercepts_)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(X), reg.predict(X))


def test_partial_fit_with_another_number_of_outputs_says_how_to_fix(iris):
    X, _ = iris
    reg = MLPRegressor(hidden_layer_sizes=(4,), random_state=0).partial_fit(X[:, :2], X[:, 2:])
    with pytest.raises(ValueError, match=r"y has 1 outputs but the fitted model has 2; pass y with 2 outputs, "
                                         r"or start a new model with fit \(not partial_fit\)"):
        reg.partial_fit(X[:, :2], X[:, 2])
    reg.set_params(warm_start=True, max_iter=1)
    with pytest.raises(ValueError, match="with fit with warm_start=False"):
        reg.fit(X[:, :2], X[:, 2])
