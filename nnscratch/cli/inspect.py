"""``nnscratch evaluate`` and ``nnscratch predict``: use a saved model.

The input files ``predict`` reads (images, .npy, CSV) become rows of the model's inputs in
:mod:`nnscratch.cli.inputs`."""

import math
import sys

import numpy as np

from . import tables, values
from .confusion import confusion_matrix, matrix_text, per_class_table
from .inputs import read_inputs
from .jsonline import json_line
from .memory import said_before, warn_budget
from .predictions import each_input, json_warnings, print_predictions
from .options import add_backend_options, add_dataset_options, differs, fits, load_for_model, model_dataset, model_rows
from .model_file import read_model


def register(subparsers):
    p = subparsers.add_parser(
        "evaluate", help="loss, accuracy, per-class precision/recall and confusion matrix",
        description="Evaluate a saved model on a dataset's test split (or --split train).")
    p.add_argument("model", type=values.PATH, help="a model file written by `nnscratch train` or Network.save")
    add_dataset_options(p, from_model=True)
    tables.add_table_options(p, from_model=True)
    p.add_argument("--split", choices=("test", "train"), default="test", help="default %(default)s")
    p.add_argument("--json", action="store_true", help="print one JSON line")
    add_backend_options(p, from_model=True)
    p.set_defaults(func=run_evaluate)

    p = subparsers.add_parser(
        "predict", help="classify images (PNG/JPEG), .npy arrays or CSV rows",
        description="Print the predicted class and its probability for every input (the output beside "
        "it where the outputs are not probabilities; a regression model's values). Images are "
        "made MNIST-like first: grey, inverted if the background is light, cropped to the ink and "
        "centred in 28x28 (needs Pillow). A .npy holds one input or rows of inputs; a CSV holds "
        "one input per row (a header line and a label column, the one the header names label/target/class/y, "
        "else the leading one, are skipped; a table model takes the "
        "columns its header names as the model's features, in any order, or without a header every column in "
        "order). An array's last axis holds one input (an image model's also 28x28; a CNN built with open image "
        "sizes takes (n, C, H, W), (n, H, W) or flat square images of a size its layers take). Values above 1 "
        "are taken, for image models, as 0..255 grey levels and divided by 255. An input that cannot be read is "
        "one error line; the others are still predicted, and the exit status is 2.")
    p.add_argument("model", type=values.PATH, help="a model file written by `nnscratch train` or Network.save")
    p.add_argument("inputs", nargs="+", type=values.PATH, metavar="INPUT", help="image, .npy or .csv files")
    p.add_argument("--classes", type=values.NAME, metavar="DATASET", help="name the classes as in this dataset, "
                   "e.g. fashion-mnist (default: the class names the model remembers)")
    p.add_argument("--json", action="store_true", help="print one JSON line per input row")
    add_backend_options(p, from_model=True)
    p.set_defaults(func=run_predict)


def load_model(args):
    return read_model(args.model, backend=args.backend, dtype=args.dtype, command=args.command)


# ---------------------------------------------------------------- evaluate

