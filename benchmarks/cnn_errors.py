"""Which test digits trained models get wrong, alone and averaged: how far a better recipe can go.

    OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 nnscratch train --model cnn --seed 0 --out m0.npz
    ...                                                       # as many models as you like
    python benchmarks/cnn_errors.py m0.npz m1.npz w0.npz w1.npz [--picture wrong.png]

For each saved model: its errors on the 2,000 test digits of the shipped MNIST sample. Then every
group of two or more: the errors of their averaged class probabilities (an ensemble, which costs the
training of all of them), the digits every model gets wrong (index: label>the first model's
prediction) and how many any gets wrong. ``--picture`` saves the digits every model gets wrong side
by side, in the order printed (Pillow, from the ``viz`` extra).
"""

import argparse
import itertools

import numpy as np

from nnscratch import Network
from nnscratch.datasets.mnist_sample import load_mnist_sample


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="saved models (.npz) trained on mnist-sample")
    parser.add_argument("--picture", help="also save the digits every model gets wrong as a PNG")
    args = parser.parse_args()
    data = load_mnist_sample()
    X, y = data.X_test, data.y_test
    probabilities = {path: np.asarray(Network.load(path).predict_proba(X)) for path in args.models}
    wrong = {path: set(np.flatnonzero(p.argmax(1) != y).tolist()) for path, p in probabilities.items()}
    for path in args.models:
        print(f"{path}: {len(wrong[path])} errors ({1 - len(wrong[path]) / len(y):.2%})")
    for size in range(2, len(args.models) + 1):
        for group in itertools.combinations(args.models, size):
            mean = sum(probabilities[p] for p in group) / size
            errors = int((mean.argmax(1) != y).sum())
            print(f"averaged {' + '.join(group)}: {errors} errors ({1 - errors / len(y):.2%})")
    every = sorted(set.intersection(*wrong.values()))
    print(f"wrong in every model: {len(every)} {every}")
    print(f"wrong in at least one: {len(set.union(*wrong.values()))}")
    first = probabilities[args.models[0]]
    print("  " + ", ".join(f"#{i}: {y[i]}>{first[i].argmax()}" for i in every))
    if args.picture and every:
        save_picture(X[every], args.picture)
        print(f"saved {args.picture}")


def save_picture(images, path, scale=3):
    """The 28x28 images side by side, grey borders, ``scale`` times enlarged."""
    from PIL import Image
    tiles = [np.pad((image.reshape(28, 28) * 255).astype(np.uint8), 2, constant_values=128) for image in images]
    strip = np.hstack(tiles)
    Image.fromarray(strip).resize((strip.shape[1] * scale, strip.shape[0] * scale), Image.NEAREST).save(path)


if __name__ == "__main__":
    main()
