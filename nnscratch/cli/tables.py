"""Command-line pieces for tables, hooked into train/evaluate/predict.

Tables (``--dataset csv:PATH``, ``npz:PATH``, ``npy:X.npy,y.npy``): ``--target``,
``--task``, ``--test-fraction``; features standardised on the training split
with the figures saved in the model's metadata (with the class names, the
task, the feature and target names), so ``evaluate`` and ``predict`` scale
raw rows the same way and print class names. Regression reports RMSE, MAE
and R^2. The learning-rate schedule flags are :mod:`nnscratch.cli.schedules`.
"""

import dataclasses
import json
import math

import numpy as np

from . import values
from . import predictions
from .predictions import few  # noqa: F401  (tables.few: what other commands' messages call it)
from .defaults import TABLE_DEFAULTS, TABLE_EPOCHS, TABLE_STEPS
from ..datasets.catalog import TEST_FRACTION
from ..datasets.tables import TARGET_NAMES, TableDataset
from ..datasets.targets import MAX_CLASSES, TASKS
from ..saving.standardizer import standardize_for


def add_table_options(parser, from_model=False):
    """--target, --task, --test-fraction; with ``from_model`` (evaluate, plot) they default to what
    the model remembers of its table."""
    remembered = " (default: what the model was trained with, else " if from_model else " (default: "
    parser.set_defaults(one_class=from_model)  # a trained model's rows may be of one class; training's not
    group = parser.add_argument_group("tables (csv:PATH, npz:PATH, npy:X.npy,y.npy)")
    group.add_argument("--target", type=values.NAME, metavar="NAME|INDEX", help="the target column" + remembered
                       + "a column named " + "/".join(TARGET_NAMES) + ", else the last); several, comma-separated "
                       "(a,b,c), for columns of 0/1 labels (multilabel) or of values (regression)")
    group.add_argument("--task", choices=TASKS, help="what to learn" + remembered + "regression for a target "
                       f"with fractional values or more than {MAX_CLASSES} distinct values, else classification; "
                       "several columns of 0/1: multilabel, even where every row holds one 1 (--task multiclass, "
                       "a synonym of classification, reads such one-hot columns as classes), or regression with "
                       "--task regression; multilabel of one 0/1 column: a binary classification)")
    group.add_argument("--test-fraction", type=values.OPEN_FRACTION, default=None, metavar="F",
                       help="share held out (seeded, stratified for classes) as the test split of data that come "
                       f"without one: tables, a digit csv, spirals, moons, blobs{remembered}{TEST_FRACTION:g})")


def table_options(args):
    """Keyword options for :func:`nnscratch.datasets.load_dataset` from the table flags; ``one_class`` for
    evaluate and plot (a CSV or array file of one class is rows to score a model on, which knows its classes);
    ``features``: the model's feature names (``args.features``, set by
    :func:`~nnscratch.cli.options.model_dataset`), so that evaluate and plot read only the columns it uses."""
    fraction, task = getattr(args, "test_fraction", None), getattr(args, "task", None)
    return {"target": getattr(args, "target", None), "task": "classification" if task == "multiclass" else task,
            "test_fraction": TEST_FRACTION if fraction is None else fraction,
            "one_class": getattr(args, "one_class", False), "features": getattr(args, "features", None)}


def drawn_split(args, name, load):
    """``load()``, the data set ``name``; where --test-fraction draws the test split of data that come without one,
    a fraction that leaves no rows for training or holds none out is one line in the option's words (the splitter
    of the generated sets and a digit CSV words it as validation's ``val_fraction``, and an empty test split ended
    in a NumPy error)."""
    import warnings
    from ..errors import ConfigError, DataError, DataWarning
    given = getattr(args, "test_fraction", None)
    fraction = TEST_FRACTION if given is None else given  # the default draws the split too: said in its words
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="val_fraction=", category=DataWarning)  # said below
        try:
            data = load()
        except DataError as exc:
            if not str(exc).startswith("val_fraction="):
                raise
            raise ConfigError(f"--test-fraction {fraction:g} leaves none of the rows of {name} for training; lower "
                              f"it (default {TEST_FRACTION:g}).") from None
    if len(data.X_test) == 0:
        raise ConfigError(f"--test-fraction {fraction:g} of the {len(data.X_train)} rows of {name} holds none out as "
                          f"its test split; raise it (default {TEST_FRACTION:g}).")
    return data


# ---------------------------------------------------------------- train

def is_table(data):
    """Whether ``data`` were read from a file of yours (csv:, npz:, npy:): a target and a task to remember."""
    return isinstance(data, TableDataset)


def is_scaled(data):
    """Whether ``data``'s features are standardised for training: a table's, not images' (an array of images is
    learnt as the MNIST ones are, each pixel as it is: a convolution slides the same weights over them all)."""
    return is_table(data) and data.standardize


