"""A network of convolutions only on the command line: image-shaped targets (an image-to-image regression)
and a convolution whose outputs are the classes; both end with a Flatten (the rows a loss compares)."""

import json

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import Network, cli
from nnscratch.errors import DataFormatError, ShapeError
from nnscratch.layers import Flatten, Identity, Softmax
from nnscratch.models.spec import describe, layers_from_spec

SPEC = "conv8x3p1,relu,conv1x3p1"


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def shifted_images(tmp_path, flat=False, n=120):
    """Images (n, 1, 8, 8) and targets: each image shifted one pixel right, doubled; as (n, 1, 8, 8) or rows."""
    X = np.random.default_rng(0).normal(size=(n, 1, 8, 8)).astype(np.float32)
    Y = 2 * np.roll(X, 1, axis=3)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Y.npy", Y.reshape(n, -1) if flat else Y)
    return f"npy:{tmp_path / 'X.npy'},{tmp_path / 'Y.npy'}", X


def test_a_spec_of_convolutions_ends_with_a_flatten_of_as_many_values_as_targets():
    layers = layers_from_spec(SPEC, 64, 64, regression=True, image=(1, 8, 8))
    assert isinstance(layers[-2], Flatten) and isinstance(layers[-1], Identity)
    assert describe(layers) == SPEC + ",flatten,identity"
    assert describe(layers_from_spec(describe(layers), 64, 64, regression=True, image=(1, 8, 8))) == describe(layers)
    classes = layers_from_spec("conv8x3p1,relu,conv3x4,softmax", 16, 3, image=(1, 4, 4))
    assert [type(layer) for layer in classes[-2:]] == [Flatten, Softmax]  # the softmax over the row of 3
    assert Network(classes).output_shape == (3,)
    with pytest.raises(ShapeError, match=r"outputs of shape \(2, 8, 8\) \(128 values\) but the data has 64 targets; "
                                         r"end the spec with dense64, or with layers whose outputs hold 64 values"):
        layers_from_spec("conv8x3p1,relu,conv2x3p1", 64, 64, regression=True, image=(1, 8, 8))


@pytest.mark.parametrize("flat", [False, True], ids=["targets (n, 1, 8, 8)", "targets (n, 64)"])
def test_an_image_to_image_regression_trains_saves_evaluates_and_predicts(tmp_path, capsys, flat):
    """It was refused: 'the network ends with outputs of shape (1, 8, 8) but the data has 1 target' for
    (n, 1, 8, 8) targets (read as one target), '... 64 targets; end the spec with dense64' for their rows."""
    dataset, X = shifted_images(tmp_path, flat)
    model = tmp_path / "m.npz"
    status, out, err = run(capsys, "train", "--dataset", dataset, "--layers", SPEC, "--epochs", "30", "--out", model)
    assert status == 0, err
    assert "(1x8x8 -> 64, 153 parameters)" in out and "64 targets" in out
    status, out, err = run(capsys, "evaluate", model, "--json")
    assert status == 0, err
    scores = json.loads(out)
    assert scores["r2"] > 0.5                                           # the shift is learnt
    net = Network.load(model)
    assert net.output_shape == (64,)
    np.save(tmp_path / "few.npy", X[:3])
    status, out, err = run(capsys, "predict", model, tmp_path / "few.npy", "--json")
    assert status == 0, err
    rows = [json.loads(line)["value"] for line in out.splitlines()]
    assert np.shape(rows) == (3, 64)                                    # each image's values, as Y.reshape(n, -1)


def test_image_shaped_targets_are_no_classes(tmp_path):
    from nnscratch.datasets.arrays import load_npy_pair
    X = np.zeros((10, 1, 4, 4))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Y.npy", np.ones((10, 1, 4, 4), dtype=np.int64))
    with pytest.raises(DataFormatError, match=r"shape \(10, 1, 4, 4\), several values per sample; .* for classes "
                                              r"pass one label per sample"):
        load_npy_pair(f"{tmp_path / 'X.npy'},{tmp_path / 'Y.npy'}", task="classification")


