"""``nnscratch bench``: the command-line front of :func:`nnscratch.bench.run_bench`."""

import json
import os
import re
import sys

from . import kept, outputs, values
from ..bench.report import plot, render, write_json
from ..bench.runner import DEFAULTS, run_bench, usable
from ..distributed.comm import launched_size


def _ints(text, flag="--batch-sizes"):
    """Positive integers separated by commas (or dashes, as in 256-128); a minus sign is refused, never
    read as a dash (``-5`` was batch size 5)."""
    from ..errors import ConfigError
    try:
        values = tuple(int(v) for v in re.split(r"[,-]", str(text)) if v.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 1 or re.search(r"(^|[,-])\s*-", str(text)):
        raise ConfigError(f"{flag} takes comma-separated positive integers such as 32,128; got {text!r}.")
    return values


STDOUT = "-"  # --json alone (or --json -): the timings on stdout
CNN_BATCH, CNN_SAMPLES = 128, 10000  # --model cnn's defaults for --batch-sizes and --samples
MLP_ONLY = (("--layers", "layers"), ("--dtype", "dtype"), ("--repeats", "repeats"), ("--features", "features"),
            ("--reference", "reference"), ("--plot", "plot"))


def register(subparsers):
    p = subparsers.add_parser(
        "bench", help="time training per backend and batch size against the GEMM roofline",
        description="Train an MLP for a few epochs on every backend and batch size, and print seconds "
                    "per epoch, samples/s, the matrix products' own time (roofline), GFLOP/s and the "
                    "device. Unusable backends are listed with the reason and skipped; none usable is an "
                    "error. --json and --plot are checked before the timing starts: an existing file of "
                    "their kind is replaced only with --force, any other file never; one the system refuses at "
                    "the end (a full disk) is kept in a new nnscratch-kept-* folder, as the error says.")
    p.add_argument("--backends", metavar="NAMES", default=",".join(DEFAULTS["backends"]),
                   help="comma-separated, e.g. numpy,cupy,torch:cpu,torch:cuda (default %(default)s)")
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp", help="cnn: time an epoch of the default "
                   "CNN (nnscratch train --model cnn) against PyTorch on the CPU, alternating, at the first "
                   f"--batch-sizes entry (default {CNN_BATCH}) on --samples images (default {CNN_SAMPLES:,})")
    p.add_argument("--layers", type=values.LIST, default=None, metavar="SIZES", help="hidden layer sizes (default "
                   f"{','.join(map(str, DEFAULTS['hidden']))}); the input and output sizes come from the data")
    p.add_argument("--batch-sizes", type=values.LIST, default=None, metavar="SIZES", help="comma-separated (default "
                   f"{','.join(map(str, DEFAULTS['batch_sizes']))})")
    p.add_argument("--dtype", choices=("float32", "float64"), default=None,
                   help=f"default {DEFAULTS['dtype']}")
    p.add_argument("--epochs", type=values.POSITIVE_INT, default=DEFAULTS["epochs"], metavar="N",
                   help="timed epochs per row (default %(default)s)")
    p.add_argument("--warmup", type=values.COUNT, default=None, metavar="N",
                   help=f"untimed epochs first (default {DEFAULTS['warmup']})")
    p.add_argument("--repeats", type=values.POSITIVE_INT, default=None, metavar="N",
                   help=f"GEMM-only runs per turn, best taken (default {DEFAULTS['repeats']}; with --ranks: rounds, "
                   "at least 2)")
    p.add_argument("--samples", type=values.POSITIVE_INT, default=None, metavar="N", help="rows of data (default "
                   f"{DEFAULTS['samples']:,}; {CNN_SAMPLES:,} with --model cnn); all of a dataset that has fewer")
    p.add_argument("--features", type=values.POSITIVE_INT, default=None, metavar="N",
                   help=f"columns of the synthetic data (default {DEFAULTS['features']}); a named --dataset has "
                   "its own")
    p.add_argument("--dataset", type=values.NAME, default=DEFAULTS["dataset"], metavar="NAME",
                   help="synthetic (default), mnist-sample, mnist, fashion-mnist, spirals, moons, blobs, or a "
                   "table of classes (csv:PATH, npz:PATH, npy:X.npy,y.npy)")
    p.add_argument("--lr", type=values.RATE, default=DEFAULTS["lr"], help="SGD learning rate (default %(default)s)")
    p.add_argument("--seed", type=values.SEED, default=DEFAULTS["seed"], metavar="SEED", help="default %(default)s")
    p.add_argument("--reference", action="store_true", help="also time the hand-written loops of "
                   "nnscratch/bench/reference/ (NumPy and PyTorch), alternating with nnscratch")
    p.add_argument("--json", nargs="?", const=STDOUT, type=values.PATH, metavar="FILE", help="write every raw "
                   "timing as JSON to FILE; alone: print it on stdout as one line, as train --json does (the table "
                   "then goes to stderr)")
    p.add_argument("--plot", type=values.PATH, metavar="FILE", help="plot samples/s against batch size (PNG/SVG/PDF)")
    p.add_argument("--force", action="store_true", help="replace the results or picture already at --json or "
                   "--plot (never a file of another kind)")
    p.add_argument("--ranks", type=values.whole(2), metavar="N", help="instead: N MPI processes x 1 BLAS thread "
                   "against 1 process x N threads, same global batch, alternating --repeats rounds; reports the "
                   "all-reduce time per step (needs the mpi extra)")
    p.set_defaults(func=run)


