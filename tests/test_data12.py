"""Datasets, augmentation and pictures, as a user meets them: a phone photo of a digit, one-hot
targets and image-shaped arrays through the distortions, a binary model's mistakes, pictures of
many classes (titles clear of the panels, readable votes), the live view of a CNN, IDX byte order."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from nnscratch import Conv2D, Dense, Flatten, Network, ReLU, Softmax  # noqa: E402
from nnscratch.datasets import load_mnist_sample, read_idx, write_idx  # noqa: E402
from nnscratch.datasets.augment import augment_images  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    data = load_mnist_sample()
    return data.X_test[:8], data.y_test[:8]


def test_a_photo_is_turned_upright_as_its_exif_orientation_says(tmp_path, digits):
    Image = pytest.importorskip("PIL.Image")
    from nnscratch.datasets.images import read_digit_image

    upright = np.uint8(255 - digits[0][0].reshape(28, 28) * 255)  # black ink on white paper
    Image.fromarray(upright).resize((112, 112)).save(tmp_path / "upright.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # the sensor's pixels are a quarter turn off; viewers turn them clockwise
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(upright, 1))).resize((112, 112))
    stored.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    seen, photo = read_digit_image(tmp_path / "upright.png"), read_digit_image(tmp_path / "phone.jpg")
    assert np.corrcoef(seen.pixels, photo.pixels)[0, 1] > 0.9  # 0.24 when read as stored
    assert any("EXIF" in note for note in photo.notes) and not any("EXIF" in note for note in seen.notes)


def test_augment_keeps_one_hot_rows_with_their_images(digits):
    X, y = digits
    onehot = np.eye(10, dtype=np.float32)[y]
    out, targets = augment_images(X, onehot, 2, seed=1)
    assert out.shape == (24, 784) and targets.shape == (24, 10)  # was (8, 30): the rows tiled sideways
    np.testing.assert_array_equal(targets, np.concatenate([onehot] * 3))


def test_augment_takes_image_shaped_arrays_and_keeps_their_shape(digits):
    X, y = digits
    flat, flat_y = augment_images(X, y, 2, seed=3)
    for shape in [(28, 28), (1, 28, 28)]:
        images, labels = augment_images(X.reshape(-1, *shape), y, 2, seed=3)
        assert images.shape == (24, *shape) and images.dtype == np.float32
        np.testing.assert_array_equal(images.reshape(24, 784), flat)  # the same distortions as the rows
        np.testing.assert_array_equal(labels, flat_y)


def test_augment_says_what_shape_it_takes(digits):
    from nnscratch.errors import ConfigError

    with pytest.raises(ConfigError, match=r"28x28 grey images.*received X of shape \(8, 3, 28, 28\)"):
        augment_images(np.zeros((8, 3, 28, 28)), digits[1], 1)


def _titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def test_misclassified_ranks_a_binary_models_mistakes_by_its_confidence():
    from nnscratch.viz import plot_misclassified

    X = np.random.default_rng(0).random((4, 4))
    y_true, y_pred = np.array([1, 1, 0, 0]), np.array([0, 0, 1, 0])
    proba = np.array([[0.05], [0.4], [0.7], [0.1]])  # P(class 1), as a sigmoid output gives it
    titles = _titles(plot_misclassified(X, y_true, y_pred, proba=proba, image_shape=(2, 2)))
    assert titles == ["pred 0 95%\ntrue 1", "pred 1 70%\ntrue 0", "pred 0 60%\ntrue 1"]


def _clear_of_the_title(fig):
    """True when the figure's title is above every panel and panel title."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    bottom = fig._suptitle.get_window_extent(renderer).y0
    tops = [max(ax.get_window_extent(renderer).y1, ax.title.get_window_extent(renderer).y1) for ax in fig.axes]
    return max(tops) < bottom


def test_titles_stay_clear_of_the_panels_of_large_pictures():
    from nnscratch.viz import plot_confusion

    y = np.arange(120) % 40
    assert _clear_of_the_title(plot_confusion(y, (y * 7) % 40))  # 40 classes: the title ran into "counts"
    assert _clear_of_the_title(plot_confusion(y % 10, (y * 7) % 10))


def test_activation_vote_of_many_classes_shows_the_likeliest_and_the_true_one():
    from nnscratch.viz import animate_activations
    from nnscratch.viz.activations import MAX_BARS

    net = Network.from_sizes(4, 8, 30, seed=0)
    X = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    proba = np.asarray(net.predict_proba(X))[0]
    true = int(np.argmin(proba))  # the least likely class: never among the top ones
    fig = animate_activations(net, X, y=np.array([true, 0]), image_shape=None)
    output = next(ax for ax in fig.axes if ax.get_title().startswith("output"))
    names = [tick.get_text() for tick in output.get_yticklabels()]
    assert len(names) == MAX_BARS and names[0] == str(int(np.argmax(proba))) and names[-1] == str(true)
    assert "of 30 classes" in output.get_title()


