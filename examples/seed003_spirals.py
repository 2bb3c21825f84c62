"""Seed 003, "Learning how to implement a Neural Network from Scratch": spirals and moons.

Dense(2, 64) / ReLU / Dense(64, k) / Softmax, categorical cross-entropy, and
SGD with the write-up's learning-rate decay lr / (1 + decay * step) (lr 1.0,
decay 1e-3), full batch, on three interleaved spirals and on two moons.  Saves
each decision boundary and the training curves:

    python examples/seed003_spirals.py --backend numpy
"""
import argparse
import os
import sys

import nnscratch as nn
from nnscratch.cli.values import FRACTION, NONNEGATIVE, POSITIVE_INT, RATE, SEED
from nnscratch.datasets import moons, spirals

HERE = os.path.dirname(os.path.abspath(__file__))


def train(name, X, y, n_classes, args):
    net = nn.Network([nn.Dense(2, args.hidden), nn.ReLU(), nn.Dense(args.hidden, n_classes),
                      nn.Softmax()], seed=args.seed, backend=args.backend)
    opt = nn.SGD(lr=args.lr, decay=args.decay, momentum=args.momentum)
    history = net.fit(X, y, epochs=args.epochs, batch_size=None, loss="cross_entropy",
                      optimizer=opt, shuffle=False)
    h = history.history
    print(f"{name:8s} {len(X)} points, {n_classes} classes: loss {h['loss'][-1]:.3f}, "
          f"accuracy {h['accuracy'][-1]:.1%}, final lr {opt.current_lr:.3f}")
    return net, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", help="numpy, torch, cupy, array_api_strict ... (default: $NNSCRATCH_BACKEND, "
                        "else CuPy where a GPU is usable, else NumPy)")
    parser.add_argument("--epochs", type=POSITIVE_INT, default=10000,
                        help="full-batch epochs on each data set (default %(default)s)")
    parser.add_argument("--points", type=POSITIVE_INT, default=100,
                        help="points per spiral arm; the moons get twice as many (default %(default)s)")
    parser.add_argument("--hidden", type=POSITIVE_INT, default=64,
                        help="neurons of the hidden layer (default %(default)s)")
    parser.add_argument("--lr", type=RATE, default=1.0, help="initial learning rate (default %(default)s)")
    parser.add_argument("--decay", type=NONNEGATIVE, default=1e-3,
                        help="the rate is lr / (1 + decay * step) (default %(default)s)")
    parser.add_argument("--momentum", type=FRACTION, default=0.0,
                        help="the write-up uses none (default %(default)s); 0.9 untangles the spirals much better")
    parser.add_argument("--seed", type=SEED, default=0, help="data and initial weights (default %(default)s)")
    parser.add_argument("--out", default="nnscratch-pictures", help="folder for the pictures "
                        "(default ./nnscratch-pictures; never the tracked examples/images/)")
    parser.add_argument("--readme", action="store_true", help="regenerate the README's pictures: "
                        "write them to examples/images/ (tracked files) instead of --out")
    parser.add_argument("--no-plots", action="store_true",
                        help="train and print, draw nothing (no matplotlib needed)")
    args = parser.parse_args(argv)
    args.out = os.path.join(HERE, "images") if args.readme else args.out
    if not args.no_plots:  # before training: a file in the way is said now, not after
        from nnscratch.viz import check_picture_paths
        check_picture_paths([os.path.join(args.out, f"seed003_{name}{kind}") for name in ("spirals", "moons")
                             for kind in (".png", "_curves.png")], parser=parser)

    sets = {"spirals": (*spirals(args.points, 3, seed=args.seed), 3),
            "moons": (*moons(2 * args.points, noise=0.1, seed=args.seed), 2)}
    print(f"{args.epochs} full-batch epochs of SGD (lr {args.lr}, decay {args.decay}, "
          f"momentum {args.momentum}) "
          f"on {nn.get_backend(args.backend)}")
    results = {}
    for name, (X, y, k) in sets.items():
        net, history = train(name, X, y, k, args)
        results[name] = history.history["accuracy"][-1]
        if not args.no_plots:
            from nnscratch.viz import plot_decision_boundary, plot_history
            plot_decision_boundary(net, X, y, os.path.join(args.out, f"seed003_{name}.png"),
                                   title=f"{name}: Dense-ReLU-Dense-Softmax, SGD with decay")
            plot_history(history, os.path.join(args.out, f"seed003_{name}_curves.png"),
                         title=f"{name}: training", logy=True)
    if not args.no_plots:
        print(f"saved the decision boundaries and training curves in {args.out}/")
    return results


if __name__ == "__main__":
    try:
        main()
    except nn.errors.NNScratchError as error:  # a mistake in what was asked: one line, as nnscratch says it
        print(f"{os.path.basename(__file__)}: {error}", file=sys.stderr)
        sys.exit(2)