def run_evaluate(args):
    net = load_model(args)
    given = args.dataset
    check_target(args, net, given)
    check_remembered(args, net, given)
    model_dataset(args, net)
    data = load_for_model(args, net, args.model)
    trained_task = net.metadata.get("task")  # said before fits(): --task regression on a classifier is no shape error
    if trained_task and tables.is_table(data) and data.task != trained_task:
        from ..errors import ConfigError
        raise ConfigError(f"{args.model} was trained for {trained_task} and these data make a {data.task} "
                          f"(target {data.target_name!r}); evaluate it "
                          f"{'without --task' if trained_task == 'multilabel' else '--task ' + trained_task} on its own target.")
    fits(net, data, args.model)
    warning = (differs(net, data, args.model, given) if given is not None else None) or split_differs(args, net, data) \
        or table_changed(args, net, data)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    data = tables.as_the_model_sees(net, data)
    if tables.is_regression(data) or net.metadata.get("task") == "regression":
        return tables.evaluate_table(args, net, data, warning)
    X, y = (data.X_test, data.y_test) if args.split == "test" else (data.X_train, data.y_train)
    X = model_rows(net, X)  # a CNN without a Reshape layer takes the flat images as (n, 1, 28, 28)
    warn_budget(net, X, None, training=False, option=None)  # evaluate's batches: INFERENCE_BATCH rows
    with said_before(), np.errstate(over="ignore", invalid="ignore"):  # said above; an overflow just below
        scores = net.evaluate(X, y)
        predicted = net.backend.to_numpy(net.predict(X)).astype(np.int64).reshape(-1)
        overflow = overflowed(net, X, f"{data.name}'s {args.split} split", scores)
    if overflow:
        print(f"warning: {overflow}", file=sys.stderr)
    warning = [warning, overflow]
    if net.task == "multilabel":
        return evaluate_multilabel(args, net, data, len(y), scores, warning)
    k = max(data.n_classes, net.n_outputs if net.n_outputs > 1 else 2)
    matrix = confusion_matrix(y, predicted, k)
    if args.json:
        print(json_line({"model": args.model, "dataset": data.name, "split": args.split,
                          "samples": len(y), **scores, "confusion_matrix": matrix.tolist(),
                          **json_warnings(*warning)}))
        return 0
    from ..models.summary import architecture
    print(f"{args.model}: {architecture(net)} on {net.backend}")
    print(f"{data.name} {args.split} split, {len(y)} sample{'s' * (len(y) != 1)}: loss {loss_text(scores['loss'])}, "
          f"accuracy {scores['accuracy']:.2%}\n")
    names = tuple(data.class_names or ())  # classes the data lack, which the model predicts: by number
    names += tuple(str(i) for i in range(len(names), k))
    print(per_class_table(matrix, names))
    print("\nconfusion matrix (rows: true class, columns: predicted class)")
    print(matrix_text(matrix, names))
    return 0


def evaluate_multilabel(args, net, data, n, scores, warning):
    """``evaluate`` of a multilabel model: its loss and subset accuracy; no confusion matrix, which counts one
    class per sample (scikit-learn's ``multilabel_confusion_matrix`` counts each label's instead)."""
    from ..models.summary import architecture
    if args.json:
        print(json_line({"model": args.model, "dataset": data.name, "split": args.split, "task": net.task,
                          "samples": n, **scores, **json_warnings(*warning)}))
        return 0
    print(f"{args.model}: {architecture(net)} on {net.backend}")
    print(f"{data.name} {args.split} split, {n} sample{'s' * (n != 1)}: loss {loss_text(scores['loss'])}, "
          f"subset accuracy {scores['accuracy']:.2%} (multilabel: the rows whose {net.n_outputs} labels are all right)")
    return print("(no confusion matrix: it counts one class per sample, and this model predicts a row of 0/1 labels; "
                 "sklearn.metrics.multilabel_confusion_matrix(y, model.predict(X)) counts each label's)") or 0


def loss_text(loss):
    """A loss to 4 decimals, as the epoch lines give it; one too large for them (1e+36, not 37 digits) to 4 figures."""
    return f"{loss:.4f}" if abs(loss) < 1e6 or not math.isfinite(loss) else f"{loss:.4g}"


def overflowed(net, X, where, scores):
    """``evaluate``'s warning (or None) where the loss is not a number: inputs far beyond what the network learnt
    overflow its arithmetic into NaN (numpy's own words, "overflow encountered in matmul", name no row or fix)."""
    if math.isfinite(scores["loss"]):
        return None
    out = np.asarray(net.backend.to_numpy(net.predict_proba(X)), dtype=np.float64).reshape(len(X), -1)
    n, dtype = int(np.sum(~np.all(np.isfinite(out), axis=1))), net.get_config()["dtype"]
    rows = f"the network's outputs for {n} of the {len(X)} rows of {where} are not numbers" if n else \
        f"the rows of {where} give outputs the loss cannot take"
    return (f"the loss is not a number (NaN or infinite): {rows}, their values too large for the network's {dtype} "
            f"arithmetic, which overflowed; the accuracy counts predictions that mean nothing: check those rows"
            f"{', or pass --dtype float64' if dtype != 'float64' and net.backend.has_float64 else ''}")


