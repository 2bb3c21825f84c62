"""Random affine distortions of 28x28 digits (host NumPy): more training data for free.

Small shifts, rotations and scalings keep a digit's class; training on such
copies is the "expanding the training data" of Nielsen's book (seed 000).
"""

import numpy as np

from ..errors import ConfigError

_GRID = np.mgrid[0:28, 0:28].astype(np.float32).reshape(2, 1, 784) - np.float32(13.5)


def random_affine(X, rng, shift=2.0, rotate=12.0, scale=0.12):
    """Distort each (784,) image in ``X`` by a random affine map (bilinear sampling).

    Each image is shifted by up to ``shift`` pixels per axis, rotated by up to
    ``rotate`` degrees and scaled by a factor in ``1 +- scale``; pixels from
    outside the frame are 0. ``X`` is float in [0, 1], shape (n, 784).
    """
    n = len(X)
    theta = np.deg2rad(rng.uniform(-rotate, rotate, (n, 1))).astype(np.float32)
    zoom = (1.0 + rng.uniform(-scale, scale, (n, 1))).astype(np.float32)
    tx, ty = rng.uniform(-shift, shift, (2, n, 1)).astype(np.float32)
    cos, sin = np.cos(theta) / zoom, np.sin(theta) / zoom
    dy, dx = _GRID[0] - ty, _GRID[1] - tx
    # source coordinates of every output pixel, +1 for a zero border around the image
    sx = np.clip(cos * dx + sin * dy + 14.5, 0, 28.999)
    sy = np.clip(-sin * dx + cos * dy + 14.5, 0, 28.999)
    x0, y0 = sx.astype(np.int32), sy.astype(np.int32)
    fx, fy = sx - x0.astype(np.float32), sy - y0.astype(np.float32)
    padded = np.zeros((n, 30, 30), np.float32)
    padded[:, 1:29, 1:29] = np.asarray(X, dtype=np.float32).reshape(n, 28, 28)
    flat = padded.reshape(-1)
    i = (np.arange(n, dtype=np.int64) * 900)[:, None] + y0 * 30 + x0
    top = flat[i] + (flat[i + 1] - flat[i]) * fx
    bottom = flat[i + 30] + (flat[i + 31] - flat[i + 30]) * fx
    return top + (bottom - top) * fy


def augment_images(X, y, copies, seed=0, rng=None):
    """``X`` followed by ``copies`` distorted copies of it, and the matching labels.

    Draws from ``rng`` (a NumPy Generator) if given, else from ``default_rng(seed)``.
    """
    if copies < 0 or X.shape[1] != 784:
        raise ConfigError(f"--augment works on 28x28 images (784 features) with copies >= 0; "
                          f"received {X.shape[1]} features and copies={copies}.")
    rng = np.random.default_rng(seed) if rng is None else rng
    X = np.asarray(X, dtype=np.float32)
    parts = [X] + [random_affine(X, rng) for _ in range(copies)]
    return np.concatenate(parts), np.tile(y, copies + 1)
