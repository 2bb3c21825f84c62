"""``nnscratch predict``'s figures: each row's class and how sure the network is of it (a "multilabel"
model: each row's set of labels, :func:`print_label_sets`), or a regression model's values.

The class is :meth:`~nnscratch.Network.predict`'s (its task and one-unit threshold), so the command
line and Python never disagree. Beside it goes the class's probability where the network's outputs
are probabilities (a softmax or sigmoid output, or logits trained with cross-entropy); an identity
output trained with mse gives scores, not probabilities, and its figure is called an output. A
network whose task is regression has no class: its output values are printed, image and table
models alike, and so are those of a network whose output size follows its input's (convolutions to
the end, an image out per image in), which has no class count.

With ``--json`` each row's ``"class"`` is the model's index (0, 1, ...) and ``"name"`` the label in
its own type, as scikit-learn's ``classes_`` keeps it: a number where every class name reads as one
(MNIST's digits, a table's 0/1 column: ``7``), text otherwise (Fashion-MNIST's ``"Sneaker"``). One
model's names are all of one type (:func:`json_labels`).

Every input is predicted on its own (:func:`each_input`): one that cannot be read is one error line,
and the others are still predicted.
"""

import sys

import numpy as np

from ..layers import Sigmoid, Softmax
from ..models.task import probability_link
from .jsonline import json_line


def each_input(paths, predict_one):
    """Call ``predict_one(path)`` for every path, as ``make -k`` goes on past a failed target: an input that
    cannot be used (missing, not a picture, rows of another width: a user's mistake, exit status 2) is said
    in one ``error: ...`` line on stderr and the next one is predicted; returns 2 if any was, else 0. A bug
    (exit status 1), Ctrl-C and a reader gone (``| head``) stop at once; one input alone fails as any error."""
    from .app import one_line
    from ..errors import exit_status
    status = 0
    for path in paths:
        try:
            predict_one(path)
        except Exception as exc:
            if len(paths) == 1 or exit_status(exc) != 2 or isinstance(exc, BrokenPipeError):
                raise
            sys.stdout.flush()  # the rows before it first, so the error line sits where it happened
            print(one_line(exc), file=sys.stderr, flush=True)
            status = 2
    return status


def gives_probabilities(net):
    """Whether ``net.predict_proba`` returns probabilities rather than raw outputs."""
    output = net.layers[-1]
    return isinstance(output, (Softmax, Sigmoid)) or probability_link(output, net.resolve_loss()) is not None


def class_rows(net, X):
    """``(labels, figures, word, out)``: each row's class, the figure beside it, what that figure is
    ("probability" or "output") and the outputs it was read from."""
    labels = np.asarray(net.backend.to_numpy(net.predict(X))).astype(np.int64)
    out = np.asarray(net.backend.to_numpy(net.predict_proba(X)), dtype=np.float64)
    word = "probability" if gives_probabilities(net) else "output"
    if out.shape[1] == 1:  # one unit: the figure of the class it says
        figures = np.where(labels == 1, out[:, 0], 1 - out[:, 0]) if word == "probability" else out[:, 0]
    else:
        figures = out[np.arange(len(out)), labels]
    return labels, figures, word, out


def not_numbers(net, path, out):
    """``(a bool per row: its outputs are all numbers, the warning for the rows whose are not, or None)``.
    Inputs far beyond what the network learnt (a column of 1e38 where it trained on tens) overflow its
    arithmetic into NaN, which is no class, no label and no value: such a row gets none, ``null`` in JSON,
    and the warning says why, once per input file."""
    finite = np.all(np.isfinite(out.reshape(len(out), -1)), axis=1)
    bad = np.flatnonzero(~finite).tolist()
    if not bad:
        return finite, None
    where = path if len(finite) == 1 else f"{path}[{few(bad)}]"
    dtype = net.get_config()["dtype"]
    return finite, (f"{where}: the network's output is not a number (NaN or infinite), so there is no prediction: "
                    f"the input values are too large for its {dtype} arithmetic, which overflowed; check them"
                    f"{', or pass --dtype float64' if dtype != 'float64' and net.backend.has_float64 else ''}")


def _said(path, net, out, said):
    """``(finite rows, said + the warning of the rows that are not)``, the warning printed on stderr."""
    finite, warning = not_numbers(net, path, out)
    if warning:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    return finite, (*said, warning)


def print_predictions(net, X, path, names, as_json, said=()):
    """One line per row of ``X`` (read from ``path``): its class (:func:`print_classes`), or a
    regression model's values (:func:`print_values`); ``said``: the warnings said of them (JSON's "warnings")."""
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is said as the rows it left without a figure
        if None in net.output_shape or net.task == "regression":  # the first: no task without an output count
            return print_values(net, X, path, as_json, said)
        if net.task == "multilabel":
            return print_label_sets(net, X, path, names, as_json, said)
        return print_classes(net, X, path, names, as_json, said)