def is_regression(data):
    return getattr(data, "task", None) == "regression"


def table_defaults(data, base):
    """Defaults for a table: TABLE_DEFAULTS (a small MLP, Adam at 3e-3, batches of 32) for about
    TABLE_STEPS steps (TABLE_EPOCHS: 20..300 epochs)."""
    if not is_table(data):  # arrays of images too: a recipe by steps suits a few hundred of them
        return base
    batches = math.ceil(len(data.X_train) / TABLE_DEFAULTS["batch_size"])
    low, high = TABLE_EPOCHS
    return dict(TABLE_DEFAULTS, epochs=int(min(high, max(low, math.ceil(TABLE_STEPS / batches)))))


def prepare_training(data):
    """``(data with standardised features, metadata for the model)``; images pass through unchanged, with
    what a model of an array of images remembers of its target (the task and class names)."""
    if not is_table(data):
        return data, {}
    if not data.standardize:
        return data, {"task": data.task, "class_names": list(data.class_names), "target": data.target_name}
    from ..datasets.preprocessing import mean_std
    from ..saving.standardizer import Standardizer
    scaler = Standardizer(*mean_std(data.X_train))  # a constant column keeps std 1
    scaled = dataclasses.replace(data, X_train=scaler.transform(data.X_train, np.float64),  # the network casts
                                 X_test=scaler.transform(data.X_test, np.float64))     # them to its dtype
    metadata = {"task": data.task, "class_names": list(data.class_names), "target": data.target_name,
                "features": list(data.feature_names), "standardize": scaler.to_metadata()}
    return scaled, metadata


def in_model_order(net, data):
    """``data`` as the model learned its table: the feature columns it was trained on, found by name and put
    in its order (``evaluate``/``plot --dataset`` of a CSV with its columns reordered, or with extra ones;
    as many columns, some of other names, stay in their order: another --target of the table),
    and class labels numbered as the model's class names (a table whose target holds only some of the
    model's classes numbers them among its own). Data without the model's names pass unchanged."""
    from ..errors import DataFormatError
    features, names = list(net.metadata.get("features") or ()), list(getattr(data, "feature_names", ()) or ())
    if features and names != features and any(f in names for f in features):
        missing = [f for f in features if f not in names]
        if missing and len(names) == len(features):  # by position, with differs' warning (another --target)
            return _in_model_classes(net, data)
        if missing:  # fits would say "expects 3 inputs but csv has 2 features"
            raise DataFormatError(f"These data lack the model's feature{'s' * (len(missing) > 1)} {few(missing)} (it "
                                  f"takes {few(features)}; they have {few(names)}); name those columns in the header.")
        order = [names.index(f) for f in features]
        data = dataclasses.replace(data, X_train=data.X_train[:, order], X_test=data.X_test[:, order],
                                   feature_names=tuple(features))
    return _in_model_classes(net, data)


def _in_model_classes(net, data):
    """``data`` with its labels numbered as the model's class names, where both have names and differ."""
    from ..errors import DataFormatError
    trained, own = list(net.metadata.get("class_names") or ()), list(getattr(data, "class_names", ()) or ())
    if not trained or not own or own == trained or getattr(data, "task", None) != "classification":
        return data
    unknown = [c for c in own if c not in trained]
    if unknown:
        raise DataFormatError(f"The target of these data holds the class{'es' * (len(unknown) > 1)} {few(unknown)}, "
                              f"which the model never learned (its classes: {few(trained)}); evaluate it on rows "
                              "of those classes.")
    index = np.array([trained.index(c) for c in own], dtype=np.int64)
    return dataclasses.replace(data, y_train=index[np.asarray(data.y_train)], y_test=index[np.asarray(data.y_test)],
                               class_names=tuple(trained))


def as_the_model_sees(net, data):
    """``data``'s features scaled as the model's training table was (its metadata), for pictures and scores."""
    if not is_table_model(net):
        return data
    return dataclasses.replace(data, X_train=standardize_for(net, data.X_train), X_test=standardize_for(net, data.X_test))


def print_notes(data, options=None):
    """The table's notes (target, task, test split, the features' scaling), the schedule and clipping, one
    indented line each."""
    notes = list(getattr(data, "notes", ()))
    if is_scaled(data):  # prepare_training's scaling, said once
        notes.append("features standardised on the training split (each column to mean 0, standard deviation 1; "
                     "the model keeps the figures, so evaluate and predict scale their rows alike)")
    opt = (options or {}).get("optimizer")
    if opt is not None and opt.get_config()["lr"] != opt.lr:  # a schedule beyond lr and decay
        notes.append(f"learning rate: {opt.schedule.describe()}")
    if opt is not None and opt.clip_norm is not None:
        notes.append(f"gradients clipped to global norm {opt.clip_norm:g}")
    for c in (options or {}).get("callbacks") or []:
        if type(c).__name__ == "ReduceLROnPlateau":
            notes.append(f"learning rate halved after {c.patience} epoch{'s' * (c.patience != 1)} without a lower {c.monitor}")
    if (options or {}).get("restore_best"):
        notes.append("the weights of the epoch with the lowest val_loss are the ones kept")
    for note in notes:
        print(f"  {note}")


