"""scikit-learn estimators trained by nnscratch: ``MLPClassifier`` and ``MLPRegressor``.

Drop-in replacements for ``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor``
(same parameters, defaults and fitted attributes) that also train on a GPU
(``backend="cupy"`` or ``"torch:cuda"``):

    from nnscratch.sklearn import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(64,), random_state=0).fit(X, y)

Needs scikit-learn (``pip install "nnscratch[sklearn]"``); ``import nnscratch``
never imports it.
"""

try:
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    from ..errors import BackendUnavailableError
    raise BackendUnavailableError(
        f"nnscratch.sklearn needs scikit-learn, which is not installed ({exc}); "
        "install it with pip install 'nnscratch[sklearn]'.") from None

from .estimators import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
