"""The command line with CNNs: --model cnn, the --layers spec grammar, predict/evaluate on a CNN."""

import json

import numpy as np
import pytest

from nnscratch import cli
from nnscratch.datasets import load_mnist_sample
from nnscratch.layers import BatchNorm, Conv2D, Dense, Flatten, MaxPool2D, Reshape, Softmax
from nnscratch.models.spec import default_cnn_spec, describe, is_layer_spec, layers_from_spec
from nnscratch.errors import ConfigError, ShapeError


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def digits_csv(tmp_path_factory):
    """300 MNIST-sample digits in Kaggle's label,pixel0..pixel783 layout."""
    data = load_mnist_sample(raw=True)
    path = tmp_path_factory.mktemp("csv") / "digits.csv"
    rows = np.column_stack([data.y_train[:300], data.X_train[:300].reshape(300, -1)]).astype(int)
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    np.savetxt(path, rows, fmt="%d", delimiter=",", header=header, comments="")
    return path


def test_spec_grammar():
    layers = layers_from_spec("conv8x3x5s2p1,bn,relu,maxpool3s2,dropout0.25,dense10", 784, 10)
    kinds = [type(layer) for layer in layers]
    assert kinds[:3] == [Reshape, Conv2D, BatchNorm] and kinds[-3:] == [Flatten, Dense, Softmax]
    conv = layers[1]
    assert (conv.kernel_size, conv.stride, conv.padding, conv.out_channels) == ((3, 5), (2, 2), (1, 1), 8)
    assert isinstance(layers[4], MaxPool2D) and layers[4].stride == (2, 2) and layers[5].rate == 0.25
    assert layers[-2].n_in == 8 * 6 * 6  # 28 -> conv (14, 13) -> pool (6, 6)
    assert describe(layers) == "conv8x3x5s2p1,bn,relu,maxpool3s2,dropout0.25,flatten,dense10,softmax"
    assert is_layer_spec("conv8x3,dense10") and not is_layer_spec("784,10") and not is_layer_spec(None)
    assert len(layers_from_spec(default_cnn_spec(10), 784, 10)) == 13


@pytest.mark.parametrize("spec, error, fragment", [
    ("conv8x3,relu,dense5", ShapeError, "end the spec with dense10"),
    ("conv8x30", ShapeError, "smaller than its 30x30 kernel"),
    ("dense32,maxpool2,dense10", ShapeError, "put convolution and pooling layers before flatten/dense"),
    ("conv8x3,swish,dense10", ConfigError, "unknown layer 'swish'"),
    ("dense0,relu,dense10", ConfigError, "--layers dense0,relu,dense10: dense0: Dense n_out must be"),
    ("conv8x3s0,dense10", ConfigError, "--layers conv8x3s0,dense10: conv8x3s0: Conv2D stride"),
    ("dropout1.5,dense10", ConfigError, "dropout1.5: Dropout rate must be a number in"),
])
def test_spec_mistakes_say_how_to_fix_them(spec, error, fragment):
    with pytest.raises(error, match=fragment):
        layers_from_spec(spec, 784, 10)
    with pytest.raises(ShapeError, match="need images"):
        layers_from_spec("conv8x3,dense2", 2, 2)