def check_remembered(args, net, given):
    """A model that does not remember its data set (saved by ``Network.save`` of one's own) and takes no MNIST
    digits: ``--dataset`` is needed, said as ``plot`` says it (not as a 784-feature mnist-sample it never named)."""
    from .options import sample_shape
    if given is not None or (net.metadata.get("dataset") or {}).get("spec") or sample_shape(net, 784) is not None:
        return
    from ..errors import ConfigError
    n = net.n_inputs
    raise ConfigError(f"{args.model} does not remember the data it was trained on, and takes {n} "
                      f"input{'s' * (n != 1)}, "
                      "not the 784 of the default mnist-sample: name its data with --dataset (xor, spirals, moons, "
                      "blobs, csv:PATH ...).")


def check_target(args, net, given):
    """``evaluate`` of a model on its own CSV table (``given``: --dataset, None) by another --target is
    refused: the model's outputs are the target it was trained on."""
    from ..datasets.catalog import file_kind
    from ..errors import ConfigError
    trained, spec = net.metadata.get("target"), (net.metadata.get("dataset") or {}).get("spec", "")
    same = (trained, trained.removeprefix("column ")) if trained else ()  # a table without header: "column 3"
    asked = ",".join(part.strip() for part in str(args.target).split(","))  # "a, b" names columns a and b too
    if given is None and trained and args.target is not None and asked not in same \
            and file_kind(spec)[0] == "csv":
        raise ConfigError(f"--target {args.target}: {args.model} was trained on target {trained!r} of its table "
                          "and predicts that column; drop --target to evaluate it on its own target.")


def split_differs(args, net, data):
    """A warning (or None) when the test split ``evaluate`` scores (``plot`` draws) of the model's own data, drawn
    with another --seed or --test-fraction than training's, holds rows the model trained on: a table's, or the
    split of data that draw theirs (spirals, moons, blobs, a digit CSV: another --seed of the generated sets draws
    other points, none of them trained on)."""
    from .recipe import dataset_metadata
    from ..datasets import load_dataset
    then = net.metadata.get("dataset") or {}
    drawn = any(note.startswith("held out") for note in data.notes) if tables.is_table(data) else \
        then.get("test_fraction") is not None  # the generated sets and a digit CSV: it is kept where they draw one
    if getattr(args, "split", "test") != "test" or "seed" not in then or not drawn:
        return None
    now = dataset_metadata(args, data, net)
    if now["spec"] != then.get("spec") or all(now[k] == then.get(k, now[k]) for k in ("seed", "test_fraction")):
        return None
    options = dict(tables.table_options(args), test_fraction=then.get("test_fraction", now["test_fraction"]))
    trained = {row.tobytes() for row in load_dataset(args.dataset, seed=then["seed"], **options).X_train}
    seen = sum(row.tobytes() in trained for row in data.X_test)
    if not seen:
        return None
    return (f"this test split (seed {now['seed']}, test fraction {now['test_fraction']:g}) is not the one "
            f"{getattr(args, 'model', None) or args.path} was trained beside (seed {then['seed']}, test fraction "
            f"{options['test_fraction']:g}): "
            f"{seen} of its {len(data.X_test)} rows are rows the model trained on, so the scores read high; "
            f"pass --seed {then['seed']} --test-fraction {options['test_fraction']:g} (its training split's) to score "
            "its own test split.")


