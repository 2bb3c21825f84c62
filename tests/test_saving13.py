"""Paths handed to save and export_onnx: each test says what a user saw before the fix."""

import os

import numpy as np
import pytest

from nnscratch import Network
from nnscratch.errors import ConfigError


def test_an_empty_path_is_one_line():
    """save("") and export_onnx("") raised IsADirectoryError: ''."""
    net = Network.from_sizes(2, 3, 2, seed=0)
    with pytest.raises(ConfigError, match="The path is empty; give a file path, e.g. 'model.npz'"):
        net.save("")
    pytest.importorskip("ndonnx")
    with pytest.raises(ConfigError, match="The path is empty; give a file path, e.g. 'model.onnx'"):
        net.export_onnx("")


def test_a_bytes_path_saves_and_loads(tmp_path):
    """A bytes path, which open() and numpy take, raised TypeError inside the atomic write."""
    net = Network.from_sizes(2, 3, 2, seed=0)
    path = os.fsencode(tmp_path / "m.npz")
    net.save(path)
    X = np.random.default_rng(0).normal(size=(4, 2))
    np.testing.assert_array_equal(Network.load(path).predict_proba(X), net.predict_proba(X))
