"""Scores of predictions against targets: accuracy (multilabel indicator rows: subset accuracy), RMSE,
MAE and R^2.

Written against the array API (``xp`` from the inputs), so they score device
arrays where they are (NumPy targets beside a device's predictions are moved to
that device); each returns a Python float (one read). MAE and R^2 are
also kept as sums that add up over pieces of rows (:func:`r2_sums`): ``fit`` and
``evaluate`` score a regression with them over batches and data-parallel ranks,
and :func:`r2` itself is the one-piece case, so there is one formula.
"""

import warnings

from array_api_compat import array_namespace, device, is_numpy_array

from .backend.core import backend_of
from .errors import BackendMismatchError, DataError, ShapeError, UndefinedMetricWarning  # the warning also as
# nnscratch.metrics.UndefinedMetricWarning, where it was first
from .host_arrays import to_host, zero_one_rows


#: What :func:`warn_undefined_r2` says: scikit-learn's words for it.
R2_UNDEFINED = "R^2 score is not well-defined with less than two samples."


def warn_undefined_r2():
    """Warn that an R^2 is NaN because it is of fewer than two samples (:class:`UndefinedMetricWarning`),
    pointed at the caller outside nnscratch."""
    from .validation import user_stacklevel
    warnings.warn(R2_UNDEFINED, UndefinedMetricWarning, stacklevel=user_stacklevel())


def _together(y_true, y_pred):
    """``(xp, y_true, y_pred)`` on one device: NumPy data beside a device array is moved to it, as
    ``fit`` moves it (``r2(y_test, model.predict(X_test))`` scores where the predictions are, in the
    wider float of the two that the device has: :func:`_host_float`); arrays of two devices are refused.
    Lists and tables (pandas, polars) are read into NumPy first, as scikit-learn's metrics take them."""
    y_true, y_pred = _array(y_true, "y_true"), _array(y_pred, "y_pred")
    host = is_numpy_array(y_true), is_numpy_array(y_pred)
    if host[0] != host[1]:
        like = y_pred if host[0] else y_true
        backend = backend_of(like)
        y_true, y_pred = (backend.asarray(a, dtype=_host_float(a, like)) if on_host else a
                          for a, on_host in zip((y_true, y_pred), host))
    elif not host[0] and str(backend_of(y_true)) != str(backend_of(y_pred)):
        raise BackendMismatchError(f"y_true is an array of {backend_of(y_true)} but y_pred of {backend_of(y_pred)}; "
                                   "score arrays of one device: move one with nnscratch.backend_of(y_pred).asarray("
                                   "nnscratch.backend_of(y_true).to_numpy(y_true)), or pass NumPy data.")
    if 0 in y_true.shape or 0 in y_pred.shape:  # no score of nothing: NaN, or an R^2 of 1.0 as if a perfect fit
        raise DataError(f"y_true (shape {tuple(y_true.shape)}) and y_pred (shape {tuple(y_pred.shape)}) hold no "
                        "samples to score; pass at least one target and its prediction (as scikit-learn's metrics).")
    return array_namespace(y_true, y_pred), y_true, y_pred


def _array(data, name):
    """``data`` itself if it is an array of a supported library, else read into NumPy (a list, a table)."""
    try:
        array_namespace(data)
        return data
    except TypeError:
        return to_host(data, name)


def _floats(a, b):
    """Whether both arrays hold real floats."""
    return all(array_namespace(x).isdtype(x.dtype, "real floating") for x in (a, b))


def _host_float(a, like):
    """The dtype host array ``a`` takes on ``like``'s device: None (its own) for integers and bools; for
    floats their own where the device has it (float64 targets keep their digits beside float32
    predictions, as scikit-learn scores them), else the device's widest (float32 without float64)."""
    if not array_namespace(a).isdtype(a.dtype, "real floating"):
        return None
    return _floats_of(array_namespace(like), like).get(str(a.dtype)) or _widest_float(array_namespace(like), like)


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
    for a, name in ((y_true, "y_true"), (y_pred, "y_pred")):
        if not xp.isdtype(a.dtype, ("bool", "integral", "real floating")):  # NumPy strings: astype's ValueError
            raise DataError(f"{name} holds {a.dtype} values; rmse, mae and r2 score numbers: pass numeric "
                            "targets and predictions (class labels are scored with accuracy).")
    # the wider float of the two (float64 targets beside float32 predictions are not rounded to float32);
    # integers or bools on either side, or NumPy's float16 (whose squares overflow past 256): the widest
    # float the device has (exact for integers below 2**53)
    dtype = xp.result_type(y_true, y_pred) if _floats(y_true, y_pred) else None
    if dtype not in _floats_of(xp, y_pred).values():
        dtype = _widest_float(xp, y_pred)
    return xp, xp.astype(y_true, dtype), xp.astype(y_pred, dtype)


def _floats_of(xp, x):
    """``{name: dtype}`` of the standard real floats ``x``'s device has (float32, and float64 but on a device
    without it such as array-api-strict's ``no_float64`` or Apple's MPS)."""
    return xp.__array_namespace_info__().dtypes(device=device(x), kind="real floating")


def _widest_float(xp, x):
    """float64, or float32 on a device without it."""
    return _floats_of(xp, x).get("float64", xp.float32)


