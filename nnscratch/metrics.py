"""Scores of predictions against targets: accuracy, RMSE, MAE and R^2.

Written against the array API (``xp`` from the inputs), so they score device
arrays where they are (NumPy targets beside a device's predictions are moved to
that device); each returns a Python float (one read). MAE and R^2 are
also kept as sums that add up over pieces of rows (:func:`r2_sums`): ``fit`` and
``evaluate`` score a regression with them over batches and data-parallel ranks,
and :func:`r2` itself is the one-piece case, so there is one formula.
"""

from array_api_compat import array_namespace, device, is_numpy_array

from .backend.core import backend_of
from .errors import BackendMismatchError, DataError, ShapeError


def _together(y_true, y_pred):
    """``(xp, y_true, y_pred)`` on one device: NumPy data beside a device array is moved to it, as
    ``fit`` moves it (``r2(y_test, model.predict(X_test))`` scores where the predictions are, in
    their float dtype: a device without float64 takes it); arrays of two devices are refused."""
    host = is_numpy_array(y_true), is_numpy_array(y_pred)
    if host[0] != host[1]:
        like = y_pred if host[0] else y_true
        backend = backend_of(like)
        y_true, y_pred = (backend.asarray(a, dtype=like.dtype if _floats(a, like) else None) if on_host else a
                          for a, on_host in zip((y_true, y_pred), host))
    elif not host[0] and str(backend_of(y_true)) != str(backend_of(y_pred)):
        raise BackendMismatchError(f"y_true is an array of {backend_of(y_true)} but y_pred of {backend_of(y_pred)}; "
                                   "score arrays of one device: move one with nnscratch.backend_of(y_pred).asarray("
                                   "nnscratch.backend_of(y_true).to_numpy(y_true)), or pass NumPy data.")
    if 0 in y_true.shape or 0 in y_pred.shape:  # no score of nothing: NaN, or an R^2 of 1.0 as if a perfect fit
        raise DataError(f"y_true (shape {tuple(y_true.shape)}) and y_pred (shape {tuple(y_pred.shape)}) hold no "
                        "samples to score; pass at least one target and its prediction (as scikit-learn's metrics).")
    return array_namespace(y_true, y_pred), y_true, y_pred


def _floats(a, b):
    """Whether both arrays hold real floats."""
    return all(array_namespace(x).isdtype(x.dtype, "real floating") for x in (a, b))


def _pair(y_true, y_pred):
    xp, y_true, y_pred = _together(y_true, y_pred)
    if y_true.ndim > 2 or y_pred.ndim > 2:
        raise ShapeError(f"y_true has shape {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}; regression "
                         "scores take targets of shape (n,) or (n, k): reshape both to (n, -1).")
    if y_true.ndim == 1:
        y_true = xp.reshape(y_true, (-1, 1))
    if y_pred.ndim == 1:
        y_pred = xp.reshape(y_pred, (-1, 1))
    if y_true.shape != y_pred.shape:
        raise ShapeError(f"y_true has shape {tuple(y_true.shape)} but y_pred has {tuple(y_pred.shape)}; "
                         "pass one prediction per target.")
    dtype = y_pred.dtype if xp.isdtype(y_pred.dtype, "real floating") else _widest_float(xp, y_pred)
    return xp, xp.astype(y_true, dtype), xp.astype(y_pred, dtype)


def _widest_float(xp, x):
    """float64, or float32 on a device without it (array-api-strict's ``no_float64``, as Apple's MPS)."""
    floats = xp.__array_namespace_info__().dtypes(device=device(x), kind="real floating")
    return floats.get("float64", xp.float32)


def accuracy(y_true, y_pred):
    """Share of labels predicted exactly, in [0, 1]: label arrays of the same length, (n,) or a column (n, 1)."""
    xp, y_true, y_pred = _together(y_true, y_pred)
    labels, predicted = xp.reshape(y_true, (-1,)), xp.reshape(y_pred, (-1,))
    if labels.shape != predicted.shape or not all(a.ndim == 1 or a.shape[1:] == (1,) for a in (y_true, y_pred)):
        raise ShapeError(f"y_true has shape {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}; accuracy takes "
                         "class labels: pass one predicted label per true label, both of shape (n,) or (n, 1) "
                         "(one-hot rows or probabilities: their argmax, y.argmax(axis=1)).")
    if labels.dtype != predicted.dtype:  # int beside float or bool: array-api-strict compares neither pair
        dtype = _widest_float(xp, labels)  # exact for labels below 2**24 (float32) or 2**53
        labels, predicted = xp.astype(labels, dtype), xp.astype(predicted, dtype)
    # an integer count of hits, exact on any device (no float64 needed)
    return int(xp.count_nonzero(labels == predicted)) / labels.shape[0]


