"""Pictures where they meet the rest of the library: what each one says, and what it refuses."""
import numpy as np
import pytest

import nnscratch as nn

pytest.importorskip("matplotlib")

from nnscratch import viz  # noqa: E402
from nnscratch.viz.filters import feature_maps, plot_feature_maps  # noqa: E402


def texts(fig):
    """Every text drawn on ``fig``: titles, tick labels, annotations."""
    from matplotlib.text import Text
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


@pytest.mark.parametrize("y_true, y_pred, message", [
    (np.array([151.3, 75.0]), np.array([140.2, 80.1]), "holds 151.3, not a class"),   # a regression's values
    (np.array([0, 1, 0]), np.eye(2)[[0, 1, 1]], r"shape \(3, 2\)"),                    # one-hot rows
    (np.array([-1, 1, 0]), np.array([0, 1, 0]), "holds -1"),                           # counted as the last class
])
def test_confusion_matrix_refuses_what_is_not_a_class_index(y_true, y_pred, message):
    """A regression's values drew a matrix of hundreds of 'classes', -1 was counted as the last class
    and one-hot predictions said only that the lengths differ."""
    with pytest.raises(ValueError, match=message):
        viz.confusion_matrix(y_true, y_pred)


def test_plot_confusion_with_fewer_labels_than_classes_is_one_clear_error():
    """IndexError: index 2 is out of bounds for axis 0 with size 2."""
    with pytest.raises(ValueError, match="2 classes .* received label 3; give a label"):
        viz.plot_confusion(np.array([0, 1, 2, 3]), np.array([0, 1, 2, 2]), labels=["a", "b"])


def test_a_class_not_all_right_is_never_shown_as_100_percent():
    """199 of 200 right printed '100' in the row-normalised matrix, as if none were wrong."""
    y = np.zeros(200, dtype=int)
    pred = y.copy()
    pred[0] = 1
    fig = viz.plot_confusion(y, pred, labels=["a", "b"])
    shown = [t.get_text() for t in fig.axes[1].texts]  # the row-normalised matrix
    assert ">99" in shown and "100" not in shown


def test_long_or_many_class_names_stay_readable():
    """Fashion-MNIST's names ran into each other under the matrix, and 30 classes' tick numbers too."""
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
             "Ankle boot"]
    rng = np.random.default_rng(0)
    fig = viz.plot_confusion(rng.integers(0, 10, 300), rng.integers(0, 10, 300), labels=names)
    assert {t.get_rotation() for t in fig.axes[0].get_xticklabels()} == {45}
    small = viz.plot_confusion(rng.integers(0, 3, 30), rng.integers(0, 3, 30))
    assert {t.get_rotation() for t in small.axes[0].get_xticklabels()} == {0}
    many = viz.plot_confusion(rng.integers(0, 30, 600), rng.integers(0, 30, 600))
    assert many.get_size_inches()[1] >= 30 * 0.25 + 1.5  # a quarter inch a row, and the titles


@pytest.fixture(scope="module")
def conv_net():
    """A convolutional network of any image size (no Reshape, no input_shape), 4x4 images, 3 classes."""
    return nn.Network([nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(),
                       nn.Dense(8, 3), nn.Softmax()], seed=0, backend="numpy")


def test_a_conv_networks_architecture_and_weights_are_its_layers_and_filters(conv_net):
    """plot_architecture drew a CNN as 'network 8-3', its Dense layer alone, and plot_first_layer_weights
    the Dense layer's weights over the flattened feature maps as if they were pixels."""
    arch = viz.plot_architecture(conv_net)
    assert {"Conv2D", "MaxPool2D", "Flatten", "Dense"} <= set(texts(arch))
    assert "network 8-3" not in " ".join(texts(arch))
    weights = viz.plot_first_layer_weights(conv_net, max_units=1)
    assert weights._suptitle.get_text().startswith("first-layer filters (2 x 3x3, the first 1 shown)")
    assert len([ax for ax in weights.axes if ax.images]) == 1
    with pytest.raises(ValueError, match="drop names"):
        viz.plot_architecture(conv_net, names=["in", "out"])


def test_names_of_the_wrong_length_are_one_clear_error():
    """IndexError: list index out of range."""
    with pytest.raises(ValueError, match="3 for this network; received 2"):
        viz.plot_architecture(nn.Network.from_sizes(2, 4, 2, seed=0), names=["in", "hidden"])