def print_values(net, X, path, as_json, said=()):
    """``path[i]: 0.25, 1.5`` per row of ``X``: a regression model's outputs (what ``Network.predict``
    returns for it: the forward pass), or JSON with ``value``; images out are given as rows."""
    out = np.asarray(net.backend.to_numpy(net.forward(X)), dtype=np.float64).reshape(len(X), -1)
    said = _said(path, net, out, said)[1]  # NaN is printed as it is, null in JSON
    for i, row in enumerate(out):
        where = path if len(out) == 1 else f"{path}[{i}]"
        values = [float(v) for v in row]
        if as_json:
            print(json_line({"input": where, "value": values[0] if len(values) == 1 else values,
                              **json_warnings(*said)}))
        else:
            print(f"{where}: {', '.join(f'{v:.6g}' for v in values)}")


def json_warnings(*said):
    """The JSON keys of the warnings ``said`` on stderr (None: none): ``"warnings"``, the list train --json
    gives every command's result, and ``"warning"``, the one text evaluate and predict gave first."""
    said = [w for w in said if w]
    return {"warning": said[0], "warnings": said} if said else {}


def json_labels(names):
    """The class names as JSON gives them: the user's labels in their own type. A target of numbers (every
    name reads as one, as the table reader decided: :func:`~nnscratch.datasets.targets.encode_target`)
    gives numbers, ``2`` or ``0.5``; text stays text (``"setosa"``, ``"true"``, a column mixing ``1`` and
    ``a``). ``"class"`` beside it is the model's index of that class (0, 1, ...)."""
    from ..datasets.targets import _numeric
    numeric, numbers = _numeric(np.asarray(list(names), dtype=str)) if len(names) else (False, None)
    if not numeric or not np.all(np.isfinite(numbers)):
        return list(names)
    return [int(v) if v.is_integer() else v for v in numbers.tolist()]


def print_classes(net, X, path, names, as_json, said=()):
    """One line per row of ``X`` (read from ``path``): ``path[i]: name (probability 0.987)``, or JSON with
    ``class`` (the model's index), ``name`` (the label: :func:`json_labels`) and the figure."""
    labels, figures, word, out = class_rows(net, X)
    finite, said = _said(path, net, out, said)
    values = json_labels(names)
    text = any(isinstance(v, str) for v in values)  # a class beyond the names keeps their type: "3" beside "cat"
    for i, (label, figure) in enumerate(zip(labels.tolist(), figures.tolist())):
        where = path if len(labels) == 1 else f"{path}[{i}]"
        name = names[label] if label < len(names) else str(label)
        if not finite[i]:  # NaN is no class (numpy's argmax calls it the first)
            print(json_line({"input": where, "class": None, "name": None, word: None, **json_warnings(*said)})
                  if as_json else f"{where}: no class (the output is not a number)")
        elif as_json:
            value = values[label] if label < len(values) else name if text else label
            print(json_line({"input": where, "class": label, "name": value, word: figure,
                              **json_warnings(*said)}))
        else:
            print(f"{where}: {name} ({word} {figure:.3f})")


def print_label_sets(net, X, path, names, as_json, said=()):
    """A "multilabel" model's rows: ``path[i]: cat, dog (probability 0.912, 0.871)``, the labels
    :meth:`~nnscratch.Network.predict` sets in its indicator row (``(no label)`` where it sets none), each
    with its figure; JSON gives ``labels`` (the indicator row), ``classes`` (the indices set), ``names``
    and the figure of every label (a list of ``n_outputs``)."""
    indicators = np.asarray(net.backend.to_numpy(net.predict(X))).astype(np.int64)
    out = np.asarray(net.backend.to_numpy(net.predict_proba(X)), dtype=np.float64)
    word, values = "probability" if gives_probabilities(net) else "output", json_labels(names)
    finite, said = _said(path, net, out, said)
    for i, row in enumerate(indicators):
        where = path if len(indicators) == 1 else f"{path}[{i}]"
        classes = [int(j) for j in np.flatnonzero(row)]
        if not finite[i]:  # NaN sets no label, nor leaves one out
            print(json_line({"input": where, "labels": None, "classes": None, "names": None,
                             word: [float(v) for v in out[i]], **json_warnings(*said)})
                  if as_json else f"{where}: no labels (the output is not a number)")
        elif as_json:
            print(json_line({"input": where, "labels": row.tolist(), "classes": classes,
                              "names": [values[j] if j < len(values) else j for j in classes],
                              word: [float(v) for v in out[i]], **json_warnings(*said)}))
        elif not classes:
            print(f"{where}: (no label)")
        else:
            shown = ", ".join(names[j] if j < len(names) else str(j) for j in classes)
            print(f"{where}: {shown} ({word} {', '.join(f'{out[i, j]:.3f}' for j in classes)})")


def few(names, most=8):
    """Names for a message: all of them, or the first ``most`` and "..."."""
    names = [str(n) for n in names]
    return ", ".join(names[:most]) + (", ..." if len(names) > most else "")
