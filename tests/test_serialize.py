"""Model files: round trip on every backend, atomic writes, no pickle."""

import os

import numpy as np
import pytest

from nnscratch import Network
from nnscratch.saving import serialize
from nnscratch.errors import ConfigError, ModelFileError


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


def _issue_cnn():
    from nnscratch import BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax
    return Network([Conv2D(1, 3, 3, padding=1), BatchNorm(3), ReLU(), MaxPool2D(2), Flatten(), Dropout(0.2),
                    Dense(48, 2), Softmax()], seed=0)


def test_a_cnn_without_input_shape_saves_and_loads(tmp_path):
    """Issue 20, item 1: its input shape (1, None, None) was refused on load, 'the file is damaged'."""
    net = _issue_cnn()
    X = np.random.default_rng(0).normal(size=(16, 1, 8, 8))
    net.fit(X, np.arange(16) % 2, epochs=1, batch_size=8)
    loaded = Network.load(net.save(tmp_path / "cnn.npz"))
    assert loaded.input_shape == (1, None, None) and loaded.get_config() == net.get_config()
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    np.testing.assert_array_equal(loaded.get_buffers()["1.running_var"], net.get_buffers()["1.running_var"])


def test_a_file_saved_with_an_open_input_shape_loads(tmp_path):
    """A file as the code before the fix wrote it: input_shape [1, null, null] in its JSON."""
    net = _issue_cnn()
    header = {"format": serialize.FORMAT, "version": 1, "config": dict(net.get_config(), input_shape=[1, None, None])}
    arrays = {p.name: w for p, w in zip(net.parameters(), net.get_weights())}
    serialize.save_arrays(tmp_path / "old.npz", header, {**arrays, **net.get_buffers()})
    loaded = Network.load(tmp_path / "old.npz")
    X = np.random.default_rng(1).normal(size=(3, 1, 8, 9))  # 8x9 pools to 4x4, as 8x8 does
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


def test_input_shape_may_leave_sizes_open():
    from nnscratch import Conv2D, Dense, Flatten, Softmax
    from nnscratch.errors import ConfigError
    layers = lambda: [Conv2D(1, 2, 3), Flatten(), Dense(8, 2), Softmax()]  # noqa: E731
    assert Network(layers(), input_shape=(1, None, None)).input_shape == (1, None, None)
    assert Network(layers(), input_shape=(None, 4, 4)).input_shape == (1, 4, 4)  # the Conv2D fixes the channels
    assert Network([Dense(3, 2)], input_shape=(None,)).input_shape == (3,)
    with pytest.raises(ConfigError, match=r"input_shape must be a tuple of positive integers \(None for a size"):
        Network(layers(), input_shape=(1, 0, 4))
    with pytest.raises(ConfigError, match=r"receives 2; use Conv2D\(2, 2"):
        Network(layers(), input_shape=(2, None, None))


def test_saving_from_python_never_replaces_a_file_it_did_not_write(tmp_path):
    """Network.save, fit(checkpoint=), History.to_json and export_onnx replace only their own kind of
    file (saving twice is fine); a file of the user's, a folder or a missing folder is one clear error,
    before any training."""
    net = Network.from_sizes(3, 4, 2, seed=0, backend="numpy")
    X, y = np.zeros((4, 3), dtype=np.float32), np.array([0, 1, 0, 1])
    notes = tmp_path / "notes.txt"
    notes.write_text("my own notes")
    np.savez(tmp_path / "mine.npz", a=np.arange(3))
    (tmp_path / "folder").mkdir()
    history = net.fit(X, y, epochs=1)
    writers = {"an nnscratch model": net.save, "a training history": history.to_json,
               "an nnscratch checkpoint": lambda p: net.fit(X, y, epochs=1, checkpoint=p)}
    for number, (name, write) in enumerate(writers.items()):
        for theirs in (notes, tmp_path / "mine.npz"):
            before = theirs.read_bytes()
            with pytest.raises(ConfigError, match=f"exists and is not {name}; nnscratch replaces a file only with one of the same kind"):
                write(theirs)
            assert theirs.read_bytes() == before
        with pytest.raises(ConfigError, match="is a folder; give a file path"):
            write(tmp_path / "folder")
        with pytest.raises(ConfigError, match="the folder .* does not exist; create it first"):
            write(tmp_path / "nowhere" / "file")
        own = tmp_path / f"own-{number}"
        write(own)
        write(own)  # its own kind: replaced, as Network.save always did
    assert net.fit(X, y, epochs=1, checkpoint=tmp_path / "fresh.ckpt").epoch == [0]
    assert not list(tmp_path.glob(".tmp-*"))  # no temporary file left behind
    pytest.importorskip("ndonnx")
    with pytest.raises(ConfigError, match="exists and is not an ONNX model"):
        net.export_onnx(notes)
    assert notes.read_text() == "my own notes"


def test_an_unknown_backend_is_not_blamed_on_the_file(tmp_path):
    path = Network.from_sizes(3, 2, seed=0, backend="numpy").save(tmp_path / "m.npz")
    with pytest.raises(ConfigError, match="Unknown backend 'nope'; expected one of"):
        Network.load(path, backend="nope")


def test_a_float64_model_on_a_backend_without_float64_is_not_called_damaged(tmp_path):
    """The file is fine, the backend lacks float64: say so and how to load it (as float32)."""
    net = Network.from_sizes(3, 4, 2, seed=0, dtype="float64")
    path = net.save(tmp_path / "m.npz")
    for dtype in (None, "float64"):
        with pytest.raises(ConfigError, match="no float64.*dtype='float32'") as info:
            Network.load(path, backend="array_api_strict:no_float64", dtype=dtype)
        assert "damaged" not in str(info.value)
    loaded = Network.load(path, backend="array_api_strict:no_float64", dtype="float32")
    X = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(loaded.backend.to_numpy(loaded.predict_proba(X)), net.predict_proba(X), rtol=1e-5)


def test_metadata_with_numpy_values_saves_and_other_objects_are_one_clear_error(tmp_path):
    """NumPy numbers and arrays in ``metadata`` (``np.unique(y)``) save as JSON numbers and lists; any other
    object is refused before a file is written, naming it, instead of a bare TypeError from json."""
    net = Network.from_sizes(2, 3, 2, seed=0, metadata={"classes": np.unique(np.array([2, 1, 2])), "n": np.int64(3)})
    net.save(tmp_path / "m.npz")
    assert Network.load(tmp_path / "m.npz").metadata == {"classes": [1, 2], "n": 3}
    odd = Network.from_sizes(2, 3, 2, seed=0, metadata={"when": object()})
    with pytest.raises(ConfigError, match="must be JSON values.*object <object"):
        odd.save(tmp_path / "odd.npz")
    assert not (tmp_path / "odd.npz").exists()
