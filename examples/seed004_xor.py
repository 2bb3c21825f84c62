"""Seed 004, "Neural Networks from Scratch": a 3-4-5-1 sigmoid network learns the write-up's four rows.

The rows are not XOR (their label is their first input: docs/tutorials/xor.md trains XOR itself);
the file keeps the name the tutorial gives the recipe. The write-up trains on four samples whose
third input is always 1 (its bias),
with weights drawn from N(0, 1), the cost sum(0.5 * (y - p)**2) and full-batch
gradient descent at learning rate 0.1 for 5,000 epochs, printing the cost every
1,000 epochs.  The same recipe in nnscratch:

    python examples/seed004_xor.py                 # $NNSCRATCH_BACKEND, else a usable GPU, else NumPy
    python examples/seed004_xor.py --backend torch
"""
import argparse
import os
import sys

import numpy as np

import nnscratch as nn
from nnscratch.cli.values import POSITIVE_INT, RATE, SEED

X = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=np.float32)
Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
WRITE_UP = {0: 0.688239103472, 1000: 0.0192991528354, 2000: 0.00398719767284,
            3000: 0.00202819194556, 4000: 0.00132494673741}

HERE = os.path.dirname(os.path.abspath(__file__))


class PrintCost(nn.Callback):
    """Print the cost every ``every`` epochs, beside the write-up's figure."""

    def __init__(self, every, n_samples):
        self.every, self.n = every, n_samples

    def on_epoch_end(self, epoch, logs, network):
        if epoch % self.every == 0:
            theirs = WRITE_UP.get(epoch)
            ref = f"   (write-up: {theirs:.6f})" if theirs is not None else ""
            print(f"cost at epoch {epoch:5d}: {logs['loss'] * self.n:.6f}{ref}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", help="numpy, torch, cupy, array_api_strict ... (default: $NNSCRATCH_BACKEND, "
                        "else CuPy where a GPU is usable, else NumPy)")
    parser.add_argument("--epochs", type=POSITIVE_INT, default=5000, help="full-batch epochs (default %(default)s)")
    parser.add_argument("--lr", type=RATE, default=0.1,
                        help="the write-up's learning rate, on its summed cost (default %(default)s)")
    parser.add_argument("--every", type=POSITIVE_INT, default=1000,
                        help="print the cost every N epochs (default %(default)s)")
    parser.add_argument("--seed", type=SEED, default=1, help="initial weights (default %(default)s)")
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
        check_picture_paths([os.path.join(args.out, "seed004_xor_cost.png")], parser=parser)

    net = nn.Network.from_sizes(3, 4, 5, 1, hidden="sigmoid", output="sigmoid",
                                init=nn.Normal(1.0), seed=args.seed, backend=args.backend)
    print(f"3-4-5-1 sigmoid network on {net.backend}, cost = sum 0.5 (y - p)^2, "
          f"full-batch gradient descent, lr {args.lr}")
    # nnscratch's "sse" is 1/2 sum (y - p)^2 *averaged* over the samples; the write-up
    # sums over its 4 samples.  Same update: lr * 4 on the mean; same cost: mean * 4.
    n = len(X)
    history = net.fit(X, Y, epochs=args.epochs, batch_size=None, loss="sse",
                      optimizer=nn.SGD(lr=args.lr * n), shuffle=False, callbacks=[PrintCost(args.every, n)])
    p = net.backend.to_numpy(net.predict_proba(X)).reshape(-1)
    print("\n inputs    target  prediction")
    for x, t, q in zip(X, Y[:, 0], p):
        print(f" {x.astype(int)}   {int(t)}      {q:.4f}")
    print(f"\nall four right: {bool(np.all((p > 0.5) == (Y[:, 0] > 0.5)))}")
    if not args.no_plots:
        plot_cost([loss * n for loss in history.history["loss"]], args.out)
    return p


def plot_cost(costs, out):
    """The cost per epoch (log scale), with the write-up's printed costs as points."""
    from nnscratch.viz import plot_curves

    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "seed004_xor_cost.png")
    reference = [WRITE_UP[e] for e in sorted(WRITE_UP) if e < len(costs)]
    plot_curves({"nnscratch": costs}, path, metric="cost", start=0, logy=True,
                references=[(reference[-1], f"write-up at epoch {sorted(WRITE_UP)[len(reference) - 1]}: "
                             f"{reference[-1]:.4f}")] if reference else None,
                title="Seed 004's four rows, 3-4-5-1 sigmoid: cost sum 0.5 (y - p)^2 per epoch")
    print(f"saved {path}")


if __name__ == "__main__":
    try:
        main()
    except nn.errors.NNScratchError as error:  # a mistake in what was asked: one line, as nnscratch says it
        print(f"{os.path.basename(__file__)}: {error}", file=sys.stderr)
        sys.exit(2)
