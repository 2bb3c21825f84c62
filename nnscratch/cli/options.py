"""Options and helpers that several commands share: backend, dataset, loading data, model fit checks."""

from . import values
from .dataset_named import BUILTIN, refuse_image_dataset


def add_backend_options(parser, from_model=False):
    """--backend, --dtype; with ``from_model`` (a saved model is loaded) --dtype defaults to the model's."""
    parser.add_argument("--backend", type=values.NAME, metavar="SPEC", help="numpy, cupy, cupy:1, torch, torch:cuda, "
                        "array_api_strict ... (default: $NNSCRATCH_BACKEND, else cupy if usable, else numpy)")
    parser.add_argument("--dtype", choices=("float32", "float64"), help="floating-point type (default: "
                        + ("the model's own)" if from_model else "float32; with --resume, the checkpoint's)"))


def add_dataset_options(parser, default="mnist-sample", from_model=False):
    """--dataset, --data-dir, --seed; with ``from_model`` both default to what the model remembers."""
    which = ("the one the model was trained on (else mnist-sample)" if from_model
             else "mnist-sample, shipped")
    from ..datasets.catalog import NAMES
    parser.add_argument("--dataset", type=values.NAME, default=None if from_model else default, metavar="NAME",
                        help=f"{', '.join(NAMES)} (default: {which})")
    parser.add_argument("--data-dir", type=values.PATH, metavar="DIR", help="directory holding the MNIST/Fashion-MNIST "
                        "IDX files (default: search $NNSCRATCH_DATA, ~/.cache/nnscratch, /usr/share/datasets)")
    parser.add_argument("--seed", type=values.SEED, default=None if from_model else 0,
                        help="random seed (default: the model's training seed)" if from_model
                        else "random seed (default 0)")


def model_dataset(args, net):
    """Fill ``args.dataset``/``args.seed`` (and for a table ``--target``, ``--task``, ``--test-fraction``)
    left unset from ``net.metadata["dataset"]`` (what ``nnscratch train`` stored); models without it
    default to mnist-sample, seed 0. ``args.features``: a table model's feature names, the only columns
    :func:`load_data` reads of a CSV besides its target (a notes column, or one with gaps, is not the model's)."""
    from ..datasets.catalog import file_kind
    remembered = (getattr(net, "metadata", None) or {}).get("dataset") or {}
    args.features = tuple(net.metadata.get("features") or ()) or None
    own = args.dataset is None
    args.own_dataset = own and remembered.get("spec") is not None  # for load_for_model: a file moved since
    if own:
        args.dataset = remembered.get("spec", "mnist-sample")
        if args.seed is None:
            args.seed = remembered.get("seed", 0)
    csv = file_kind(str(args.dataset))[0] == "csv" and file_kind(str(remembered.get("spec", "")))[0] == "csv"
    # the model's own table: all it remembers; another CSV: its target and task (--target names a CSV's column)
    for key in ("target", "task", "test_fraction") if own else ("target", "task") if csv else ():
        if getattr(args, key, None) is None and remembered.get(key) is not None \
                and (key != "target" or csv):
            setattr(args, key, remembered[key])
            args.from_model = getattr(args, "from_model", ()) + (key,)  # not the user's: never refused
    if args.seed is None:
        args.seed = 0
    return remembered


