"""Model files: round trip on every backend, atomic writes, no pickle."""

import os

import numpy as np
import pytest

from nnscratch import Network
from nnscratch.saving import serialize
from nnscratch.errors import ModelFileError


def test_round_trip_on_every_backend(backend, tmp_path):
    net = Network.from_sizes(5, 7, 3, seed=1, backend="numpy")
    path = net.save(tmp_path / "m.npz")
    loaded = Network.load(path, backend=backend)
    assert loaded.backend == backend and loaded.sizes == (5, 7, 3)
    for a, b in zip(net.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    X = np.random.default_rng(0).random((4, 5))
    np.testing.assert_allclose(backend.to_numpy(loaded.predict_proba(X)),
                               net.backend.to_numpy(net.predict_proba(X)), rtol=1e-5, atol=1e-6)


def test_save_replaces_atomically(tmp_path, monkeypatch):
    net = Network.from_sizes(3, 2, seed=0, backend="numpy")
    path = tmp_path / "m.npz"
    net.save(path)
    before = path.read_bytes()

    def boom(f, **arrays):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError, match="disk full"):
        Network.from_sizes(3, 2, seed=5, backend="numpy").save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.npz"]


def test_header_is_json_and_arrays_are_plain(tmp_path):
    net = Network.from_sizes(3, 4, 2, seed=0, backend="numpy")
    header, arrays = serialize.load_arrays(net.save(tmp_path / "m.npz"))
    assert header["format"] == serialize.FORMAT and header["version"] == serialize.FORMAT_VERSION
    assert set(arrays) == {"0.weight", "0.bias", "2.weight", "2.bias"}


@pytest.mark.parametrize("cut", [0, 1, 10, 100, -1])
def test_every_truncation_is_a_model_file_error(tmp_path, cut):
    net = Network.from_sizes(3, 4, 2, seed=0, backend="numpy")
    blob = open(net.save(tmp_path / "m.npz"), "rb").read()
    (tmp_path / "m.npz").write_bytes(blob[:cut])
    with pytest.raises(ModelFileError):
        Network.load(tmp_path / "m.npz")


def test_damaged_version_field(tmp_path):
    import json
    net = Network.from_sizes(3, 2, seed=0, backend="numpy")
    header = {"format": serialize.FORMAT, "version": "two", "config": net.get_config()}
    serialize.save_arrays(tmp_path / "m.npz", header, {})
    with pytest.raises(ModelFileError, match="damaged header"):
        Network.load(tmp_path / "m.npz")
    assert json.dumps(header)


def test_saved_files_get_ordinary_permissions(tmp_path):
    """mkstemp creates 0600 files; a saved model must be readable like any file the user writes."""
    import os
    import stat

    from nnscratch import Network

    mask = os.umask(0o022)
    try:
        path = tmp_path / "m.npz"
        Network.from_sizes(2, 3, 1, seed=0).save(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o600)
        Network.from_sizes(2, 3, 1, seed=0).save(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(mask)
