"""Pictures of a CNN: first-layer filters, feature maps of one image, the layer diagram."""

import json

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from nnscratch import Network  # noqa: E402
from nnscratch.models.spec import layers_from_spec  # noqa: E402
from nnscratch.cli.pictures import save_model_plots  # noqa: E402
from nnscratch.viz.filters import feature_maps  # noqa: E402


def test_feature_maps_follow_the_layers():
    net = Network(layers_from_spec("conv3x3,relu,maxpool2,conv5x3p1,dense10", 784, 10), seed=0)
    maps = feature_maps(net, np.random.default_rng(0).random(784))
    assert [(name, m.shape) for name, m in maps] == [("1: Conv2D", (3, 26, 26)), ("2: ReLU", (3, 26, 26)),
                                                      ("3: MaxPool2D", (3, 13, 13)), ("4: Conv2D", (5, 13, 13))]
    assert (maps[1][1] >= 0).all() and maps[1][1].max() > 0


def test_a_cnn_gets_its_own_pictures(tmp_path):
    from nnscratch.datasets import load_mnist_sample
    data = load_mnist_sample()
    net = Network(layers_from_spec("conv4x3p1,relu,maxpool2,bn,dense10", 784, 10), seed=0)
    saved = save_model_plots(tmp_path, net, data)
    names = sorted(p.rsplit("/", 1)[-1] for p in saved)
    assert names == ["architecture.png", "confusion.png", "features.png", "filters.png", "misclassified.png"]
    assert all((tmp_path / n).stat().st_size > 1000 for n in names)


@pytest.mark.parametrize("input_shape", [(1, 28, 28), None])
def test_a_cnn_built_without_a_reshape_layer_is_drawn_and_evaluated_on_flat_digits(tmp_path, capsys, input_shape):
    """A CNN built in Python as in PyTorch (input_shape=(1, 28, 28), or open sizes) takes (n, 1, 28, 28);
    plot and evaluate on mnist-sample, whose rows are flat, stopped at 'X must have shape (n_samples, 1,
    28, 28)' (or 'expects None inputs'), a reshape the command line gives no way to do."""
    from nnscratch import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Softmax, cli
    from nnscratch.datasets import load_mnist_sample
    data = load_mnist_sample()
    net = Network([Conv2D(1, 2, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(), Dense(2 * 14 * 14, 10), Softmax()],
                  input_shape=input_shape, seed=0)
    net.fit(data.X_train[:256].reshape(-1, 1, 28, 28), data.y_train[:256], epochs=1, batch_size=64)
    net.save(tmp_path / "m.npz")
    assert cli.main(["plot", str(tmp_path / "m.npz"), "--what", "all", "--dataset", "mnist-sample"]) == 0
    assert sorted(p.name for p in (tmp_path / "m_plots").iterdir()) == [
        "architecture.png", "confusion.png", "features.png", "filters.png", "misclassified.png"]
    capsys.readouterr()
    assert cli.main(["evaluate", str(tmp_path / "m.npz"), "--dataset", "mnist-sample", "--json"]) == 0
    accuracy = net.evaluate(data.X_test.reshape(-1, 1, 28, 28), data.y_test)["accuracy"]
    assert json.loads(capsys.readouterr().out)["accuracy"] == pytest.approx(accuracy)
    assert cli.main(["plot", str(tmp_path / "m.npz"), "--what", "confusion", "--dataset", "moons"]) == 2
    err = capsys.readouterr().err
    assert f"expects {'784 inputs' if input_shape else 'images of shape (1, ?, ?)'}" in err
    assert "but moons has 2 features" in err and (input_shape or "e.g. (1, 28, 28)" in err), err


def test_the_layer_diagram_of_open_image_sizes_marks_them_with_a_question_mark():
    """A CNN built without input_shape drew its output shapes as '4xNonexNone'."""
    from nnscratch import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Softmax
    from nnscratch.viz.filters import plot_layer_diagram
    net = Network([Conv2D(1, 4, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(), Dense(4 * 7 * 7, 10), Softmax()],
                  seed=0)
    texts = [t.get_text() for t in plot_layer_diagram(net).axes[0].texts]
    assert "4x?x?" in texts and "?" in texts and not any("None" in t for t in texts)
