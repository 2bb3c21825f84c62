"""Losses: each returns the mean loss and its gradient together.

A loss takes the network output ``(n_samples, n_outputs)`` and float
targets of the same shape (one-hot rows for classification). ``value``
returns the mean loss (a 0-d device array), ``gradient`` dL/d(out) with the
scale ``1 / n_samples`` folded in, so the backward pass never divides again;
``loss(out, y)`` returns both.

Per-sample weights ``w (n, 1)`` (``fit(sample_weight=...)``) reduce as Keras 3's default
``"sum_over_batch_size"`` does: ``L = sum_i w_i l_i / n``, ``l_i`` the sample's loss (its mean over
outputs for mse and bce), ``n`` the batch's rows (not ``sum(w)``). Each row's gradient is then
its unweighted one times ``w_i``: one multiplication, made only when weights are given.

Cross-entropy takes logits: a network ending in ``Softmax`` hands the loss
the softmax's input and skips the softmax, so the gradient is the stable
``(p - y) / n`` rather than the product of two Jacobians. Binary
cross-entropy does the same with a final ``Sigmoid``.
"""

from __future__ import annotations

from array_api_compat import is_numpy_array

from .backend.core import backend_of, namespace
from .errors import BackendMismatchError, ShapeError, unknown_name
from .layers import Identity, Layer, Sigmoid, Softmax
from ._typing import Array


class Loss:
    """Base class: ``value(out, y)`` (0-d) and ``gradient(out, y, scale)``, which check that the
    targets have the outputs' shape and hand them to a subclass's ``_value`` and ``_gradient``.

    ``fuses`` is the output activation this loss absorbs (its gradient is
    taken with respect to that activation's input), or None.
    ``accepts`` lists the output activations the loss makes sense after.
    The training step needs only ``gradient``; the value is computed once per
    epoch from the kept outputs. Sample weights also need ``_rows``, each sample's loss.
    """

    name = "?"
    fuses: type[Layer] | None = None
    accepts: tuple[type[Layer], ...] | None = None

    def value(self, out: Array, y: Array, weights: Array | None = None) -> Array:
        """The mean loss, a 0-d device array; with ``weights (n, 1)``: ``sum_i w_i l_i / n``."""
        if weights is None:
            return self._value(out, self._targets(out, y))
        rows = self._rows(out, self._targets(out, y))
        return namespace(out).sum(rows * weights[:, 0]) / out.shape[0]

    def gradient(self, out: Array, y: Array, scale: float = 1.0, weights: Array | None = None) -> Array:
        """``scale * dL/dout``, with ``1/n`` already folded in; with ``weights (n, 1)`` each row's times its weight."""
        grad = self._gradient(out, self._targets(out, y), scale)
        return grad if weights is None else grad * weights

    def _value(self, out: Array, y: Array) -> Array:
        raise NotImplementedError

    def _rows(self, out: Array, y: Array) -> Array:
        """Each sample's loss ``l_i``, shape ``(n,)``: what sample weights multiply (their mean is ``_value``)."""
        raise NotImplementedError(f"{type(self).__name__} defines no per-sample loss (_rows), so it cannot weigh "
                                  "samples; define _rows(out, y) -> (n,) or train without sample_weight/class_weight.")

    def _gradient(self, out: Array, y: Array, scale: float) -> Array:
        raise NotImplementedError

    def _targets(self, out, y):
        """``y``, of ``out``'s shape, in ``out``'s dtype (integer or bool one-hot rows as floats: no
        operation where they are already, as ``fit`` makes them). Another shape would broadcast into
        a wrong loss (labels ``(n,)`` beside ``n`` outputs each) or fail deep in the array library.
        NumPy targets beside another library's outputs are moved to their device (:func:`_onto`)."""
        if out.ndim != 2:
            raise ShapeError(f"{self!r} expects outputs of shape (n_samples, n_outputs); got shape {tuple(out.shape)}. "
                             "Reshape outputs and targets of one value per sample to (-1, 1).")
        if tuple(y.shape) != tuple(out.shape):
            raise ShapeError(f"{self!r} expects targets of shape {tuple(out.shape)}, the outputs' shape (one-hot "
                             f"rows for class labels); got shape {tuple(y.shape)}. Make labels one-hot rows with "
                             f"nnscratch.datasets.one_hot(labels, {out.shape[-1]}), or train with Network.fit, "
                             "which takes labels as they are.")
        xp = namespace(out)
        if namespace(y) is not xp:  # compared first: array-api-strict warns on dtypes of two libraries
            return _onto(out, y)
        return y if y.dtype == out.dtype else xp.astype(y, out.dtype)

    def __call__(self, out: Array, y: Array) -> tuple[Array, Array]:
        """``(value, gradient)`` together."""
        return self.value(out, y), self.gradient(out, y)

    def __repr__(self):
        return f"{type(self).__name__}()"


def _onto(out, y):
    """Targets of another array library than the outputs: NumPy ones moved to the outputs' device in their
    dtype (as :mod:`nnscratch.metrics` moves them); another device library's refused in one line."""
    if is_numpy_array(y):
        return backend_of(out).asarray(y, dtype=out.dtype)
    raise BackendMismatchError(f"The outputs are an array of {backend_of(out)} but the targets of {backend_of(y)}; "
                               "pass targets of the outputs' library (or NumPy targets, which are moved there): "
                               "nnscratch.backend_of(out).asarray(targets).")


