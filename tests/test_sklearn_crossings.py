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


@pytest.mark.parametrize("early", [False, True], ids=["loss", "early"])
def test_ctrl_c_keeps_the_model_trained_so_far_as_sklearn(monkeypatch, early):
    """scikit-learn's MLP catches KeyboardInterrupt: it warns "Training interrupted by user.",
    keeps the epochs done (the best one with early stopping) and returns. nnscratch let it
    through with ``n_iter_`` unset, ``coefs_`` the initial weights and, with early stopping, the
    network left on its last epoch. A Ctrl-C at the end of epoch 3 must give scikit-learn's
    model after max_iter=3."""
    from sklearn.neural_network import MLPClassifier as Theirs

    from nnscratch.sklearn import training
    X, y = _data()
    end_of_epoch = training.SklearnRun.on_epoch_end

    def interrupted(run, epoch, logs, network):
        end_of_epoch(run, epoch, logs, network)
        if run.epochs == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(training.SklearnRun, "on_epoch_end", interrupted)
    options = dict(hidden_layer_sizes=(6,), early_stopping=early, learning_rate_init=0.05, random_state=0)
    ours = MLPClassifier(max_iter=10, **options)
    try:
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            ours.fit(X, y)
    except KeyboardInterrupt:
        pytest.fail("the KeyboardInterrupt went through fit")
    theirs = _quiet(Theirs(max_iter=3, **options).fit, X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 3 and len(ours.loss_curve_) == 3
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-12)


def test_n_iter_is_set_when_training_diverges():
    """A fit that ends in the non-finite-weights ValueError keeps a usable model (its last
    finite weights); ``n_iter_`` was left unset (AttributeError) though ``loss_curve_`` was not."""
    X, y = _data()
    reg = MLPRegressor(hidden_layer_sizes=(4,), solver="sgd", learning_rate_init=10.0, max_iter=50, random_state=0)
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        reg.fit(X, y * 1e3)
    assert reg.n_iter_ == len(reg.loss_curve_)


def test_a_pipelines_sparse_step_is_refused_with_a_fix_that_works_there():
    """ColumnTransformer + OneHotEncoder on a DataFrame (mixed columns) hands the MLP a sparse
    matrix. The refusal said "Use '.toarray()'", which a Pipeline gives no place for; it names
    the Pipeline's fix too, and that fix gives scikit-learn's model (fed the sparse matrix)."""
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.neural_network import MLPClassifier as Theirs
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"city": rng.choice(list("abcdefghij"), 120), "shop": rng.choice(list("klmnopqrst"), 120),
                       "x": rng.normal(size=120)})
    y = np.where((df.city < "e") ^ (df.x > 0), "yes", "no")

    def pipe(estimator, **onehot):
        columns = make_column_transformer((OneHotEncoder(**onehot), ["city", "shop"]), (StandardScaler(), ["x"]))
        return make_pipeline(columns, estimator)

    options = dict(hidden_layer_sizes=(8,), max_iter=10, learning_rate_init=0.05, random_state=0)
    with pytest.raises(TypeError, match=r"scipy\.sparse .*OneHotEncoder\(sparse_output=False\)"):
        pipe(MLPClassifier(**options)).fit(df, y)
    theirs = _quiet(pipe(Theirs(**options)).fit, df, y)
    ours = _quiet(pipe(MLPClassifier(**options), sparse_output=False).fit, df, y)
    np.testing.assert_allclose(ours.predict_proba(df), theirs.predict_proba(df), rtol=0, atol=1e-10)
    assert list(ours.predict(df)) == list(theirs.predict(df))
