"""Whether a saved model's outputs answer a data set's targets: what ``evaluate`` (and ``plot``'s pictures
of data) check before scoring, through :func:`~nnscratch.cli.options.fits`.

The model's task (:attr:`~nnscratch.Network.task`) says what its outputs are, the data say what their
targets are; each mismatch is refused in one line, as scikit-learn's ``score`` refuses labels its
classifier never saw:

==========================================  =============================================
model / data                                 answer
==========================================  =============================================
regression model / class labels              refused: values cannot be scored as classes
classifier / value targets (regression)      refused: classes cannot be scored as values
regression, k outputs / m target columns     refused unless k == m
binary (one output) / more than 2 classes    refused: it only ever says class 0 or 1
k-class model / m classes, m <= k            accepted: the data's labels are classes it knows
k-class model / m classes, m > k             refused: labels k..m-1 are classes it lacks
multilabel, k outputs / rows of k labels     accepted (scored by the subset accuracy)
multilabel / class labels                    accepted: each label is a row holding that one 1
other model / rows of labels (multilabel)    refused: it does not predict several labels per sample
multilabel, k outputs / rows of m labels     refused unless k == m
==========================================  =============================================

A 10-class model on 2-class data is scored as Keras' ``evaluate`` and scikit-learn's metrics score
it: labels 0 and 1 are two of its ten classes, and its predictions of the other eight count as errors.
"""

from ..errors import ShapeError


def refuse_other_targets(net, data, model):
    """A ShapeError unless the outputs of ``net`` (saved at ``model``) answer ``data``'s targets."""
    refuse_open_outputs(net, model)
    values, k, m = getattr(data, "task", None) == "regression", net.n_outputs, data.n_classes
    task, name = net.task, data.name
    outputs = f"{k} output{'s' * (k != 1)}"
    if task == "regression" and not values:
        held = f"rows of {m} 0/1 labels" if getattr(data, "task", None) == "multilabel" else f"class labels ({m} classes)"
        raise ShapeError(f"{model} is a regression model ({outputs}: values, not classes) but {name} holds {held}; evaluate it on data whose targets are {k} value"
                         f"{'s' * (k != 1)} per sample (npz:PATH or npy:X.npy,Y.npy with Y of shape (n, {k}); "
                         "a table, or rows of 0/1, with --task regression).")
    if task != "regression" and values:
        on = (f"rows of {k} 0/1 labels (npy:X.npy,Y.npy with Y of shape (n, {k}), read as multilabel without --task)"
              if task == "multilabel" else "class labels (--task classification for a table of them")
        raise ShapeError(f"{model} is a {task} classifier ({outputs}) but {name}'s targets are values (regression, "
                         f"{m} target column{'s' * (m != 1)}); evaluate it on {on}, or the data it was trained on).")
    rows = getattr(data, "task", None) == "multilabel"
    if rows and task in ("multiclass", "binary"):
        raise ShapeError(f"{model} is a {task} classifier ({outputs}: one class per sample) but {name}'s targets are "
                         f"rows of {m} 0/1 labels (multilabel); evaluate it on class labels, or train a multilabel "
                         f"model on these (nnscratch train --dataset ... with these rows).")
    if rows and task == "multilabel" and k != m:
        raise ShapeError(f"{model} predicts {k} labels per sample but {name}'s rows hold {m}; use the dataset the "
                         "model was trained on.")
    if values and k != m:
        raise ShapeError(f"{model} has {outputs} but {name} has {m} target column{'s' * (m != 1)}; use the "
                         "dataset the model was trained on.")
    if task == "binary" and m > 2:
        raise ShapeError(f"{model} is a binary classifier (one output: class 0 or 1) but {name} has {m} classes; "
                         f"evaluate it on two-class data, or train one with {m} outputs (softmax) on these.")
    if not values and 1 < k < m:
        raise ShapeError(f"{model} has {outputs} but {name} has {m} classes; use the dataset the model was "
                         "trained on.")


def refuse_open_outputs(net, model):
    """A ShapeError where ``net``'s output size follows the image size (convolutions to the end, no Flatten):
    scores compare a fixed count of outputs with as many targets per sample."""
    shape = tuple(net.output_shape)
    if None in shape:
        sizes = ", ".join("?" if n is None else str(n) for n in shape)
        raise ShapeError(f"{model} ends in outputs of shape ({sizes}), whose size follows the images it is given, "
                         "and scores need a fixed count of outputs per sample; `nnscratch predict` gives its "
                         "outputs, or build it with input_shape=(C, H, W) of your images and train it again.")
