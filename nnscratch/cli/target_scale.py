"""A regression table's target standardised for training, and the scale folded back into the output layer.

The features of a table are standardised (:mod:`nnscratch.saving.standardizer`); the target is too,
as scikit-learn's ``TransformedTargetRegressor(regressor, transformer=StandardScaler())`` would: the
network learns ``z = (y - mean) / std`` (each target column's figures on the training split), a scale
its initial weights and Adam's steps suit whatever the target's units: prices of 2e5 +- 1e5 or
lengths of 1e-3 +- 1e-4 train as the same figures in standard units do. After training the output
Dense layer takes the scale back (``W * std``, ``b * std + mean``), so the saved model, ``evaluate``,
``predict`` and the ONNX export give values in the target's own units with nothing more to apply.
A checkpoint holds the weights in standard units; the run resumed from it folds them at its end.
Host-side (NumPy), like the rest of the command line.
"""

import dataclasses

import numpy as np

from ..layers import Dense, Identity


def output_dense(net):
    """Index of the Dense layer whose outputs are the network's (only Identity layers after it), or None."""
    for index in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[index]
        if isinstance(layer, Dense):
            return index
        if not isinstance(layer, Identity):
            return None
    return None


def fit(data, net):
    """``(mean, std)`` of a regression's training targets (per column), or None: a classification, or a
    network whose output is not a Dense layer's (the scale could not be folded back into it)."""
    if getattr(data, "task", None) != "regression" or output_dense(net) is None:
        return None
    y = np.asarray(data.y_train, dtype=np.float64)
    std = y.std(axis=0)
    return y.mean(axis=0), np.where(std > 0, std, 1.0)


def standardized(data, scale):
    """``data`` with its training targets in standard units and a note saying so (``scale`` None: unchanged)."""
    if scale is None:
        return data
    mean, std = scale
    y = ((np.asarray(data.y_train, dtype=np.float64) - mean) / std).astype(np.asarray(data.y_train).dtype)
    figures = f"mean {float(mean):.4g}, std {float(std):.4g}" if np.ndim(mean) == 0 else "each column's mean and std"
    note = (f"target standardised for training ({figures}): the epoch losses and MAEs are in standard units "
            "(R^2 has none), the test scores and the saved model's outputs in the target's own")
    return dataclasses.replace(data, y_train=y, notes=(*data.notes, note))


def fold(net, scale):
    """Make ``net``'s outputs ``z * std + mean``: the output Dense layer's ``W * std`` and ``b * std + mean``."""
    if scale is None:
        return
    mean, std = scale
    index = output_dense(net)
    first = sum(len(layer.params) for layer in net.layers[:index])
    weights = net.get_weights()
    w, b = (np.asarray(a, dtype=np.float64) for a in weights[first:first + 2])
    weights[first:first + 2] = [(w * std).astype(weights[first].dtype),
                                (b * std + mean).astype(weights[first + 1].dtype)]
    net.set_weights(weights)
