"""Scores of predictions against targets: accuracy, RMSE, MAE and R^2.

Written against the array API (``xp`` from the inputs), so they score device
arrays where they are; each returns a Python float (one read).
"""

from array_api_compat import array_namespace

from .errors import ShapeError


def _pair(y_true, y_pred):
    xp = array_namespace(y_true, y_pred)
    if y_true.ndim == 1:
        y_true = xp.reshape(y_true, (-1, 1))
    if y_pred.ndim == 1:
        y_pred = xp.reshape(y_pred, (-1, 1))
    if y_true.shape != y_pred.shape:
        raise ShapeError(f"y_true has shape {tuple(y_true.shape)} but y_pred has {tuple(y_pred.shape)}; "
                         "pass one prediction per target.")
    dtype = y_pred.dtype if xp.isdtype(y_pred.dtype, "real floating") else xp.float64
    return xp, xp.astype(y_true, dtype), xp.astype(y_pred, dtype)


def accuracy(y_true, y_pred):
    """Share of labels predicted exactly, in [0, 1]: label arrays of the same length, (n,) or a column (n, 1)."""
    xp = array_namespace(y_true, y_pred)
    labels, predicted = xp.reshape(y_true, (-1,)), xp.reshape(y_pred, (-1,))
    if labels.shape != predicted.shape:
        raise ShapeError(f"y_true has shape {tuple(y_true.shape)} but y_pred has {tuple(y_pred.shape)}; pass one "
                         "predicted label per true label, both of shape (n,) or (n, 1) (one-hot rows: their argmax).")
    return float(xp.mean(xp.astype(labels == predicted, xp.float64)))


def rmse(y_true, y_pred):
    """Root mean squared error ``sqrt(mean((y - f)**2))`` over every target."""
    xp, y, f = _pair(y_true, y_pred)
    return float(xp.sqrt(xp.mean((y - f) ** 2)))


def mae(y_true, y_pred):
    """Mean absolute error ``mean(|y - f|)``."""
    xp, y, f = _pair(y_true, y_pred)
    return float(xp.mean(xp.abs(y - f)))


def r2(y_true, y_pred):
    """Coefficient of determination ``1 - sum((y - f)**2) / sum((y - mean(y))**2)``,
    averaged over the target columns (scikit-learn's ``r2_score``, "uniform_average").
    A constant target column scores 1 if predicted exactly, else 0."""
    xp, y, f = _pair(y_true, y_pred)
    residual = xp.sum((y - f) ** 2, axis=0)
    total = xp.sum((y - xp.mean(y, axis=0)) ** 2, axis=0)
    ones = xp.ones_like(total)
    safe = xp.where(total > 0, total, ones)
    score = xp.where(total > 0, 1.0 - residual / safe, xp.where(residual == 0, ones, xp.zeros_like(total)))
    return float(xp.mean(score))


def regression_scores(y_true, y_pred):
    """``{"rmse", "mae", "r2"}`` of predictions ``y_pred`` against ``y_true``."""
    return {"rmse": rmse(y_true, y_pred), "mae": mae(y_true, y_pred), "r2": r2(y_true, y_pred)}
