"""One class per sample: the labels a picture of a classifier reads (its confusion matrix, its mistakes, the
true class beside a prediction, the colour of a point), checked once, so that a regression's values, a
multilabel model's rows of 0/1 labels or the labels of other samples are one clear ValueError, never a
picture of wrong numbers or matplotlib's word about sizes."""
from __future__ import annotations

import numpy as np

from ._common import to_host

BOTH_COLUMNS = ("pass one label's column of both, e.g. y_true[:, 0] and y_pred[:, 0], or score every label "
                "with sklearn.metrics.multilabel_confusion_matrix.")


def class_indices(labels, name, needs="a confusion matrix counts", multilabel_fix=BOTH_COLUMNS):
    """``labels`` as a flat int64 array of class indices, or a ValueError saying what they are instead
    (``needs`` starts it: who wants the classes; ``multilabel_fix`` ends it where rows of 0/1 labels came)."""
    values = to_host(labels)
    if values.ndim == 2 and values.shape[1] > 1:
        raise ValueError(rows_error(values, name, needs, multilabel_fix))
    values = values.reshape(-1)
    if values.dtype.kind not in "iub":
        wrong = values if values.dtype.kind != "f" else values[~(np.isfinite(values) & (values == np.round(values)))]
        if wrong.size:
            raise ValueError(f"{needs} class indices (0, 1, 2 ...); {name} holds {wrong[0]}, "
                             "not a class: pass classes (a prediction's: network.predict), not probabilities "
                             "or a regression's values.")
    values = values.astype(np.int64)
    if values.size and values.min() < 0:
        raise ValueError(f"{needs} class indices (0, 1, 2 ...); {name} holds {values.min()}: "
                         "map the labels to 0 .. n_classes - 1 first.")
    return values


def rows_error(values, name, needs, multilabel_fix=BOTH_COLUMNS):
    """What a row per sample is, said so: a multilabel model's 0/1 labels (a row without exactly one 1) has
    no single class to take; a probability or one-hot row has its argmax."""
    if bool(np.isin(values, (0, 1)).all()) and bool((values.sum(axis=1) != 1).any()):
        return (f"{needs} one class index per sample; {name} has shape {values.shape}, rows of 0/1 labels of "
                f"which any number may be 1 (a multilabel model's): {multilabel_fix}")
    return (f"{needs} one class index per sample; {name} has shape {values.shape} "
            "(a probability or one-hot row per sample): pass its argmax(axis=1), or network.predict.")


def true_classes(y, n_inputs, picture):
    """``y`` as the true class of each of ``n_inputs`` inputs that ``picture`` draws, or a ValueError."""
    classes = class_indices(y, "y", f"{picture} takes", "pass the class of each sample, one number per "
                            "row (a multilabel model's pictures: plot_architecture).")
    if len(classes) != n_inputs:
        raise ValueError(f"{picture} takes one true class per input; received {n_inputs} inputs and "
                         f"{len(classes)} classes in y: pass the labels of the same samples as X.")
    return classes
