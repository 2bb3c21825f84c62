"""What ``nnscratch train`` will train: the options resolved against the dataset's defaults.

:func:`settings` reads :mod:`nnscratch.cli.defaults` (what ``--help`` prints) and the
options; every combination that would be silently ignored is refused here, in one
line naming the options, before any training starts.
"""

import argparse
import os

from . import tables
from ..datasets.catalog import GENERATED
from .defaults import CNN_DEFAULTS, DEFAULTS, IMAGE_DEFAULTS, value
from ..errors import ConfigError, ShapeError


def settings(args, data):
    """Resolved hyper-parameters: the dataset's defaults overridden by the options."""
    spec = layer_spec(args, data)
    base = tables.table_defaults(data, DEFAULTS.get(data.name, IMAGE_DEFAULTS))
    if spec:
        base = dict(base, **CNN_DEFAULTS.get(data.name, {}))
        sizes = tuple(spec.split(","))
    elif args.layers:
        sizes = parse_layers(args.layers, data)
    else:
        sizes = (data.n_features, *base["hidden"], data.n_classes)

    def pick(key, given):
        return value(base, key) if given is None else given
    augment = pick("augment", args.augment)
    cfg = dict(sizes=sizes, spec=spec, n_features=data.n_features, n_classes=data.n_classes,
               multilabel=getattr(data, "task", None) == "multilabel",  # rows of labels: a sigmoid per label
               image_shape=getattr(data, "image_shape", None),
               epochs=pick("epochs", args.epochs), lr=pick("lr", args.lr), decay=pick("decay", args.decay),
               batch_size=value(base, "batch_size") if args.batch_size is None else (args.batch_size or None),
               augment=augment, elastic=pick("elastic", args.elastic), validation=pick("validation", args.validation),
               activation=pick("activation", args.activation))
    cfg.update(schedule(args, base))
    _check_images(args, data, cfg)
    return cfg


def schedule(args, base):
    """``schedule`` and ``warmup`` (epochs): --schedule/--warmup as given; with neither --schedule nor
    --decay, the dataset's recipe (images: cosine after half an epoch of warm-up)."""
    given = getattr(args, "warmup", None)
    if getattr(args, "schedule", None) or args.decay is not None:
        return {"schedule": getattr(args, "schedule", None), "warmup": given or 0.0}
    return {"schedule": value(base, "schedule"), "warmup": value(base, "warmup") if given is None else given}


def with_recipe_schedule(args, cfg):
    """``args`` with the resolved schedule and warm-up (what :func:`schedules.schedule_for` reads);
    ``args`` itself is not changed."""
    return argparse.Namespace(**dict(vars(args), schedule=cfg["schedule"], warmup=cfg["warmup"]))


def _check_images(args, data, cfg):
    given = [f"{flag} {v:g}" for flag, v in (("--augment", cfg["augment"]), ("--elastic", args.elastic)) if v]
    if given and data.n_features != 784:
        raise ConfigError(f"{' and '.join(given)} distort{'s' * (len(given) == 1)} 28x28 images (784 features), and "
                          f"{data.name} has {data.n_features} feature{'s' * (data.n_features != 1)}; "
                          f"drop {' and '.join(g.split()[0] for g in given)}.")
    if args.elastic and not cfg["augment"]:
        raise ConfigError(f"--elastic {args.elastic:g} bends the distorted copies, and there are none; "
                          "add --augment N (N copies per epoch).")
    if args.activation and cfg["spec"]:
        raise ConfigError(f"--activation {args.activation} sets the hidden layers of an MLP; a layer spec names "
                          f"its own activations (e.g. --layers conv16x3p1,{args.activation},maxpool2,dense10).")


def default_cnn_help():
    from ..models.spec import default_cnn_spec
    return (default_cnn_spec(10, CNN_DEFAULTS["mnist-sample"]["dropout"]) +
            f"; dropout{value({}, 'dropout'):g} on other datasets")


