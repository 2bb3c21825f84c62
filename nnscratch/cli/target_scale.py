"""A regression table's target standardised for training, and the scale folded back into the output layer.

The features of a table are standardised (:mod:`nnscratch.saving.standardizer`); the target is too,
as scikit-learn's ``TransformedTargetRegressor(regressor, transformer=StandardScaler())`` would: the
network learns ``z = (y - mean) / std`` (each target column's figures on the training split), a scale
its initial weights and Adam's steps suit whatever the target's units: prices of 2e5 +- 1e5 or
lengths of 1e-3 +- 1e-4 train as the same figures in standard units do. After training the output
Dense layer (or an image-to-image network's last convolution, per channel) takes the scale back
(``W * std``, ``b * std + mean``), so the saved model, ``evaluate``,
``predict`` and the ONNX export give values in the target's own units with nothing more to apply.
A checkpoint holds the weights in standard units; the run resumed from it folds them at its end.
Host-side (NumPy), like the rest of the command line.
"""

import dataclasses

import numpy as np

from ..layers import Conv2D, Dense, Flatten, Identity


def output_layer(net):
    """Index of the Dense or Conv2D layer whose outputs are the network's (only Identity and Flatten layers
    after it: an image-to-image network's last convolution), or None."""
    for index in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[index]
        if isinstance(layer, (Dense, Conv2D)):
            return index
        if not isinstance(layer, (Identity, Flatten)):
            return None
    return None


def fit(data, net):
    """``(mean, std)`` of a regression's training targets, or None: a classification, or a network whose output
    is not a Dense or Conv2D layer's (the scale could not be folded back into it). Per target column after a
    Dense layer; per channel after a convolution (its weights are shared across the positions of an image)."""
    index = None if getattr(data, "task", None) != "regression" else output_layer(net)
    if index is None:
        return None
    y = np.asarray(data.y_train, dtype=np.float64)
    layer = net.layers[index]
    if isinstance(layer, Conv2D):  # the flat targets are (C, H, W) images: one figure per channel
        y = y.reshape(len(y), layer.out_channels, -1).transpose(0, 2, 1).reshape(-1, layer.out_channels)
    from ..datasets.preprocessing import mean_std
    return mean_std(y)  # a constant column keeps std 1, as the features' do


def _columns(figures, y):
    """Per-channel ``figures`` repeated for each target column of its channel's image (``y``: the targets)."""
    return np.repeat(figures, y.shape[-1] // figures.size) if np.ndim(figures) else figures


def standardized(data, scale):
    """``data`` with its training targets in standard units and a note saying so (``scale`` None: unchanged)."""
    if scale is None:
        return data
    mean, std = scale
    y = np.asarray(data.y_train, dtype=np.float64)
    y = ((y - _columns(mean, y)) / _columns(std, y)).astype(np.asarray(data.y_train).dtype)
    each = "channel" if np.size(mean) < y.shape[-1] else "column"
    one = np.size(mean) == 1  # one target, or images of one channel
    figures = f"mean {np.ravel(mean)[0]:.4g}, std {np.ravel(std)[0]:.4g}" if one else f"each {each}'s mean and std"
    note = (f"target standardised for training ({figures}): the epoch losses and MAEs are in standard "
            "units (R^2 has none), the test scores and the saved model's outputs in the target's own")
    return dataclasses.replace(data, y_train=y, notes=(*data.notes, note))


def fold(net, scale):
    """Make ``net``'s outputs ``z * std + mean``: the output layer's ``W * std`` and ``b * std + mean`` (a
    convolution's per output channel)."""
    if scale is None:
        return
    mean, std = scale
    index = output_layer(net)
    first = sum(len(layer.params) for layer in net.layers[:index])
    weights = net.get_weights()
    w, b = (np.asarray(a, dtype=np.float64) for a in weights[first:first + 2])
    along = std.reshape(-1, *[1] * (w.ndim - 1)) if isinstance(net.layers[index], Conv2D) else std
    weights[first:first + 2] = [(w * along).astype(weights[first].dtype),
                                (b * std + mean).astype(weights[first + 1].dtype)]
    net.set_weights(weights)