def load_data(args, comm=None):
    """The dataset named by ``--dataset`` (``--data-dir``, ``--seed``, the table options); an option
    that does not apply to that dataset is refused, never ignored. Under ``mpiexec`` (``comm``) rank 0
    downloads MNIST/Fashion-MNIST first: :func:`fetch_first`."""
    from .tables import drawn_split, is_table, table_options
    from ..datasets import load_dataset
    from ..datasets.catalog import file_kind
    from ..errors import ConfigError
    from .packed import refuse_packed_dataset
    name = str(args.dataset).strip()
    refuse_image_dataset(name)
    refuse_packed_dataset(name)  # data.csv.gz, train.csv.zip, a workbook: said as such, with the fix
    if getattr(args, "data_dir", None) and name not in ("mnist", "fashion-mnist"):
        raise ConfigError(f"--data-dir {args.data_dir} says where the mnist and fashion-mnist files are; "
                          f"{name} does not read it: drop --data-dir.")
    given = [flag for flag, key in (("--target", "target"), ("--task", "task")) if getattr(args, key, None) is not None]
    if name in BUILTIN and (given or getattr(args, "test_fraction", None) is not None):
        flags = " and ".join(given + (["--test-fraction"] if getattr(args, "test_fraction", None) is not None else []))
        raise ConfigError(f"{flags}: {name} comes with its own labels and test split. These options are for "
                          "tables (csv:PATH, npz:PATH, npy:X.npy,y.npy); --test-fraction also works for spirals, "
                          f"moons and blobs. Drop {flags}.")
    if comm is not None and name in ("mnist", "fashion-mnist"):
        fetch_first(comm, name, args.data_dir)
    try:
        data = drawn_split(args, name, lambda: load_dataset(name, data_dir=args.data_dir, seed=args.seed,
                                                            **table_options(args)))
    except ConfigError as exc:  # a target the user did not type: say whose it is
        if "target" not in getattr(args, "from_model", ()) or not str(exc).startswith("--target"):
            raise
        raise ConfigError(f"{exc} (--target {args.target!r} is the model's: what it was trained to predict; "
                          "pass --target NAME|INDEX to name this table's target column.)") from None
    if given and not is_table(data):
        raise ConfigError(f"{' and '.join(given)}: {name} has its own labels (these options pick a table's "
                          f"target); drop {' and '.join(given)}.")
    if getattr(args, "target", None) is not None and file_kind(name)[0] in ("npz", "npy"):
        raise ConfigError(f"--target picks a column of a CSV table; {name} holds X and y arrays: drop --target.")
    if (is_table(data) and getattr(args, "test_fraction", None) is not None
            and "test_fraction" not in getattr(args, "from_model", ())
            and not any(note.startswith("held out") for note in data.notes)):
        raise ConfigError(f"--test-fraction: {name} comes with its own test split (X_test, y_test); drop "
                          "--test-fraction.")
    return data


def load_for_model(args, net, model):
    """The data ``args`` name for ``net`` (evaluate, plot), in the columns it takes; a classifier pointed at a table
    whose target holds values, not classes, is said as such (the reader's fix, --task regression, would then be
    refused: the model predicts classes)."""
    from .tables import in_model_order
    from ..datasets.catalog import file_kind
    from ..errors import DataFormatError, DatasetNotFoundError
    try:
        return in_model_order(net, load_data(args))
    except DatasetNotFoundError:  # the file the model was trained on, moved or removed since
        if not getattr(args, "own_dataset", False) or file_kind(str(args.dataset))[0] is None:
            raise
        raise DatasetNotFoundError(f"{model} was trained on {args.dataset}, which is not there now; pass --dataset "
                                   f"{file_kind(str(args.dataset))[0]}:PATH to name where those data are now (or "
                                   "other data to score it on).") from None
    except DataFormatError as exc:
        said, _, fix = str(exc).partition("; classification needs")
        if net.task == "regression" or not fix.endswith("use --task regression."):
            raise
        raise DataFormatError(f"{said}; {model} is a classifier ({net.n_outputs if net.n_outputs > 1 else 2} classes), "
                              "scored against a target of classes: name such a column with --target NAME|INDEX, or "
                              "leave out --dataset to score it on its own data.") from None


def fetch_first(comm, name, data_dir):
    """Rank 0 finds or downloads the IDX files of ``name`` while the other ranks wait (asleep), so they
    are downloaded once and the others then read them from the cache; rank 0's failure (offline, no
    mirror) is raised on every rank, and said once."""
    from ..datasets.fetch import locate
    from ..distributed import from_root
    from_root(comm, lambda: locate(name, data_dir), poll=0.05)