def rmse(y_true, y_pred):
    """Root mean squared error ``sqrt(mean((y - f)**2))`` over every target."""
    xp, y, f = _pair(y_true, y_pred)
    return float(xp.sqrt(xp.mean((y - f) ** 2)))


def mae(y_true, y_pred):
    """Mean absolute error ``mean(|y - f|)`` over every target: scikit-learn's
    ``mean_absolute_error`` ("uniform_average" over target columns of equal length)."""
    xp, y, f = _pair(y_true, y_pred)
    return float(absolute_error_sum(y, f) / y.shape[0])


def r2(y_true, y_pred):
    """Coefficient of determination ``1 - sum((y - f)**2) / sum((y - mean(y))**2)`` per target
    column, averaged over the columns: scikit-learn's ``r2_score`` (``multioutput="uniform_average"``).

    A constant target column (variance 0) follows scikit-learn's ``force_finite=True``
    convention: it scores 1.0 if predicted exactly, else 0.0 (never NaN or -inf). So does a
    single sample, where scikit-learn returns NaN with a warning.
    """
    xp, y, f = _pair(y_true, y_pred)
    rows = xp.full((1,), y.shape[0], dtype=y.dtype, device=device(y))  # made on the device: no host copy
    return float(r2_from_sums(*combine_r2_sums(rows, xp.expand_dims(r2_sums(y, f), axis=0))))


def regression_scores(y_true, y_pred):
    """``{"rmse", "mae", "r2"}`` of predictions ``y_pred`` against ``y_true``."""
    return {"rmse": rmse(y_true, y_pred), "mae": mae(y_true, y_pred), "r2": r2(y_true, y_pred)}


# ---------------------------------------------------------------- the same scores from sums over pieces
# ``fit`` and ``evaluate`` score each piece of rows where it is (one epoch's outputs on one
# data-parallel rank) and add the pieces up afterwards: these are the sums that add up.

def absolute_error_sum(y, f):
    """``sum over rows of mean over columns of |y - f|`` (a device scalar) for ``y``, ``f`` of shape
    ``(n, k)``: added over pieces and divided by the rows, the mean absolute error."""
    xp = array_namespace(y, f)
    return xp.sum(xp.abs(y - f)) / y.shape[1]


def r2_sums(y, f):
    """What R^2 over many pieces of rows needs from one piece ``y``, ``f`` of shape ``(n, k)``: a
    device array ``(4, k)`` of, per target column, ``sum((y - f)**2)``, the origin ``o`` (the piece's
    first target row; 0 for no rows), ``sum(y - o)`` and ``sum((y - o)**2)``. Sums about a row of the
    data, not about 0, keep ``sum((y - mean(y))**2)`` accurate in float32 when the mean is far from 0
    (targets of 2000 +- 1), and make it exactly 0 for a constant column."""
    xp = array_namespace(y, f)
    origin = y[0, :] if y.shape[0] else xp.zeros((y.shape[1],), dtype=y.dtype, device=device(y))
    d = y - origin
    return xp.stack([xp.sum((y - f) ** 2, axis=0), origin, xp.sum(d, axis=0), xp.sum(d * d, axis=0)])


def combine_r2_sums(rows, sums):
    """``(sse, sst)`` per target column of the rows of several pieces, from their ``rows`` ``(m,)``
    and :func:`r2_sums` stacked ``(m, 4, k)`` (the first piece has rows): each piece's sums moved to
    the first piece's origin, added, then ``sst = S2 - S1**2 / n``. In the sums' namespace and dtype
    (``fit`` combines them on the host in float64)."""
    xp = array_namespace(rows, sums)
    n = xp.reshape(rows, (-1, 1))
    sse, origin, s1, s2 = (sums[:, i, :] for i in range(4))
    shift = origin - origin[:1, :]  # 0 where the pieces share their origin (a constant column: exactly)
    s1, s2 = s1 + n * shift, s2 + 2.0 * shift * s1 + n * shift * shift
    total_1 = xp.sum(s1, axis=0)
    return xp.sum(sse, axis=0), xp.sum(s2, axis=0) - total_1 * total_1 / xp.sum(rows)


def r2_from_sums(sse, sst):
    """R^2 averaged over the target columns from their ``sse`` and ``sst`` (a 0-d array): ``1 - sse / sst``,
    and for a column with ``sst <= 0`` (constant) 1.0 if ``sse == 0`` else 0.0, as scikit-learn's ``r2_score``."""
    xp = array_namespace(sse, sst)
    ones, varies = xp.ones_like(sst), sst > 0
    constant = xp.where(sse == 0, ones, xp.zeros_like(sst))
    return xp.mean(xp.where(varies, 1.0 - sse / xp.where(varies, sst, ones), constant))
