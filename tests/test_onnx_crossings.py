"""Where ONNX export meets the rest of nnscratch: layer options, model metadata, the command line's files.

``tests/test_export.py`` checks the export of each layer and activation against ``predict_proba``;
here are the crossings that once failed: each test names what a user saw before the fix.
"""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.errors import ConfigError

pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install onnxruntime)")


def run_onnx(model, X):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": X})[0]


@pytest.mark.parametrize("layers, shape", [
    (lambda: [nn.Conv2D(3, 1, 3)], (3, 5, 7)),  # a one-channel map as the output
    (lambda: [nn.Conv2D(3, 2, 3, padding=1), nn.ReLU(), nn.Conv2D(2, 1, 1), nn.Flatten(), nn.Dense(35, 2),
              nn.Softmax()], (3, 5, 7)),  # a 1x1 bottleneck to one channel
    (lambda: [nn.Conv2D(1, 1, (3, 2), stride=2, padding=1), nn.Sigmoid(), nn.MaxPool2D(2), nn.Flatten(),
              nn.Dense(4, 1), nn.Sigmoid()], (1, 9, 8)),  # strided, one channel in and out
], ids=["output", "bottleneck", "strided"])
def test_a_convolution_with_one_output_channel_exports(layers, shape):
    """Conv2D(C, 1, ...) read its channel count back from the traced array, which ndonnx cannot know after
    adding a bias of shape (1, 1): 'Layer 0 (Conv2D) cannot be exported to ONNX ... TypeError: int() argument
    must be ... not NoneType'. The layer gives the count it knows."""
    net = nn.Network(layers(), input_shape=shape, seed=0)
    X = np.random.default_rng(0).normal(size=(9, *shape)).astype(np.float32)
    model = net.export_onnx()
    for n in (1, 9):
        np.testing.assert_allclose(run_onnx(model, X[:n]), net.predict_proba(X[:n]), rtol=1e-5, atol=1e-6)


def test_metadata_with_numpy_values_is_exported_as_save_keeps_it(tmp_path):
    """``Network(metadata={"classes": np.unique(y)})`` saves (its values as JSON numbers and lists) but its
    export stopped with 'TypeError: Object of type ndarray is not JSON serializable'; it now keeps what
    save keeps, and metadata JSON cannot hold is one ConfigError, as in save."""
    import json
    y = np.array([3, 1, 3, 7])
    net = nn.Network.from_sizes(2, 3, 3, seed=0, metadata={"classes": np.unique(y), "rate": np.float32(0.5)})
    props = {p.key: p.value for p in net.export_onnx().metadata_props}
    net.save(tmp_path / "m.npz")
    assert json.loads(props["nnscratch_metadata"]) == nn.Network.load(tmp_path / "m.npz").metadata \
        == {"classes": [1, 3, 7], "rate": 0.5}
    odd = nn.Network.from_sizes(2, 3, 3, seed=0, metadata={"when": object()})
    with pytest.raises(ConfigError, match="metadata must be JSON values"):
        odd.export_onnx(tmp_path / "odd.onnx")
    assert not (tmp_path / "odd.onnx").exists()


def test_an_output_the_system_will_not_write_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    """Where the folder passes the permission check but writing fails (root in /sys, a sticky /tmp, a full
    disk) export said 'error: PermissionError: [Errno 13] Permission denied: '/sys/.tmp-aku1rkg_x.onnx' (run
    with --debug ...)': a temporary file the user never named. It now names OUTPUT and the fix."""
    from nnscratch import cli
    from nnscratch.saving import serialize
    nn.Network.from_sizes(3, 4, 2, seed=0).save(tmp_path / "m.npz")

    def refuse(*args, dir=None, **options):
        raise PermissionError(13, "Permission denied", f"{dir}/.tmp-x1y2z3m.onnx")

    monkeypatch.setattr(serialize.tempfile, "mkstemp", refuse)
    out = str(tmp_path / "m.onnx")
    assert cli.main(["export", str(tmp_path / "m.npz"), out]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: OUTPUT {out}: cannot write it (Permission denied); choose a folder you can write to."


def test_the_export_of_an_image_model_says_its_pixels_are_0_to_1(tmp_path, capsys):
    """nnscratch predict divides 0..255 grey levels by 255 before an image model sees them; the graph does not,
    and export said nothing of it (while it says how a table model's rows are taken): 0..255 pixels fed to
    onnxruntime gave confident wrong classes. It now says so, and the advice gives predict's answer."""
    from nnscratch import cli
    from nnscratch.datasets import load_mnist_sample
    data = load_mnist_sample()
    net = nn.Network([nn.Reshape((1, 28, 28)), nn.Conv2D(1, 2, 3, stride=2), nn.ReLU(), nn.Flatten(),
                      nn.Dense(2 * 13 * 13, 10), nn.Softmax()], input_shape=(784,), seed=0)
    net.fit(data.X_train[:256], data.y_train[:256], epochs=1, batch_size=64)
    net.save(tmp_path / "digits.npz")
    pixels = np.round(data.X_test[:20] * 255)  # a PNG's grey levels
    np.save(tmp_path / "digits.npy", pixels)
    assert cli.main(["export", str(tmp_path / "digits.npz"), str(tmp_path / "digits.onnx")]) == 0
    said = capsys.readouterr().out
    assert "grey levels from 0 to 1" in said and "divide 0..255 pixels by 255 first" in said
    session = ort.InferenceSession(str(tmp_path / "digits.onnx"), providers=["CPUExecutionProvider"])
    p = session.run(None, {"input": (pixels / 255).astype(np.float32)})[0]
    assert cli.main(["predict", str(tmp_path / "digits.npz"), str(tmp_path / "digits.npy"), "--json"]) == 0
    import json
    predicted = [json.loads(line)["class"] for line in capsys.readouterr().out.splitlines()]
    assert predicted == p.argmax(axis=1).tolist()


def test_an_export_without_ndonnx_creates_no_folder(tmp_path, monkeypatch, capsys):
    """Without the onnx extra, 'nnscratch export m.npz out/m.onnx' said 'note: created folder out/' and then
    that ndonnx is missing, leaving the empty folder behind; the graph is now traced before any folder is made."""
    import sys
    from nnscratch import cli
    nn.Network.from_sizes(3, 4, 2, seed=0).save(tmp_path / "m.npz")
    monkeypatch.setitem(sys.modules, "ndonnx", None)  # import ndonnx raises ImportError
    assert cli.main(["export", str(tmp_path / "m.npz"), str(tmp_path / "out" / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'nnscratch[onnx]'" in err and "created folder" not in err
    assert not (tmp_path / "out").exists()


def test_input_shape_takes_numpy_integers_as_network_does_and_refuses_a_bool():
    """Network(input_shape=(np.int64(1), 6, 8)) is taken, but export_onnx(input_shape=(np.int64(1), 6, 8))
    said it 'does not fit the network's per-sample input shape (1, None, None)', and (True, 6, 8) stopped
    in ndonnx with a TypeError. NumPy's integers are sizes; a bool is refused in one line."""
    net = nn.Network([nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Dense(2 * 6 * 8, 2), nn.Softmax()],
                     seed=0)
    X = np.random.default_rng(0).normal(size=(4, 1, 6, 8)).astype(np.float32)
    model = net.export_onnx(input_shape=tuple(np.array([1, 6, 8])))
    np.testing.assert_allclose(run_onnx(model, X), net.predict_proba(X), rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match=r"input_shape=\(True, 6, 8\) does not fit"):
        net.export_onnx(input_shape=(True, 6, 8))
