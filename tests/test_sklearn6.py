"""nnscratch.sklearn as a scikit-learn user meets it: settings changed between ``partial_fit``
calls, side by side with scikit-learn's MLP, and the messages for data that does not fit the model.

``tests/test_sklearn.py`` checks the optimizer's own settings (betas, momentum, solver) kept
across partial_fit calls; here are the learning-rate schedule's settings, which scikit-learn's
SGD optimizer also keeps from when it was built.
"""

import pickle
import re

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install 'nnscratch[sklearn]')")

from test_sklearn import _call, _pair, assert_same_model  # noqa: E402


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


STOPS_EACH_EPOCH = dict(tol=10.0, n_iter_no_change=1)  # the no-improvement rule fires at every epoch

SCHEDULE_CHANGES = [
    (dict(solver="sgd", learning_rate="invscaling"), dict(learning_rate_init=0.5)),
    (dict(solver="sgd", learning_rate="invscaling"), dict(power_t=0.1)),
    (dict(solver="sgd"), dict(learning_rate="invscaling")),
    (dict(solver="adam"), dict(solver="sgd", learning_rate="invscaling")),
    (dict(solver="sgd", **STOPS_EACH_EPOCH), dict(learning_rate="adaptive")),
    (dict(solver="sgd", learning_rate="adaptive", **STOPS_EACH_EPOCH), dict(learning_rate="constant")),
    (dict(solver="adam", **STOPS_EACH_EPOCH), dict(solver="sgd", learning_rate="adaptive")),
]