def test_its_onnx_export_gives_the_same_rows(tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("ndonnx")
    from nnscratch.saving.standardizer import standardize_for
    dataset, X = shifted_images(tmp_path, n=40)
    model, onnx = tmp_path / "m.npz", tmp_path / "m.onnx"
    assert run(capsys, "train", "--dataset", dataset, "--layers", SPEC, "--epochs", "2", "--out", model)[0] == 0
    status, out, err = run(capsys, "export", model, onnx)
    assert status == 0 and "output 'output' (N, 64)" in out, err
    rows = X[:5].reshape(5, -1).astype(np.float64)
    session = ort.InferenceSession(str(onnx))
    got = session.run(None, {session.get_inputs()[0].name: rows})[0]
    net = Network.load(model)
    np.testing.assert_allclose(got, net.forward(standardize_for(net, rows)), rtol=1e-4, atol=1e-5)


def test_a_convolution_takes_back_the_target_scale_of_each_channel():
    """fold: the last convolution's weights and bias scaled per output channel, so the network's outputs are
    ``z * std + mean`` of its channel (the scale of a regression learnt in standard units, as a Dense one's)."""
    from types import SimpleNamespace

    from nnscratch.cli import target_scale
    layers = layers_from_spec("conv4x3p1,relu,conv2x3p1", 2 * 25, 2 * 25, regression=True, image=(2, 5, 5))
    net = Network(layers, seed=0, dtype="float64")
    X = np.random.default_rng(1).normal(size=(6, 50))
    Y = np.concatenate([100 + 10 * X[:, :25], -3 + 0.01 * X[:, 25:]], axis=1)
    scale = target_scale.fit(SimpleNamespace(task="regression", y_train=Y), net)
    np.testing.assert_allclose(scale[0], [100 + 10 * X[:, :25].mean(), -3 + 0.01 * X[:, 25:].mean()])
    before = net.forward(X)
    target_scale.fold(net, scale)
    np.testing.assert_allclose(net.forward(X), before * np.repeat(scale[1], 25) + np.repeat(scale[0], 25),
                               rtol=1e-10, atol=1e-9)


def test_image_targets_far_from_unit_scale_are_learnt_in_standard_units(tmp_path, capsys):
    """Targets of 5000 +- 2000 trained as they are: R^2 -6.8 after 30 epochs (no scale was folded back
    into a convolution); in standard units it is learnt as the unit-scale ones are."""
    dataset, X = shifted_images(tmp_path)
    np.save(tmp_path / "Y.npy", 1000 * np.load(tmp_path / "Y.npy") + 5000)
    status, out, err = run(capsys, "train", "--dataset", dataset, "--layers", SPEC, "--epochs", "30", "--json")
    assert status == 0, err
    assert json.loads(out.splitlines()[-1])["r2"] > 0.5


def test_fit_takes_image_targets_of_a_network_ending_in_flatten_as_its_rows():
    """Before: fit refused y of shape (n, 1, H, W) for a network of convolutions ending in Flatten ('pass
    integer class labels of shape (n,)'), where the command line trains on such targets."""
    rng = np.random.default_rng(0)
    X, Y = rng.random((20, 1, 6, 6)).astype(np.float32), rng.random((20, 1, 6, 6)).astype(np.float32)
    nets = [nn.Network([nn.Conv2D(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2D(4, 1, 3, padding=1), nn.Flatten()],
                       seed=0, input_shape=(1, 6, 6)) for _ in range(2)]
    images = nets[0].fit(X, Y, loss="mse", epochs=2, batch_size=8)
    rows = nets[1].fit(X, Y.reshape(20, -1), loss="mse", epochs=2, batch_size=8)
    assert images["loss"] == rows["loss"] and images["r2"] == rows["r2"]
    assert nets[0].evaluate(X, Y) == nets[1].evaluate(X, Y.reshape(20, -1))
