"""The confusion matrix of ``nnscratch evaluate``: counted, and as text (per-class table, labelled grid)."""

import numpy as np

from ..errors import ShapeError


def confusion_matrix(y_true, y_pred, k, task=None):
    """``m[i, j]`` = number of samples of class i predicted as j. One class per sample: a "multilabel" ``task``
    (indicator rows, or their entries flattened: more predictions than samples) is refused in one line."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if task == "multilabel" or y_pred.ndim != 1 or y_pred.shape != y_true.shape:
        raise ShapeError(f"A confusion matrix counts one class per sample ({len(y_true)} true labels, so "
                         f"{len(y_true)} predicted ones), but got {y_pred.size} predictions: a multilabel model "
                         "predicts a row of 0/1 per sample. Score it with its subset accuracy (Network.evaluate) "
                         "or per label with sklearn.metrics.multilabel_confusion_matrix(y, model.predict(X)).")
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (y_true, y_pred), 1)
    return m


def per_class_table(m, names):
    """Precision, recall, support per class of confusion matrix ``m``; a ratio of nothing (ill-defined: scikit-learn
    says 0.0 and warns) shows ``-``: precision of a class never predicted, recall of one with no samples."""
    predicted, actual = m.sum(axis=0), m.sum(axis=1)
    width = max(5, *(len(n) for n in names))
    lines = [f"{'class':<{width}}  precision  recall  support"]
    for i, name in enumerate(names[:len(m)]):
        precision = f"{m[i, i] / predicted[i]:.1%}" if predicted[i] else "-"
        recall = f"{m[i, i] / actual[i]:.1%}" if actual[i] else "-"
        lines.append(f"{name:<{width}}  {precision:>9}  {recall:>6}  {actual[i]:>7}")
    if not (predicted[:len(names)].all() and actual[:len(names)].all()):
        lines.append("(-: no sample was predicted as that class (precision) or belongs to it (recall))")
    return "\n".join(lines)


def matrix_text(m, names=None):
    """The confusion matrix as text, rows and columns labelled with the class names (default 0..k-1)."""
    names = [str(n) for n in (names or range(len(m)))]
    width, left = max(4, len(str(m.max())) + 1, max(map(len, names)) + 1), max(3, max(map(len, names)))
    lines = [" " * (left + 1) + "".join(f"{n:>{width}}" for n in names)]
    lines += [f"{n:>{left}} " + "".join(f"{v:>{width}}" for v in row) for n, row in zip(names, m)]
    return "\n".join(lines)
