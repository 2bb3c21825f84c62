"""Options and helpers that several commands share: backend, dataset, loading data, model fit checks."""

def add_backend_options(parser):
    parser.add_argument("--backend", metavar="SPEC", help="numpy, cupy, cupy:1, torch, torch:cuda, "
                        "array_api_strict ... (default: $NNSCRATCH_BACKEND, else cupy if usable, else numpy)")
    parser.add_argument("--dtype", choices=("float32", "float64"), help="floating-point type (default float32)")


def add_dataset_options(parser, default="mnist-sample", from_model=False):
    """--dataset, --data-dir, --seed; with ``from_model`` both default to what the model remembers."""
    which = ("the one the model was trained on (else mnist-sample)" if from_model
             else "mnist-sample, shipped")
    parser.add_argument("--dataset", default=None if from_model else default, metavar="NAME",
                        help=f"mnist-sample, mnist, fashion-mnist, csv:PATH, xor, spirals, moons, "
                             f"blobs (default: {which})")
    parser.add_argument("--data-dir", metavar="DIR", help="directory holding the MNIST/Fashion-MNIST "
                        "IDX files (default: search $NNSCRATCH_DATA, ~/.cache/nnscratch, /usr/share/datasets)")
    parser.add_argument("--seed", type=int, default=None if from_model else 0,
                        help="random seed (default: the model's training seed)" if from_model
                        else "random seed (default 0)")


def model_dataset(args, net):
    """Fill ``args.dataset``/``args.seed`` left unset from ``net.metadata["dataset"]``
    (what ``nnscratch train`` stored); models without it default to mnist-sample, seed 0."""
    remembered = (getattr(net, "metadata", None) or {}).get("dataset") or {}
    if args.dataset is None:
        args.dataset = remembered.get("spec", "mnist-sample")
        if args.seed is None:
            args.seed = remembered.get("seed", 0)
    if args.seed is None:
        args.seed = 0
    return remembered


def load_data(args):
    """The dataset named by ``--dataset`` (``--data-dir``, ``--seed``)."""
    from .tables import table_options
    from ..datasets import load_dataset
    return load_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed, **table_options(args))


def fits(net, data, model_path):
    """Raise a ShapeError unless ``net`` takes ``data``'s inputs and classes."""
    from ..errors import ShapeError
    if net.n_inputs != data.n_features:
        raise ShapeError(f"{model_path} expects {net.n_inputs} inputs but {data.name} has "
                         f"{data.n_features} features; use the dataset the model was trained on.")
    if net.n_outputs > 1 and net.n_outputs < data.n_classes:
        raise ShapeError(f"{model_path} has {net.n_outputs} outputs but {data.name} has "
                         f"{data.n_classes} classes; use the dataset the model was trained on.")
