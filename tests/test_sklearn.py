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
