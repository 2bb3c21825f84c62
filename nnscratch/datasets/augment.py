"""Random distortions of 28x28 digits (host NumPy): more training data for free.

Small shifts, rotations and scalings keep a digit's class; training on such
copies is the "expanding the training data" of Nielsen's book (seed 000).
An optional smooth random warp on top (``elastic``) bends strokes the way
handwriting varies, after Simard et al.'s elastic distortions (2003).
"""

import numpy as np

from ..errors import ConfigError
from ..validation import host_copy, is_device_array

_GRID = np.mgrid[0:28, 0:28].astype(np.float32).reshape(2, 1, 784) - np.float32(13.5)


def _upsampler(points, size=28):
    """``(size, points)``: linear interpolation from ``points`` evenly spaced control values."""
    pos = np.linspace(0, points - 1, size)
    low = np.minimum(pos.astype(int), points - 2)
    matrix = np.zeros((size, points), np.float32)
    matrix[np.arange(size), low] = 1 - (pos - low)
    matrix[np.arange(size), low + 1] = pos - low
    return matrix


_UP = _upsampler(4)


CHUNK = 256  # images distorted at a time: each one's arrays (about 1 MB) stay in the cache


def random_affine(X, rng, shift=2.0, rotate=12.0, scale=0.12, elastic=0.0, out=None):
    """Distort each (784,) image in ``X`` by a random affine map (bilinear sampling).

    Each image is shifted by up to ``shift`` pixels per axis, rotated by up to
    ``rotate`` degrees and scaled by a factor in ``1 +- scale``; pixels from
    outside the frame are 0. With ``elastic`` > 0 every pixel is moved further
    by a smooth random displacement: normal with standard deviation ``elastic``
    pixels at a 4x4 grid of control points, interpolated linearly in between.
    ``X`` is float in [0, 1], shape (n, 784). The result is written into ``out``
    (float32 or float64, (n, 784)) where given, else into a new float32 array, and returned.

    The random numbers are drawn for all images first, then the images are
    distorted ``CHUNK`` at a time: the same numbers as one pass over all of
    them, several times faster, with arrays that stay in the cache.
    """
    n = len(X)
    theta = np.deg2rad(rng.uniform(-rotate, rotate, (n, 1))).astype(np.float32)
    zoom = (1.0 + rng.uniform(-scale, scale, (n, 1))).astype(np.float32)
    tx, ty = rng.uniform(-shift, shift, (2, n, 1)).astype(np.float32)
    coarse = rng.standard_normal((2, n, 4, 4), dtype=np.float32) * np.float32(elastic) if elastic else None
    cos, sin = np.cos(theta) / zoom, np.sin(theta) / zoom
    X = np.asarray(X, dtype=np.float32).reshape(n, 28, 28)
    out = np.empty((n, 784), np.float32) if out is None else out
    for a in range(0, n, CHUNK):
        part = slice(a, min(a + CHUNK, n))
        out[part] = _distort(X[part], cos[part], sin[part], tx[part], ty[part],
                             None if coarse is None else coarse[:, part])
    return out


def _distort(images, cos, sin, tx, ty, coarse):
    """``images (m, 28, 28)`` resampled at the mapped coordinates of every pixel, as (m, 784)."""
    m = len(images)
    dy, dx = _GRID[0] - ty, _GRID[1] - tx
    # source coordinates of every output pixel, +1 for a zero border around the image
    sx = cos * dx + sin * dy + 14.5
    sy = -sin * dx + cos * dy + 14.5
    if coarse is not None:
        field = np.einsum("ia,knab,jb->knij", _UP, coarse, _UP, optimize=True).reshape(2, m, 784)
        sx, sy = sx + field[0], sy + field[1]
    sx, sy = np.clip(sx, 0, 28.999), np.clip(sy, 0, 28.999)
    x0, y0 = sx.astype(np.int32), sy.astype(np.int32)
    fx, fy = sx - x0.astype(np.float32), sy - y0.astype(np.float32)
    padded = np.zeros((m, 30, 30), np.float32)
    padded[:, 1:29, 1:29] = images
    flat = padded.reshape(-1)
    i = (np.arange(m, dtype=np.int64) * 900)[:, None] + y0 * 30 + x0
    top = flat[i] + (flat[i + 1] - flat[i]) * fx
    bottom = flat[i + 30] + (flat[i + 31] - flat[i + 30]) * fx
    return top + (bottom - top) * fy


IMAGE_SHAPES = ((784,), (28, 28), (1, 28, 28), (28, 28, 1))  # a sample's shape: flat, or one grey 28x28 image


def augment_images(X, y, copies, seed=0, rng=None, elastic=0.0):
    """``X`` followed by ``copies`` distorted copies of it, and the matching targets.

    ``X`` holds 28x28 grey images as rows of 784 values, ``(n, 28, 28)`` or ``(n, 1, 28, 28)``
    (a CNN's input); the result has the same per-sample shape, float64 for float64 images (a float64
    run keeps its pixels' precision), else float32. ``y`` holds one label,
    or one row of targets (one-hot, say), per image: row ``i`` of every copy keeps ``y[i]``.
    Draws from ``rng`` (a NumPy Generator) if given, else from ``default_rng(seed)``;
    ``elastic`` as in :func:`random_affine`. Device arrays (``fit``'s data on a GPU) are copied to
    the host: the copies are NumPy arrays, which ``fit`` moves to the device.
    """
    X, y = _on_host(X), _on_host(y)
    if X.shape[1:] not in IMAGE_SHAPES:
        raise ConfigError(f"--augment distorts 28x28 grey images: rows of 784 values, (n, 28, 28) or "
                          f"(n, 1, 28, 28); received X of shape {X.shape}.")
    if copies < 0:
        raise ConfigError(f"--augment takes a number of distorted copies >= 0; received copies={copies}.")
    if not 0 <= elastic <= 5:
        raise ConfigError(f"--elastic is a displacement in pixels between 0 and 5 (1.5 bends strokes "
                          f"visibly, digits stay legible); received {elastic}.")
    rng = np.random.default_rng(seed) if rng is None else rng
    n, dtype = len(X), np.float64 if X.dtype == np.float64 else np.float32
    flat = X.reshape(n, 784).astype(np.float32, copy=False)  # the distortions are computed in float32
    out = np.empty(((copies + 1) * n, 784), dtype)  # written in place: no copies to concatenate
    out[:n] = X.reshape(n, 784)
    for k in range(1, copies + 1):
        random_affine(flat, rng, elastic=elastic, out=out[k * n:(k + 1) * n])
    return out.reshape(-1, *X.shape[1:]), np.concatenate([y] * (copies + 1))  # along the samples, one-hot rows too


def _on_host(a, dtype=None):
    """``a`` as a NumPy array: a device array (CuPy, torch on a GPU, array-api-strict) copied through its
    backend, which NumPy cannot read directly."""
    return host_copy(a, dtype) if is_device_array(a) else np.asarray(a, dtype=dtype)