def test_train_a_spec_then_evaluate_and_predict_a_png(digits_csv, tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    model = tmp_path / "cnn.npz"
    status, out, _ = run(capsys, "train", "--dataset", f"csv:{digits_csv}", "--layers",
                         "conv4x3p1,relu,maxpool2,bn,dropout0.1,dense10", "--epochs", "2", "--validation", "0",
                         "--backend", "numpy", "--json", "--out", model)
    assert status == 0, out
    result = json.loads(out)
    assert result["layers"][:3] == ["conv4x3p1", "relu", "maxpool2"] and result["test_accuracy"] is not None
    status, out, _ = run(capsys, "evaluate", model, "--dataset", f"csv:{digits_csv}", "--json")
    assert status == 0 and json.loads(out)["accuracy"] == pytest.approx(result["test_accuracy"])
    picture = np.full((28, 28), 0, dtype=np.uint8)
    picture[4:24, 12:16] = 255
    Image.fromarray(picture).save(tmp_path / "one.png")
    status, out, _ = run(capsys, "predict", model, tmp_path / "one.png", "--json")
    assert status == 0 and json.loads(out)["class"] in range(10)


def test_model_cnn_on_data_that_are_not_images_is_one_line(capsys):
    status, _, err = run(capsys, "train", "--dataset", "spirals", "--model", "cnn", "--epochs", "1")
    assert status == 2 and len(err.strip().splitlines()) == 1 and "--model cnn needs images" in err


def test_help_documents_the_grammar(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--model {mlp,cnn}" in out and "maxpool2" in out and "dropout0.25" in out


def test_model_cnn_recipe_anneals_by_cosine_unless_a_schedule_or_decay_is_given():
    from nnscratch.cli.app import build_parser
    from nnscratch.cli.schedules import schedule_for
    from nnscratch.cli.train import settings, with_recipe_schedule
    from nnscratch.optim.schedules import Cosine, InverseTime
    data = load_mnist_sample()

    def schedule(*argv):
        args = build_parser().parse_args(["train", *argv])
        cfg = settings(args, data)
        return schedule_for(with_recipe_schedule(args, cfg), cfg["lr"], cfg["decay"], cfg["epochs"], 100), cfg

    rate, cfg = schedule("--model", "cnn")
    assert isinstance(rate, Cosine) and rate.total == 2800 and rate.warmup == 50 and rate.min_lr == 0.0
    assert rate.lr == 3e-3 and schedule("--model", "cnn", "--lr", "1e-3")[0].lr == 1e-3
    assert rate(rate.total) == 0.0 and rate(rate.warmup) == rate.lr and cfg["decay"] == 0.0
    assert schedule("--model", "cnn", "--warmup", "2", "--epochs", "4")[0].warmup == 200
    assert schedule("--model", "cnn", "--warmup", "0")[0].warmup == 0  # an explicit 0 is kept, not the recipe's
    rate_decay, cfg = schedule("--model", "cnn", "--decay", "1e-4")  # the optimizer's inverse-time decay
    assert rate_decay == rate.lr and cfg["decay"] == 1e-4
    assert isinstance(schedule("--model", "cnn", "--decay", "1e-4", "--warmup", "1")[0], InverseTime)
    assert schedule("--model", "cnn", "--decay", "0")[0] == rate.lr  # a constant rate
    mlp, cfg = schedule("--layers", "784,64,10")  # image MLPs share the recipe
    assert isinstance(mlp, Cosine) and mlp.lr == 2e-3 and cfg["elastic"] == 0.0
    assert schedule("--model", "cnn")[1]["elastic"] == 1.5
    assert "dropout0.1" in schedule("--model", "cnn")[1]["spec"]  # the sample's distorted copies regularise


def test_train_and_evaluate_lines_describe_a_cnn_by_its_layers(digits_csv, tmp_path, capsys):
    model = tmp_path / "cnn.npz"
    status, out, _ = run(capsys, "train", "--dataset", f"csv:{digits_csv}", "--model", "cnn", "--epochs", "1",
                         "--validation", "0", "--backend", "numpy", "--out", model)
    assert status == 0, out
    layers = describe(layers_from_spec(default_cnn_spec(10), 784, 10))
    line = f"{layers} (1x28x28 -> 10, 206,922 parameters)"  # 160 + 4,640 + 200,832 + 1,290
    assert f"training {line} on csv" in out
    status, out, _ = run(capsys, "evaluate", model, "--dataset", f"csv:{digits_csv}")
    assert status == 0 and out.splitlines()[0] == f"{model}: {line} on numpy"


def test_the_live_view_of_a_convolutional_network_is_refused_before_training(digits_csv, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    status, out, err = run(capsys, "train", "--dataset", f"csv:{digits_csv}", "--layers", "conv4x3,relu,dense10",
                           "--epochs", "1", "--live", tmp_path / "live.gif", "--out", tmp_path / "m.npz")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "--live draws a dense network's neurons" in err and "--plot DIR draws its filters" in err
    assert out == "" and not list(tmp_path.glob("*.npz")) and not (tmp_path / "live.gif").exists()
