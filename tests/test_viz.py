"""Every picture renders headless to a valid, non-blank image of the expected size."""
import os
import subprocess
import sys

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.datasets import Dataset, moons

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")

from nnscratch import viz  # noqa: E402
from nnscratch.cli.pictures import save_model_plots  # noqa: E402
from nnscratch.cli.plot import register  # noqa: E402


def check_image(path, size=None, frames=None):
    """Open ``path`` with Pillow: valid, of ``size`` (w, h), not one flat colour."""
    assert os.path.getsize(path) > 0
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        if size is not None:
            assert im.size == tuple(size)
        n = getattr(im, "n_frames", 1)
        if frames is not None:
            assert n == frames
        im.seek(n // 2)
        pixels = np.asarray(im.convert("RGB"), dtype=float)
    assert pixels.var() > 0, f"{path} is blank"
    return n


def fig_size(fig):
    w, h = fig.get_size_inches() * fig.dpi
    return int(round(w)), int(round(h))


@pytest.fixture(scope="module")
def images():
    """A tiny 16-pixel 'image' problem: 4x4 inputs, 3 classes."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 60)
    X = (rng.random((60, 16)) * 0.3).astype(np.float32)
    X[np.arange(60), y * 5] += 1.0
    return X, y


@pytest.fixture(scope="module")
def tiny_net(images):
    X, y = images
    net = nn.Network.from_sizes(16, 12, 6, 3, seed=0, backend="numpy")
    net.fit(X, y, epochs=5, batch_size=16)
    return net


def test_viz_import_does_not_import_matplotlib():
    code = "import sys, nnscratch.viz, nnscratch.cli.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_history_curves(tmp_path, tiny_net, images):
    X, y = images
    h = nn.Network.from_sizes(16, 8, 3, seed=0).fit(X, y, epochs=3, validation_data=(X, y))
    fig = viz.plot_history(h, tmp_path / "curves.png", references={"accuracy": [(0.9, "ref")]})
    check_image(tmp_path / "curves.png", (1100, 420))
    h.to_json(tmp_path / "h.json")
    fig2 = viz.plot_history(tmp_path / "h.json", tmp_path / "from_json.png")
    check_image(tmp_path / "from_json.png", fig_size(fig2))
    assert fig_size(fig) == fig_size(fig2)
    viz.plot_curves({"a": [3, 2, 1], "b": h}, tmp_path / "multi.png")
    check_image(tmp_path / "multi.png", (750, 460))


@pytest.mark.parametrize("accuracy", [
    [0.88, 0.95, 0.975, 0.985],    # 2.5% ticks: 97.5% used to print as "98%"
    [0.2, 0.6, 0.9, 0.99],
    [0.971, 0.973, 0.9745, 0.975],
])
def test_accuracy_ticks_are_labelled_exactly(tmp_path, accuracy):
    fig = viz.plot_history({"loss": [1.0, 0.5, 0.3, 0.2], "accuracy": accuracy}, tmp_path / "c.png")
    ax = next(a for a in fig.axes if a.get_title() == "accuracy")
    fig.canvas.draw()
    labels = [(t.get_loc(), t.label1.get_text()) for t in ax.yaxis.get_major_ticks()]
    assert len(labels) >= 3
    for loc, text in labels:
        assert text.endswith("%") and float(text[:-1]) == pytest.approx(100 * loc, abs=1e-6), labels


def test_confusion_matrix_counts():
    cm = viz.confusion_matrix(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 0]))
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    with pytest.raises(ValueError, match="same length"):
        viz.confusion_matrix(np.array([0, 1]), np.array([0]))


def test_confusion_and_misclassified(tmp_path, tiny_net, images):
    X, y = images
    pred = tiny_net.backend.to_numpy(tiny_net.predict(X))
    viz.plot_confusion(y, pred, tmp_path / "cm.png")
    check_image(tmp_path / "cm.png", (1300, 560))
    wrong = pred.copy()
    wrong[:5] = (wrong[:5] + 1) % 3
    fig = viz.plot_misclassified(X, y, wrong, tmp_path / "mis.png", image_shape=(4, 4),
                                 proba=tiny_net.backend.to_numpy(tiny_net.predict_proba(X)))
    check_image(tmp_path / "mis.png", fig_size(fig))


def test_model_pictures_name_the_classes_and_features_the_data_names(tmp_path, tiny_net, images, monkeypatch):
    """The misclassified images were titled 'pred 2 / true 0' and the activation animation 'true 0' with
    outputs 0, 1, 2 (and fractional feature ticks) where the data names its classes, as the confusion
    matrix does."""
    from nnscratch.cli.pictures import draw_one
    X, y = images
    names = ("cat", "dog", "owl")
    data = Dataset(X, y, X, (y + 1) % 3, name="pets", class_names=names)  # every test label wrong: all drawn
    figures = []
    monkeypatch.setattr(viz, "plot_misclassified",
                        lambda *a, **k: figures.append(viz.confusion.plot_misclassified(*a, **k)))
    draw_one("misclassified", tmp_path / "mis.png", tiny_net, data)
    titles = [ax.get_title() for ax in figures[0].axes if ax.get_title()]
    pred = tiny_net.backend.to_numpy(tiny_net.predict(X))
    assert titles[0] == f"pred {names[pred[0]]}\ntrue {names[(y[0] + 1) % 3]}"
    monkeypatch.setattr(viz, "animate_activations",
                        lambda *a, **k: figures.append(viz.activations.animate_activations(*a[:2], **k)))
    draw_one("activations", tmp_path / "act.gif", tiny_net, data)
    output = figures[1].axes[-1]
    assert [t.get_text() for t in output.get_yticklabels()] == list(names)
    assert figures[1]._suptitle.get_text().startswith(f"true {names[(y[0] + 1) % 3]}, predicted {names[pred[0]]}")
    fig = viz.activations.animate_activations(tiny_net, X, feature_names=[f"f{i}" for i in range(16)], image_shape=None)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [f"f{i}" for i in range(16)]


def test_the_commands_confusion_matrix_keeps_its_accuracy_in_the_title(tmp_path, tiny_net, images, monkeypatch):
    """plot --what confusion titled the picture '<data> test set' alone, dropping the accuracy that
    plot_confusion's own title gives."""
    from nnscratch.cli.pictures import draw_one
    X, y = images
    figures = []
    monkeypatch.setattr(viz, "plot_confusion", lambda *a, **k: figures.append(viz.confusion.plot_confusion(*a, **k)))
    draw_one("confusion", tmp_path / "cm.png", tiny_net, Dataset(X, y, X[:20], y[:20], name="pets"))
    accuracy = np.mean(tiny_net.backend.to_numpy(tiny_net.predict(X[:20])) == y[:20])
    assert figures[0]._suptitle.get_text() == f"pets test set: accuracy {100 * accuracy:.1f}% on 20 samples"


def test_architecture_samples_large_layers(tmp_path, tiny_net):
    fig = viz.plot_architecture(tiny_net, tmp_path / "arch.png", max_neurons=8)
    check_image(tmp_path / "arch.png", fig_size(fig))
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "12\n(8 shown)" in texts and "16\n(8 shown)" in texts and "softmax" in texts
    viz.plot_architecture([3, 4, 5, 1], tmp_path / "sizes.png")
    check_image(tmp_path / "sizes.png")


def test_first_layer_weights(tmp_path, tiny_net):
    fig = viz.plot_first_layer_weights(tiny_net, tmp_path / "w.png")
    check_image(tmp_path / "w.png", fig_size(fig))
    with pytest.raises(ValueError, match="image_shape"):
        viz.plot_first_layer_weights(np.ones((7, 3)))


def test_activation_animation(tmp_path, tiny_net, images):
    X, y = images
    viz.animate_activations(tiny_net, X, tmp_path / "act.gif", y=y, n_images=3)
    check_image(tmp_path / "act.gif", (1100, 460), frames=3)


def test_decision_boundary(tmp_path):
    X, y = moons(60, seed=0)
    net = nn.Network.from_sizes(2, 8, 2, seed=0)
    net.fit(X, y, epochs=3)
    viz.plot_decision_boundary(net, X, y, tmp_path / "b.png", resolution=40)
    check_image(tmp_path / "b.png", (620, 560))
    with pytest.raises(ValueError, match="2-D inputs"):
        viz.plot_decision_boundary(net, np.zeros((4, 3)), np.zeros(4), resolution=5)


def test_live_architecture_records_weight_changes(tmp_path, backend, images):
    X, y = images
    net = nn.Network.from_sizes(16, 6, 3, seed=0, backend=backend)
    live = viz.LiveArchitecture(tmp_path / "live.gif", every=2)
    net.fit(X, y, epochs=5, batch_size=16, callbacks=[live])
    assert [e for e, _ in live.frames] == [0, 2, 4, 5]
    assert not np.array_equal(live.frames[0][1][0], live.frames[-1][1][0])
    check_image(tmp_path / "live.gif", (648, 468), frames=3)


def test_the_live_loss_axis_counts_whole_epochs():
    """Three epochs were ticked 1.00, 1.25, 1.50 ... on the live animation's loss axis."""
    from nnscratch.viz.live import draw_frame
    frames = [(e, [np.full((3, 2), float(e))]) for e in range(4)]
    fig = viz._common.new_figure((9, 6.5))
    draw_frame(fig, frames, [1.0, 0.7, 0.6], 3, picked=[np.arange(3), np.arange(2)])
    ticks = [t for t in fig.axes[1].get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_every_model_picture_on_each_backend(tmp_path, backend, images):
    """`nnscratch train --plot DIR`'s pictures; arrays come back through to_numpy."""
    X, y = images
    data = Dataset(X, y, X[:12], y[:12], name="tiny")
    net = nn.Network.from_sizes(16, 6, 3, seed=0, backend=backend)
    history = net.fit(X, y, epochs=2)
    saved = save_model_plots(tmp_path, net, data, history, n_images=2)
    names = sorted(os.path.basename(p) for p in saved)
    assert names == ["activations.gif", "architecture.png", "confusion.png", "curves.png",
                     "misclassified.png", "weights.png"]
    for path in saved:
        check_image(path)


def test_animation_extension_is_checked(tmp_path, tiny_net, images):
    with pytest.raises(ValueError, match=".gif or .mp4"):
        viz.animate_activations(tiny_net, images[0], tmp_path / "a.avi", n_images=1)


def _plot(argv):
    from nnscratch.cli.app import Parser
    parser = Parser(prog="nnscratch")
    register(parser.add_subparsers(dest="command", parser_class=Parser))
    args = parser.parse_args(argv)
    return args.func(args)


def test_plot_command(tmp_path, capsys):
    X, y = moons(80, seed=0)
    net = nn.Network.from_sizes(2, 8, 2, seed=0)
    net.fit(X, y, epochs=2).to_json(tmp_path / "h.json")
    net.save(tmp_path / "m.npz")
    assert _plot(["plot", str(tmp_path / "h.json")]) == 0
    check_image(tmp_path / "h_curves.png")
    assert _plot(["plot", str(tmp_path / "m.npz"), "--what", "boundary",
                  "--dataset", "moons"]) == 0
    check_image(tmp_path / "m_boundary.png")
    assert _plot(["plot", str(tmp_path / "m.npz"), "--what", "all", "--dataset", "moons",
                  "--out", str(tmp_path / "all")]) == 0
    assert sorted(os.listdir(tmp_path / "all")) == ["architecture.png", "boundary.png",
                                                     "confusion.png"]
    assert "saved" in capsys.readouterr().out
    with pytest.raises(nn.errors.ConfigError, match="--dataset"):
        _plot(["plot", str(tmp_path / "m.npz"), "--what", "confusion"])
    # a picture's name for --what all is refused (it made a folder called all.png), naming a folder to give
    with pytest.raises(nn.errors.ConfigError, match=r"names one picture file\. Give a folder \(e\.g\. --out .*all_plots\)"):
        _plot(["plot", str(tmp_path / "m.npz"), "--what", "all", "--dataset", "moons", "--out", str(tmp_path / "all.png")])
    assert not os.path.exists(tmp_path / "all.png")


def test_a_table_models_boundary_is_drawn_on_the_tables_own_axes(tmp_path, monkeypatch):
    """A CSV model sees standardised columns; its class regions were drawn over those (axes -1.5..1.5 for
    heights of 10..180 cm), unlabelled and without saying which colour is which class."""
    from nnscratch.cli.app import main
    rng = np.random.default_rng(0)
    kind = rng.integers(0, 2, 200)
    height, weight = np.array([30.0, 150.0])[kind] + rng.normal(0, 10, 200), np.array([5.0, 500.0])[kind]
    (tmp_path / "animals.csv").write_text("height_cm,weight_kg,animal\n" + "".join(
        f"{h:.2f},{w + rng.normal(0, 3):.2f},{'cat horse'.split()[k]}\n" for h, w, k in zip(height, weight, kind)))
    model = str(tmp_path / "a.npz")
    assert main(["train", "--dataset", f"csv:{tmp_path / 'animals.csv'}", "--epochs", "5", "--out", model,
                 "--quiet"]) == 0
    drawn = []
    monkeypatch.setattr(viz, "plot_decision_boundary",
                        lambda *a, **k: drawn.append(viz.boundary.plot_decision_boundary(*a, **k)))
    assert _plot(["plot", model, "--what", "boundary"]) == 0
    ax = drawn[0].axes[0]
    assert ax.get_xlim()[0] < 25 and ax.get_xlim()[1] > 150 and ax.get_ylim()[1] > 450
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("height_cm", "weight_kg")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["cat", "horse"]
    net = nn.Network.load(model)
    data = nn.datasets.load_dataset(f"csv:{tmp_path / 'animals.csv'}")
    from nnscratch.saving.standardizer import standardize_for
    accuracy = float(np.mean(net.backend.to_numpy(net.predict(standardize_for(net, data.X_test))) == data.y_test))
    assert f"accuracy {accuracy:.1%}" in ax.get_title()
    check_image(tmp_path / "a_boundary.png")


def test_train_plot_option(tmp_path):
    from nnscratch.cli.app import main
    out = tmp_path / "pics"
    assert main(["train", "--dataset", "moons", "--epochs", "2", "--no-save", "--quiet",
                 "--backend", "numpy", "--plot", str(out)]) == 0
    assert sorted(os.listdir(out)) == ["architecture.png", "boundary.png", "confusion.png",
                                       "curves.png"]
    for name in os.listdir(out):
        check_image(out / name)


def test_train_live_option_records_every_epoch(tmp_path):
    """`nnscratch train --live FILE`: one frame per epoch, also when training runs one fit() per epoch."""
    from nnscratch.cli.app import main
    out = tmp_path / "live.gif"
    assert main(["train", "--dataset", "mnist-sample", "--layers", "784,8,10", "--epochs", "3", "--augment", "1",
                 "--no-save", "--quiet", "--backend", "numpy", "--live", str(out)]) == 0
    check_image(out, frames=3)


def test_live_architecture_keeps_recording_across_fits(tiny_net, images):
    X, y = images
    live = viz.LiveArchitecture(None)
    for _ in range(2):
        tiny_net.fit(X, y, epochs=2, callbacks=[live])
    assert [epoch for epoch, _ in live.frames] == [0, 1, 2, 3, 4] and len(live.losses) == 4


def _main(capsys, *argv):
    """``nnscratch ARGV``: (exit status, stdout, the one stderr line)."""
    from nnscratch.cli.app import main
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    return out, lines[0]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Saved models of every kind: MLP and CNN on 4x4 images, a regression and a classification table."""
    from nnscratch.cli.app import main
    from nnscratch.models.spec import layers_from_spec
    folder = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(0)
    X = rng.random((60, 3))
    for name, target in (("reg", X @ [1.5, 2.0, -0.7]), ("tab", (X[:, 0] > 0.5).astype(int))):
        rows = [f"{a:.3f},{b:.3f},{c:.3f},{t}" for (a, b, c), t in zip(X, target)]
        (folder / f"{name}.csv").write_text("a,b,c,target\n" + "\n".join(rows) + "\n")
        assert main(["train", "--dataset", f"csv:{folder / name}.csv", "--epochs", "1", "--quiet",
                     "--backend", "numpy", "--out", str(folder / f"{name}.npz")]) == 0
    nn.Network.from_sizes(16, 6, 3, seed=0).save(folder / "mlp.npz")
    nn.Network(layers_from_spec("conv2x3,dense3", 16, 3), seed=0).save(folder / "cnn.npz")
    return folder


@pytest.mark.parametrize("model, what, fragments", [
    ("mlp", "filters", ["--what filters draws a convolutional model's", "mlp.npz is an MLP (16-6-3)",
                        "use --what weights"]),
    ("mlp", "features", ["--what features draws a convolutional model's", "use --what activations"]),
    ("mlp", "boundary", ["--what boundary draws class regions over 2 inputs", "mlp.npz takes 16"]),
    ("cnn", "activations", ["--what activations animates an MLP's layers", "use --what features"]),
    ("tab", "weights", ["--what weights draws", "as an image", "tab.npz takes 3 inputs",
                        "use --what architecture"]),
    ("tab", "misclassified", ["--what misclassified draws the wrongly classified images", "tab.npz takes 3",
                              "use --what confusion"]),
    *[("reg", what, [f"--what {what} needs a classification model", "reg.npz is a regression model"])
      for what in ("confusion", "misclassified", "activations", "boundary")],
])
def test_plot_refuses_a_picture_the_model_cannot_have_before_loading_data(tmp_path, capsys, monkeypatch, models,
                                                                          model, what, fragments):
    def no_data(args):
        raise AssertionError("the data was loaded before the model was checked")

    monkeypatch.setattr("nnscratch.cli.options.load_data", no_data)
    out, line = _main(capsys, "plot", models / f"{model}.npz", "--what", what, "--out", tmp_path / "p" / "x.png")
    for fragment in fragments:
        assert fragment in line
    assert out == "" and not (tmp_path / "p").exists()


@pytest.mark.parametrize("name, text, extra, fragments", [
    ("h.json", None, ["--out", "curves.txt"], ["--out curves.txt: a picture is saved as a .png, .svg, .pdf",
                                              "received .txt", "--out curves.png"]),
    ("other.json", '{"a": 1}', [], ["other.json is not a training history", "`nnscratch train --history"]),
    ("list.json", "[1, 2]", [], ["list.json is not a training history"]),
    ("broken.json", "{bad", [], ["broken.json is not valid JSON", "`nnscratch train --history"]),
    ("missing.json", None, [], ["history file missing.json does not exist", "the current directory is"]),
    ("h.json", None, ["--show"], ["--show needs a display", "drop --show"]),
])
def test_plot_of_a_history_refuses_in_one_line(tmp_path, capsys, monkeypatch, name, text, extra, fragments):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("nnscratch.viz._common.has_display", lambda: False)
    nn.training.history.History({"loss": [1.0, 0.5]}).to_json("h.json")
    if text is not None:
        (tmp_path / name).write_text(text)
    out, line = _main(capsys, "plot", name, *extra)
    for fragment in fragments:
        assert fragment in line
    assert out == "" and sorted(os.listdir(tmp_path)) == sorted({"h.json", name} - {"missing.json"})


def test_plot_activations_out_must_be_an_animation(tmp_path, capsys, models):
    _, line = _main(capsys, "plot", models / "mlp.npz", "--what", "activations", "--out", tmp_path / "a.png")
    assert "--out" in line and "the animation is saved as a .gif or .mp4 file; received .png" in line


@pytest.mark.parametrize("flags, said", [
    (["--dataset", "spirals"], "--dataset chooses data that --what weights does not use; drop it."),
    (["--dataset", "spirals", "--seed", "1", "--task", "regression"],
     "--dataset, --seed and --task choose data that --what weights does not use; drop them."),
])
def test_plot_names_the_data_options_a_model_picture_does_not_use(tmp_path, capsys, models, flags, said):
    _, line = _main(capsys, "plot", models / "mlp.npz", "--what", "weights", *flags, "--out", tmp_path / "w.png")
    assert line.endswith(said), line


def test_every_model_picture_fits_the_model():
    """`--what all` (and `train --plot`) draw what fits: no class pictures of a regression, a confusion
    matrix of a one-output binary classifier too."""
    from nnscratch.cli.pictures import planned_pictures
    X, y = moons(40, seed=0)
    data = Dataset(X, y, X[:10], y[:10], name="moons")
    assert planned_pictures(nn.Network.from_sizes(2, 4, 1, output=None), data) == ["architecture.png"]
    assert planned_pictures(nn.Network.from_sizes(2, 4, 1), data) == ["architecture.png", "confusion.png",
                                                                       "boundary.png"]


def test_activation_animation_of_a_binary_classifier(tmp_path):
    X, y = moons(40, seed=0)
    net = nn.Network.from_sizes(2, 4, 1, seed=0)
    viz.animate_activations(net, X, tmp_path / "b.gif", y=y, n_images=2)
    check_image(tmp_path / "b.gif", frames=2)


def test_an_mlp_with_batchnorm_is_drawn_by_its_dense_weights(tmp_path):
    """BatchNorm's scale is a parameter named "weight" too: the architecture, the live view and the
    first-layer weights draw the Dense matrices alone (the 1-D scale made an IndexError traceback)."""
    from nnscratch.layers import BatchNorm, Dense, ReLU, Softmax
    X, y = moons(n_samples=64, seed=0)
    net = nn.Network([Dense(2, 6), BatchNorm(6), ReLU(), Dense(6, 2), Softmax()], seed=0, backend="numpy")
    live = viz.LiveArchitecture()
    net.fit(X, y, epochs=2, batch_size=16, callbacks=[live])
    viz.plot_architecture(net, tmp_path / "a.png")
    check_image(tmp_path / "a.png")
    assert [w.shape for w in live.frames[-1][1]] == [(2, 6), (6, 2)]
    assert viz.plot_first_layer_weights(net, image_shape=(1, 2)) is not None
