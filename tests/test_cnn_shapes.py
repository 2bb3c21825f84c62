"""CNNs of the shapes PyTorch and Keras users build (colour images, non-square images, channels
last by mistake) through the command line and the other features: train, evaluate, predict,
export, plot."""

import json

import numpy as np
import pytest

from nnscratch import Conv2D, Dense, Flatten, MaxPool2D, Network, ReLU, Softmax, cli
from nnscratch.datasets import from_arrays
from nnscratch.errors import DataFormatError, ShapeError
from nnscratch.models.spec import describe, layers_from_spec


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def images(tmp_path, shape, name="X", n=40, seed=0):
    """``n`` images of per-sample ``shape`` whose class is the brightest third of the image
    (columns), saved as ``name.npy`` beside labels ``y.npy``; returns the npy: spec."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, *shape)).astype(np.float32)
    y = rng.integers(0, 3, n)
    np.save(tmp_path / f"{name}.npy", X)
    np.save(tmp_path / "y.npy", y)
    return f"npy:{tmp_path / f'{name}.npy'},{tmp_path / 'y.npy'}"


@pytest.mark.parametrize("shape, spec, summary", [
    ((3, 8, 8), "conv4x3p1,relu,maxpool2,dense3", "3x8x8 -> 3"),
    ((6, 10), "conv4x2psame,avgpool2,bn,relu,dropout0.2,dense3", "1x6x10 -> 3"),
    ((2, 5, 9), "conv3x1,conv4x3s2,relu,dense3", "2x5x9 -> 3"),
], ids=["rgb", "non-square", "1x1-stride2"])
def test_image_arrays_train_evaluate_and_predict_from_the_command_line(tmp_path, capsys, shape, spec, summary):
    """An (n, C, H, W) or (n, H, W) .npy trains a layer spec as those images (it was refused: not a
    square image), and the model evaluates and predicts the images as they are or flattened."""
    data, model = images(tmp_path, shape), tmp_path / "m.npz"
    status, out, err = run(capsys, "train", "--dataset", data, "--layers", spec, "--epochs", "1", "--out", model)
    assert status == 0, err
    assert summary in out
    status, out, err = run(capsys, "evaluate", model)
    assert status == 0 and summary in out, err
    X = np.load(tmp_path / "X.npy")[:4]
    np.save(tmp_path / "flat.npy", X.reshape(4, -1))
    status, images_out, err = run(capsys, "predict", model, tmp_path / "X.npy", "--json")
    assert status == 0, err
    status, flat_out, err = run(capsys, "predict", model, tmp_path / "flat.npy", "--json")
    assert status == 0, err
    as_images = [json.loads(line)["probability"] for line in images_out.splitlines()[:4]]
    assert as_images == [json.loads(line)["probability"] for line in flat_out.splitlines()]


def test_a_spec_on_image_arrays_is_written_back_and_builds_the_same_layers():
    layers = layers_from_spec("conv4x3,relu,maxpool2,dense3", 3 * 7 * 10, 3, image=(3, 7, 10))
    assert layers[0].shape == (3, 7, 10) and layers[1].in_channels == 3
    text = describe(layers)
    assert text == "conv4x3,relu,maxpool2,flatten,dense3,softmax"
    again = layers_from_spec(text, 3 * 7 * 10, 3, image=(3, 7, 10))
    assert [layer.get_config() for layer in again] == [layer.get_config() for layer in layers]


def test_image_arrays_remember_their_shape_and_a_test_split_laid_out_otherwise_is_refused():
    X = np.zeros((6, 3, 4, 5))
    assert from_arrays("a", X, np.arange(6) % 2, test_fraction=0.5).image_shape == (3, 4, 5)
    assert from_arrays("a", X[:, 0], np.arange(6) % 2, test_fraction=0.5).image_shape == (1, 4, 5)
    assert from_arrays("a", X.reshape(6, -1), np.arange(6) % 2, test_fraction=0.5).image_shape is None
    with pytest.raises(DataFormatError, match=r"X_train holds samples of shape \(3, 4, 5\) but X_test \(4, 5, 3\)"):
        from_arrays("a", X, np.arange(6) % 2, np.zeros((2, 4, 5, 3)), np.arange(2))


def test_feature_maps_of_colour_and_non_square_images(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    for shape, spec in (((3, 8, 8), "conv4x3p1,maxpool2,dense3"), ((6, 10), "conv4x3,relu,dense3")):
        data, model = images(tmp_path, shape), tmp_path / "m.npz"
        assert run(capsys, "train", "--dataset", data, "--layers", spec, "--epochs", "1", "--out", model,
                   "--force")[0] == 0
        status, out, err = run(capsys, "plot", model, "--what", "features", "--out", tmp_path / "f.png", "--force")
        assert status == 0, err
        assert (tmp_path / "f.png").stat().st_size > 0


@pytest.mark.parametrize("given, fix", [
    ((2, 6, 10, 3), r"The images are channels-last \(N, H, W, C\), as Keras and TensorFlow keep them; move the channels first "
                    r"with X\.transpose\(0, 3, 1, 2\)\."),
    ((2, 180), r"Reshape flat images with X\.reshape\(len\(X\), 3, 6, 10\)\."),
    ((2, 3, 10, 6), r"The network takes \(N, C, H, W\) images, as PyTorch does, of 3 channels and 6x10 pixels; give images of "
                    r"that shape"),
    ((2, 1, 6, 10), r"The network takes .* of 3 channels and 6x10 pixels"),
], ids=["channels-last", "flat", "transposed", "one-channel"])
def test_images_of_another_shape_are_one_line_with_the_fix_that_fits(given, fix):
    """Channels-last images were told to X.reshape(len(X), 3, 6, 10), which scrambles their pixels."""
    net = Network([Conv2D(3, 2, 3), Flatten(), Dense(2 * 4 * 8, 3), Softmax()], input_shape=(3, 6, 10))
    with pytest.raises(ShapeError, match=r"X must have shape \(n_samples, 3, 6, 10\); got .*\. " + fix) as info:
        net.predict(np.zeros(given, np.float32))
    assert "\n" not in str(info.value)


def test_one_channel_images_without_their_axis_are_told_to_add_it():
    net = Network([Conv2D(1, 2, 3), Flatten(), Dense(2 * 4 * 8, 3), Softmax()], input_shape=(1, 6, 10))
    with pytest.raises(ShapeError, match=r"got \(2, 6, 10\)\. Add the channel axis .* with X\[:, None\]\."):
        net.predict(np.zeros((2, 6, 10), np.float32))


def test_open_size_images_the_layers_do_not_take_name_a_size_they_do():
    """A network built without input_shape takes images of any size, until a Dense fixes it: the message
    said only 'use Dense(64, 3)' (the fix when building, not for a trained model) and gave sizes as -1, -1."""
    net = Network([Conv2D(3, 4, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(36, 3), Softmax()])
    with pytest.raises(ShapeError, match=r"X: images of shape \(3, 10, 10\) do not fit the network: Dense\(36, 3\) "
                                         r"expects 36 .*; use Dense\(64, 3\), or give images of 8x8 as its layers "
                                         r"take\.$"):
        net.predict(np.zeros((2, 3, 10, 10), np.float32))
    assert net.predict(np.zeros((2, 3, 9, 9), np.float32)).shape == (2,)
    with pytest.raises(ShapeError, match=r"got \(2, 9, 9, 3\)\. The images are channels-last"):
        net.predict(np.zeros((2, 9, 9, 3), np.float32))


def test_keras_channels_last_arrays(tmp_path, capsys):
    """Keras' MNIST layout (n, 28, 28, 1) is one-channel images as before; channels-last colour images are
    refused for a CNN with the transpose that fixes them (their flat rows, an MLP's features, stay as they
    were), and a CNN trained channels-first predicts them moved to (C, H, W)."""
    X = np.zeros((6, 8, 10, 1))
    assert from_arrays("a", X, np.arange(6) % 2, test_fraction=0.5).image_shape == (1, 8, 10)
    assert from_arrays("a", np.zeros((6, 8, 10, 3)), np.arange(6) % 2, test_fraction=0.5).image_shape is None
    last = images(tmp_path, (8, 8, 3), name="last")
    status, out, err = run(capsys, "train", "--dataset", last, "--layers", "conv2x3,dense3", "--no-save")
    assert status == 2 and "channels-last images: X.transpose(0, 3, 1, 2)" in err and err.count("\n") == 1
    first, model = tmp_path / "first.npy", tmp_path / "m.npz"
    np.save(first, np.moveaxis(np.load(tmp_path / "last.npy"), -1, 1))
    assert run(capsys, "train", "--dataset", f"npy:{first},{tmp_path / 'y.npy'}", "--layers", "conv2x3,dense3",
               "--epochs", "1", "--out", model)[0] == 0
    outs = [run(capsys, "predict", model, path, "--json") for path in (first, tmp_path / "last.npy")]
    assert outs[0][0] == outs[1][0] == 0, outs[1][2]
    assert outs[0][1] == outs[1][1].replace("last.npy", "first.npy")


def test_the_default_cnn_trains_on_colour_images_of_another_size(tmp_path, capsys):
    """--model cnn on an (n, 3, 12, 20) array (it was refused: 'needs images (28x28)'); images too small for
    its two poolings are one line naming their size."""
    status, out, err = run(capsys, "train", "--dataset", images(tmp_path, (3, 12, 20), n=24), "--model", "cnn",
                           "--epochs", "1", "--no-save")
    assert status == 0, err
    assert "conv16x3p1,maxpool2,relu,conv32x3p1,maxpool2,relu,flatten,dense128" in out and "(3x12x20 -> 3" in out
    status, out, err = run(capsys, "train", "--dataset", images(tmp_path, (3, 3, 9), n=24), "--model", "cnn",
                           "--no-save")
    assert status == 2 and "has 3x9 images, too small for its two 2x2 poolings; use --model mlp." in err


def test_an_open_size_network_without_a_fixed_output_is_told_an_input_shape_with_its_channels():
    net = Network([Conv2D(3, 4, 3, stride=2), ReLU(), Conv2D(4, 3, 1)])
    with pytest.raises(ShapeError, match=r"Pass input_shape=\(3, 28, 28\)"):
        net.n_outputs


def test_misclassified_colour_and_non_square_images_are_drawn_as_images(tmp_path, capsys, monkeypatch):
    """plot --what misclassified drew a CNN's colour or non-square images as 1-pixel-high strips
    (a square was guessed from the row length, else (1, n)); (C, H, W) images drew nothing."""
    pytest.importorskip("matplotlib")
    from nnscratch import viz
    X = np.random.default_rng(0).random((4, 3 * 5 * 7))
    fig = viz.plot_misclassified(X, np.zeros(4), np.ones(4), image_shape=(3, 5, 7))
    assert fig.axes[0].images[0].get_array().shape == (5, 7, 3)
    fig = viz.plot_misclassified(X[:, :35], np.zeros(4), np.ones(4), image_shape=(1, 5, 7))
    assert fig.axes[0].images[0].get_array().shape == (5, 7)
    shapes = []
    monkeypatch.setattr(viz, "plot_misclassified", lambda *a, **k: shapes.append(k["image_shape"]))
    data, model = images(tmp_path, (3, 5, 7)), tmp_path / "m.npz"
    assert run(capsys, "train", "--dataset", data, "--layers", "conv2x3,dense3", "--epochs", "1", "--out", model)[0] == 0
    assert run(capsys, "plot", model, "--what", "misclassified", "--out", tmp_path / "m.png")[0] == 0
    assert shapes == [(3, 5, 7)]
