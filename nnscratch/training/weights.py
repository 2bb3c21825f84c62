"""Per-sample and per-class weights (``fit(sample_weight=, class_weight=)``, ``evaluate(sample_weight=)``).

``class_weight`` is ``{label: weight}`` or ``"balanced"`` (scikit-learn's rule, :func:`balanced`, from the
labels of the rows trained on: the training part of a ``validation_split``, every rank's rows alike).

Checked once on the host, combined (``class_weight[label] * sample_weight``) and moved to the
device once per call as a column ``(n, 1)`` of the network's float: a data source hands each batch
its rows of it beside the inputs and targets, so shuffling, streaming and data-parallel shards
carry them as they carry the targets. Without weights nothing here runs and the step is unchanged.

The reduction is Keras 3's default, ``"sum_over_batch_size"``: a batch's loss is
``sum_i w_i l_i / n`` (see :mod:`nnscratch.losses`), so a weight of 2 counts a row twice while
the batch keeps its ``n`` rows.
"""

from array_api_compat import array_namespace

from ..backend.core import backend_of
from ..errors import ConfigError, DataError, ShapeError
from ..host_arrays import to_host
from ..losses import Loss
from ..validation import is_device_array


def checked_sample_weight(sample_weight, n, name="sample_weight", at="row"):
    """``sample_weight`` as a host float64 ``(n,)`` array: finite, non-negative, not all zero; else one line."""
    w = backend_of(sample_weight).to_numpy(sample_weight) if is_device_array(sample_weight) \
        else to_host(sample_weight, name)  # checked on the host once, like X and y
    hp = array_namespace(w)
    if w.ndim == 2 and w.shape[1:] == (1,):
        w = w[:, 0]
    if tuple(w.shape) != (n,):
        raise ShapeError(f"{name} must hold one weight per sample, shape ({n},); got shape {tuple(w.shape)}. "
                         "Pass a 1-D array with a weight for each row of X.")
    if not hp.isdtype(w.dtype, ("bool", "integral", "real floating")):
        raise DataError(f"{name} must hold numbers; got dtype {w.dtype}. Pass a float array, e.g. np.ones(len(X)).")
    w = hp.astype(w, hp.float64)
    bad = hp.astype(~hp.isfinite(w), hp.int64)
    if hp.any(bad):
        raise DataError(f"{name} must be finite; got {int(hp.sum(bad))} NaN or infinite value(s), "
                        f"the first at {at} {int(hp.argmax(bad))}. Replace them with a weight >= 0.")
    if hp.any(w < 0):
        raise DataError(f"{name} must be >= 0; got {float(hp.min(w)):g} at {at} {int(hp.argmin(w))}. "
                        "A weight scales its row's loss: use 0 to leave a row out, not a negative number.")
    return _not_all_zero(w, name)


def _not_all_zero(w, name):
    if w.shape[0] and not array_namespace(w).any(w > 0):
        raise DataError(f"{name} is zero for all {w.shape[0]} rows, so nothing would be learned; "
                        "give the rows to train on a positive weight.")
    return w


def class_weights(class_weight, labels, mode, n_classes):
    """The weight of each row's class, host float64 ``(n,)``, from ``{label: weight}`` (classes not
    named weigh 1, as scikit-learn's ``class_weight`` dicts do) or ``"balanced"`` (:func:`balanced`);
    ``labels``: the rows' integer labels (a host array)."""
    if not isinstance(class_weight, dict) and not (isinstance(class_weight, str) and class_weight == "balanced"):
        got = repr(class_weight) if isinstance(class_weight, str) else f"a {type(class_weight).__name__}"
        raise ConfigError(f"class_weight must be a dict {{class label: weight}}, e.g. {{0: 1.0, 1: 5.0}}, or "
                          f"'balanced'; got {got}. Per-row weights go in sample_weight=.")
    if mode not in ("binary", "multiclass"):
        what = "a regression" if mode is None else "a multilabel task (several labels per row)"
        raise ConfigError(f"class_weight applies to classification (one class per row); this fit is {what}. "
                          "Weigh the rows with sample_weight= instead.")
    hp = array_namespace(labels)
    labels = hp.astype(labels, hp.int64)
    if isinstance(class_weight, str):
        return hp.take(balanced(labels, n_classes), labels)
    table = [1.0] * n_classes
    for key, value in class_weight.items():
        if isinstance(key, bool) or not hasattr(key, "__index__") or not 0 <= key < n_classes:
            raise ConfigError(f"class_weight's keys are the class labels 0 to {n_classes - 1} (the integer labels "
                              f"fit takes); got {key!r}. Name each class by its integer label.")
        table[int(key)] = value
    checked = checked_sample_weight(table, n_classes, "class_weight's values", at="class")
    return hp.take(checked, labels)


def balanced(labels, n_classes):
    """scikit-learn's ``class_weight="balanced"``: ``n_samples / (n_present * count_c)`` for each class
    ``c`` of the integer ``labels`` (a host array), ``n_present`` the classes they hold; host float64
    ``(n_classes,)``, 1 for a class no row holds. Every class then weighs as much in the loss as
    the others: ``count_c * weight_c = n_samples / n_present``. Computed from every row given (the
    whole training part, before a data-parallel run shards it: the same on every rank)."""
    hp = array_namespace(labels)
    counts = hp.sum(hp.astype(hp.reshape(labels, (-1, 1)) == hp.reshape(hp.arange(n_classes), (1, -1)),
                              hp.float64), axis=0)
    present = int(hp.sum(hp.astype(counts > 0, hp.int64)))
    n = float(labels.shape[0])
    return hp.where(counts > 0, n / (max(present, 1) * hp.where(counts > 0, counts, 1.0)), 1.0)


def row_weights(net, targets, sample_weight=None, class_weight=None, loss=None):
    """The rows' weights as a device column ``(n, 1)`` of ``net``'s float (moved once), or None
    when neither is given. ``targets``: the :class:`~nnscratch.validation.Targets` of the rows;
    ``loss``: the Loss they weigh, which must define each sample's loss (``_rows``)."""
    if sample_weight is None and class_weight is None:
        return None
    if loss is not None and type(loss)._rows is Loss._rows:
        raise ConfigError(f"{type(loss).__name__} defines no per-sample loss, so it cannot weigh samples; define "
                          "its _rows(out, y) -> (n_samples,) (the losses its value averages), or train without "
                          "sample_weight and class_weight.")
    n = targets.Y.shape[0]
    w = None if sample_weight is None else checked_sample_weight(sample_weight, n)
    if class_weight is not None:
        labels = targets.labels
        if labels is not None:
            labels = net.backend.to_numpy(labels) if is_device_array(labels) else to_host(labels, "y")
        per_class = class_weights(class_weight, labels, targets.mode, max(targets.Y.shape[1], 2))
        w = _not_all_zero(per_class if w is None else w * per_class,
                          "class_weight" if w is None else "sample_weight times class_weight")
    return net.backend.asarray(array_namespace(w).reshape(w, (n, 1)), dtype=net.dtype)


def rows_of(sample_weight, start, stop):
    """Rows ``start:stop`` of checked weights (None stays None), for ``validation_split``."""
    return None if sample_weight is None else sample_weight[start:stop, ...]