@pytest.mark.parametrize("first, change", SCHEDULE_CHANGES, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
def test_partial_fit_keeps_the_schedule_its_optimizer_was_built_with(iris, first, change):
    """scikit-learn's optimizer holds ``learning_rate`` (its ``lr_schedule``), ``power_t`` and
    ``learning_rate_init``: set between partial_fit calls they change nothing until the next
    fit, with or without a pickle round trip in between."""
    X, y = iris
    pair = _pair("classifier", hidden_layer_sizes=(6,), learning_rate_init=0.05, random_state=0, **first)
    for _ in range(2):
        _call(pair, "partial_fit", X, y, classes=[0, 1, 2])
    for est in pair:
        est.set_params(**change)
    copy = pickle.loads(pickle.dumps(pair[1]))
    for _ in range(3):
        _call([*pair, copy], "partial_fit", X, y)
    for ours in (pair[1], copy):
        for a, b in zip(ours.coefs_ + ours.intercepts_, pair[0].coefs_ + pair[0].intercepts_):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
        assert ours._optimizer.learning_rate == pytest.approx(
            getattr(pair[0]._optimizer, "learning_rate" if first["solver"] == "sgd" else "learning_rate_init"))


def test_a_fit_after_partial_fit_builds_the_schedule_from_the_parameters(iris):
    """A fit (warm or not) builds a new optimizer, as scikit-learn's: the changed schedule applies there."""
    X, y = iris
    pair = _pair("classifier", hidden_layer_sizes=(6,), solver="sgd", learning_rate_init=0.05, random_state=0,
                 warm_start=True, max_iter=4)
    _call(pair, "partial_fit", X, y, classes=[0, 1, 2])
    for est in pair:
        est.set_params(learning_rate="invscaling", power_t=0.3)
    _call(pair, "fit", X, y)
    assert_same_model(*pair)


def test_a_pickle_from_before_the_optimizer_kept_its_schedule_continues_on_the_estimators(iris):
    """Pickles written before SGD's optimizer kept ``lr_schedule`` / ``power_t`` have none:
    partial_fit goes on with the estimator's, as it did when they were written."""
    from nnscratch.sklearn import MLPClassifier
    X, y = iris
    est = MLPClassifier(hidden_layer_sizes=(6,), solver="sgd", learning_rate="invscaling", power_t=0.2,
                        learning_rate_init=0.05, random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    state = pickle.loads(pickle.dumps(est)).__getstate__()
    for key in ("lr_schedule", "power_t"):
        del state["_optimizer_state"]["settings"][key]
    old = MLPClassifier.__new__(MLPClassifier)
    old.__setstate__(state)
    for model in (est, old):
        model.partial_fit(X, y)
    np.testing.assert_array_equal(old.coefs_[0], est.coefs_[0])
    assert old._optimizer.learning_rate == est._optimizer.learning_rate == pytest.approx(0.05 / 301 ** 0.2)


@pytest.mark.parametrize("call, fix", [
    ("predict", "fit the model again on these columns"), ("score", "fit the model again on these columns"),
    ("partial_fit", r"start a new model with fit \(not partial_fit\)"),
    ("fit", "start a new model with fit with warm_start=False")])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_x_with_other_columns_is_one_line_with_expected_received_and_the_fix(iris, kind, call, fix):
    """scikit-learn's message (which its own checks match) and, on the same line, how to fix it."""
    from nnscratch.sklearn import MLPClassifier, MLPRegressor
    X, y = iris
    Estimator = MLPClassifier if kind == "classifier" else MLPRegressor
    est = Estimator(hidden_layer_sizes=(4,), random_state=0, warm_start=True).partial_fit(X, y, **(
        {"classes": [0, 1, 2]} if kind == "classifier" else {}))
    args = (X[:, :3],) if call == "predict" else (X[:, :3], y)
    with pytest.raises(ValueError) as caught:
        getattr(est, call)(*args)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"X has 3 features, but {Estimator.__name__} is expecting 4 features as input. ")
    assert "Pass X with the 4 columns the model was fitted on" in message and re.search(fix, message)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize("options", [dict(n_iter_no_change=np.inf, tol=10.0), dict(solver="sgd", momentum=1.0),
                                     dict(validation_fraction=0.0)], ids=["no-change-inf", "momentum-1", "fraction-0"])
def test_every_value_scikit_learn_accepts_trains_its_model(iris, kind, options):
    """scikit-learn's constraints: n_iter_no_change=np.inf (train all max_iter epochs), momentum=1
    and validation_fraction=0 without early stopping are valid there, and give its model here."""
    X, y = iris
    pair = _pair(kind, hidden_layer_sizes=(5,), max_iter=6, learning_rate_init=0.01, random_state=0, **options)
    _call(pair, "fit", X, y)
    assert_same_model(*pair)
    assert pair[1].n_iter_ == 6 or "n_iter_no_change" not in options


def test_early_stopping_without_validation_rows_says_how_to_fix(iris):
    from nnscratch.sklearn import MLPClassifier
    X, y = iris
    est = MLPClassifier(early_stopping=True, validation_fraction=0.0)
    with pytest.raises(ValueError, match=r"early_stopping=True holds out validation_fraction of the rows, got "
                                         r"validation_fraction=0\.0; set it between 0 and 1 \(e\.g\. 0\.1\), or "
                                         r"early_stopping=False\.$"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


REFUSED = [(dict(early_stopping=True), None, r"^partial_fit does not support early_stopping=True .*; "
                                         r"set_params\(early_stopping=False\) before partial_fit, or use fit\.$"),
           (dict(solver="lbfgs"), None, r"solver='lbfgs' is not available.*use solver='adam'"),
           (dict(hidden_layer_sizes=(4, 0)), None, r"hidden_layer_sizes must be > 0"),
           ({}, "sparse", r"pass X\.toarray\(\)")]


@pytest.mark.parametrize("options, data, match", REFUSED, ids=["early-stopping", "lbfgs", "no-units", "sparse"])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_a_refused_partial_fit_leaves_the_estimator_untouched(iris, kind, options, data, match):
    """Refused with the fix on the same line (early stopping: scikit-learn's words), before anything
    is set: scikit-learn's MLP is left with classes_ and random weights there, and predicts with them."""
    from scipy import sparse
    from sklearn.exceptions import NotFittedError

    from nnscratch.sklearn import MLPClassifier, MLPRegressor
    X, y = iris
    est = (MLPClassifier if kind == "classifier" else MLPRegressor)(**options)
    with pytest.raises((ValueError, TypeError), match=match):
        est.partial_fit(sparse.csr_matrix(X) if data == "sparse" else X, y,
                        **({"classes": [0, 1, 2]} if kind == "classifier" else {}))
    assert not [name for name in vars(est) if name.endswith("_") and not name.startswith("_")]
    with pytest.raises(NotFittedError):
        est.predict(X)


@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_a_backend_that_cannot_be_used_is_refused_before_the_estimator_looks_fitted(iris, call):
    """The backend's own one-line error comes first: no n_features_in_ / classes_ left behind for
    predict to mistake for a fitted model (it raised AttributeError: no coefs_)."""
    from sklearn.exceptions import NotFittedError

    from nnscratch.errors import ConfigError
    from nnscratch.sklearn import MLPClassifier
    X, y = iris
    est = MLPClassifier(backend="nmupy")
    with pytest.raises(ConfigError, match="Unknown backend 'nmupy'.*Did you mean 'numpy'"):
        getattr(est, call)(X, y, **({"classes": [0, 1, 2]} if call == "partial_fit" else {}))
    assert not [name for name in vars(est) if name.endswith("_") and not name.startswith("_")]
    with pytest.raises(NotFittedError):
        est.set_params(backend="numpy").predict(X)


def test_after_a_fit_refused_on_its_labels_predict_says_not_fitted(iris):
    """validate_data sets n_features_in_ before the labels are refused (as in scikit-learn, whose
    predict then fails on a missing attribute): predict is the NotFittedError that says to fit."""
    from sklearn.exceptions import NotFittedError

    from nnscratch.sklearn import MLPClassifier
    X, _ = iris
    est = MLPClassifier()
    with pytest.raises(ValueError, match="Unknown label type"):
        est.fit(X, X[:, 0])
    with pytest.raises(NotFittedError, match="Call 'fit'"):
        est.predict(X)


@pytest.mark.parametrize("sizes", [(10.0,), (8, 2.5), ("10",), (True,), (0,)])
def test_hidden_layer_sizes_that_are_not_counts_of_units_say_so(iris, sizes):
    """scikit-learn's words for 0 and negatives; floats, strings and booleans (a float said
    "must be > 0", and True built a layer of one unit) are refused with what to pass."""
    from nnscratch.sklearn import MLPClassifier
    X, y = iris
    with pytest.raises(ValueError, match=r"^hidden_layer_sizes must be > 0, got \[.*\]; pass whole numbers of "
                                         r"units per hidden layer, e\.g\. hidden_layer_sizes=\(100,\)\.$"):
        MLPClassifier(hidden_layer_sizes=sizes).fit(X, y)
