"""A :class:`~nnscratch.models.network.Network`'s methods for running it on data.

The forward pass, predictions (probabilities and what the task calls a prediction), scores,
training and gradients: every method that puts data through a network, where
:mod:`nnscratch.models.persistence` has those that treat it as data. Each is written here once
as a function of the network and is a method of ``Network`` by assignment in its class body
(``fit = running.fit``), so the class reads as what it is and its API is unchanged. The work
itself is :mod:`nnscratch.training`'s; these are the documented entry points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..training import evaluation, streaming, loop as train
from ..training.memory import INFERENCE_BATCH
from .. import testing
from ..options import check_callbacks, check_positive_int, warn_small_batch
from .._keywords import keywords
from ..backend.core import on_device
from ..training.step import predicted_labels
from ..training.callback_checks import checked_callbacks
from .task import binary_threshold, probability_link
from .._typing import Array

if TYPE_CHECKING:
    from ..losses import Loss
    from ..training.history import History
    from .network import Network


def _inference_batch(batch_size: int | None) -> int | None:
    """``batch_size`` checked: a positive int, or None for nnscratch's own, :data:`INFERENCE_BATCH` (4096) rows
    (Keras reads None as its default too)."""
    return None if batch_size is None else check_positive_int("batch_size", batch_size)


@on_device
def forward(self: Network, X: Array, return_all: bool = False, batch_size: int | None = None) -> Array | list[Array]:
    """Run the network on ``X (n_samples, n_inputs)``, in batches of ``batch_size`` rows: slices on the device,
    or moved from host memory when ``X`` does not fit there.

    Returns the output activations, or with ``return_all=True`` the list
    of every layer's output: a Dense layer's is its pre-activation ``z``,
    an activation's is ``a`` (seed 000's ``z_vectors`` and activations).

    Parameters
    ----------
    X : array, (n_samples, n_inputs) or (n_samples, C, H, W)
        Inputs, on the host or the network's device.
    return_all : bool, default False
        Return every layer's output (a list) instead of the last one.
    batch_size : int, optional
        Rows run at once (None: 4096): bounds the memory, not the result.
    """
    def run(out):
        outputs = []
        for layer in self.layers:
            out = layer.forward(out)
            outputs.append(out)
        return outputs if return_all else out
    return streaming.in_batches(self, X, run, batch_size=_inference_batch(batch_size))


@on_device
def predict_proba(self: Network, X: Array, batch_size: int | None = None) -> Array:
    """Output activations ``(n_samples, n_outputs)``: class probabilities for a
    softmax/sigmoid output, or for an Identity output whose loss is (binary)
    cross-entropy (the softmax/sigmoid of its logits); else the outputs as they are.

    Parameters
    ----------
    X : array, (n_samples, n_inputs) or (n_samples, C, H, W)
        Inputs, on the host or the network's device.
    batch_size : int, optional
        Rows run at once (None: 4096, as Keras reads None as its default): bounds the memory, not the result.
    """
    out = self.forward(X, batch_size=batch_size)
    link = probability_link(self.layers[-1], self.resolve_loss())
    return out if link is None else link.forward(out)


@keywords("predict")
@on_device
def predict(self: Network, X: Array, batch_size: int | None = None) -> Array:
    """What the task calls a prediction (see :attr:`task`).

    Parameters
    ----------
    X : array, (n_samples, n_inputs) or (n_samples, C, H, W)
        Inputs, on the host or the network's device.
    batch_size : int, optional
        Rows run at once (None: 4096, as Keras reads None as its default): bounds the memory, not the result.

    Returns
    -------
    classification : int array of shape (n_samples,)
        Class labels: argmax of the outputs; with one output, ``p > 0.5``
        on a Sigmoid, ``logit > 0`` on an Identity output.
    multilabel : int array of shape (n_samples, n_outputs)
        Indicator rows of 0/1, each output thresholded as one output is.
    regression : array of shape (n_samples, n_outputs)
        The output values.
    """
    out = self.forward(X, batch_size=batch_size)
    if self.task == "regression":
        return out
    return predicted_labels(out, self.n_outputs, binary_threshold(self.layers[-1]), task=self.task)


@keywords("evaluate")
def evaluate(self: Network, X: Array, y: Array, loss: str | Loss | None = None,
             batch_size: int | None = None, sample_weight: Array | None = None) -> dict[str, float]:
    """``{"loss", "accuracy"}`` for a classification :attr:`task` (multilabel: subset accuracy), ``{"loss",
    "r2", "mae", "rmse"}`` for a regression, as floats. The default loss is the one the last :meth:`fit` used.

    Parameters
    ----------
    X : array, (n_samples, ...)
        Inputs.
    y : array
        Their labels (or one-hot or multi-hot rows) or regression targets, as ``fit`` takes them.
    loss : str or Loss, optional
        The loss reported; default: the one the last ``fit`` used.
    batch_size : int, optional
        Rows evaluated at once (None: 4096, as Keras reads None as its default): bounds the memory, not the result.
    sample_weight : array (n_samples,), optional
        A weight >= 0 per row: the loss is then ``sum_i w_i l_i / n``, as ``fit`` reports it (Keras'
        ``evaluate(sample_weight=)``); the accuracy and regression scores stay unweighted.
    """
    batch_size = _inference_batch(batch_size) or INFERENCE_BATCH
    return evaluation.evaluate(self, X, y, loss=loss, batch_size=batch_size, sample_weight=sample_weight)


def fit(self: Network, X: Array, y: Array, **options: Any) -> History:
    """Train on ``(X, y)``; see :func:`nnscratch.training.loop.fit` for the options.

    Fixes :attr:`task` from the output layer, the loss and the targets (:mod:`nnscratch.models.task`); the
    loss defaults to the checkpoint's when resuming, else the previous ``fit``'s, else the output layer's. The
    data is never modified. Integer inputs beyond [-1, 1] and a ``batch_size`` larger than
    the data warn (:class:`nnscratch.errors.DataWarning`); inputs are never rescaled.

    Parameters
    ----------
    X : array, (n_samples, n_inputs) or (n_samples, C, H, W)
        Training inputs, host or device arrays.
    y : array
        Class labels ``(n_samples,)``, one-hot or multi-hot rows, or targets ``(n_samples, n_outputs)``.
    **options
        ``epochs``, ``batch_size``, ``optimizer``, ``validation_data``, ``callbacks``, ``checkpoint``,
        ``resume``, ``sample_weight``, ``class_weight``, ...: the keywords of :func:`nnscratch.training.loop.fit`.
        ``sample_weight (n_samples,)`` multiplies each row's loss (and gradient) by its weight, reduced as
        Keras 3 does: ``L = sum_i w_i l_i / n`` per batch of ``n`` rows; ``class_weight={label: weight}`` (or
        ``"balanced"``, scikit-learn's rule) gives each row its class's weight (both: their product). The
        History's ``loss`` is then the weighted one, its ``accuracy`` unweighted, as Keras reports them.
    """
    warn_small_batch(options.get("batch_size"), X, options.get("validation_split"))  # a size the caller asked
    if "callbacks" in options:
        options["callbacks"] = checked_callbacks(check_callbacks(options["callbacks"]))
    return train.fit(self, X, y, **options)


def compute_gradients(self: Network, X: Array, y: Array, loss: str | Loss | None = None,
                      sample_weight: Array | None = None) -> tuple[float, list[Array]]:
    """Backpropagate one batch without updating: ``(loss, [grads])`` in
    :meth:`parameters` order.

    Parameters
    ----------
    X : array, (n_samples, ...)
        One batch of inputs.
    y : array
        Their labels or targets, as ``fit`` takes them.
    loss : str or Loss, optional
        The loss to differentiate; default: :meth:`resolve_loss`'s.
    sample_weight : array (n_samples,), optional
        Each row's weight, as ``fit`` takes it: the loss is ``sum_i w_i l_i / n``.
    """
    return evaluation.compute_gradients(self, X, y, loss=loss, sample_weight=sample_weight)


@on_device
def check_gradients(self: Network, X: Array, y: Array, loss: str | Loss | None = None, eps: float = 1e-6,
                    max_entries: int = 64) -> float:
    """Worst relative error ``|num - ana| / (|num| + |ana|)`` (per-parameter
    norms) between backprop and central finite differences in float64, in
    training mode (batch statistics, fixed dropout masks); the network is left as it was.

    Parameters
    ----------
    X : array, (n_samples, ...)
        A small batch of inputs; a few rows suffice.
    y : array
        Their labels or targets, as ``fit`` takes them.
    loss : str or Loss, optional
        The loss to differentiate; default: :meth:`resolve_loss`'s.
    eps : float, default 1e-6
        Step of the central differences, in the units of the weights.
    max_entries : int, default 64
        Entries of each parameter perturbed (a seeded sample); more is slower and surer.
    """
    return testing.check_gradients(self, X, y, loss=loss, eps=eps, max_entries=max_entries)