def layer_spec(args, data):
    """The layer spec (``--model cnn`` or a spec in ``--layers``), normalised; None for an MLP."""
    from ..models.spec import default_cnn_spec, describe, is_layer_spec, layers_from_spec
    if args.model == "cnn" and not args.layers:
        dropout = CNN_DEFAULTS.get(data.name, {}).get("dropout", value({}, "dropout"))
        spec = default_cnn_spec(data.n_classes, dropout)
        try:
            layers_from_spec(spec, data.n_features, data.n_classes, image=getattr(data, "image_shape", None))
        except ShapeError:
            shape = getattr(data, "image_shape", None)
            has = f"{shape[1]}x{shape[2]} images, too small for its two 2x2 poolings" if shape else \
                f"{data.n_features} feature{'s' * (data.n_features != 1)}"
            raise ShapeError(f"--model cnn needs images (28x28, 784 features per sample, or an (n, C, H, W) array of "
                             f"4x4 or more) and {data.name} has {has}; use --model mlp.") from None
        return spec
    if not is_layer_spec(args.layers):
        if args.model == "cnn" and args.layers:
            raise ConfigError(f"--model cnn and --layers {args.layers} (the sizes of an MLP) disagree; drop one, "
                              "or give --layers a layer spec such as conv16x3p1,relu,maxpool2,dense10.")
        return None
    _sizes_mixed_with_layers(args.layers)
    convolutional = any(p.strip().lower().startswith(("conv", "maxpool", "avgpool")) for p in args.layers.split(","))
    if args.model == "mlp" and convolutional:
        raise ConfigError(f"--model mlp and --layers {args.layers} (a convolutional network) disagree; drop "
                          "--model mlp, or give --layers dense layers only (e.g. dense128,relu,dense10).")
    if args.model == "cnn" and not convolutional:
        raise ConfigError(f"--model cnn and --layers {args.layers} (no convolution or pooling) disagree; drop "
                          "--model cnn, or give --layers a convolutional spec (e.g. conv16x3p1,relu,maxpool2,dense10).")
    return describe(layers_from_spec(args.layers, data.n_features, data.n_classes, tables.is_regression(data),
                                     image=getattr(data, "image_shape", None)))


def check_layers_syntax(text):
    """What can be said of --layers without the data: a piece that is neither a size nor a layer."""
    from ..models.spec import is_layer_spec
    if is_layer_spec(text):
        _sizes_mixed_with_layers(text)
    elif any(not p.strip() for p in text.split(",")):
        raise ConfigError(f"--layers {text}: an empty piece between commas; e.g. --layers 784,256,10.")


LAYER_WORDS = ("conv", "maxpool", "avgpool", "bn", "dropout", "flatten", "dense", "relu", "leaky", "tanh", "sigmoid",
               "softmax")


def _sizes_mixed_with_layers(text):
    """A ConfigError naming the piece when --layers mixes sizes (784) with layers or a typo (abc)."""
    pieces = [p.strip() for p in text.split(",")]
    sizes = [p for p in pieces if p.isdigit()]
    if not sizes:
        return
    layers = [p for p in pieces if p.lower().startswith(LAYER_WORDS)]
    if layers:
        what = "is a size" if len(sizes) == 1 else "are sizes"
        raise ConfigError(f"--layers {text}: {', '.join(map(repr, sizes))} {what} but {layers[0]!r} is a layer; give "
                          "sizes only (784,256,10) or a layer spec only (dense256,relu,dense10: the input size comes "
                          "from the data).")
    bad = [p for p in pieces if not p.isdigit()]
    raise ConfigError(f"--layers {text}: {', '.join(map(repr, bad))} {'is' if len(bad) == 1 else 'are'} not a layer "
                      "size; sizes are whole numbers >= 1 such as 784,256,128,10.")


def parse_layers(text, data):
    sizes = tuple(int(s) for s in text.replace(" ", "").split(","))
    if len(sizes) < 2 or min(sizes) < 1:
        raise ConfigError(f"--layers needs at least an input and an output size, all >= 1; received {text!r}.")
    if sizes[0] != data.n_features or sizes[-1] not in (data.n_classes, 1 if data.n_classes == 2 else -1):
        raise ShapeError(f"--layers {text}: {data.name} needs {data.n_features} input{'s' * (data.n_features != 1)} and "
                         f"{data.n_classes} output{'s' * (data.n_classes != 1)}, e.g. --layers "
                         f"{data.n_features},64,{data.n_classes}.")
    return sizes


def build_network(args, cfg):
    """The network the options ask for; a multilabel table's is "multilabel" before its first fit, which then
    keeps it though every training row may hold one label (:func:`~nnscratch.models.task.kept_task`)."""
    net = _build_network(args, cfg)
    if cfg.get("multilabel") and net.n_outputs > 1:
        net.task = "multilabel"
    return net


def _build_network(args, cfg):
    from ..models.network import Network
    if cfg.get("spec"):
        from ..models.spec import layers_from_spec
        layers = layers_from_spec(cfg["spec"], cfg["n_features"], cfg["n_classes"], cfg.get("regression", False),
                                  image=cfg.get("image_shape"))
        net = Network(layers, seed=args.seed, backend=args.backend, dtype=args.dtype)
        return _check_loss_output(args, _check_multilabel_output(args, cfg, net))
    binary = cfg["sizes"][-1] == 1 or args.loss == "binary_cross_entropy" or cfg.get("multilabel")
    output = "identity" if cfg.get("regression") else "sigmoid" if binary else "softmax"
    return _check_loss_output(args, Network.from_sizes(*cfg["sizes"], hidden=cfg["activation"], output=output,
                                                       seed=args.seed, backend=args.backend, dtype=args.dtype))


