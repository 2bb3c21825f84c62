"""The scikit-learn wrapper no longer sets its network's task again after every fit: Network.fit keeps a
"multilabel" network so on rows that happen to be one-hot (models.task.kept_task), with the estimator's
weighted loss, its early-stopping split and a partial_fit after a pickle alike."""

import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from nnscratch.sklearn import MLPClassifier  # noqa: E402


def one_hot(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)), np.eye(3, dtype=int)[rng.integers(0, 3, n)]


@pytest.mark.parametrize("how", ["partial_fit", "sample_weight", "early_stopping", "warm_start"])
def test_one_hot_rows_keep_a_multilabel_estimators_network_multilabel(how):
    X, Y = one_hot(60, 0)
    Y[:4] = 1  # rows of several labels: a multilabel target
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=4, random_state=0, backend="numpy",
                        early_stopping=how == "early_stopping", warm_start=how in ("early_stopping", "warm_start"))
    X2, Y2 = one_hot(40, 1)  # each row one label: Network.fit alone would call them multiclass
    weights = np.linspace(0.5, 2.0, len(Y2)) if how == "sample_weight" else None

    def then(estimator):  # a second call on the one-hot rows
        if estimator.warm_start:
            return estimator.fit(X2, Y2)
        return estimator.partial_fit(X2, Y2, sample_weight=weights)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        then(clf.fit(X, Y))
        again = then(pickle.loads(pickle.dumps(clf)))
    for estimator in (clf, again):
        net = estimator._get_network()
        assert net.task == "multilabel"
        predicted = estimator.predict(X2)
        assert predicted.shape == Y2.shape
        np.testing.assert_array_equal(net.backend.to_numpy(net.predict(X2)), predicted)
        assert net.evaluate(X2, Y2)["accuracy"] == pytest.approx(estimator.score(X2, Y2))
