"""nnscratch.sklearn where it meets scikit-learn's tools with data at their edges: a classifier fitted on
one class (a cross-validation fold can hold one), indicator or label columns it does not learn, and
``X`` that ``fit`` and ``predict`` cannot take, each refused in one line with the fix."""

import pickle
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install 'nnscratch[sklearn]')")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from nnscratch.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


def _data(n=60):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] > 0).astype(int)


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return call(*args, **kwargs)


SMALL = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)


def test_cross_val_predict_proba_with_a_training_fold_of_one_class():
    """KFold(3) on sorted labels trains the last fold on class 0 alone. scikit-learn's MLP (and nnscratch's)
    gave predict_proba two columns for its one classes_, and cross_val_predict failed on "shape mismatch:
    value array of shape (50,2) could not be broadcast to indexing result of shape (50,1)"; as a decision
    tree, the fold's column is the one class's, of ones."""
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.tree import DecisionTreeClassifier
    X, _ = _data(150)
    y = np.r_[np.zeros(100), np.ones(50)]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Number of classes in training fold", RuntimeWarning)  # on purpose
        ours = _quiet(cross_val_predict, MLPClassifier(**SMALL), X, y, cv=KFold(3), method="predict_proba")
        tree = cross_val_predict(DecisionTreeClassifier(random_state=0), X, y, cv=KFold(3), method="predict_proba")
    assert ours.shape == tree.shape == (150, 2)
    np.testing.assert_array_equal(ours[100:], tree[100:])  # the one-class fold: [1, 0] on every row
    np.testing.assert_allclose(ours.sum(axis=1), 1.0)


@pytest.mark.parametrize("how", ["fit", "partial_fit", "early_stopping"])
def test_one_class_gives_one_column_of_ones(how, backend):
    X, _ = _data()
    y = np.array(["cat"] * len(X))
    clf = MLPClassifier(**SMALL, backend=backend, early_stopping=how == "early_stopping")
    if how == "partial_fit":
        clf.partial_fit(X, y, classes=["cat"])
    else:
        _quiet(clf.fit, X, y)
    for model in (clf, pickle.loads(pickle.dumps(clf))):
        proba = model.predict_proba(X[:5])
        assert list(model.classes_) == ["cat"] and proba.shape == (5, 1)
        np.testing.assert_array_equal(proba, 1.0)
        np.testing.assert_array_equal(model.predict_log_proba(X[:5]), 0.0)
        assert list(model.predict(X[:5])) == ["cat"] * 5 and model.score(X, y) == 1.0