def test_live_view_refuses_a_convolutional_network(tmp_path):
    from nnscratch.viz import LiveArchitecture

    net = Network([Conv2D(1, 2, 3), ReLU(), Flatten(), Dense(2 * 6 * 6, 3), Softmax()], seed=0)
    X = np.random.default_rng(0).random((6, 1, 8, 8), dtype=np.float32)
    with pytest.raises(ValueError, match="Conv2D layers"):  # drew its Dense layer, its input named "input"
        net.fit(X, np.arange(6) % 3, epochs=1, verbose=0, callbacks=[LiveArchitecture(tmp_path / "live.gif")])
    assert not (tmp_path / "live.gif").exists()


@pytest.mark.parametrize("dtype", [">i4", ">f8", ">i2"])
def test_write_idx_takes_big_endian_arrays(tmp_path, dtype):
    values = np.arange(6, dtype=dtype).reshape(2, 3)
    write_idx(tmp_path / "a.idx", values)  # refused as "cannot store dtype >i4"
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx"), values)


def test_history_with_json_nulls_is_drawn_with_a_gap(tmp_path):
    from nnscratch.viz import plot_history

    (tmp_path / "h.json").write_text('{"loss": [1.0, null, 0.5], "accuracy": [0.5, null, 0.7]}')  # pandas' to_json
    fig = plot_history(tmp_path / "h.json")  # TypeError: float() argument ... not 'NoneType'
    line = fig.axes[0].get_lines()[0]
    assert np.isnan(line.get_ydata()[1]) and line.get_ydata()[2] == 0.5


def test_curves_of_no_values_are_refused_not_drawn_empty():
    from nnscratch.viz import plot_curves

    for curves in ({}, {"SGD": []}):
        with pytest.raises(ValueError, match="one line per run"):
            plot_curves(curves)


def test_feature_maps_share_one_colour_scale_per_layer():
    from nnscratch.viz.filters import plot_feature_maps

    net = Network([Conv2D(1, 2, 3, padding=1), Flatten(), Dense(2 * 8 * 8, 3), Softmax()], seed=0)
    conv = net.layers[0]
    conv.weight.value[...] = 0.0
    conv.weight.value[1, 0, 1, 1] = 1.0  # channel 1 copies the image; channel 0 answers only with its bias
    conv.bias.value[...] = 0.0
    image = np.random.default_rng(0).random((1, 8, 8), dtype=np.float32)
    fig = plot_feature_maps(net, image)
    maps = [ax.get_images()[0] for ax in fig.axes if ax.get_images() and "ch" in ax.get_title()]
    assert len(maps) == 2 and len({(m.norm.vmin, m.norm.vmax) for m in maps}) == 1  # each had its own
    assert maps[0].norm.vmax == pytest.approx(float(image.max()))


@pytest.mark.parametrize("label", ["12", "-1"])
def test_digit_csv_refuses_a_label_that_is_no_digit(tmp_path, label):
    from nnscratch.datasets import load_dataset
    from nnscratch.errors import DataFormatError

    rows = ["label," + ",".join(f"pixel{j}" for j in range(784))]
    rows += [f"{lab}," + ",".join(["0"] * 784) for lab in ["3", "7", label, "1"]]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(DataFormatError, match=rf"train\.csv, line 4: the label {label} is not a digit 0 to 9"):
        load_dataset(f"csv:{tmp_path / 'train.csv'}")  # was read: ten class names, labels up to 12


def test_live_view_refuses_a_name_it_cannot_write_before_training(tmp_path, monkeypatch):
    from nnscratch.viz import LiveArchitecture
    from nnscratch.viz import _anim

    with pytest.raises(ValueError, match=r"\.gif or \.mp4; received .*live\.png"):
        LiveArchitecture(tmp_path / "live.png")  # was raised by fit once every epoch had run
    monkeypatch.setattr(_anim, "can_write_mp4", lambda: False)
    with pytest.raises(RuntimeError, match="ffmpeg"):
        LiveArchitecture(tmp_path / "live.mp4")
    assert LiveArchitecture(tmp_path / "live.gif").path == tmp_path / "live.gif"


def test_misclassified_titles_stay_below_the_row_above():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from nnscratch.viz import plot_misclassified

    X = np.random.default_rng(0).random((10, 784))
    y = np.arange(10)
    fig = plot_misclassified(X, y, (y + 5) % 10, class_names=[f"class {c}" for c in range(10)], cols=8)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    above, below = fig.axes[0], fig.axes[8]  # the first tile of each row
    assert below.title.get_window_extent(renderer).y1 < above.get_images()[0].get_window_extent(renderer).y0