def _check_multilabel_output(args, cfg, net):
    """``net``, or a ConfigError where a layer spec ends a multilabel network in a softmax: its outputs would
    share one vote, where each label needs a sigmoid of its own (scikit-learn's MLPClassifier's, Keras')."""
    from ..layers import Softmax
    if not cfg.get("multilabel") or not isinstance(net.layers[-1], Softmax):
        return net
    spec = args.layers or cfg["spec"]
    raise ConfigError(f"{'--layers ' + args.layers if args.layers else '--model cnn'} ends in a softmax, one class per "
                      f"sample, and the targets are rows of {cfg['n_classes']} 0/1 labels (multilabel); end the layers "
                      f"with a sigmoid: --layers {spec.rsplit(',', 1)[0] if spec.endswith('softmax') else spec},sigmoid.")


def _check_loss_output(args, net):
    """``net``, or a ConfigError in the options' words when --loss cannot train its output layer
    (before the run starts, not from ``fit``)."""
    if args.loss is None:
        return net
    layers = f"--layers {args.layers}" if args.layers else f"--model {args.model or 'mlp'}"
    if args.loss == "cross_entropy" and net.n_outputs == 1:
        raise ConfigError(f"--loss cross_entropy needs one output per class, and {layers} ends with one output "
                          "(two classes as one sigmoid); use --loss binary_cross_entropy, or end it with 2 outputs.")
    accepts = net.resolve_loss(args.loss).accepts
    if accepts and not isinstance(net.layers[-1], accepts):
        wanted, other = ("sigmoid", "cross_entropy") if args.loss == "binary_cross_entropy" else ("softmax", "mse")
        raise ConfigError(f"--loss {args.loss} needs a {wanted} output, and {layers} ends with a "
                          f"{type(net.layers[-1]).__name__.lower()}; use --loss {other}, or end --layers with "
                          f"{wanted} (e.g. dense64,relu,dense2,{wanted}).")
    return net


def dataset_metadata(args, data, net):
    """What a model file remembers of its data (``net.metadata["dataset"]``), so ``evaluate``/``predict``
    default to it: the --dataset spec (a file as an absolute path), seed, input shape, class names, and
    for a table the --target, --task and --test-fraction that drew its test split (the test fraction also
    for the generated sets and a digit CSV, which draw theirs)."""
    spec = args.dataset
    kind, sep, path = spec.partition(":")
    if sep and kind in ("csv", "npz"):
        spec = f"{kind}:{os.path.abspath(path)}"
    elif sep and kind == "npy":
        spec = "npy:" + ",".join(os.path.abspath(p) for p in path.split(","))
    elif os.path.isfile(spec):
        spec = os.path.abspath(spec)
    shape = net.input_shape or data.X_train.shape[1:]
    remembered = {"name": data.name, "spec": spec, "seed": args.seed,
                  "input_shape": [None if n is None else int(n) for n in shape], "class_names": list(data.class_names)}
    fraction = tables.table_options(args)["test_fraction"]
    if tables.is_table(data):
        remembered.update(target=data.target_name, task=data.task, test_fraction=fraction)
    elif spec in GENERATED or kind == "csv":  # spirals, moons, blobs and a digit CSV draw their test split too
        remembered["test_fraction"] = fraction
    return remembered


def split(args, data, fraction):
    """Training and validation arrays (the validation share is held out before augmenting)."""
    import warnings
    from ..datasets import train_val_split
    from ..errors import ConfigError, DataError, DataWarning
    if not fraction:
        return data.X_train, data.y_train, None
    with warnings.catch_warnings():  # an empty hold-out is said by checks.small_data_notes, in the options' words
        warnings.simplefilter("ignore", DataWarning)
        try:
            X, y, X_val, y_val = train_val_split(data.X_train, data.y_train, fraction, seed=args.seed)
        except DataError as exc:  # the library's words name its val_fraction= argument, not the option
            if not str(exc).startswith("val_fraction="):
                raise
            n, labels = len(data.X_train), data.y_train
            per_class = " (rounded per class)" if labels.ndim == 1 and labels.dtype.kind in "biuUS" else ""  # as split
            raise ConfigError(f"--validation {fraction:g} holds out all {n} training row{'s' * (n != 1)} of "
                              f"{data.name}{per_class}, leaving none to train on; lower it, or pass "
                              "--validation 0 to train without a validation set.") from None
    if len(X_val) == 0:
        return data.X_train, data.y_train, None
    return X, y, (X_val, y_val)