def accuracy(y_true, y_pred):
    """Share of labels predicted exactly, in [0, 1]: label arrays of the same length, (n,) or a column (n, 1).

    Multilabel indicator rows ``(n, k)`` of 0/1 on both sides (one side not one-hot: a row with no 1 or
    several) are scored by the subset accuracy, the share of rows whose every label is right, as
    scikit-learn's ``accuracy_score`` scores them (and ``fit``/``evaluate`` of a "multilabel" network)."""
    xp, y_true, y_pred = _together(y_true, y_pred)
    if _indicator_rows(y_true, y_pred):
        hits = xp.all(xp.astype(y_true, xp.int32) == xp.astype(y_pred, xp.int32), axis=1)  # 0/1: exact casts
        return int(xp.count_nonzero(hits)) / y_true.shape[0]
    labels, predicted = xp.reshape(y_true, (-1,)), xp.reshape(y_pred, (-1,))
    if labels.shape != predicted.shape or not all(a.ndim == 1 or a.shape[1:] == (1,) for a in (y_true, y_pred)):
        raise ShapeError(f"y_true has shape {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}; accuracy takes "
                         "class labels: pass one predicted label per true label, both of shape (n,) or (n, 1) "
                         "(one-hot rows or probabilities: their argmax, y.argmax(axis=1); multilabel rows: 0/1 "
                         "indicator rows (n, k) on both sides, (p > 0.5) of probabilities).")
    if labels.dtype != predicted.dtype:  # int beside float or bool: array-api-strict compares neither pair
        dtype = _widest_float(xp, labels)  # exact for labels below 2**24 (float32) or 2**53
        labels, predicted = xp.astype(labels, dtype), xp.astype(predicted, dtype)
    if xp.isdtype(labels.dtype, "real floating"):
        _check_whole(xp, labels, predicted)
    # an integer count of hits, exact on any device (no float64 needed)
    return int(xp.count_nonzero(labels == predicted)) / labels.shape[0]


def _indicator_rows(y_true, y_pred):
    """Whether ``y_true`` and ``y_pred`` are multilabel indicator rows of one shape: 0/1 matrices, one of
    them multi-hot (:func:`~nnscratch.host_arrays.zero_one_rows`); one-hot rows on both sides are classes."""
    if y_true.ndim != 2 or y_true.shape != y_pred.shape or y_true.shape[1] < 2:
        return False
    rows = zero_one_rows(y_true), zero_one_rows(y_pred)
    return None not in rows and "multi-hot" in rows


def _check_whole(xp, labels, predicted):
    """A DataError unless float ``labels`` and ``predicted`` hold whole numbers (class labels): equal
    probabilities or regression values are no hits to count (scikit-learn refuses "continuous" targets)."""
    if not bool(xp.any((labels != xp.round(labels)) | (predicted != xp.round(predicted)))):
        return
    name = "y_true" if bool(xp.any(labels != xp.round(labels))) else "y_pred"
    raise DataError(f"accuracy takes class labels, and {name} holds values that are not whole numbers "
                    "(probabilities, scores or regression values?); pass labels: (p > 0.5) for one probability "
                    "per sample, p.argmax(axis=1) for rows of them, or score values with r2, mae or rmse.")


def rmse(y_true, y_pred):
    """Root mean squared error ``sqrt(mean((y - f)**2))`` over every target: for several target columns
    the root of their pooled mean, scikit-learn's ``sqrt(mean_squared_error(y, f))`` (its
    ``root_mean_squared_error`` averages the columns' roots instead)."""
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
    convention: it scores 1.0 if predicted exactly, else 0.0 (never NaN or -inf). A single sample
    has no variance to explain: NaN with an :class:`UndefinedMetricWarning`, as scikit-learn's
    ``r2_score`` returns it ("R^2 score is not well-defined with less than two samples.").
    """
    xp, y, f = _pair(y_true, y_pred)
    if y.shape[0] < 2:
        warn_undefined_r2()
    rows = xp.full((1,), y.shape[0], dtype=y.dtype, device=device(y))  # made on the device: no host copy
    return float(r2_from_sums(*combine_r2_sums(rows, xp.expand_dims(r2_sums(y, f), axis=0)), rows=y.shape[0]))


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


def r2_from_sums(sse, sst, rows=None):
    """R^2 averaged over the target columns from their ``sse`` and ``sst`` (a 0-d array): ``1 - sse / sst``,
    and for a column with ``sst <= 0`` (constant) 1.0 if ``sse == 0`` else 0.0, as scikit-learn's ``r2_score``;
    NaN where either is NaN (a NaN target or prediction), never a score that looks like a fit. NaN too
    for fewer than two ``rows`` (the number of samples, when given): undefined, as scikit-learn says it
    (the caller warns: :func:`warn_undefined_r2`)."""
    xp = array_namespace(sse, sst)
    if rows is not None and rows < 2:
        return xp.mean(xp.full(sst.shape, xp.nan, dtype=sst.dtype, device=device(sst)))
    ones, varies = xp.ones_like(sst), sst > 0
    constant = xp.where(sse == 0, ones, xp.zeros_like(sst))
    scores = xp.where(varies, 1.0 - sse / xp.where(varies, sst, ones), constant)
    either = sse + sst  # NaN where a target or a prediction was NaN: the score too, as RMSE and MAE are
    return xp.mean(xp.where(xp.isnan(either), either, scores))
