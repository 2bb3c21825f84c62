"""``nnscratch bench``: the command-line front of :func:`nnscratch.bench.run_bench`."""

import sys

from ..bench.report import plot, render, write_json
from ..bench.runner import DEFAULTS, run_bench


def _ints(text):
    try:
        values = tuple(int(v) for v in str(text).replace("-", ",").split(",") if v.strip())
    except ValueError:
        raise ValueError(f"expected comma-separated positive integers such as 32,128; got {text!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"expected comma-separated positive integers such as 32,128; got {text!r}")
    return values


def register(subparsers):
    p = subparsers.add_parser(
        "bench", help="time training per backend and batch size against the GEMM roofline",
        description="Train an MLP for a few epochs on every backend and batch size, and print seconds "
                    "per epoch, samples/s, the matrix products' own time (roofline), GFLOP/s and the "
                    "device. Unusable backends are listed with the reason and skipped.")
    p.add_argument("--backends", default="numpy", help="comma-separated, e.g. numpy,cupy,torch:cpu,torch:cuda")
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp", help="cnn: time an epoch of the default "
                   "CNN (nnscratch train --model cnn) against PyTorch on the CPU, alternating, at the first "
                   "--batch-sizes entry (default 128) on --samples images (default 10000)")
    p.add_argument("--layers", default="256,128", help="hidden layer sizes (default 256,128); the input and "
                   "output sizes come from the data")
    p.add_argument("--batch-sizes", default="32,128,1024", help="comma-separated (default 32,128,1024)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--epochs", type=int, default=DEFAULTS["epochs"], help="timed epochs per row (default 5)")
    p.add_argument("--warmup", type=int, default=DEFAULTS["warmup"], help="untimed epochs first (default 1)")
    p.add_argument("--repeats", type=int, default=DEFAULTS["repeats"], help="GEMM-only runs per turn, best "
                   "taken (default 1)")
    p.add_argument("--samples", type=int, default=DEFAULTS["samples"], help="rows of data (default 60000)")
    p.add_argument("--features", type=int, default=DEFAULTS["features"], help="synthetic columns (default 784)")
    p.add_argument("--dataset", default="synthetic", help="synthetic (default), mnist-sample, mnist, fashion-mnist")
    p.add_argument("--lr", type=float, default=DEFAULTS["lr"], help="SGD learning rate (default 0.01)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reference", action="store_true", help="also time the hand-written loops of "
                   "nnscratch/bench/reference/ (NumPy and PyTorch), alternating with nnscratch")
    p.add_argument("--json", metavar="FILE", help="write every raw timing as JSON")
    p.add_argument("--plot", metavar="FILE", help="plot samples/s against batch size (PNG/SVG/PDF)")
    p.add_argument("--ranks", type=int, metavar="N", help="instead: N MPI processes x 1 BLAS thread against "
                   "1 process x N threads, same global batch, alternating --repeats rounds; reports the "
                   "all-reduce time per step (needs the mpi extra)")
    p.set_defaults(func=run)


def run(args):
    if args.ranks:
        return run_ranks(args)
    if args.model == "cnn":
        from ..bench.cnn import render_cnn, run_cnn_bench
        sizes = _ints(args.batch_sizes) if args.batch_sizes != "32,128,1024" else (128,)
        rows = run_cnn_bench(backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
                             batch_size=sizes[0], samples=10000 if args.samples == DEFAULTS["samples"] else args.samples,
                             dataset=args.dataset, epochs=args.epochs, warmup=args.warmup, lr=args.lr, seed=args.seed,
                             log=lambda line: print(line, file=sys.stderr, flush=True))
        print(render_cnn(rows), flush=True)
        if args.json:
            write_json({"cnn": rows}, args.json)
        return 0
    result = run_bench(backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
                       hidden=_ints(args.layers), batch_sizes=_ints(args.batch_sizes), dtype=args.dtype,
                       epochs=args.epochs, warmup=args.warmup, repeats=args.repeats, samples=args.samples,
                       features=args.features, dataset=args.dataset, reference=args.reference,
                       lr=args.lr, seed=args.seed, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(render(result), flush=True)
    if args.json:
        write_json(result, args.json)
    if args.plot:
        plot(result, args.plot)
    return 0


def run_ranks(args):
    """``nnscratch bench --ranks N`` (the first of --batch-sizes; --repeats rounds, at least 2)."""
    from ..bench import mpi
    result = mpi.compare(args.ranks, dataset=args.dataset, hidden=_ints(args.layers),
                         batch_size=_ints(args.batch_sizes)[0], epochs=args.epochs, rounds=max(2, args.repeats),
                         samples=args.samples, lr=args.lr, seed=args.seed,
                         log=lambda line: print(line, file=sys.stderr, flush=True))
    print(mpi.render(result), flush=True)
    if args.json:
        write_json(result, args.json)
    return 0
