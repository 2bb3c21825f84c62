"""Seed 001, "Building a Neural Network From Scratch": 784-16-10, full-batch gradient descent.

The write-up initialises W ~ U(-0.5, 0.5) and zero biases, uses ReLU then
softmax with the cross-entropy gradient (A2 - one_hot) / m, and takes 350
full-batch steps at learning rate 0.2 on Kaggle's 42,000 training digits,
printing the training accuracy every 10 steps (89.7% at the end).  Here the
same recipe runs on the 8,000 training digits shipped with nnscratch, then the
same 784-16-10 network with nnscratch's defaults (He init, Adam, minibatches):

    python examples/seed001_full_batch.py --backend numpy
"""
import argparse
import os
import sys

import numpy as np

import nnscratch as nn
from nnscratch.cli.values import POSITIVE_INT, RATE, SEED
from nnscratch.datasets import load_mnist_sample

HERE = os.path.dirname(os.path.abspath(__file__))
WRITE_UP = [0.1082, 0.4764, 0.6211, 0.6908, 0.7339, 0.7628, 0.7834, 0.7981, 0.8107, 0.8205,
            0.8295, 0.8370, 0.8432, 0.8493, 0.8543, 0.8585, 0.8622, 0.8657, 0.8692, 0.8719,
            0.8747, 0.8770, 0.8789, 0.8809, 0.8827, 0.8844, 0.8865, 0.8881, 0.8895, 0.8908,
            0.8923, 0.8933, 0.8946, 0.8957, 0.8966]  # training accuracy every 10 steps


class EveryTen(nn.Callback):
    """Print the training accuracy of every 10th step, as the write-up does."""

    def __init__(self, every=10):
        self.every = every

    def on_epoch_end(self, epoch, logs, network):
        if epoch % self.every == 0:
            print(f"iteration {epoch:4d}: training accuracy {logs['accuracy']:.4f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", help="numpy, torch, cupy, array_api_strict ... (default: $NNSCRATCH_BACKEND, "
                        "else CuPy where a GPU is usable, else NumPy)")
    parser.add_argument("--iterations", type=POSITIVE_INT, default=350,
                        help="full-batch gradient-descent steps (default %(default)s)")
    parser.add_argument("--lr", type=RATE, default=0.2, help="learning rate of those steps (default %(default)s)")
    parser.add_argument("--train", type=POSITIVE_INT, default=None, help="train on a random N of the 8,000 digits")
    parser.add_argument("--epochs", type=POSITIVE_INT, default=10,
                        help="epochs of the run with nnscratch's defaults (default %(default)s)")
    parser.add_argument("--seed", type=SEED, default=0,
                        help="initial weights, shuffling and the --train draw (default %(default)s)")
    parser.add_argument("--out", default="nnscratch-pictures", help="folder for the pictures "
                        "(default ./nnscratch-pictures; never the tracked examples/images/)")
    parser.add_argument("--readme", action="store_true", help="regenerate the README's pictures: "
                        "write them to examples/images/ (tracked files) instead of --out")
    parser.add_argument("--no-plots", action="store_true",
                        help="train and print, draw nothing (no matplotlib needed)")
    args = parser.parse_args(argv)
    args.out = os.path.join(HERE, "images") if args.readme else args.out
    picture = os.path.join(args.out, "seed001_accuracy.png")
    if not args.no_plots:  # before training: a file in the way is said now, not after
        from nnscratch.viz import check_picture_paths
        check_picture_paths([picture], parser=parser)
    X, y, X_test, y_test = load_mnist_sample()
    keep = np.random.default_rng(args.seed).permutation(len(X))[:args.train]  # X is sorted
    X, y = X[keep], y[keep]

    net = nn.Network.from_sizes(784, 16, 10, init=nn.Uniform(0.5), seed=args.seed,
                                backend=args.backend)
    print(f"784-16-10, U(-0.5, 0.5) init, full-batch gradient descent, lr {args.lr}, "
          f"{len(X)} training digits, {net.backend}")
    history = net.fit(X, y, epochs=args.iterations, batch_size=None, optimizer=nn.SGD(lr=args.lr),
                      shuffle=False, callbacks=[EveryTen()])
    accs = history.history["accuracy"][::10]
    seed_test = net.evaluate(X_test, y_test)["accuracy"]
    print(f"after {args.iterations} steps: training accuracy {history.history['accuracy'][-1]:.1%} "
          f"(write-up: 89.7% after 350), test accuracy {seed_test:.1%}")

    default = nn.Network.from_sizes(784, 16, 10, seed=args.seed, backend=args.backend)
    default.fit(X, y, epochs=args.epochs, batch_size=32)
    default_test = default.evaluate(X_test, y_test)["accuracy"]
    print(f"same 784-16-10 with nnscratch's defaults (He init, Adam 1e-3, batch 32, "
          f"{args.epochs} epoch{'s' * (args.epochs != 1)}): test accuracy {default_test:.1%}")
    if not args.no_plots:
        from nnscratch.viz import plot_curves
        plot_curves({f"nnscratch, {len(X):,} shipped MNIST digits": accs,
                     "write-up, 42,000 Kaggle digits": WRITE_UP},
                    picture, metric="accuracy", step=10, start=0,
                    xlabel="full-batch gradient-descent step", references=[(0.897, "write-up: 89.7%")],
                    title="784-16-10, full-batch GD at lr 0.2: training accuracy every 10 steps")
        print(f"saved {picture}")
    return {"seed_recipe_train": history.history["accuracy"][-1], "seed_recipe_test": seed_test,
            "defaults_test": default_test}


if __name__ == "__main__":
    try:
        main()
    except nn.errors.NNScratchError as error:  # a mistake in what was asked: one line, as nnscratch says it
        print(f"{os.path.basename(__file__)}: {error}", file=sys.stderr)
        sys.exit(2)
