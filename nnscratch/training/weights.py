"""Per-sample and per-class weights (``fit(sample_weight=, class_weight=)``, ``evaluate(sample_weight=)``).

Checked once on the host, combined (``class_weight[label] * sample_weight``) and moved to the
device once per call as a column ``(n, 1)`` of the network's float: a data source hands each batch
its rows of it beside the inputs and targets, so shuffling, streaming and data-parallel shards
carry them as they carry the targets. Without weights nothing here runs and the step is unchanged.

The reduction is Keras 3's default, ``"sum_over_batch_size"``: a batch's loss is
``sum_i w_i l_i / n`` (see :mod:`nnscratch.losses`), so a weight of 2 counts a row twice while
the batch keeps its ``n`` rows.
"""

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ..host_arrays import to_host
from ..validation import is_device_array


def checked_sample_weight(sample_weight, n, name="sample_weight", at="row"):
    """``sample_weight`` as host float64 ``(n,)``: finite, non-negative, not all zero; else one line."""
    w = to_host(sample_weight, name)
    if w.ndim == 2 and w.shape[1:] == (1,):
        w = w[:, 0]
    if w.shape != (n,):
        raise ShapeError(f"{name} must hold one weight per sample, shape ({n},); got shape {w.shape}. "
                         "Pass a 1-D array with a weight for each row of X.")
    if w.dtype.kind not in "biuf":
        raise DataError(f"{name} must hold numbers; got dtype {w.dtype}. Pass a float array, e.g. np.ones(len(X)).")
    w = w.astype(np.float64)
    if not np.all(np.isfinite(w)):
        raise DataError(f"{name} must be finite; got {int(np.sum(~np.isfinite(w)))} NaN or infinite value(s), "
                        f"the first at {at} {int(np.argmin(np.isfinite(w)))}. Replace them with a weight >= 0.")
    if np.any(w < 0):
        raise DataError(f"{name} must be >= 0; got {w.min():g} at {at} {int(np.argmin(w))}. "
                        "A weight scales its row's loss: use 0 to leave a row out, not a negative number.")
    return _not_all_zero(w, name)


def _not_all_zero(w, name):
    if w.shape[0] and not np.any(w > 0):
        raise DataError(f"{name} is zero for all {w.shape[0]} rows, so nothing would be learned; "
                        "give the rows to train on a positive weight.")
    return w


def class_weights(class_weight, labels, mode, n_classes):
    """The weight of each row's class, host float64 ``(n,)``, from ``{label: weight}`` (classes not
    named weigh 1, as scikit-learn's ``class_weight`` dicts do); ``labels``: the rows' integer labels."""
    if not isinstance(class_weight, dict):
        raise ConfigError(f"class_weight must be a dict {{class label: weight}}, e.g. {{0: 1.0, 1: 5.0}}; got a "
                          f"{type(class_weight).__name__}. Per-row weights go in sample_weight=.")
    if mode not in ("binary", "multiclass"):
        what = "a regression" if mode is None else "a multilabel task (several labels per row)"
        raise ConfigError(f"class_weight applies to classification (one class per row); this fit is {what}. "
                          "Weigh the rows with sample_weight= instead.")
    table = np.ones(n_classes)
    for key, value in class_weight.items():
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer)) or not 0 <= key < n_classes:
            raise ConfigError(f"class_weight's keys are the class labels 0 to {n_classes - 1} (the integer labels "
                              f"fit takes); got {key!r}. Name each class by its integer label.")
        table[int(key)] = value
    checked_sample_weight(table, n_classes, "class_weight's values", at="class")
    return table[labels]


def row_weights(net, targets, sample_weight=None, class_weight=None):
    """The rows' weights as a device column ``(n, 1)`` of ``net``'s float (moved once), or None
    when neither is given. ``targets``: the :class:`~nnscratch.validation.Targets` of the rows."""
    if sample_weight is None and class_weight is None:
        return None
    n = targets.Y.shape[0]
    w = np.ones(n) if sample_weight is None else checked_sample_weight(sample_weight, n)
    if class_weight is not None:
        labels = targets.labels
        labels = net.backend.to_numpy(labels) if labels is not None and is_device_array(labels) else labels
        k = max(targets.Y.shape[1], 2)
        w = _not_all_zero(w * class_weights(class_weight, np.asarray(labels), targets.mode, k),
                          "sample_weight times class_weight")
    return net.backend.asarray(np.reshape(w, (n, 1)), dtype=net.dtype)


def rows_of(sample_weight, start, stop):
    """Rows ``start:stop`` of a caller's ``sample_weight`` (None stays None), for ``validation_split``."""
    return None if sample_weight is None else to_host(sample_weight, "sample_weight")[start:stop, ...]
