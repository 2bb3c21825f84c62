"""What a network is for: "multiclass", "binary", "multilabel" or "regression".

The task decides what ``predict`` returns (class labels, indicator rows or values), whether
``fit`` and ``evaluate`` report an accuracy, and where a one-unit output is
thresholded. It follows from the output layer, the loss and the targets of the last ``fit``:

=======================================  ==============
output layer / loss                       task
=======================================  ==============
Softmax, or cross-entropy                 "multiclass"
binary cross-entropy, one output          "binary"
binary cross-entropy, multi-hot targets   "multilabel" (rows of 0/1 holding no, one or several 1s)
binary cross-entropy, other targets       "multiclass" (one-hot rows, labels: one-vs-rest)
Sigmoid with mse / sse, one output        "binary" (0/1 targets, as seed 002's deep net)
Sigmoid with mse / sse, one-hot targets   "multiclass" (Nielsen's 784-30-10 with the quadratic cost)
Sigmoid with mse / sse, other targets     "regression" (an autoencoder's reconstructions in (0, 1),
                                          multi-hot rows too: binarised pixels are such rows)
anything else with mse / sse              "regression"
integer labels (n,) on several outputs    "multiclass"
=======================================  ==============

A network already "multilabel" (set with ``net.task = "multilabel"``, or from an earlier ``fit`` or its
file) stays so when a ``fit`` gives it rows of 0/1 that happen to hold one 1 each, with binary cross-entropy
or Sigmoid outputs (:func:`kept_task`): those rows are labels that may come several to a sample, which is how
``nnscratch train`` learns a table's several 0/1 target columns (``--target cat,dog,bird``).

A Sigmoid squashes values into (0, 1); only its loss says they are class probabilities. Several
sigmoid units trained with squared error on rows of values are what Keras and PyTorch users call a
reconstruction (784-32-784 on images): ``predict`` returns the values, ``evaluate`` r2 and errors.
Set ``net.task = "multilabel"`` where such rows are labels.

"multilabel" is scikit-learn's multilabel-indicator target (Keras: sigmoid units with binary
cross-entropy): ``predict`` returns ``(n_samples, n_outputs)`` rows of int 0/1, each output
thresholded where :func:`binary_threshold` says, ``predict_proba`` the per-label probabilities,
and the accuracy of ``fit``/``evaluate`` is the subset accuracy (a row counts when every one of
its labels is right), as scikit-learn's ``accuracy_score`` scores indicator rows.

``fit`` fixes it from the loss actually used; it is saved with the model
(files written before it existed derive it from the output layer).
"""

from ..errors import ConfigError
from ..layers import Identity, Sigmoid, Softmax
from ..losses import BinaryCrossEntropy, CrossEntropy

TASKS = ("multiclass", "binary", "multilabel", "regression")


def derive_task(output_layer, n_outputs, loss, labels_given=False, rows=None):
    """The task of a network ending in ``output_layer`` (``n_outputs`` units) trained with
    ``loss`` (a Loss); ``labels_given``: the targets are integer class labels ``(n,)``; ``rows``:
    "one-hot" (rows of one 1 and zeros) or "multi-hot" (rows of 0s and 1s, not all one-hot) where the
    targets are such rows (:func:`~nnscratch.host_arrays.zero_one_rows`), else None."""
    if isinstance(output_layer, Softmax) or isinstance(loss, CrossEntropy):
        return "multiclass"
    if isinstance(loss, BinaryCrossEntropy):
        return "binary" if n_outputs == 1 else "multilabel" if rows == "multi-hot" else "multiclass"
    if isinstance(output_layer, Sigmoid) and n_outputs == 1:
        return "binary"
    if isinstance(output_layer, Sigmoid) and rows == "one-hot":
        return "multiclass"
    if labels_given and n_outputs > 1:
        return "multiclass"
    return "regression"


def kept_task(previous, derived, output_layer, loss, y):
    """The task a ``fit`` on targets ``y`` fixes where :func:`derive_task` gave ``derived`` and the network's task
    was ``previous``: "multilabel" kept on rows of 0/1 (one-hot ones included) with binary cross-entropy or a
    Sigmoid output and several units, as every later batch of labels may hold several; else ``derived``."""
    if previous != "multilabel" or derived not in ("multiclass", "regression") or isinstance(loss, CrossEntropy):
        return derived
    if not isinstance(loss, BinaryCrossEntropy) and not isinstance(output_layer, Sigmoid):
        return derived
    from ..host_arrays import zero_one_rows
    return "multilabel" if zero_one_rows(y) is not None else derived


def check_task(task, n_outputs=None):
    """``task`` if it is one of :data:`TASKS` and fits ``n_outputs`` (None: open), else a ConfigError.
    "binary" is one output unit, "multiclass" and "multilabel" several, as :func:`derive_task` gives them:
    "binary" on a 3-unit output scored class 0 against the argmax, "multiclass" on one unit the argmax of one
    column, "multilabel" on one unit is "binary"."""
    if task not in TASKS:
        raise ConfigError(f"task must be one of {', '.join(map(repr, TASKS))}; got {task!r}.")
    if n_outputs is not None and task != "regression" and (task == "binary") != (n_outputs == 1):
        fits = "'binary'" if n_outputs == 1 else "'multiclass' (one label per row), 'multilabel' (several)"
        raise ConfigError(f"task {task!r} needs {'one output unit' if task == 'binary' else 'several output units'}, "
                          f"but this network has {n_outputs}; set task={fits} or 'regression' (values).")
    return task


def binary_threshold(output_layer):
    """Where a one-unit binary output (and each unit of a "multilabel" one) splits 0 from 1: 0.5 on
    probabilities (a Sigmoid's, or a Softmax's where ``task = "multilabel"`` was set on one), 0 on raw
    logits (an Identity output trained with binary cross-entropy)."""
    return 0.5 if isinstance(output_layer, (Sigmoid, Softmax)) else 0.0


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

