"""Randomness: every random draw (initial weights, shuffling, the keys of dropout masks) comes
from a host NumPy generator, so the same seed starts NumPy, CuPy and PyTorch from identical
weights; a network built without a seed records the fresh one it drew."""

import numpy as np


def host_rng(seed: int | None) -> np.random.Generator:
    """The host random generator every draw comes from (weights, shuffling)."""
    return np.random.default_rng(seed)


def new_seed():
    """A fresh seed for a network built without one (recorded, so runs can be repeated)."""
    return int(np.random.SeedSequence().entropy % 2**32)
