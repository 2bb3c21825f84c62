"""The distorted copies: the affine map alone is unchanged by the elastic option, and the
elastic warp moves pixels by about the displacement asked for, smoothly."""

import numpy as np
import pytest

from nnscratch.datasets.augment import augment_images, random_affine
from nnscratch.errors import ConfigError


def _ramp():
    """One image whose value is the column index / 28: bilinear sampling returns the source column."""
    return np.tile(np.arange(28, dtype=np.float32) / 28, (28, 1)).reshape(1, 784)


def test_no_elastic_is_the_affine_map_and_draws_the_same():
    X = np.random.default_rng(0).random((50, 784), dtype=np.float32)
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    np.testing.assert_array_equal(random_affine(X, a), random_affine(X, b, elastic=0.0))
    assert a.random() == b.random()


@pytest.mark.parametrize("pixels", [0.5, 1.5])
def test_elastic_moves_pixels_by_about_its_size_and_smoothly(pixels):
    X = np.repeat(_ramp(), 400, axis=0)
    out = random_affine(X, np.random.default_rng(0), shift=0, rotate=0, scale=0, elastic=pixels)
    # inside the frame (away from the zero border) the ramp reads back the horizontal displacement
    moved = (out - X).reshape(400, 28, 28)[:, 6:22, 6:22] * 28
    # linear interpolation between control points of standard deviation `pixels`: 0.68x here
    assert 0.55 * pixels < moved.std() < 1.0 * pixels
    assert abs(moved.mean()) < 0.1 * pixels
    # neighbours move together (a warp, not noise): 0.15 std apart here, independent pixels 1.1 std
    assert np.abs(np.diff(moved, axis=2)).mean() < 0.3 * moved.std()


def test_elastic_copies_keep_their_labels_and_reject_a_warp_out_of_range():
    X = np.random.default_rng(0).random((10, 784), dtype=np.float32)
    y = np.arange(10)
    Xa, ya = augment_images(X, y, 2, seed=3, elastic=1.5)
    assert Xa.shape == (30, 784) and list(ya) == list(y) * 3
    np.testing.assert_array_equal(Xa[:10], X)
    assert not np.allclose(Xa[10:20], augment_images(X, y, 1, seed=3)[0][10:])
    with pytest.raises(ConfigError, match="between 0 and 5"):
        augment_images(X, y, 1, elastic=-1)


@pytest.mark.parametrize("elastic", [0.0, 1.5])
def test_images_distorted_a_chunk_at_a_time_are_those_of_one_pass(monkeypatch, elastic):
    """The random numbers are drawn for all images before any is distorted, so the chunk size
    (one chunk of all 70, or chunks of 256, or of 16 with a short last one) changes no number."""
    from nnscratch.datasets import augment
    X = np.random.default_rng(0).random((70, 784), dtype=np.float32)
    results = []
    for chunk in (70, 256, 16):
        monkeypatch.setattr(augment, "CHUNK", chunk)
        results.append(random_affine(X, np.random.default_rng(5), elastic=elastic))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])
    assert not np.array_equal(results[0], X)


def test_distorted_copies_are_written_into_the_array_given():
    X = np.random.default_rng(0).random((20, 784), dtype=np.float32)
    out = np.full((20, 784), np.nan, np.float32)
    returned = random_affine(X, np.random.default_rng(2), elastic=1.5, out=out)
    assert returned is out and np.isfinite(out).all()
    np.testing.assert_array_equal(out, random_affine(X, np.random.default_rng(2), elastic=1.5))
    # augment_images lays the copies after the originals, each drawn in turn from the one generator
    Xa, _ = augment_images(X, np.arange(20), 2, rng=np.random.default_rng(2), elastic=1.5)
    np.testing.assert_array_equal(Xa[20:40], out)
