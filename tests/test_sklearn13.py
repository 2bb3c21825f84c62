"""nnscratch.sklearn where it meets the rest of nnscratch: the task of the network an estimator
trains (:mod:`nnscratch.models.task`), and the backend a fit in a worker of ``n_jobs`` uses."""

import pickle
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