def score_text(test, task=None):
    """The one-line test figure: accuracy (a multilabel ``task``'s subset accuracy, said as such), or
    RMSE/MAE/R^2 for a regression."""
    if "r2" in test:
        return f"test RMSE {test['rmse']:.4g}, MAE {test['mae']:.4g}, R^2 {r2_text(test)}"
    acc = test.get("accuracy")
    if acc is None:
        return f"test loss {test['loss']:.4f}"
    return f"multilabel: test subset accuracy {acc:.2%} (rows with every label right)" if task == "multilabel" \
        else f"test accuracy {acc:.2%}"


def r2_text(scores):
    """``scores["r2"]`` as the result line says it: ``0.912``, or, for a single sample (NaN beside a finite RMSE,
    as scikit-learn's ``r2_score`` returns it), that it is undefined."""
    r2 = scores["r2"]
    if math.isnan(r2) and math.isfinite(scores.get("rmse", math.nan)):
        return "undefined for a single sample"
    return f"{r2:.3f}"


def json_figures(scores):
    """``scores`` with NaN as None: JSON's null (NaN, which ``json.dumps`` writes, is not JSON). R^2 of a single
    sample is NaN, as scikit-learn's."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in scores.items()}


def json_scores(test):
    return json_figures({k: test[k] for k in ("rmse", "mae", "r2") if k in test})


# ---------------------------------------------------------------- evaluate and predict

def is_table_model(net):
    return "standardize" in (getattr(net, "metadata", None) or {}) or net.metadata.get("task") == "regression"


def evaluate_table(args, net, data, warning=None):
    """``nnscratch evaluate`` of a regression model: loss, RMSE, MAE, R^2, all from the one pass of
    ``net.evaluate`` over the rows (it scores a regression's outputs as it goes)."""
    X, y = (data.X_test, data.y_test) if args.split == "test" else (data.X_train, data.y_train)
    scores = net.evaluate(X, y)
    if args.json:
        print(json.dumps({"model": args.model, "dataset": data.name, "split": args.split, "samples": len(y),
                          **json_figures(scores), **predictions.json_warnings(warning)}))
        return 0
    from ..models.summary import architecture
    print(f"{args.model}: {architecture(net)} on {net.backend}")
    print(f"{data.name} {args.split} split, {len(y)} sample{'s' * (len(y) != 1)}: loss {scores['loss']:.4g}, RMSE "
          f"{scores['rmse']:.4g}, MAE {scores['mae']:.4g}, R^2 {r2_text(scores)}")
    return 0


def table_rows(path, net, model="the model"):
    """Feature rows of a CSV for a table model (``model``: its file): the model's feature columns by
    name when the file has a header (any order, other columns such as the target ignored), else
    every column by position (less the target's, of a model trained on a file without a header)."""
    from ..datasets.cells import _features
    from ..datasets.columns import split_header
    from ..datasets.tables import read_rows
    from ..errors import ShapeError
    features, n = net.metadata.get("features") or [], net.n_inputs
    names, data, header = split_header(path, read_rows(path), "add at least one row to predict", features)
    targets = model_targets(net, names)
    if header and features:
        missing = [f for f in features if f not in names]
        if missing:
            raise ShapeError(f"{path}: its header names the columns {few(names)}, but {model} takes the features "
                             f"{few(features)} (missing: {few(missing)}); name those columns in the header (any "
                             f"order; others such as the target are skipped), or remove the header line to pass "
                             f"the {n} features by position.")
        columns = [names.index(f) for f in features]
    elif len(names) == n:
        columns = list(range(n))
    elif targets and len(names) == n + len(targets):  # a header's, or "column 3" of none
        columns = [j for j in range(len(names)) if names[j] not in targets]
    else:
        raise ShapeError(f"{path}: {len(names)} columns, but {model} takes {n} features"
                         f"{' (' + few(features) + ')' if features else ''}; pass rows of those columns.")
    return _features(path, names, data, columns)


def model_targets(net, names):
    """The model's target columns (``net.metadata["target"]``: one name, or several comma-separated) where
    ``names`` holds every one of them, else ``[]``."""
    target = net.metadata.get("target")
    if not target:
        return []
    targets = [target] if target in names else target.split(",")
    return targets if all(t in names for t in targets) else []


def print_predictions(args, net, path, X):
    """``nnscratch predict`` for a table model: class names or regression values per row of ``X``."""
    return predictions.print_predictions(net, standardize_for(net, X), path, net.metadata.get("class_names") or [],
                                         args.json)
