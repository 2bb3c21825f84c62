"""What a network is for: "multiclass", "binary" or "regression".

The task decides what ``predict`` returns (class labels or values), whether
``fit`` and ``evaluate`` report an accuracy, and where a one-unit output is
thresholded. It follows from the output layer and the loss:

=======================================  ==============
output layer / loss                       task
=======================================  ==============
Softmax, or cross-entropy                 "multiclass"
binary cross-entropy                      "binary" (one output; several: "multiclass", one-vs-rest)
Sigmoid with mse / sse, one output        "binary" (0/1 targets, as seed 002's deep net)
Sigmoid with mse / sse, one-hot targets   "multiclass" (Nielsen's 784-30-10 with the quadratic cost)
Sigmoid with mse / sse, other targets     "regression" (an autoencoder's reconstructions in (0, 1))
anything else with mse / sse              "regression"
integer labels (n,) on several outputs    "multiclass"
=======================================  ==============

A Sigmoid squashes values into (0, 1); only its loss says they are class probabilities. Several
sigmoid units trained with squared error on rows of values are what Keras and PyTorch users call a
reconstruction (784-32-784 on images): ``predict`` returns the values, ``evaluate`` r2 and errors.

``fit`` fixes it from the loss actually used; it is saved with the model
(files written before it existed derive it from the output layer).
"""

from ..errors import ConfigError
from ..layers import Identity, Sigmoid, Softmax
from ..losses import BinaryCrossEntropy, CrossEntropy

TASKS = ("multiclass", "binary", "regression")


def derive_task(output_layer, n_outputs, loss, labels_given=False, one_hot_given=False):
    """The task of a network ending in ``output_layer`` (``n_outputs`` units) trained with
    ``loss`` (a Loss); ``labels_given``: the targets are integer class labels ``(n,)``;
    ``one_hot_given``: they are rows of one 1 and zeros (:func:`~nnscratch.host_arrays.one_hot_rows`)."""
    if isinstance(output_layer, Softmax) or isinstance(loss, CrossEntropy):
        return "multiclass"
    if isinstance(loss, BinaryCrossEntropy):
        return "binary" if n_outputs == 1 else "multiclass"
    if isinstance(output_layer, Sigmoid) and n_outputs == 1:
        return "binary"
    if isinstance(output_layer, Sigmoid) and one_hot_given:
        return "multiclass"
    if labels_given and n_outputs > 1:
        return "multiclass"
    return "regression"


def check_task(task, n_outputs=None):
    """``task`` if it is one of :data:`TASKS` and fits ``n_outputs`` (None: open), else a ConfigError.
    "binary" is one output unit and "multiclass" several, as :func:`derive_task` gives them: "binary" on a
    3-unit output scored class 0 against the argmax, "multiclass" on one unit the argmax of one column."""
    if task not in TASKS:
        raise ConfigError(f"task must be one of {', '.join(map(repr, TASKS))}; got {task!r}.")
    if n_outputs is not None and task != "regression" and (task == "binary") != (n_outputs == 1):
        fits = "binary" if n_outputs == 1 else "multiclass"
        raise ConfigError(f"task {task!r} needs {'one output unit' if task == 'binary' else 'several output units'}, "
                          f"but this network has {n_outputs}; set task={fits!r} (or 'regression' for values).")
    return task


def binary_threshold(output_layer):
    """Where a one-unit binary output splits the classes: 0.5 on a Sigmoid's
    probabilities, 0 on raw logits (an Identity output trained with binary cross-entropy)."""
    return 0.5 if isinstance(output_layer, Sigmoid) else 0.0


def check_loss_fits(loss, n_outputs):
    """Refuse softmax cross-entropy on one output: it is 0 whatever the weights."""
    if isinstance(loss, CrossEntropy) and n_outputs == 1:
        raise ConfigError("Cross-entropy over a single output unit is always 0, so nothing would be learned. "
                          "For two classes use one Sigmoid output with loss='binary_cross_entropy' "
                          "(Network.from_sizes(..., 1) does this), or two outputs with Softmax.")
    return loss


def probability_link(output_layer, loss):
    """The layer ``predict_proba`` applies after the network's own outputs: Softmax (Sigmoid)
    after an Identity output trained with (binary) cross-entropy, whose outputs are logits;
    None when the outputs already are what it returns. ONNX export puts it in the graph."""
    if not isinstance(output_layer, Identity) or not isinstance(loss, (CrossEntropy, BinaryCrossEntropy)):
        return None
    return Softmax() if isinstance(loss, CrossEntropy) else Sigmoid()