def table_changed(args, net, data):
    """A warning (or None) when the model's own table file, read with the model's --seed and --test-fraction, holds
    other rows than it was trained beside (rows added, removed or edited since: its training split's features have
    other means and standard deviations than the model keeps): the test split drawn now may hold rows it trained on."""
    from .recipe import dataset_metadata
    from ..datasets.preprocessing import mean_std
    then, kept = net.metadata.get("dataset") or {}, net.metadata.get("standardize") or {}
    if not tables.is_table(data) or not kept or "seed" not in then:
        return None
    now = dataset_metadata(args, data, net)
    if now["spec"] != then.get("spec") or any(now[k] != then.get(k, now[k]) for k in ("seed", "test_fraction")):
        return None  # other data (differs says so) or another split (split_differs)
    figures = mean_std(data.X_train)
    if all(np.shape(a) == np.shape(kept[k]) and np.allclose(a, kept[k], rtol=1e-12, atol=0)
           for a, k in zip(figures, ("mean", "std"))):
        return None
    model = getattr(args, "model", None) or args.path
    return (f"{data.name} has changed since {model} was trained on it (the means and standard deviations of its "
            "feature columns on the training split differ: rows added, removed or edited), so this test split is not "
            "the one it was trained beside: it may hold rows the model trained on, and its scores are not the model's "
            "test scores; score it on the table as it was, or train it again.")


# ---------------------------------------------------------------- predict

def run_predict(args):
    net = load_model(args)
    if args.classes and net.task == "regression":  # first: a regression table model names no classes either
        from ..errors import ConfigError
        raise ConfigError(f"--classes {args.classes} names classes; {args.model} is a regression model, whose "
                          "predictions are values: drop --classes.")
    if tables.is_table_model(net):
        if args.classes:
            from ..errors import ConfigError
            raise ConfigError(f"--classes {args.classes} names image classes; {args.model} is a table model that "
                              "names its own classes: drop --classes.")
        return each_input(args.inputs, lambda path: tables.print_predictions(args, net, path,
                                                                               read_inputs(path, net, args.model)[0]))
    names, named = class_names(args.classes, net)
    if named:
        print(f"warning: {named}", file=sys.stderr)

    def one(path):
        X, notes, problems = read_inputs(path, net, args.model)
        warning = f"{path} cannot be a digit: {'; '.join(problems)}; its prediction means nothing" if problems else None
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
        print_predictions(net, model_rows(net, X), path, names, args.json, (named, warning))
        if notes and not args.json:
            print(f"  ({'; '.join(notes)})")
    return each_input(args.inputs, one)


def class_names(dataset, net=None):
    """``(names, warning or None)``: from ``--classes DATASET`` (said where they are not the model's), else those
    the model remembers, else none."""
    remembered = tuple(((getattr(net, "metadata", None) or {}).get("dataset") or {}).get("class_names") or ())
    if not dataset:
        return remembered, None
    from ..datasets.fetch import SOURCES
    from ..errors import ConfigError, unknown_name
    dataset = "mnist" if dataset == "mnist-sample" else dataset  # the shipped sample of mnist: its digits
    if dataset not in SOURCES:
        from ..datasets.catalog import NAMES, file_kind
        if dataset in NAMES or file_kind(dataset)[0]:  # spirals, csv:PATH ...: no names of their own to give
            raise ConfigError(f"--classes {dataset}: {dataset} gives no class names; --classes takes mnist, "
                              "mnist-sample or fashion-mnist (drop it to use the names the model remembers).")
        raise unknown_name("--classes dataset", dataset, SOURCES)
    names, k = SOURCES[dataset].class_names, (net.n_outputs if net.n_outputs > 1 else 2) if net else None
    if k is not None and len(names) != k:
        raise ConfigError(f"--classes {dataset} names {len(names)} classes, but the model predicts {k}; drop "
                          f"--classes, or name a dataset of {k} classes.")
    if remembered and tuple(names) != remembered:
        return names, (f"--classes {dataset} names the classes {', '.join(names[:3])}, ... but the model was trained "
                       f"on classes {', '.join(remembered[:3])}, ...; the names below are not what it learned")
    return names, None