def test_the_feature_maps_of_a_flat_image_on_an_open_size_network(conv_net):
    """A flat 16-pixel image (as a CSV row or predict's .npy gives it) failed: "axes don't match array"."""
    x = np.linspace(0, 1, 16, dtype=np.float32)
    maps = dict(feature_maps(conv_net, x))
    assert maps["0: Conv2D"].shape == (2, 4, 4)
    fig = plot_feature_maps(conv_net, x)
    assert fig.axes[0].images[0].get_array().shape == (4, 4)


def test_pictures_of_classes_refuse_a_conv_network_or_a_regression(conv_net):
    """animate_activations crashed on a CNN ("could not broadcast input array"), and it and
    plot_decision_boundary drew a regression's values as class votes."""
    x = np.zeros((2, 1, 4, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="Conv2D layers.*plot_feature_maps"):
        viz.animate_activations(conv_net, x)
    regression = nn.Network.from_sizes(2, 4, 1, output="identity", seed=0)
    assert regression.task == "regression"
    X = np.zeros((3, 2), dtype=np.float32)
    for draw in (lambda: viz.animate_activations(regression, X),
                 lambda: viz.plot_decision_boundary(regression, X, np.zeros(3))):
        with pytest.raises(ValueError, match="needs a classifier; this network is a regression"):
            draw()
    with pytest.raises(ValueError, match=r"2 inputs; this network takes \(3,\)"):
        viz.plot_decision_boundary(nn.Network.from_sizes(3, 4, 2, seed=0), X, np.zeros(3))


def test_a_dense_network_with_batchnorm_and_dropout_animates_and_names_its_layers():
    """train --plot of dense64,bn,relu,dropout0.2,... ended in 'IndexError: list index out of range'
    after training (a panel for each BatchNorm, ReLU and Dropout), and the architecture called the
    first hidden layer 'batchnorm'."""
    net = nn.Network([nn.Dense(4, 6), nn.BatchNorm(6), nn.ReLU(), nn.Dropout(0.2), nn.Dense(6, 3), nn.Softmax()],
                     seed=0, backend="numpy")
    X = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    acts = viz.layer_activations(net, X)
    assert [a.shape for a in acts] == [(5, 6), (5, 3)]
    assert (acts[0] >= 0).all()  # after the ReLU
    fig = viz.animate_activations(net, X, image_shape=None)
    assert fig.axes[1].get_title().startswith("hidden 1\n6 batchnorm+relu\n")
    assert "6\nbatchnorm+relu" in texts(viz.plot_architecture(net))


def test_a_sigmoid_output_is_not_called_softmax():
    """The activation animation titled a one-unit sigmoid network's output 'output (softmax)'."""
    net = nn.Network.from_sizes(2, 4, 1, seed=0)  # two classes: one sigmoid unit
    X = np.zeros((2, 2), dtype=np.float32)
    assert viz.animate_activations(net, X).axes[-1].get_title() == "output (sigmoid)"
    assert viz.animate_activations(nn.Network.from_sizes(2, 4, 3, seed=0), X).axes[-1].get_title() == \
        "output (softmax)"


def test_a_metric_the_history_lacks_is_one_clear_error():
    """plot_history(metrics=["rmse"]) and plot_curves(metric="accuracy") of a regression's history
    raised KeyError: 'rmse'."""
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}
    with pytest.raises(ValueError, match=r"no 'rmse' per epoch; it holds \['loss', 'val_loss'\]"):
        viz.plot_history(history, metrics=["rmse"])
    with pytest.raises(ValueError, match="no 'accuracy' per epoch"):
        viz.plot_curves({"run": history}, metric="accuracy")


def test_plot_boundary_of_an_open_size_model_says_what_it_takes(conv_net):
    """'open.npz takes None: use --what confusion.'"""
    from nnscratch.cli.pictures import unfit
    assert "takes images of any size (1x?x?)" in unfit("boundary", conv_net, "open.npz")