def differs(net, data, model_path, spec):
    """A warning (or None) when ``data`` (``--dataset spec``) is not what the model at ``model_path``
    was trained on: other class names, other table features, or (without names) another dataset. CSV tables
    are named by their files (``iris.csv``), which say nothing of their columns: one CSV and another with the
    model's features and classes are not called other data (their columns and classes are compared)."""
    from .tables import few
    from ..datasets.catalog import file_kind
    remembered = (getattr(net, "metadata", None) or {}).get("dataset") or {}
    if not remembered:
        return None
    trained, names = remembered.get("name"), tuple(remembered.get("class_names") or ())
    if file_kind(str(remembered.get("spec", "")))[0] == "csv" == file_kind(str(spec))[0]:
        trained = data.name  # not compared (every CSV was named "csv" before tables were named by their files)
    features, target = tuple(net.metadata.get("features") or ()), remembered.get("target")
    if features and tuple(getattr(data, "feature_names", ()) or ()) not in ((), features):
        why = f"its features are {few(features, 3)}, these data's {few(data.feature_names, 3)}"
    elif target is not None and getattr(data, "target_name", None) not in (None, target):
        why = f"it predicts {target!r}, and these data's target is {data.target_name!r}"
    elif names and data.class_names and tuple(data.class_names) != names:
        why = f"its classes are {few(names, 3)}, these data's {few(data.class_names, 3)}"
    elif not (names and data.class_names) and trained != data.name:
        why = "the data differ"
    else:
        return None
    return (f"{model_path} was trained on {remembered.get('spec') or trained}, not {spec} ({why}); what follows "
            "describes the model on data it never learned (leave out --dataset to use its own).")


def check_backend(spec):
    """Raise the error of a --backend ``spec`` (None: ``$NNSCRATCH_BACKEND``, else auto) that names no usable
    backend, naming the environment variable where the mistake is in it."""
    import os
    from ..backend.core import get_backend
    from ..errors import ConfigError, NNScratchError
    try:
        get_backend(spec)
    except NNScratchError as exc:
        env = os.environ.get("NNSCRATCH_BACKEND")
        if spec is not None or not env or str(exc).startswith("$NNSCRATCH_BACKEND="):  # get_backend named it
            raise
        raise ConfigError(f"$NNSCRATCH_BACKEND={env}: {exc} Set it to a usable backend, unset it, or pass "
                          "--backend.") from None


def fits(net, data, model_path, targets=True):
    """Raise a ShapeError unless ``net`` takes ``data``'s inputs (as rows, or as images: :func:`model_rows`)
    and, with ``targets`` (False: pictures of its inputs alone), its outputs answer their targets
    (:func:`~nnscratch.cli.target_fit.refuse_other_targets`)."""
    from .target_fit import refuse_other_targets
    from ..errors import ShapeError
    refuse_channels_last(net, data, model_path)
    shape = sample_shape(net, data.n_features)
    if shape is None or net.n_inputs is None and not accepts(net, shape):  # open sizes: one its layers take
        example = example_shape(net) if net.n_inputs is None else None
        takes = (f"{net.n_inputs} inputs" if net.n_inputs else f"images of shape {shape_text(net.input_shape, None)}"
                 + (f" of a size its layers take, e.g. {shape_text(example, None)}" if example else ""))
        raise ShapeError(f"{model_path} expects {takes} but {data.name} has "
                         f"{data.n_features} features; use the dataset the model was trained on.")
    if targets:
        refuse_other_targets(net, data, model_path)


def refuse_channels_last(net, data, model):
    """A ShapeError where ``data`` came from an array of channels-last colour images ``(n, H, W, C)`` (Keras'
    layout; :mod:`nnscratch.datasets.arrays` keeps their rows in that order) and ``net`` takes images
    ``(C, H, W)`` of another layout: flattened, both are rows of H*W*C values, so the rows would fit and
    the network would read scrambled pixels. One-channel images (``(n, 28, 28)``, ``(n, 28, 28, 1)``), flat
    rows and a network without image layers (an MLP learns the rows in their own order) pass."""
    from ..errors import ShapeError
    from ..models.spec import leading_images
    given = getattr(data, "array_shape", None)
    if given is None or len(given) != 3 or getattr(data, "image_shape", None) is not None:
        return  # not channels-last colour images (the reader reads any other 3-D sample as (C, H, W))
    takes = leading_images(net.layers) or tuple(net.input_shape or ())
    if len(takes) != 3 or all(n in (None, m) for n, m in zip(takes, given)):
        return
    h, w, c = given
    raise ShapeError(f"{data.name} holds channels-last images (n, {h}, {w}, {c}), as Keras keeps them, but {model} "
                     f"takes channels-first images {shape_text(takes)}, so it would read their pixels scrambled; "
                     f"save them channels-first: numpy.save(PATH, X.transpose(0, 3, 1, 2)).")