@pytest.mark.parametrize("values", [(-1, 1), (0, 2), (1, 2)], ids=["minus-one", "zero-two", "one-two"])
@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_indicator_columns_that_are_not_zero_one_are_one_line(values, call):
    """scikit-learn calls a 2-D y of two values "multilabel-indicator" whatever they are; its MLP trains its
    log-loss on -1 targets. nnscratch's network refused them naming its own loss ("summed_binary_cross_entropy
    loss needs probabilities in [0, 1] ... or use loss='mse'"), an option the estimator does not have."""
    X, y = _data()
    Y = np.where(np.stack([y, X[:, 1] > 0], axis=1), values[1], values[0])
    clf = MLPClassifier(**SMALL)
    message = (f"y has indicator columns of shape (60, 2) holding {values[0]} and {values[1]}, but a multilabel "
               f"target takes 0 (label absent) and 1 (present); pass (y == {values[1]}).astype(int), or for several "
               "outputs of their own classes wrap the estimator in sklearn.multioutput.MultiOutputClassifier.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        clf.partial_fit(X, Y, classes=[0, 1]) if call == "partial_fit" else clf.fit(X, Y)
    assert not hasattr(clf, "coefs_")
    fixed = _quiet(MLPClassifier(**SMALL).fit, X, (Y == values[1]).astype(int))  # the fix the line gives
    assert fixed.predict(X).shape == (60, 2)


@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_columns_of_class_labels_are_one_line(call):
    """y of several columns of classes (multiclass-multioutput): fit said scikit-learn's "Multioutput target
    data is not supported with label binarization", a first partial_fit that the model "was fitted on one
    label per sample" (it was fitted on nothing yet)."""
    X, _ = _data()
    Y = np.stack([np.arange(60) % 3, np.arange(60) % 4], axis=1)
    clf = MLPClassifier(**SMALL)
    with pytest.raises(ValueError, match=r"^y has 2 columns of class labels \(shape \(60, 2\)\), which MLPClassifier "
                                         r"does not learn in one model; wrap the estimator in sklearn\.multioutput\."
                                         r"MultiOutputClassifier, or pass one label per sample, or 0/1 indicator "
                                         r"columns \(multilabel\)\.$"):
        clf.partial_fit(X, Y, classes=[0, 1, 2, 3]) if call == "partial_fit" else clf.fit(X, Y)
    from sklearn.multioutput import MultiOutputClassifier
    assert _quiet(MultiOutputClassifier(MLPClassifier(**SMALL)).fit, X, Y).predict(X).shape == (60, 2)


def _bad(kind, X):
    return {"1-D": X[:, 0], "scalar": 3.0, "images": X.reshape(60, 1, 2, 2),
            "NaN": np.where(X > 1.5, np.nan, X), "inf": np.where(X > 1.5, np.inf, X),
            "complex": X.astype(complex)}[kind]


BAD_X = [("1-D", r"^Expected 2D array, got 1D array of shape \(\d+,\) instead\. Reshape your data either using "
                 r"X\.reshape\(-1, 1\) if your data has a single feature or X\.reshape\(1, -1\)"),
         ("scalar", r"^Expected 2D array, got scalar array instead \(X=3\.0\)\. Reshape your data: X of shape "
                    r"\(n_samples, n_features\)"),
         ("images", r"^Found array with dim 4, while dim <= 2 is required by MLP\w+\. X has shape \(60, 1, 2, 2\): "
                    r"pass one row of features per sample, e\.g\. images flattened with X\.reshape\(len\(X\), -1\)"),
         ("NaN", r"^Input X contains NaN\. MLP\w+ does not accept missing values encoded as NaN: impute them first "
                 r"\(e\.g\. sklearn\.impute\.SimpleImputer in a Pipeline"),
         ("inf", r"^Input X contains infinity .*\. Replace them with finite values \(e\.g\. np\.clip\) or drop"),
         ("complex", r"^Complex data not supported: X has dtype complex128; pass real numbers, e\.g\. X\.real\.$")]


CALLS = [(Estimator, call) for Estimator in (MLPClassifier, MLPRegressor)
         for call in ("fit", "partial_fit", "predict", "predict_proba", "score") if hasattr(Estimator, call)]


@pytest.mark.parametrize("kind, match", BAD_X, ids=[k for k, _ in BAD_X])
@pytest.mark.parametrize("Estimator, call", CALLS, ids=[f"{e.__name__}-{c}" for e, c in CALLS])
def test_x_that_cannot_be_taken_is_one_line_with_the_fix(Estimator, call, kind, match):
    """scikit-learn's ValueError, its first words kept (its estimator checks match them), on one line
    with the fix: the 1-D message printed the whole array, complex data too, NaN a paragraph about other
    estimators, and images said only "dim <= 2 is required"."""
    X, y = _data()
    est = Estimator(**SMALL)
    bad = _bad(kind, X)
    extra = {"classes": [0, 1]} if Estimator is MLPClassifier and call == "partial_fit" else {}
    if call not in ("fit", "partial_fit"):
        _quiet(est.fit, X, y)
    with pytest.raises(ValueError) as caught:
        getattr(est, call)(bad, *([] if call.startswith("predict") else [y]), **extra)
    assert "\n" not in str(caught.value) and re.search(match, str(caught.value)), str(caught.value)


@pytest.mark.parametrize("kind", ["NaN", "inf", "complex"])
def test_y_that_cannot_be_taken_is_one_line_with_the_fix(kind):
    X, y = _data()
    bad = {"NaN": np.where(X[:, 0] > 1.5, np.nan, X[:, 0]), "inf": np.where(X[:, 0] > 1.5, np.inf, X[:, 0]),
           "complex": X[:, 0].astype(complex)}[kind]
    with pytest.raises(ValueError) as caught:
        MLPRegressor(**SMALL).fit(X, bad)
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith("Drop the samples without a finite target, or fill their targets in.") or (
        message == "Complex data not supported: y has dtype complex128; pass real numbers, e.g. y.real.")


def test_feature_names_in_another_order_keep_scikit_learns_lines():
    """scikit-learn's list of unseen and missing names, which its check_dataframe_column_names_consistency
    matches line by line: kept as it is, for predict and for a partial_fit after a DataFrame."""
    pd = pytest.importorskip("pandas")
    X, y = _data()
    df = pd.DataFrame(X, columns=list("abcd"))
    for est in (_quiet(MLPClassifier(**SMALL).fit, df, y), MLPRegressor(**SMALL).partial_fit(df, y)):
        with pytest.raises(ValueError, match="^The feature names should match those that were passed during fit.\n"
                                             "Feature names must be in the same order as they were in fit.\n"):
            est.predict(df[list("badc")])


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor], ids=lambda c: c.__name__)
def test_the_docstring_says_sample_weight_is_taken(cls):
    """The docstring's list of differences said "``sample_weight`` is not supported" after fit and partial_fit
    had come to take it (tests/test_weights14_sklearn.py trains scikit-learn's weighted model)."""
    doc = " ".join(cls.__doc__.split())
    assert "sample_weight`` is not supported" not in doc
    assert "``fit`` and ``partial_fit`` take ``sample_weight`` and train scikit-learn's weighted model" in doc
    X, y = _data()
    weighted = _quiet(cls(**SMALL).fit, X, y, sample_weight=np.linspace(0.5, 2.0, 60))
    plain = _quiet(cls(**SMALL).fit, X, y)
    assert not np.allclose(weighted.coefs_[0], plain.coefs_[0])


