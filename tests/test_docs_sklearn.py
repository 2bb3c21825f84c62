"""The scikit-learn estimators' docstring lists the attributes a fit sets, no more and no fewer.

The reference shows the docstring (``nnscratch/sklearn/docstring.py``, one text for both estimators);
an attribute scikit-learn's fit adds, or one renamed here, would otherwise go undocumented unnoticed.
"""
import inspect
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from nnscratch.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


def documented(cls):
    """``{name: description}`` of the ``Attributes`` section of ``cls``'s docstring."""
    section = inspect.cleandoc(cls.__doc__).split("Attributes\n----------\n", 1)
    assert len(section) == 2, f"{cls.__name__}'s docstring has no Attributes section"
    entries = re.split(r"^(\w+) : .*$", section[1].split("\n\n")[0], flags=re.MULTILINE)[1:]
    return {name: " ".join(text.split()) for name, text in zip(entries[::2], entries[1::2])}


def fitted(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return {name for name in vars(estimator) if name.endswith("_") and not name.startswith("_")}


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor], ids=lambda c: c.__name__)
def test_the_fitted_attributes_are_documented(cls):
    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    y = (X[:, 0] > 0.5).astype(int) if cls is MLPClassifier else X[:, 0]
    shown = documented(cls)
    set_by_fit = fitted(cls(hidden_layer_sizes=(4,), max_iter=3, random_state=0, backend="numpy"), X, y)
    set_by_fit |= fitted(cls(hidden_layer_sizes=(4,), max_iter=3, random_state=0, backend="numpy",
                             early_stopping=True), X, y)
    # feature_names_in_ is set only for X with string column names (a DataFrame): scikit-learn's name for it
    assert set(shown) - {"feature_names_in_"} == set_by_fit, (
        f"{cls.__name__}: documented but not set by fit: {sorted(set(shown) - set_by_fit - {'feature_names_in_'})}; "
        f"set by fit but not documented: {sorted(set_by_fit - set(shown))}")
    assert "feature_names_in_" in shown and all(shown.values()), f"{cls.__name__}: an attribute has no description"