class MeanSquaredError(Loss):
    """L = mean((out - y)**2) over samples and outputs; dL/dout = 2 (out - y) / (n k)."""

    name = "mse"

    def _value(self, out: Array, y: Array) -> Array:
        diff = out - y
        return namespace(out).sum(diff * diff) / (out.shape[0] * out.shape[1])

    def _rows(self, out: Array, y: Array) -> Array:
        diff = out - y
        return namespace(out).sum(diff * diff, axis=1) / out.shape[1]

    def _gradient(self, out: Array, y: Array, scale: float) -> Array:
        return (out - y) * (2.0 * scale / max(out.shape[0] * out.shape[1], 1))


class SumSquaredError(Loss):
    """The seeds' cost L = 1/2 sum((out - y)**2) per sample, averaged over
    samples: L = sum((out - y)**2) / (2 n); dL/dout = (out - y) / n."""

    name = "sse"

    def _value(self, out: Array, y: Array) -> Array:
        diff = out - y
        return namespace(out).sum(diff * diff) * (0.5 / out.shape[0])

    def _rows(self, out: Array, y: Array) -> Array:
        diff = out - y
        return namespace(out).sum(diff * diff, axis=1) * 0.5

    def _gradient(self, out: Array, y: Array, scale: float) -> Array:
        return (out - y) * (scale / max(out.shape[0], 1))


class CrossEntropy(Loss):
    """Softmax cross-entropy on logits z:
    L = mean over samples of -sum(y * log softmax(z)); dL/dz = (softmax(z) - y) / n.

    The gradient of L is ``(softmax(z) * sum(y) - y) / n``: ``(p - y) / n`` holds for target rows
    that sum to 1 (one-hot rows, probabilities), which this loss needs. The general form would cost
    the training step two more array operations per batch, so ``fit`` and ``evaluate`` check the rows
    once instead and refuse others (multi-hot, all-zero): several labels per sample call for sigmoid
    outputs with binary cross-entropy (``loss="bce"``)."""

    name = "cross_entropy"
    fuses = Softmax
    accepts = (Softmax, Identity)

    def _value(self, z: Array, y: Array) -> Array:
        xp = namespace(z)
        shifted = z - xp.max(z, axis=1, keepdims=True)
        log_total = xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
        return xp.sum(y * (log_total - shifted)) / z.shape[0]

    def _rows(self, z: Array, y: Array) -> Array:
        xp = namespace(z)
        shifted = z - xp.max(z, axis=1, keepdims=True)
        return xp.sum(y * (xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True)) - shifted), axis=1)

    def _gradient(self, z: Array, y: Array, scale: float) -> Array:
        xp = namespace(z)
        e = xp.exp(z - xp.max(z, axis=1, keepdims=True))
        grad = e / xp.sum(e, axis=1, keepdims=True)
        grad -= y
        grad *= scale / max(z.shape[0], 1)
        return grad


class BinaryCrossEntropy(Loss):
    """Sigmoid cross-entropy on logits z, averaged over all entries:
    L = mean(max(z, 0) - z y + log(1 + exp(-|z|))); dL/dz = (sigmoid(z) - y) / (n k).

    The value never forms sigmoid(z), so a confident wrong prediction costs its full |z| (L = 100 at
    z = -100, y = 1) in any float. The gradient's sigmoid keeps the relative precision of a small p, as the
    ``Sigmoid`` layer's does (``sigmoid(-20) - 0`` is 2.1e-9, where (tanh(z/2) + 1) / 2 gave 0 below -17 in
    float32): p = e / (e + 1) with e = exp(min(z, 88)), in as many operations as the tanh form (88 keeps exp
    finite in float32; p is 1 to the last bit above it, in float64 too). Within an ulp or two of the layer's value."""

    name = "binary_cross_entropy"
    fuses = Sigmoid
    accepts = (Sigmoid, Identity)

    def _value(self, z: Array, y: Array) -> Array:
        xp = namespace(z)
        return xp.sum(xp.maximum(z, 0.0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))) / (z.shape[0] * z.shape[1])

    def _rows(self, z: Array, y: Array) -> Array:
        xp = namespace(z)
        return xp.sum(xp.maximum(z, 0.0) - z * y + xp.log1p(xp.exp(-xp.abs(z))), axis=1) / z.shape[1]

    def _gradient(self, z: Array, y: Array, scale: float) -> Array:
        xp = namespace(z)
        e = xp.exp(xp.clip(z, max=88.0))
        return (e / (e + 1.0) - y) * (scale / max(z.shape[0] * z.shape[1], 1))


LOSSES = {"mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
          "sse": SumSquaredError, "sum_squared_error": SumSquaredError,
          "cross_entropy": CrossEntropy, "categorical_cross_entropy": CrossEntropy,
          "binary_cross_entropy": BinaryCrossEntropy, "bce": BinaryCrossEntropy}


def get_loss(spec: str | Loss) -> Loss:
    """A loss from a name ("mse", "sse", "cross_entropy", "binary_cross_entropy") or a Loss."""
    if isinstance(spec, Loss):
        return spec
    key = str(spec).lower().replace("-", "_").replace("crossentropy", "cross_entropy")
    if key not in LOSSES:
        raise unknown_name("loss", spec, LOSSES)
    return LOSSES[key]()


def default_loss(output_layer: Layer | None) -> Loss:
    """The loss that fits a network's last layer: softmax -> cross-entropy,
    sigmoid -> binary cross-entropy, anything else -> mean squared error."""
    if isinstance(output_layer, Softmax):
        return CrossEntropy()
    if isinstance(output_layer, Sigmoid):
        return BinaryCrossEntropy()
    return MeanSquaredError()