def sample_shape(net, n_features):
    """The per-sample shape ``net`` takes for rows of ``n_features`` values: its input shape, where an
    open image size (``(1, None, None)``) is filled in as a square; None where such rows do not fit."""
    import math
    shape = tuple(net.input_shape or (n_features,))
    known, unknown = math.prod(n for n in shape if n is not None), shape.count(None)
    rest = n_features // known if known and n_features % known == 0 else 0
    side = round(rest ** (1 / unknown)) if unknown and rest else None
    if (side ** unknown if unknown else known) != (rest if unknown else n_features):
        return None
    return tuple(side if n is None else n for n in shape)


def model_rows(net, X):
    """Flat rows ``X`` (n, features), as data sets hold images, in the shape ``net`` takes them: a CNN
    built with ``input_shape=(1, 28, 28)`` (or open sizes) and no Reshape layer takes (n, 1, 28, 28)."""
    shape = sample_shape(net, X.shape[1]) if X.ndim == 2 else None
    return X if shape is None or len(shape) < 2 else X.reshape(len(X), *shape)


def accepts(net, shape):
    """True when ``net`` takes samples of per-sample ``shape``: its fixed sizes as they are, its open
    ones (``None``) any size its layers chain on to a fixed output."""
    from ..errors import NNScratchError
    own = tuple(net.input_shape or ())
    if len(shape) != len(own) or any(m not in (None, n) for n, m in zip(shape, own)):
        return False
    try:
        return None not in net.shape_after(tuple(shape))
    except NNScratchError:
        return False


def example_shape(net, largest=512):
    """A per-sample shape ``net`` takes: its own where fixed, else the first square image size
    (28x28 tried first, then 1x1 up to ``largest``) its open sizes accept; None if none does."""
    own = tuple(net.input_shape or ())
    if None not in own:
        return own
    for side in (28, *range(1, largest + 1)):
        shape = tuple(side if n is None else n for n in own)
        if accepts(net, shape):
            return shape
    return None


def shape_text(shape, batch="n"):
    """``(n, 1, 28, 28)`` (``batch`` first unless None; ``(784,)`` alone), ``?`` for an open size."""
    sizes = ([batch] if batch else []) + [str(n or "?") for n in shape]
    return "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"


def open_images(path, X, net, model):
    """``X`` as ``(n, C, H, W)`` images for ``net``, whose input shape ``(C, None, None)`` leaves the size open:
    its trailing axes are one image (C, H, W), or (H, W) with one channel, or flat square images."""
    from ..errors import ShapeError
    own = tuple(net.input_shape)
    tried = [X.shape[-len(own):] if X.ndim >= len(own) else None,
             (1, *X.shape[-2:]) if own[0] == 1 and X.ndim >= 2 else None,
             sample_shape(net, X.shape[-1]) if 0 < X.ndim <= 2 else None]
    if X.ndim == 4 and accepts(net, (own[0], *X.shape[2:])):
        refuse_other_channels(path, X, (own[0], *X.shape[2:]), model)
    for shape in tried:
        if X.size and shape and accepts(net, tuple(shape)):
            return X.reshape(-1, *shape)
    example = example_shape(net)
    sizes = f"a size its layers take, e.g. {shape_text(example)}" if example else "a size its layers take"
    one = " or (n, H, W)" if own[0] == 1 else ""
    raise ShapeError(f"{path}: an array of shape {X.shape}, but {model} takes images of shape "
                     f"(n, {', '.join(str(n or d) for n, d in zip(own, 'CHW'[-len(own):]))}){one} of {sizes}; "
                     "save images of that size.")


def refuse_other_channels(path, X, takes, model):
    """A ShapeError where ``X`` is images ``(n, C, H, W)`` of the size ``model`` takes (``takes``: its
    ``(C, H, W)``) but of another number of channels: read as rows, their channels would be taken for
    more images (``(2, 3, 28, 28)`` as 6 grey ones)."""
    from ..errors import ShapeError
    if X.ndim != 4 or X.shape[1] == takes[0] or tuple(X.shape[2:]) != tuple(takes[1:]):
        return
    fix = ("convert them to grey, e.g. numpy.save(PATH, X.mean(axis=1, keepdims=True))" if takes[0] == 1
           else f"save images of {takes[0]} channels")
    raise ShapeError(f"{path}: an array of shape {X.shape}, images of {X.shape[1]} channels, but {model} takes images "
                     f"of {takes[0]} channel{'s' if takes[0] > 1 else ''} {shape_text(takes)}; {fix}.")
