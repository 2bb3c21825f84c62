"""The shape of a model's inputs, checked once as data arrives (:func:`nnscratch.validation.as_inputs`).

Flat rows ``(n_samples, n_inputs)`` or images ``(n_samples, C, H, W)``; a shape that does not fit is one
:class:`~nnscratch.errors.ShapeError` that says how to reshape the data (channels-last images, flat
rows of an image network, a lone channel's missing axis) or which image size the layers take.
"""

import math

from .errors import DataError, ShapeError


def check_input_shape(net, x, name):
    """ShapeError (DataError when empty) unless ``x`` is ``(n_samples, *net.input_shape)``, at least one sample."""
    shape = net.input_shape
    if len(shape) == 1:
        _check_flat(x, name, shape[0])
    else:
        _check_shaped(net, x, name, shape)


def _check_not_empty(x, name, what):
    if x.ndim == 0 or math.prod(x.shape) == 0:
        raise DataError(f"{name} is empty (shape {tuple(x.shape)}); expected {what} with at least one "
                        "sample. Check that the data loaded correctly.")


def _check_flat(x, name, n_inputs):
    _check_not_empty(x, name, f"shape (n_samples, {n_inputs})")
    if x.ndim != 2:
        raise ShapeError(f"{name} must be 2-D (n_samples, {n_inputs}); got shape {tuple(x.shape)}. "
                         f"Reshape a single sample with X.reshape(1, -1) and images with X.reshape(len(X), -1).")
    if x.shape[1] != n_inputs:
        raise ShapeError(f"{name} has {x.shape[1]} features per sample but the network's input layer "
                         f"expects {n_inputs}; check the data or build the network with "
                         f"{x.shape[1]} inputs.")


def _check_shaped(net, x, name, shape):
    wanted = "(n_samples, " + ", ".join("?" if n is None else str(n) for n in shape) + ")"
    _check_not_empty(x, name, f"shape {wanted}")
    fits = x.ndim == len(shape) + 1 and all(n is None or n == m for n, m in zip(shape, x.shape[1:]))
    if not fits:
        raise ShapeError(f"{name} must have shape {wanted}; got {tuple(x.shape)}. {_shape_fix(tuple(x.shape), shape)}")
    try:
        net.shape_after(tuple(x.shape[1:]))
    except ShapeError as exc:  # an open image size its layers do not take (a Dense after them fixes it)
        side = next((n for n in range(1, 513) if _takes(net, (*x.shape[1:-2], n, n))), None)
        other = f", or give images of {side}x{side} as its layers take" if side else ""
        raise ShapeError(f"{name}: images of shape {tuple(x.shape[1:])} do not fit the network: "
                         f"{str(exc).rstrip('.')}{other}.") from None


def _takes(net, shape):
    try:
        net.shape_after(shape)
    except ShapeError:
        return False
    return True


def _shape_fix(got, shape):
    """How to turn inputs of shape ``got`` into ``(n, *shape)``: move channels-last images' channels
    (Keras' layout) first, reshape flat rows, add a lone channel's axis, or else say which images fit."""
    def same(sizes, wanted):
        return len(sizes) == len(wanted) and all(n is None or n == m for n, m in zip(wanted, sizes))
    if len(shape) == 3 and same(got[1:], (shape[1], shape[2], shape[0])):
        return ("The images are channels-last (N, H, W, C), as Keras and TensorFlow keep them; move the channels "
                "first with X.transpose(0, 3, 1, 2).")
    if len(got) == 2 and None not in shape and got[1] == math.prod(shape):
        return f"Reshape flat images with X.reshape(len(X), {', '.join(map(str, shape))})."
    if len(shape) == 3 and shape[0] == 1 and same(got[1:], shape[1:]):
        return "Add the channel axis of these one-channel images with X[:, None]."
    if len(shape) == 3:
        size = "any size its layers take" if None in shape else f"{shape[1]}x{shape[2]} pixels"
        return (f"The network takes (N, C, H, W) images, as PyTorch does, of {shape[0]} channel{'s' * (shape[0] != 1)} "
                f"and {size}; give images of that shape, or build a network for yours.")
    return f"Reshape the inputs to (len(X), {', '.join('?' if n is None else str(n) for n in shape)})."