def _check(args):
    """Options the chosen mode does not read are refused; the output files are checked; folders made."""
    from ..errors import ConfigError
    mode = "--ranks" if args.ranks else "--model cnn" if args.model == "cnn" else None
    if mode:
        unused = [flag for flag, key in MLP_ONLY if getattr(args, key) not in (None, False)
                  and not (mode == "--ranks" and key in ("layers", "repeats"))]
        unused += ["--backends"] if mode == "--ranks" and args.backends != ",".join(DEFAULTS["backends"]) else []
        unused += ["--warmup"] if mode == "--ranks" and args.warmup is not None else []
        unused += ["--model cnn"] if mode == "--ranks" and args.model == "cnn" else []
        if unused:
            one = len(unused) == 1
            raise ConfigError(f"{', '.join(unused)} {'does' if one else 'do'} not apply to {mode}; drop "
                              f"{'it' if one else 'them'}.")
    _check_dataset(args)
    if args.features is not None and args.dataset != "synthetic" and not mode:
        raise ConfigError(f"--features sets the columns of the synthetic data; --dataset {args.dataset} has its "
                          "own: drop --features.")
    if args.plot:
        if os.path.splitext(args.plot)[1].lower() not in (".png", ".svg", ".pdf"):
            raise ConfigError(f"--plot {args.plot}: the picture is a .png, .svg or .pdf file (e.g. --plot bench.png).")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ConfigError("--plot needs matplotlib, which is not installed; `pip install 'nnscratch[viz]'`, "
                              "or drop --plot.") from None
    outputs.prepare(written(args), args.force)


def _check_dataset(args):
    """A table bench cannot time as a classifier (a regression, rows of 0/1 labels), said before the timing starts
    in the option's words (the library's, "binary_cross_entropy loss needs probabilities", came after "timing")."""
    from ..datasets.catalog import file_kind
    from ..errors import ConfigError
    if args.dataset == "synthetic" or file_kind(str(args.dataset))[0] is None:
        return  # the named sets hold one class per sample; a name that is no data set is said by the loader
    from ..datasets import load_dataset
    data = load_dataset(args.dataset, seed=args.seed)
    task = getattr(data, "task", None)
    if task in ("regression", "multilabel"):
        what = "a regression (its target holds values)" if task == "regression" else "multilabel (rows of 0/1 labels)"
        raise ConfigError(f"--dataset {args.dataset}: bench times a classifier (a softmax over one class per sample, "
                          f"trained by cross-entropy), and {data.name} is {what}; time a table of classes, or "
                          "--dataset synthetic, mnist-sample, mnist, fashion-mnist, spirals, moons or blobs.")


def written(args):
    """The files bench writes: ``--json`` and ``--plot``."""
    return [outputs.Output("--json", None if args.json == STDOUT else args.json, "bench"),
            outputs.Output("--plot", args.plot, "picture")]


def _backends(args):
    return tuple(b.strip() for b in args.backends.split(",") if b.strip())


