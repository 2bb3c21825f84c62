"""The same model on every usable backend, from the same seed: time and accuracy side by side.

The initial weights and the shuffling order are drawn on the host from one
seed, so every backend starts from identical numbers; the losses should agree
to float32 rounding and only the time should differ.

    python examples/cpu_vs_gpu.py                       # every usable backend
    python examples/cpu_vs_gpu.py --backends numpy,cupy --epochs 5
"""
import argparse
import statistics
import sys
import time

import numpy as np

import nnscratch as nn
from nnscratch.cli.values import POSITIVE_INT, SEED
from nnscratch.datasets import load_mnist_sample


def usable_backends():
    """Names of the backends that work here (``cupy`` only with a usable GPU)."""
    return [info.name for info in nn.available_backends() if info.usable]


def runnable(specs):
    """The backends of ``specs`` that run here; each other one is skipped with its reason (as
    ``nnscratch info`` gives it), and none left is one clear line, as is a name no backend has (a typo)."""
    kept = []
    for spec in specs:
        try:
            nn.get_backend(spec)
            kept.append(spec)
        except nn.errors.BackendUnavailableError as exc:
            print(f"skipping {spec}: {' '.join(str(exc).split())}")
        except nn.errors.ConfigError as exc:  # not a backend at all: said, not skipped
            print(f"cpu_vs_gpu.py: --backends {spec}: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    if not kept:
        print(f"cpu_vs_gpu.py: none of {','.join(specs)} can run here; `nnscratch info` lists the usable "
              "backends (e.g. --backends numpy).", file=sys.stderr)
        raise SystemExit(2)
    return kept


def run(spec, sizes, data, args):
    X, y, X_test, y_test = data
    backend = nn.get_backend(spec)
    net = nn.Network.from_sizes(*sizes, seed=args.seed, backend=backend)
    backend.synchronize()
    start = time.perf_counter()
    history = net.fit(X, y, epochs=args.epochs, batch_size=args.batch_size)
    backend.synchronize()
    total = time.perf_counter() - start
    seconds = history.history["seconds"]
    steady = statistics.median(seconds[1:]) if len(seconds) > 1 else seconds[0]
    test = net.evaluate(X_test, y_test)
    return {"backend": str(backend), "describe": backend.describe(), "total": total,
            "epoch": steady, "first_loss": history.history["loss"][0],
            "loss": history.history["loss"][-1], "accuracy": test["accuracy"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", help="comma-separated (default: every usable backend)")
    parser.add_argument("--backend", help="just this one backend (same as --backends X)")
    parser.add_argument("--layers", default="784,256,128,10", help="layer sizes (default %(default)s)")
    parser.add_argument("--epochs", type=POSITIVE_INT, default=3, help="epochs per backend (default %(default)s)")
    parser.add_argument("--batch-size", type=POSITIVE_INT, default=128, help="(default %(default)s)")
    parser.add_argument("--train", type=POSITIVE_INT, default=None, help="train on a random N of the 8,000 digits")
    parser.add_argument("--seed", type=SEED, default=0,
                        help="initial weights, shuffling and the --train draw (default %(default)s)")
    args = parser.parse_args(argv)
    specs = (args.backends or args.backend or "").split(",") if (args.backends or args.backend) \
        else usable_backends()
    specs = runnable([s.strip() for s in specs if s.strip()])
    sizes = [int(s) for s in args.layers.split(",")]
    X, y, X_test, y_test = load_mnist_sample()
    keep = np.random.default_rng(args.seed).permutation(len(X))[:args.train]  # a random N, drawn from --seed
    data = (X[keep], y[keep], X_test, y_test)
    print(f"{args.layers.replace(',', '-')} on {len(data[0]):,} digits, {args.epochs} epoch{'s' * (args.epochs != 1)}, "
          f"batch {args.batch_size}, seed {args.seed}\n")
    print(f"{'backend':28s} {'s/epoch':>8s} {'total s':>8s} {'loss ep1':>9s} {'final loss':>10s} "
          f"{'test acc':>8s}")
    rows = []
    for spec in specs:
        r = run(spec.strip(), sizes, data, args)
        rows.append(r)
        print(f"{r['backend']:28s} {r['epoch']:8.3f} {r['total']:8.2f} {r['first_loss']:9.5f} "
              f"{r['loss']:10.5f} {r['accuracy']:8.2%}")
    print()
    for r in rows:
        print(f"{r['backend']}: {r['describe']}")
    if len(rows) > 1:  # one backend has nothing to agree with
        spread = max(r["first_loss"] for r in rows) - min(r["first_loss"] for r in rows)
        print(f"\nfirst-epoch losses agree to {spread:.1e} (same seed, same initial weights)")
    return rows


if __name__ == "__main__":
    main()