DISPATCHED = """
import numpy as np, sklearn
from nnscratch.sklearn import MLPClassifier, MLPRegressor
xp = __import__({library!r})
X = np.random.default_rng(0).normal(size=(30, 3)); y = np.arange(30) % 2
with sklearn.config_context(array_api_dispatch=True):
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)  # NumPy: as without dispatch
    print(clf.predict(X).shape, clf.score(X, y) >= 0)
    for call in (lambda: MLPRegressor(max_iter=2).fit(xp.asarray(X), xp.asarray(X[:, 0])),
                 lambda: clf.partial_fit(X, xp.asarray(y)), lambda: clf.predict_proba(xp.asarray(X)),
                 lambda: clf.fit(X, y, sample_weight=xp.asarray(np.ones(30)))):
        try:
            call()
        except TypeError as exc:
            print(exc)
print(MLPClassifier(max_iter=2).fit(xp.asarray(X), xp.asarray(y)).predict(xp.asarray(X)).shape)  # dispatch off
"""


@pytest.mark.parametrize("library", ["torch", "array_api_strict"])
def test_arrays_of_another_library_under_array_api_dispatch_are_one_line(library):
    """With scikit-learn's array_api_dispatch on, validate_data asked torch or array-api-strict for a NumPy dtype:
    "asarray(): argument 'dtype' must be torch.dtype, not type" (as for every scikit-learn estimator without
    array API support). One line names the argument and both fixes; NumPy data trains as without dispatch, and
    with dispatch off CPU arrays are converted as before. Run in a new interpreter: dispatch needs
    SCIPY_ARRAY_API=1 before scipy is imported."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import nnscratch
    pytest.importorskip(library)
    env = {**os.environ, "SCIPY_ARRAY_API": "1", "PYTHONPATH": str(Path(nnscratch.__file__).parents[1])}
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", DISPATCHED.format(library=library)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    kind = {"torch": "torch.Tensor", "array_api_strict": "array_api_strict.Array"}[library]
    assert lines[0] == "(30,) True" and lines[-1] == "(30,)" and len(lines) == 6
    for line, (name, estimator) in zip(lines[1:5], [("X", "MLPRegressor"), ("y", "MLPClassifier"),
                                                    ("X", "MLPClassifier"), ("sample_weight", "MLPClassifier")]):
        assert line == (f"{estimator} takes NumPy arrays, got {name} of type {kind} while scikit-learn's "
                        "array_api_dispatch is on (the estimator trains where its backend= says, from NumPy data); "
                        f"pass {name} as a NumPy array ({name}.cpu().numpy() for a torch tensor), or turn dispatch "
                        "off (sklearn.set_config(array_api_dispatch=False)).")


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
@pytest.mark.parametrize("labels", [3, 2], ids=["three-labels", "two-labels"])
def test_one_label_per_sample_for_a_model_of_rows_is_one_line(how, labels):
    """A model fitted on rows of labels, given one label per sample: scikit-learn's MLP (and nnscratch's)
    trained on the labels as one-hot rows, or (0/1 labels, two columns) said "y has 1 outputs but the
    fitted model has 2". The converse was refused already (tests/test_sklearn13.py)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    Y = (rng.random((30, labels)) > 0.5).astype(int)
    clf = _quiet(MLPClassifier(**SMALL, warm_start=how == "warm_start").fit, X, Y)
    before = [c.copy() for c in clf.coefs_]
    new = "fit (not partial_fit)" if how == "partial_fit" else "fit with warm_start=False"
    message = (f"y holds one label per sample (shape (30,)), but the model was fitted on rows of {labels} labels; "
               f"pass y of shape (n_samples, {labels}), or start a new model with {new}.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        (clf.partial_fit if how == "partial_fit" else clf.fit)(X, np.arange(30) % labels)
    for a, b in zip(before, clf.coefs_):
        np.testing.assert_array_equal(a, b)
    assert clf.predict(X).shape == (30, labels)


KEYWORDS = [
    ("partial_fit", "epochs", "set max_iter= (epochs) on the estimator and call fit; partial_fit trains one epoch "
                              "per call (call it again for more)."),
    ("partial_fit", "validation_split", "partial_fit holds out no rows (early stopping is fit's): score rows you "
                                        "keep apart after each call, estimator.score(X_val, y_val)."),
    ("fit", "validation_split", "set early_stopping=True and validation_fraction= on the estimator."),
    ("fit", "class_weight", "scikit-learn's MLP has no class weights; weigh the rows instead: "
                            "sample_weight=sklearn.utils.class_weight.compute_sample_weight('balanced', y)."),
    ("fit", "classes", "fit reads the classes from y; classes= is for MLPClassifier.partial_fit's first call.")]


@pytest.mark.parametrize("call, keyword, hint", KEYWORDS, ids=[f"{c}-{k}" for c, k, _ in KEYWORDS])
def test_keywords_of_other_libraries_say_where_they_go(call, keyword, hint):
    """partial_fit(epochs=3) said "set max_iter= (epochs) on the estimator", which partial_fit never reads (it
    trains one epoch per call), and partial_fit(validation_split=) would have said early_stopping=True, which
    partial_fit refuses; class_weight= was answered "did you mean sample_weight=?" without how."""
    X, y = _data()
    extra = {"classes": [0, 1]} if call == "partial_fit" else {}
    with pytest.raises(TypeError) as caught:
        getattr(MLPClassifier(**SMALL), call)(X, y, **extra, **{keyword: 0.1})
    assert str(caught.value) == f"{call}() got an unexpected keyword argument {keyword!r}: {hint}"
    if keyword == "class_weight":  # the hint's fix runs
        from sklearn.utils.class_weight import compute_sample_weight
        _quiet(MLPClassifier(**SMALL).fit, X, y, sample_weight=compute_sample_weight("balanced", y))


@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_a_fit_refused_on_its_targets_leaves_the_estimator_unfitted_for_scikit_learn(call):
    """validate_data sets n_features_in_ before the targets are refused; scikit-learn's check_is_fitted (which
    FrozenEstimator, prefit meta-estimators and the HTML repr's "Fitted" badge use) then called the estimator
    fitted. predict said NotFittedError already (tests/test_sklearn13.py)."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted
    X, y = _data()
    est = MLPClassifier(**SMALL)
    with pytest.raises(ValueError, match="Unknown label type"):
        est.partial_fit(X, X[:, 0], classes=[0, 1]) if call == "partial_fit" else est.fit(X, X[:, 0])
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert ">Not fitted<" in est._repr_html_()
    _quiet(est.fit, X, y)
    check_is_fitted(est)
    assert ">Fitted<" in est._repr_html_()


@pytest.mark.parametrize("classes", [[0, 1, 2], ["a", "b"], [1, 2]], ids=["three", "names", "shifted"])
def test_a_first_partial_fit_of_indicator_rows_takes_their_column_numbers_as_classes(classes):
    """Multilabel classes_ are the columns 0 .. k-1. scikit-learn's MLP took classes=[0, 1, 2] for two columns
    into a classes_ of three for predict_proba's two columns, and said "`y` has classes not in `self.classes_`"
    of other names; nnscratch said the model "was fitted on rows of 3 labels" before it had been fitted."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 3)), (rng.random((30, 2)) > 0.5).astype(int)
    clf = MLPClassifier(**SMALL)
    message = (f"y holds rows of 2 labels, whose classes are their column numbers 0 to 1; got classes={classes}: "
               "pass classes=range(2) on the first partial_fit of indicator rows.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        clf.partial_fit(X, Y, classes=classes)
    assert not hasattr(clf, "classes_")
    clf.partial_fit(X, Y, classes=range(2)).partial_fit(X, Y)
    assert list(clf.classes_) == [0, 1] and clf.predict_proba(X).shape == (30, 2)


def test_text_in_x_or_a_regressors_y_is_one_line_with_the_fix():
    """NumPy's "could not convert string to float: 'a'" said neither which argument nor what to do; a
    DataFrame's text columns are named."""
    pd = pytest.importorskip("pandas")
    X, y = _data(20)
    df = pd.DataFrame({"x": X[:, 0], "city": list("ab") * 10})
    fix = "; encode it first, e.g. OneHotEncoder(sparse_output=False) in a ColumnTransformer, or pass numbers."
    with pytest.raises(ValueError, match=f"^could not convert string to float: 'a': X has text in the columns "
                                         f"\\['city'\\]{re.escape(fix)}$"):
        MLPClassifier(**SMALL).fit(df, y)
    with pytest.raises(ValueError, match=f"^could not convert string to float: .*'a'\\)?: X holds text{re.escape(fix)}$"):
        MLPRegressor(**SMALL).fit(np.array([["1", "a"]] * 20), X[:, 0])
    for call in ("fit", "partial_fit"):
        with pytest.raises(ValueError, match=r"^could not convert string to float: .*'a'\)?: y holds text, but "
                                             r"MLPRegressor predicts numbers; pass numeric targets \(MLPClassifier "
                                             r"learns labels\)\.$"):
            getattr(MLPRegressor(**SMALL), call)(X, np.array(list("ab") * 10))


@pytest.mark.parametrize("kind, fraction, held, reason", [
    ("binary", 0.99, 149, "1 row left to train on, fewer than the 2 classes"),
    ("binary", 0.999, 150, "0 rows left to train on, fewer than the 2 classes"),
    ("regression", 0.999, 150, "0 rows left to train on")])
def test_a_validation_fraction_that_leaves_too_few_rows_to_train_on_says_smaller(kind, fraction, held, reason):
    """The line blamed the rarest class (of 75 rows) or quoted train_test_split, and said "Pass more rows, a
    larger validation_fraction": the fix is a smaller one."""
    X, y = _data(150)
    Estimator = MLPClassifier if kind == "binary" else MLPRegressor
    message = (f"early_stopping=True cannot hold out validation_fraction={fraction:g} of the n_samples=150 rows "
               f"({held} held out): {reason}. Pass a smaller validation_fraction, or early_stopping=False.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        Estimator(**SMALL, early_stopping=True, validation_fraction=fraction).fit(X, y if kind == "binary" else X[:, 0])
    _quiet(Estimator(**SMALL, early_stopping=True, validation_fraction=0.5).fit, X, y)


def _state(est):
    """What a fitted estimator is: its public fitted attributes, weights as arrays compared by value."""
    return {k: (v.tolist() if isinstance(v, np.ndarray) else [a.tolist() for a in v] if k.endswith("s_") and
                isinstance(v, list) and v and isinstance(v[0], np.ndarray) else v)
            for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")}


REFUSED_REFITS = [
    ("fit", dict(sample_weight=-np.ones(60))), ("fit", dict(sample_weight=np.ones(59))),
    ("fit", dict(columns=3, y="continuous")), ("fit", dict(early_stopping=0.999)),
    ("partial_fit", dict(y="new label")), ("warm_start", dict(sample_weight=-np.ones(60))),
]


@pytest.mark.parametrize("call, what", REFUSED_REFITS,
                         ids=["negative-weights", "weights-149", "labels", "split", "partial-new-label", "warm-weights"])
def test_a_refused_refit_leaves_the_model_as_it_was(call, what):
    """fit(X, y2, sample_weight=bad) on a fitted 3-class model set classes_ (two string labels) and then refused
    the weights: the old weights were left with the new classes_ and predict failed ("output_type='binary', but
    y.shape = (3, 3)"; scikit-learn's MLP predicts the wrong labels there). Refused at the early-stopping split,
    a fit left fresh random weights that predicted. Now each leaves the model it refused to replace."""
    X, _ = _data()
    y = np.arange(60) % 3
    clf = _quiet(MLPClassifier(**SMALL).fit, X, y)
    before, predicted = _state(clf), clf.predict_proba(X)
    Xn = X[:, :what.get("columns", 4)]
    yn = {"continuous": X[:, 0], "new label": y + 1}.get(what.get("y"), np.array(["a", "b"])[np.arange(60) % 2])
    if "early_stopping" in what:
        clf.set_params(early_stopping=True, validation_fraction=what["early_stopping"])
    if call == "warm_start":
        clf.set_params(warm_start=True)
    with pytest.raises(ValueError):
        if call == "partial_fit":
            clf.partial_fit(Xn, yn)
        else:
            clf.fit(Xn, yn, **({"sample_weight": what["sample_weight"]} if "sample_weight" in what else {}))
    assert _state(clf) == before
    np.testing.assert_array_equal(clf.predict_proba(X), predicted)
    clf.set_params(early_stopping=False, warm_start=False)
    assert _quiet(clf.fit, X, np.array(["a", "b"])[np.arange(60) % 2]).predict(X).dtype.kind == "U"


def test_a_refused_first_partial_fit_leaves_no_classes_behind():
    """scikit-learn's MLP (and nnscratch's) kept classes_ from a first partial_fit refused on its labels: the next
    call with the right classes was answered "`classes=[0, 1, 2]` is not the same as on last call to partial_fit"."""
    X, _ = _data()
    clf = MLPClassifier(**SMALL)
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, np.arange(60) % 3, classes=[0, 1])
    assert not [name for name in vars(clf) if name.endswith("_")]
    clf.partial_fit(X, np.arange(60) % 3, classes=[0, 1, 2])
    assert list(clf.classes_) == [0, 1, 2] and clf.predict_proba(X).shape == (60, 3)


@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_poisson_loss_is_refused_with_the_fix_as_lbfgs_is(call):
    """scikit-learn 1.9's MLPRegressor takes loss="poisson"; nnscratch's said only "The 'loss' parameter of
    MLPRegressor must be a str among {'squared_error'}", where solver="lbfgs" says what to use instead."""
    from nnscratch.errors import ConfigError
    X, _ = _data()
    reg = MLPRegressor(**SMALL, loss="poisson")
    with pytest.raises(ConfigError, match=r"^loss='poisson' is not available in nnscratch's MLPRegressor .*; use "
                                          r"loss='squared_error', or scikit-learn's own sklearn\.neural_network\."
                                          r"MLPRegressor\(loss='poisson'\)\.$"):
        getattr(reg, call)(X, np.exp(X[:, 0]))
    assert not [name for name in vars(reg) if name.endswith("_")]