def run(args):
    """``nnscratch bench``; a folder it created and did not write in (it failed or was interrupted first)
    is removed again, and timings the system refuses to write are kept elsewhere (:mod:`.kept`), as
    ``nnscratch train`` keeps its model. Under ``mpiexec`` it is refused on every rank (:func:`_alone`)."""
    _alone()
    with outputs.tidy():
        _check(args)
        with outputs.writing(written(args)):
            return _run(args)


def _alone():
    """Refuse ``mpiexec -n N nnscratch bench``: N benchmarks would time each other on shared cores (and
    race for --json); said once, by rank 0 (:func:`~nnscratch.distributed.report_error`), every rank ends with 2."""
    from ..errors import ConfigError
    size = launched_size()
    if size > 1:
        raise ConfigError(f"nnscratch bench times one process, and mpiexec started {size}: each would time its "
                          "training on cores the others use. Run it without mpiexec, or time N MPI ranks against "
                          "one process with `nnscratch bench --ranks N` (it starts mpiexec itself).")


def save(args, result):
    """Write ``result`` to ``--json`` and plot it to ``--plot`` (an MLP run's: the other modes refuse
    --plot); a file the system refuses is kept in an ``nnscratch-kept-*`` folder, said in one error line."""
    writers = (lambda path: write_json(result, path), lambda path: plot(result, path))
    if args.json == STDOUT:
        print(json.dumps(result), flush=True)
    kept.save_all([(out, write) for out, write in zip(written(args), writers) if out.path])


def _run(args):
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if args.ranks:
        return run_ranks(args)
    if args.model == "cnn":
        from ..bench.cnn import render_cnn, run_cnn_bench
        backends, skipped = usable(_backends(args))
        for name, reason in skipped.items():
            log(f"skipping {name}: {reason}")
        sizes = _ints(args.batch_sizes) if args.batch_sizes else (CNN_BATCH,)
        rows = run_cnn_bench(backends=tuple(backends), batch_size=sizes[0], samples=args.samples or CNN_SAMPLES,
                             dataset=args.dataset, epochs=args.epochs, warmup=_warmup(args), lr=args.lr,
                             seed=args.seed, log=log)
        print(render_cnn(rows), file=_table_stream(args), flush=True)
        save(args, {"cnn": rows, "skipped": skipped})
        return 0
    hidden = _ints(args.layers or _text(DEFAULTS["hidden"]), "--layers")
    result = run_bench(backends=_backends(args), hidden=hidden,
                       batch_sizes=_ints(args.batch_sizes or _text(DEFAULTS["batch_sizes"])),
                       dtype=args.dtype or DEFAULTS["dtype"], epochs=args.epochs, warmup=_warmup(args),
                       repeats=DEFAULTS["repeats"] if args.repeats is None else args.repeats,
                       samples=args.samples or DEFAULTS["samples"], features=args.features or DEFAULTS["features"],
                       dataset=args.dataset, reference=args.reference, lr=args.lr, seed=args.seed, log=log)
    print(render(result), file=_table_stream(args), flush=True)
    save(args, result)
    return 0


def _table_stream(args):
    """Where the table goes: stdout, unless --json alone prints the timings there (stdout then holds JSON only)."""
    return sys.stderr if args.json == STDOUT else sys.stdout


def _warmup(args):
    return DEFAULTS["warmup"] if args.warmup is None else args.warmup


def _text(numbers):
    return ",".join(map(str, numbers))


def run_ranks(args):
    """``nnscratch bench --ranks N`` (the first of --batch-sizes; --repeats rounds, at least 2)."""
    from ..bench import mpi
    repeats = DEFAULTS["repeats"] if args.repeats is None else args.repeats
    hidden = _ints(args.layers or _text(DEFAULTS["hidden"]), "--layers")
    result = mpi.compare(args.ranks, dataset=args.dataset, hidden=hidden,
                         batch_size=_ints(args.batch_sizes or _text(DEFAULTS["batch_sizes"]))[0], epochs=args.epochs,
                         rounds=max(2, repeats), samples=args.samples or DEFAULTS["samples"], lr=args.lr,
                         seed=args.seed, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(mpi.render(result), file=_table_stream(args), flush=True)
    save(args, result)
    return 0