def test_augment_copies_device_arrays_to_the_host(digits):
    xp = pytest.importorskip("array_api_strict")
    X, y = digits
    device = xp.Device("device1")  # refuses numpy.asarray, as a GPU array does
    # was RuntimeError: Can't convert array on the 'array_api_strict.Device('device1')' device to a NumPy array
    out, labels = augment_images(xp.asarray(X, device=device), xp.asarray(y, device=device), 1, seed=2)
    expected, expected_y = augment_images(X, y, 1, seed=2)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(labels, expected_y)


def test_idx_search_names_each_folder_once(tmp_path, monkeypatch):
    from nnscratch.datasets import load_mnist
    from nnscratch.errors import DatasetNotFoundError

    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path))  # the same folder as --data-dir
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DatasetNotFoundError) as caught:
        load_mnist(tmp_path, download=False)
    looked = str(caught.value).split("looked in ")[1].split(")")[0].split(", ")
    assert len(looked) == len(set(looked)) == 4  # DIR, DIR/mnist, the cache, /usr/share/datasets/mnist


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_augment_keeps_float64_images_float64(digits, dtype):
    X, y = digits
    out, _ = augment_images(X.astype(dtype), y, 2, seed=4)
    assert out.dtype == dtype and 0.0 <= out.min() and out.max() <= 1.0
    np.testing.assert_array_equal(out[:8], X.astype(dtype))  # the originals, not rounded to float32
    np.testing.assert_array_equal(out[8:], augment_images(X, y, 2, seed=4)[0][8:])  # the same distortions


def test_pictures_of_nothing_say_what_they_draw():
    from nnscratch.viz import animate_activations, plot_architecture, plot_first_layer_weights

    with pytest.raises(ValueError, match=r"at least two layer sizes.*received \[5\]"):
        plot_architecture([5])  # ValueError: max() arg is an empty sequence
    with pytest.raises(ValueError, match=r"\(n_inputs, n_units\); received an array of shape \(784,\)"):
        plot_first_layer_weights(np.zeros(784))  # IndexError: tuple index out of range
    with pytest.raises(ValueError, match="n_images is the number of inputs to animate"):
        animate_activations(Network.from_sizes(4, 3, 3, seed=0), np.ones((5, 4)), n_images=0)  # "X is empty"


def test_misclassified_draws_image_shaped_arrays(digits):
    from nnscratch.viz import plot_misclassified

    X, y = digits
    wrong = (y + 1) % 10
    for images in (X.reshape(-1, 1, 28, 28), X.reshape(-1, 28, 28)):  # ValueError: cannot reshape ... (1,1)
        drawn = plot_misclassified(images, y, wrong).axes[0].get_images()[0].get_array()
        np.testing.assert_array_equal(drawn, X[0].reshape(28, 28))
    colour = np.zeros((8, 6, 5, 3))
    colour[..., 0] = 1.0  # red pictures, channels last
    drawn = plot_misclassified(colour, y, wrong).axes[0].get_images()[0].get_array()
    assert drawn.shape == (6, 5, 3) and np.all(drawn[..., 0] == 1.0) and not drawn[..., 1:].any()


def test_confusion_of_a_count_matrix_checks_its_labels():
    from nnscratch.viz import plot_confusion

    counts = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    assert plot_confusion(counts, labels=["a", "b", "c"]).axes[0].get_xticklabels()[2].get_text() == "c"
    for labels in (["a", "b"], ["a", "b", "c", "d"]):  # matplotlib's FixedLocator error before
        with pytest.raises(ValueError, match=rf"shape \(3, 3\) and {len(labels)} labels: give one label per class"):
            plot_confusion(counts, labels=labels)
    with pytest.raises(ValueError, match=r"square count matrix.*shape \(1, 3\)"):
        plot_confusion(np.array([[1, 2, 3]]))  # was drawn as a 1 x 3 matrix


def test_live_view_without_matplotlib_is_refused_before_training(monkeypatch, capsys):
    """Without matplotlib, LiveArchitecture("x.gif") trained every epoch, then raised ImportError at the
    end and lost the History; now it is refused when made, and a script's missing matplotlib is not
    offered --out DIR (another folder cannot help)."""
    import argparse
    import sys

    from nnscratch.viz import LiveArchitecture
    from nnscratch.viz._common import check_picture_paths

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    with pytest.raises(ImportError, match="pip install 'nnscratch\\[viz\\]'"):
        LiveArchitecture("x.gif")
    parser = argparse.ArgumentParser(prog="example.py")
    parser.add_argument("--out")
    parser.add_argument("--no-plots", action="store_true")
    with pytest.raises(SystemExit):
        check_picture_paths(["p.png"], parser=parser)
    said = capsys.readouterr().err
    assert "needs matplotlib" in said and "--no-plots draws none" in said and "--out" not in said, said
