"""nnscratch.sklearn side by side with scikit-learn where fits follow each other: warm_start with
early_stopping, and weights set or edited by hand between calls.

``tests/test_sklearn.py`` checks one warm-started fit after a fit; here the warm-started fits
go on after one that found no better validation score, through a pickle, and from weights the
user set, where scikit-learn's ``coefs_`` are live arrays it reads at every call.
"""

import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install 'nnscratch[sklearn]')")

from test_sklearn import _call, _pair, assert_same_model  # noqa: E402


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    return X, (X[:, 0] + 0.5 * X[:, 1] + 0.8 * rng.normal(size=120) > 0).astype(int)


EARLY = dict(hidden_layer_sizes=(8,), warm_start=True, early_stopping=True, max_iter=15, n_iter_no_change=3,
             learning_rate_init=0.05)


@pytest.mark.parametrize("random_state", [3, "instance"], ids=["int", "RandomState"])
def test_warm_fits_after_one_without_a_better_score_end_as_sklearns(random_state):
    """scikit-learn ends a fit with early stopping on ``coefs_ = _best_coefs`` (one list), and its
    steps update those arrays in place: a later warm-started fit that never beats
    ``best_validation_score_`` ends on its own last epoch's weights. nnscratch put the earlier
    fit's best weights back instead, so with an int random_state every later warm fit redid the
    same epoch from the same weights and the model never moved (weights 0.05 apart after one call)."""
    make = (lambda: 3) if random_state == 3 else (lambda: np.random.RandomState(3))
    pair = _pair("classifier", random_state=make(), **EARLY)
    pair[1].set_params(random_state=make())  # each its own generator
    X, y = _data()
    bests = []
    for call in range(3):
        _call(pair, "fit", X, y)
        assert_same_model(*pair, atol=1e-12)
        np.testing.assert_allclose(pair[1].predict_proba(X), pair[0].predict_proba(X), rtol=0, atol=1e-12)
        bests.append(pair[0].best_validation_score_)
    assert bests[1] == bests[0]  # the case in question: the second fit found no better score


def test_a_pickle_between_warm_fits_keeps_what_sklearns_keeps():
    pair = _pair("classifier", random_state=3, **EARLY)
    X, y = _data()
    _call(pair, "fit", X, y)
    copies = [pickle.loads(pickle.dumps(est)) for est in pair]
    _call(copies, "fit", X, y)
    assert_same_model(*copies, atol=1e-12)


@pytest.mark.parametrize("how", ["assigned", "edited in place"])
def test_coefs_set_by_hand_are_the_model_as_in_sklearn(how):
    """scikit-learn's predictions and its next warm-started fit read ``coefs_`` and ``intercepts_``
    at every call; nnscratch kept predicting, and went on training, with the network's own copy."""
    pair = _pair("classifier", hidden_layer_sizes=(8,), random_state=0, max_iter=5, warm_start=True)
    X, y = _data()
    _call(pair, "fit", X, y)
    for est in pair:
        if how == "assigned":
            est.coefs_ = [np.full_like(c, 0.1) for c in est.coefs_]
        else:
            est.coefs_[0][:2] = 0.0
            est.intercepts_[-1] += 1.0
    np.testing.assert_allclose(pair[1].predict_proba(X), pair[0].predict_proba(X), rtol=0, atol=1e-12)
    for est in pair:
        est.set_params(max_iter=2)
    _call(pair, "fit", X, y)
    assert_same_model(*pair, atol=1e-12)