def test_plot_on_another_dataset_warns_as_evaluate_does(tmp_path, capsys):
    """`plot moons.npz --what confusion --dataset xor` drew the matrix with no word that the model never
    learned these data (evaluate warns)."""
    from nnscratch.cli.app import main
    model = str(tmp_path / "moons.npz")
    assert main(["train", "--dataset", "moons", "--epochs", "1", "--out", model, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["plot", model, "--what", "confusion", "--out", str(tmp_path / "own.png")]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["plot", model, "--what", "confusion", "--dataset", "xor", "--out", str(tmp_path / "o.png")]) == 0
    assert "was trained on moons, not xor" in capsys.readouterr().err


def test_plot_all_refuses_images_where_it_draws_no_animation(tmp_path, capsys):
    """`plot iris.npz --what all --images 5` (a table, a regression, a CNN) drew every picture and ignored
    --images without a word."""
    from nnscratch.cli.app import main
    model = str(tmp_path / "moons.npz")
    assert main(["train", "--dataset", "moons", "--epochs", "1", "--out", model, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["plot", model, "--what", "all", "--images", "5", "--out", str(tmp_path / "all")]) == 2
    err = capsys.readouterr().err
    assert "--what all draws none of moons.npz: its inputs are not images" in err and "drop --images" in err
    assert not (tmp_path / "all").exists()


def test_a_colour_convs_filters_are_numbered_by_filter_and_channel():
    """6 filters over 3 colour channels were 18 tiles numbered 0 to 17 under a title saying 6 filters,
    each channel scaled on its own."""
    net = nn.Network([nn.Conv2D(3, 6, 3), nn.Flatten(), nn.Dense(6 * 4 * 4, 2), nn.Softmax()],
                     input_shape=(3, 6, 6), seed=0)
    fig = viz.plot_first_layer_weights(net)
    drawn = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in drawn[:4]] == ["0:R", "0:G", "0:B", "1:R"] and drawn[-1].get_title() == "5:B"
    assert "6 x 3 channels x 3x3" in fig._suptitle.get_text()
    weights = net.layers[0].weight.value
    assert drawn[1].images[0].get_clim()[1] == pytest.approx(float(np.abs(weights[0]).max()))  # the filter's scale


def test_the_misclassified_title_says_how_many_are_shown():
    """'40 of 40 misclassified' over 24 pictures: the other 16 were not mentioned."""
    X = np.random.default_rng(0).random((40, 16))
    y = np.zeros(40, dtype=int)
    fig = viz.plot_misclassified(X, y, np.ones(40, dtype=int))
    assert fig._suptitle.get_text() == "40 of 40 misclassified (the first 24 shown)"
    assert len([ax for ax in fig.axes if ax.images]) == 24
    fig = viz.plot_misclassified(X[:3], y[:3], np.ones(3, dtype=int))
    assert fig._suptitle.get_text() == "3 of 3 misclassified"


def test_the_layer_diagram_says_what_the_network_takes(conv_net):
    """An open-size CNN's diagram began at its first Conv2D's output (2x?x?): what it takes was nowhere."""
    assert "input 1x?x?;" in viz.plot_architecture(conv_net).axes[0].get_title()


def test_tanh_and_sigmoid_activations_are_not_drawn_as_relus():
    """A tanh unit at -0.99 was drawn black, as a ReLU switched off, and counted inactive; a sigmoid layer
    was always '100% active'."""
    X = np.array([[1.0, -1.0], [-1.0, 1.0]], dtype=np.float32)
    tanh = nn.Network.from_sizes(2, 8, 2, hidden="tanh", seed=0)
    panel = viz.animate_activations(tanh, X).axes[1]
    low, high = panel.images[0].get_clim()
    assert low == -high and panel.images[0].get_cmap().name == "RdBu_r"
    assert panel.get_title().endswith("positive") and panel.get_title().split("\n")[1] == "8 tanh"
    sigmoid = nn.Network.from_sizes(2, 8, 2, hidden="sigmoid", seed=0)
    assert viz.animate_activations(sigmoid, X).axes[1].get_title().endswith("above 0.5")
    relu = nn.Network.from_sizes(2, 8, 2, seed=0)
    panel = viz.animate_activations(relu, X).axes[1]
    assert panel.get_title().endswith("active") and panel.images[0].get_clim()[0] == 0


def test_the_boundary_grid_keeps_raw_columns_of_large_values_apart():
    """The grid was float32: over a table column of timestamps (1.7e9 s, a spread of hours) its 100
    columns fell on a few dozen distinct values, 128 s apart, before the model's standardisation."""
    seen = []
    net = nn.Network.from_sizes(2, 4, 2, seed=0)
    X = np.column_stack([1.7e9 + np.linspace(-5000, 5000, 20), np.linspace(0, 1, 20)])

    def standardise(rows):
        seen.append(rows)
        return (rows - X.mean(axis=0)) / X.std(axis=0)
    viz.plot_decision_boundary(net, X, np.arange(20) % 2, transform=standardise, resolution=100)
    assert len(np.unique(seen[0][:, 0])) == 100


@pytest.mark.parametrize("k", [3, 10, 20, 25])
def test_every_class_has_its_own_colour_in_the_decision_regions(k):
    """Past seven classes the palette wrapped: class 7 was drawn in class 0's blue, 8 in 1's orange."""
    X = np.random.default_rng(0).normal(size=(k, 2)).astype(np.float32)
    net = nn.Network.from_sizes(2, 4, k, seed=0)
    fig = viz.plot_decision_boundary(net, X, np.arange(k), resolution=20)
    from matplotlib.colors import to_hex
    legend = {to_hex(h.get_markerfacecolor()) for h in fig.axes[0].get_legend().legend_handles}
    points = {to_hex(c) for c in fig.axes[0].collections[0].get_facecolors()}
    assert len(legend) == k and points == legend


def test_plot_activations_of_a_table_of_nine_columns_draws_bars_not_a_3x3_image(tmp_path, monkeypatch):
    """`plot t9.npz --what activations` of a 9-column CSV drew its standardised row as a 3x3 image."""
    import csv

    from nnscratch.cli.app import main
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 9))
    with open(tmp_path / "t9.csv", "w", newline="") as f:
        csv.writer(f).writerows([[f"f{i}" for i in range(9)] + ["label"]] +
                                [[*row, int(row[0] > 0)] for row in X])
    model = str(tmp_path / "t9.npz")
    assert main(["train", "--dataset", f"csv:{tmp_path / 't9.csv'}", "--epochs", "2", "--out", model, "--quiet"]) == 0
    figures = []
    monkeypatch.setattr(viz, "animate_activations",
                        lambda *a, **k: figures.append(viz.activations.animate_activations(*a[:2], **k)))
    assert main(["plot", model, "--what", "activations", "--out", str(tmp_path / "a.gif")]) == 0
    panel = figures[0].axes[0]
    assert not panel.images and [t.get_text() for t in panel.get_yticklabels()] == [f"f{i}" for i in range(9)]


