"""Seed 002, "Artificial-Neural-Network-from-Scratch": a 7-layer net and a 9-layer autoencoder.

The write-up builds a deep network of 7 layers and an autoencoder of 9, trains
both with the sum-of-squares error and plain gradient descent, draws their
architecture, animates training (green: a weight went up, red: it went down)
and plots the loss.  Its "future work" (Adam, Leaky ReLU) is done here too:

- deep net 2-8-8-8-8-8-1 (sigmoid) classifying two moons, target 0/1;
- autoencoder 8-6-4-3-2-3-4-6-8 reconstructing 8-feature points of 4 clusters
  through a 2-neuron bottleneck;
- each trained three ways: SGD + sigmoid (the write-up), Adam + sigmoid,
  Adam + Leaky ReLU, losses compared on one plot.

    python examples/seed002_deep_and_autoencoder.py --backend numpy
"""
import argparse
import os
import sys

import numpy as np

import nnscratch as nn
from nnscratch.cli.values import POSITIVE_INT, RATE, SEED
from nnscratch.datasets import blobs, moons

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = {"SGD + sigmoid (write-up)": ("sigmoid", lambda a: nn.SGD(lr=a.sgd_lr)),
        "Adam + sigmoid": ("sigmoid", lambda a: nn.Adam(lr=a.adam_lr)),
        "Adam + Leaky ReLU": ("leaky_relu", lambda a: nn.Adam(lr=a.adam_lr))}


def problems(n, seed):
    """The deep net's moons (X, y as a column) and the autoencoder's (X, X)."""
    X, y = moons(n, noise=0.1, seed=seed)
    A, _ = blobs(n, centers=4, n_features=8, seed=seed)
    A = ((A - A.min(axis=0)) / (A.max(axis=0) - A.min(axis=0))).astype(np.float32)
    return {"deep": ((2, 8, 8, 8, 8, 8, 1), X, y.reshape(-1, 1).astype(np.float32)),
            "autoencoder": ((8, 6, 4, 3, 2, 3, 4, 6, 8), A, A)}


def train(name, sizes, X, Y, args):
    """Train one network three ways; the last run is recorded for the live view."""
    losses, live, net = {}, None, None
    for label, (hidden, make_opt) in RUNS.items():
        net = nn.Network.from_sizes(*sizes, hidden=hidden, output="sigmoid", seed=args.seed,
                                    backend=args.backend)
        callbacks = []
        if not args.no_plots and label == "Adam + Leaky ReLU":
            from nnscratch.viz import LiveArchitecture
            live = LiveArchitecture(os.path.join(args.out, f"seed002_{name}_training.gif"),
                                    every=max(1, args.epochs // args.frames), title=name)
            callbacks.append(live)
        h = net.fit(X, Y, epochs=args.epochs, batch_size=args.batch_size, loss="sse",
                    optimizer=make_opt(args), callbacks=callbacks).history
        losses[label] = h["loss"]
        acc = f", accuracy {h['accuracy'][-1]:.1%}" if name == "deep" else ""
        print(f"{name:11s} {label:26s} loss {h['loss'][0]:.4f} -> {h['loss'][-1]:.6f}{acc}")
    return net, losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", help="numpy, torch, cupy, array_api_strict ... (default: $NNSCRATCH_BACKEND, "
                        "else CuPy where a GPU is usable, else NumPy)")
    parser.add_argument("--epochs", type=POSITIVE_INT, default=200,
                        help="epochs of each training (default %(default)s)")
    parser.add_argument("--samples", type=POSITIVE_INT, default=500,
                        help="points of each data set (default %(default)s)")
    parser.add_argument("--batch-size", type=POSITIVE_INT, default=32, help="(default %(default)s)")
    parser.add_argument("--sgd-lr", type=RATE, default=1.0,
                        help="learning rate of the write-up's SGD (default %(default)s)")
    parser.add_argument("--adam-lr", type=RATE, default=0.01,
                        help="learning rate of the two Adam runs (default %(default)s)")
    parser.add_argument("--frames", type=POSITIVE_INT, default=25,
                        help="frames in each training GIF (default %(default)s)")
    parser.add_argument("--seed", type=SEED, default=0,
                        help="data, initial weights and shuffling (default %(default)s)")
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
        check_picture_paths([os.path.join(args.out, f"seed002_{name}_{kind}")
                             for name in ("deep", "autoencoder")
                             for kind in ("training.gif", "architecture.png", "loss.png")], parser=parser)
    print(f"sum-of-squares loss, {args.epochs} epochs, batch {args.batch_size}, "
          f"{nn.get_backend(args.backend)}")
    results = {}
    for name, (sizes, X, Y) in problems(args.samples, args.seed).items():
        net, losses = train(name, sizes, X, Y, args)
        results[name] = {k: v[-1] for k, v in losses.items()}
        if not args.no_plots:
            from nnscratch.viz import plot_architecture, plot_curves
            plot_architecture(net, os.path.join(args.out, f"seed002_{name}_architecture.png"),
                              title=f"{name} {'-'.join(map(str, sizes))} after training "
                              "(blue +, red -)")
            plot_curves(losses, os.path.join(args.out, f"seed002_{name}_loss.png"),
                        title=f"{name}: sum-of-squares loss per epoch")
    if not args.no_plots:
        print(f"saved each network's training animation, architecture and loss curves in {args.out}/")
    return results


if __name__ == "__main__":
    try:
        main()
    except nn.errors.NNScratchError as error:  # a mistake in what was asked: one line, as nnscratch says it
        print(f"{os.path.basename(__file__)}: {error}", file=sys.stderr)
        sys.exit(2)
