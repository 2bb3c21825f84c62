"""The ``nnscratch`` command: ``train``, ``evaluate``, ``predict``, ``info`` (and plug-ins).

Every subcommand lives in a module with a ``register(subparsers)`` function
that adds its parser and sets ``func`` (``args -> exit code``)::

    def register(subparsers):
        p = subparsers.add_parser("plot", help="...", description="...")
        p.add_argument(...)
        p.set_defaults(func=run)

Every module in :data:`COMMANDS` registers its subcommands with ``register``;
modules that need optional packages (matplotlib, torch) import them only when
their command runs, so every command is always listed.

Errors a user can cause (bad option value, missing file, a dataset that cannot
be found, a model that does not fit the data) print one line on stderr and
exit with status 2; ``--debug`` shows the traceback instead.
"""

import argparse
import importlib
import sys

from .errors import NNScratchError

COMMANDS = ("nnscratch.cli_train", "nnscratch.cli_inspect", "nnscratch.viz.cli", "nnscratch.bench", "nnscratch.cli")
USER_ERRORS = (NNScratchError, OSError, ValueError, TypeError, RuntimeError, ImportError)


class UsageError(Exception):
    """A command-line mistake: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (plus where to get help)."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def build_parser():
    """The full parser with every registered subcommand."""
    parser = Parser(prog="nnscratch", description="Train, evaluate and use small neural "
                    "networks written from scratch (NumPy, CuPy, PyTorch, array-api-strict).")
    parser.add_argument("--version", action="version", version=f"nnscratch {_version()}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("nnscratch: interrupted", file=sys.stderr)
        return 130
    except (UsageError, *USER_ERRORS) as exc:
        if debug:
            raise
        from .distributed import report_error
        report_error(one_line(exc), exc)  # one line; under mpiexec also ends the other ranks
        return 2


def one_line(exc):
    """``error: <message>`` on one line; the exception type when it adds information."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    from .errors import NNScratchError
    if isinstance(exc, UsageError):
        return text
    if isinstance(exc, NNScratchError) or isinstance(exc, FileNotFoundError):
        return f"error: {text}"
    return f"error: {type(exc).__name__}: {text} (run with --debug for the traceback)"


def _version():
    try:
        from . import __version__
        return __version__
    except ImportError:
        return "unknown"


# ---------------------------------------------------------------- helpers for commands

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
    from .cli_tables import table_options
    from .datasets import load_dataset
    return load_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed, **table_options(args))


def fits(net, data, model_path):
    """Raise a ShapeError unless ``net`` takes ``data``'s inputs and classes."""
    from .errors import ShapeError
    if net.n_inputs != data.n_features:
        raise ShapeError(f"{model_path} expects {net.n_inputs} inputs but {data.name} has "
                         f"{data.n_features} features; use the dataset the model was trained on.")
    if net.n_outputs > 1 and net.n_outputs < data.n_classes:
        raise ShapeError(f"{model_path} has {net.n_outputs} outputs but {data.name} has "
                         f"{data.n_classes} classes; use the dataset the model was trained on.")


# ---------------------------------------------------------------- info

def register(subparsers):
    p = subparsers.add_parser("info", help="version, backends and where data is found",
                              description="Show the nnscratch version, which array backends are "
                              "installed and usable (and why not), their devices, and the datasets found.")
    p.set_defaults(func=run_info)
    _register_export(subparsers)


def run_info(args):
    import platform

    import numpy

    from .backend import available_backends, get_backend
    print(f"nnscratch {_version()} (Python {platform.python_version()}, NumPy {numpy.__version__})")
    print("backends:")
    for b in available_backends():
        state = "usable" if b.usable else ("installed, not usable" if b.installed else "not installed")
        devices = f"  devices: {', '.join(b.devices)}" if b.devices else ""
        version = f" {b.version}" if b.version else ""
        print(f"  {b.name:<17}{state}{version}{devices}")
        if b.reason:
            print(f"  {'':<17}{' '.join(b.reason.split())}")
    try:
        print(f"default backend: {get_backend().describe()}")
    except Exception as exc:  # the report must not die on a broken default
        print(f"default backend: unavailable ({one_line(exc)})")
    _print_data()
    return 0


def _print_data():
    from .datasets import fetch
    print("datasets:")
    print("  mnist-sample     shipped (8,000 train / 2,000 test)")
    for name, source in fetch.SOURCES.items():
        found = next((d for d in fetch.search_dirs(name) if fetch.find_in(d, source)), None)
        where = f"found in {found}" if found else "not found; downloads on first use"
        if not found and source.apt:
            where += f" (or `apt-get install {source.apt}`)"
        print(f"  {name:<17}{where}")


# ---------------------------------------------------------------- export

def _register_export(subparsers):
    p = subparsers.add_parser("export", help="write a model as ONNX (needs [onnx])",
                              description="Write MODEL (.npz) as an ONNX file that onnxruntime runs with any "
                              "batch size: the model's own forward pass traced on ndonnx arrays.")
    p.add_argument("model", help="model file written by nnscratch (.npz)")
    p.add_argument("output", help="ONNX file to write, e.g. model.onnx")
    p.set_defaults(func=run_export)


def run_export(args):
    from .export import to_onnx
    from .network import Network
    net = Network.load(args.model, backend="numpy")
    to_onnx(net, args.output)
    shape = ", ".join(str(n or "?") for n in net.input_shape)
    print(f"wrote {args.output}: input 'input' (N, {shape}) {net.backend.dtype_name}, "
          f"output 'output' (N, {net.n_outputs}); N is any batch size")
    return 0