def test_filters_past_the_budget_are_cut_at_a_whole_filter_and_said():
    """32 colour filters (96 images) were cut at image 64: filter 21's red channel alone, and the title
    said nothing of the 11 filters left out."""
    net = nn.Network([nn.Conv2D(3, 32, 3), nn.Flatten(), nn.Dense(32 * 4 * 4, 2), nn.Softmax()],
                     input_shape=(3, 6, 6), seed=0)
    fig = viz.plot_first_layer_weights(net)
    drawn = [ax.get_title() for ax in fig.axes if ax.images]
    assert len(drawn) == 63 and drawn[-1] == "20:B"
    assert "32 x 3 channels x 3x3, the first 21 shown" in fig._suptitle.get_text()


def test_the_feature_maps_title_says_when_channels_are_left_out(conv_net):
    """A layer of 32 channels was drawn as its first 8 with no word of the other 24."""
    x = np.zeros(16, dtype=np.float32)
    assert "the first 1 channels of each layer, of up to 2" in plot_feature_maps(conv_net, x, max_channels=1)._suptitle.get_text()
    assert "first" not in plot_feature_maps(conv_net, x)._suptitle.get_text()


def test_too_few_class_names_are_one_clear_error():
    """plot_misclassified raised IndexError, animate_activations matplotlib's 'The number of FixedLocator
    locations (3) ... does not match the number of labels (2)', and plot_decision_boundary left class 2 out
    of its legend without a word."""
    X = np.random.default_rng(0).random((6, 16))
    y = np.array([0, 1, 2, 0, 1, 2])
    for draw in (lambda: viz.plot_misclassified(X, y, np.roll(y, 1), class_names=["a", "b"]),
                 lambda: viz.animate_activations(nn.Network.from_sizes(16, 4, 3, seed=0), X, class_names=["a", "b"]),
                 lambda: viz.plot_decision_boundary(nn.Network.from_sizes(2, 4, 3, seed=0), X[:, :2], y,
                                                    class_names=["a", "b"], resolution=10)):
        with pytest.raises(ValueError, match=r"names 2 classes \(a, b\), and there are 3"):
            draw()


def test_a_regressions_history_draws_its_r2_beside_the_loss():
    """Before: plot_history (and `nnscratch plot history.json`) of a regression drew the loss alone; fit now
    logs R^2 and MAE for a regression, and the default picture shows R^2 where a classifier's shows accuracy."""
    fig = viz.plot_history({"loss": [1.0, 0.5], "r2": [0.2, 0.6], "mae": [0.9, 0.5], "val_loss": [1.1, 0.6],
                            "val_r2": [0.1, 0.5], "val_mae": [1.0, 0.6]})
    titles = [ax.get_title() or ax.get_ylabel() for ax in fig.axes]
    assert len(fig.axes) == 2 and any("r2" in t.lower() or "r^2" in t.lower() for t in titles), titles
