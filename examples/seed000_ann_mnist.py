"""Seed 000, "Artificial Neural Network from scratch": per-sample SGD on MNIST.

The write-up builds ``ANN(*layers)`` with weights and biases drawn from
U(-0.05, 0.05), ReLU hidden layers and a softmax output, and trains it one
sample at a time with plain SGD, reaching 90.7% test accuracy on MNIST.  The
same recipe in nnscratch (cross-entropy fused with softmax instead of the
write-up's squared error times the softmax's diagonal derivative), then the
same architecture with nnscratch's defaults (He init, Adam, minibatches of 32).
Saves the confusion matrix, the activation animation, the misclassified digits
and the first-layer weights:

    python examples/seed000_ann_mnist.py --backend numpy
"""
import argparse
import os
import sys

import numpy as np

import nnscratch as nn
from nnscratch.cli.values import POSITIVE_INT, RATE, SEED
from nnscratch.datasets import load_mnist_sample

HERE = os.path.dirname(os.path.abspath(__file__))
PICTURES = ("seed000_confusion.png", "seed000_activations.gif", "seed000_misclassified.png",
            "seed000_weights.png")


def run(name, net, X, y, X_test, y_test, **fit):
    history = net.fit(X, y, **fit)
    acc = net.evaluate(X_test, y_test)["accuracy"]
    print(f"{name}: test accuracy {acc:.1%} after {len(history.epoch)} epochs "
          f"({sum(history.history['seconds']):.1f} s)   [write-up: 90.7%]")
    return acc


def pictures(net, seed_net, X_test, y_test, out, n_images=12):
    from nnscratch.viz import (animate_activations, plot_confusion, plot_first_layer_weights,
                               plot_misclassified)
    pred = net.backend.to_numpy(net.predict(X_test))
    some = np.random.default_rng(0).permutation(len(X_test))[:n_images]  # a random choice of test digits
    acc = float(np.mean(pred.reshape(-1) == np.asarray(y_test).reshape(-1)))
    plot_confusion(y_test, pred, os.path.join(out, "seed000_confusion.png"),
                   title=f"{'-'.join(map(str, net.sizes))} with nnscratch's defaults: accuracy {acc:.1%} on "
                   f"{len(y_test):,} test digits")
    animate_activations(net, X_test[some], os.path.join(out, "seed000_activations.gif"),
                        y=y_test[some], n_images=n_images)
    plot_misclassified(X_test, y_test, pred, os.path.join(out, "seed000_misclassified.png"),
                       proba=net.backend.to_numpy(net.predict_proba(X_test)))
    # The write-up's small U(-0.05, 0.05) start lets the learned strokes show.
    plot_first_layer_weights(seed_net, os.path.join(out, "seed000_weights.png"), max_units=32,
                             title="first-layer weights after per-sample SGD from U(-0.05, 0.05): "
                             "blue excites, red inhibits")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", help="numpy, torch, cupy, array_api_strict ... (default: $NNSCRATCH_BACKEND, "
                        "else CuPy where a GPU is usable, else NumPy)")
    parser.add_argument("--layers", default="784,128,64,10", help="layer sizes (default %(default)s)")
    parser.add_argument("--sgd-epochs", type=POSITIVE_INT, default=3,
                        help="epochs of the write-up's per-sample SGD (default %(default)s)")
    parser.add_argument("--lr", type=RATE, default=0.01, help="per-sample SGD learning rate (default %(default)s)")
    parser.add_argument("--epochs", type=POSITIVE_INT, default=10,
                        help="epochs with nnscratch's defaults (default %(default)s)")
    parser.add_argument("--train", type=POSITIVE_INT, default=None, help="train on a random N of the 8,000 digits")
    parser.add_argument("--seed", type=SEED, default=0,
                        help="initial weights, shuffling and the --train draw (default %(default)s)")
    parser.add_argument("--out", default="nnscratch-pictures", help="folder for the pictures "
                        "(default ./nnscratch-pictures; never the tracked examples/images/)")
    parser.add_argument("--readme", action="store_true", help="regenerate the README's pictures: "
                        "write them to examples/images/ (tracked files) instead of --out")
    parser.add_argument("--images", type=POSITIVE_INT, default=12,
                        help="digits in the animation (default %(default)s)")
    parser.add_argument("--no-plots", action="store_true",
                        help="train and print, draw nothing (no matplotlib needed)")
    args = parser.parse_args(argv)
    args.out = os.path.join(HERE, "images") if args.readme else args.out
    if not args.no_plots:  # before training: a file in the way is said now, not after
        from nnscratch.viz import check_picture_paths
        check_picture_paths([os.path.join(args.out, name) for name in PICTURES], parser=parser)
    sizes = [int(s) for s in args.layers.split(",")]
    X, y, X_test, y_test = load_mnist_sample()
    keep = np.random.default_rng(args.seed).permutation(len(X))[:args.train]  # X is sorted
    X, y = X[keep], y[keep]
    print(f"{args.layers.replace(',', '-')} on {len(X):,} training / {len(X_test):,} test "
          f"digits, backend {nn.get_backend(args.backend)}")

    seed = nn.Network.from_sizes(*sizes, init=nn.Uniform(0.05, biases=True), seed=args.seed,
                                 backend=args.backend)
    a = run(f"write-up recipe (U(-0.05, 0.05), per-sample SGD lr {args.lr})", seed, X, y,
            X_test, y_test, epochs=args.sgd_epochs, batch_size=1, optimizer=nn.SGD(lr=args.lr))
    net = nn.Network.from_sizes(*sizes, seed=args.seed, backend=args.backend)
    b = run("nnscratch defaults (He init, Adam 1e-3, batch 32)", net, X, y, X_test, y_test,
            epochs=args.epochs, batch_size=32)
    if not args.no_plots:
        pictures(net, seed, X_test, y_test, args.out, args.images)
        print(f"saved the confusion matrix, activations, misclassified digits and weights in {args.out}/")
    return {"seed_recipe": a, "defaults": b}


if __name__ == "__main__":
    try:
        main()
    except nn.errors.NNScratchError as error:  # a mistake in what was asked: one line, as nnscratch says it
        print(f"{os.path.basename(__file__)}: {error}", file=sys.stderr)
        sys.exit(2)
