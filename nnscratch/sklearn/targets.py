"""Targets a classifier does not learn as they are, refused before anything is set, in one line with the fix.

scikit-learn's ``type_of_target`` names what a ``y`` looks like; some of its kinds reach the network in a
form nobody meant: indicator columns of -1/1, columns of several classes, and on a first ``partial_fit``
of indicator rows, ``classes`` that are not their column numbers.
"""

import numpy as np
from scipy import sparse
from sklearn.utils.multiclass import type_of_target, unique_labels


def refuse_target_type(y):
    """Columns of labels the classifier does not learn, refused in one line with the fix: indicator
    columns (scikit-learn's "multilabel-indicator", a 2-D ``y`` of two values) that are not 0/1, such
    as -1/1 (scikit-learn's MLP trains its log-loss on the -1s; nnscratch's network refused them naming
    its own losses), and columns of several classes ("multiclass-multioutput": scikit-learn's fit says
    "Multioutput target data is not supported with label binarization", a first partial_fit said
    the model "was fitted on one label per sample")."""
    kind, shape = type_of_target(y), np.shape(y)
    wrap = "wrap the estimator in sklearn.multioutput.MultiOutputClassifier"
    if kind == "multiclass-multioutput":
        raise ValueError(f"y has {shape[1]} columns of class labels (shape {shape}), which MLPClassifier does not "
                         f"learn in one model; {wrap}, or pass one label per sample, or 0/1 indicator columns "
                         "(multilabel).")
    if kind != "multilabel-indicator":
        return
    values = np.union1d(y.data, [0]) if sparse.issparse(y) else np.unique(np.asarray(y))
    if set(values.tolist()) <= {0, 1}:
        return
    shown = " and ".join(str(v) for v in values)
    raise ValueError(f"y has indicator columns of shape {shape} holding {shown}, but a multilabel target takes "
                     f"0 (label absent) and 1 (present); pass (y == {values.max()}).astype(int), or for several "
                     f"outputs of their own classes {wrap}.")


def refuse_label_classes(k, classes):
    """A first partial_fit on rows of ``k`` labels, whose classes are their column numbers ``0 .. k-1`` (as
    ``classes_`` of a multilabel fit), given other ``classes``: one line. scikit-learn's MLP said "`y` has
    classes not in `self.classes_`" of other names, and took more numbers than columns into a ``classes_``
    longer than ``predict_proba``'s rows; nnscratch said the model "was fitted on rows of 3 labels"."""
    if not np.array_equal(unique_labels(classes), np.arange(k)):
        raise ValueError(f"y holds rows of {k} labels, whose classes are their column numbers 0 to {k - 1}; got "
                         f"classes={np.asarray(classes).tolist()}: pass classes=range({k}) on the first partial_fit "
                         "of indicator rows.")
