"""The pictures as a newcomer meets them: a picture of one class per sample, drawn from Python on a multilabel
model's or a regression's predictions, is one clear ValueError (plot_misclassified raised IndexError on the
rows of 0/1 labels and drew every value of a regression as "misclassified"; plot_confusion told a multilabel
model to take an argmax); ``nnscratch plot --what features`` of a multilabel MLP sent it to --what activations,
which refuses it too."""

import re

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import viz

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def tagger():
    """A multilabel network (a sigmoid per label) and its data: rows of no, one and two 1s."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 16)).astype(np.float32)
    Y = (X[:, :2] > 0).astype(np.float32)
    net = nn.Network.from_sizes(16, 8, 2, output="sigmoid", seed=0)
    net.fit(X, Y, epochs=2)
    assert net.task == "multilabel"
    return net, X, Y


def _one_line(excinfo):
    text = str(excinfo.value)
    assert "\n" not in text, text
    return text


@pytest.mark.parametrize("draw", ["plot_confusion", "confusion_matrix", "plot_misclassified"])
def test_one_class_pictures_refuse_a_multilabel_models_rows_in_one_line(tagger, draw):
    net, X, Y = tagger
    P = net.predict(X)
    call = {"plot_confusion": lambda: viz.plot_confusion(Y, P),
            "confusion_matrix": lambda: viz.confusion_matrix(Y, P),
            "plot_misclassified": lambda: viz.plot_misclassified(X, Y, P)}[draw]
    with pytest.raises(ValueError) as excinfo:
        call()
    text = _one_line(excinfo)
    assert "multilabel" in text and "y_true[:, 0] and y_pred[:, 0]" in text, text
    assert "argmax" not in text, text  # the argmax of a row of independent labels is no class


def test_one_labels_column_of_a_multilabel_model_draws(tagger):
    net, X, Y = tagger
    P = net.backend.to_numpy(net.predict(X))
    fig = viz.plot_confusion(Y[:, 0], P[:, 0])
    assert [ax.get_title() for ax in fig.axes[:2]] == ["counts", "row-normalised (% of each true class)"]
    assert int(fig.axes[0].get_images()[0].get_array().sum()) == len(X)


def test_one_hot_rows_still_point_to_their_argmax():
    onehot = np.eye(3)[[0, 1, 2, 1]]
    with pytest.raises(ValueError, match=r"argmax\(axis=1\)") as excinfo:
        viz.plot_confusion(onehot, np.array([0, 1, 2, 2]))
    assert "multilabel" not in _one_line(excinfo)


def test_misclassified_refuses_a_regressions_values():
    """Before: a figure titled "200 of 200 misclassified", tiles titled with values to 17 digits."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 2)).astype(np.float32)
    y = (X[:, 0] * 2 + X[:, 1]).astype(np.float32)
    net = nn.Network.from_sizes(2, 8, 1, output="identity", seed=0)
    net.fit(X, y, epochs=2, loss="mse")
    assert net.task == "regression"
    with pytest.raises(ValueError, match=r"not a class: .*regression's values") as excinfo:
        viz.plot_misclassified(X, y, net.predict(X))
    assert excinfo.value.args[0].startswith("plot_misclassified takes class indices")


def test_misclassified_refuses_labels_of_other_samples_than_X():
    """Before: NumPy's 'operands could not be broadcast', or an IndexError past the inputs."""
    X = np.random.default_rng(2).random((3, 16))
    with pytest.raises(ValueError, match=r"received 3 inputs, 5 true and 5 predicted classes"):
        viz.plot_misclassified(X, np.array([0, 1, 0, 1, 1]), np.array([1, 1, 0, 1, 0]))
    with pytest.raises(ValueError, match=r"received 3 inputs, 3 true and 2 predicted classes"):
        viz.plot_misclassified(X, np.array([0, 1, 0]), np.array([1, 1]))


def test_misclassified_titles_class_names_given_as_strings_and_integral_floats():
    X = np.random.default_rng(3).random((3, 16))
    fig = viz.plot_misclassified(X, np.array(["cat", "dog", "cat"]), np.array(["dog", "dog", "cat"]))
    assert fig.axes[0].get_title() == "pred dog\ntrue cat"
    fig = viz.plot_misclassified(X, np.array([0.0, 1.0, 0.0]), np.array([1.0, 1.0, 0.0]))
    assert fig.axes[0].get_title() == "pred 1\ntrue 0"


def test_plot_never_points_a_model_to_a_picture_it_refuses_too(tagger, tmp_path):
    """`nnscratch plot tags.npz --what features` said "use --what activations", which refuses a multilabel model."""
    from nnscratch.cli.pictures import unfit
    from nnscratch.cli.plot import WHAT

    regression = nn.Network.from_sizes(4, 8, 1, output="identity", seed=0)
    regression.fit(np.ones((8, 4), np.float32), np.arange(8, dtype=np.float32), epochs=1, loss="mse")
    for net in (tagger[0], regression, nn.Network.from_sizes(4, 8, 3, seed=0), nn.Network.from_sizes(784, 8, 10)):
        for what in WHAT[:-1]:
            reason = unfit(what, net)
            for other in re.findall(r"use --what (\w+)", reason or ""):
                assert unfit(other, net) is None, (net.task, what, reason, unfit(other, net))


def test_a_tables_input_bars_say_they_are_what_the_network_is_fed(tmp_path, monkeypatch):
    """`nnscratch plot iris.npz --what activations` drew "sepal length (cm)" as a bar of -1.4, with no word
    that the bars are the standardised values the network is fed, not centimetres."""
    import csv

    from nnscratch.cli import main

    rng = np.random.default_rng(4)
    X = rng.normal(loc=50.0, scale=10.0, size=(120, 3))
    with open(tmp_path / "t.csv", "w", newline="") as f:
        csv.writer(f).writerows([["length_cm", "width_cm", "depth_cm", "label"]] +
                                [[*row, int(row[0] > 50)] for row in X])
    model = str(tmp_path / "t.npz")
    assert main(["train", "--dataset", f"csv:{tmp_path / 't.csv'}", "--epochs", "2", "--out", model, "--quiet"]) == 0
    figures = []
    monkeypatch.setattr(viz, "animate_activations",
                        lambda *a, **k: figures.append(viz.activations.animate_activations(*a[:2], **k)))
    assert main(["plot", model, "--what", "activations", "--out", str(tmp_path / "a.gif")]) == 0
    panel = figures[0].axes[0]
    assert panel.get_xlabel() == "standardised value fed to the network"
    assert max(abs(v) for v in panel.get_xlim()) < 10  # the values drawn are standardised, never the ~50 cm read
    net = nn.Network.from_sizes(3, 4, 2, seed=0)
    assert viz.activations.animate_activations(net, X[:2], image_shape=None).axes[0].get_xlabel() == "value fed to the network"
    assert viz.activations.animate_activations(net, X[:2], image_shape=None, input_label="cm").axes[0].get_xlabel() == "cm"


def test_the_curves_mark_the_epoch_whose_weights_a_regression_kept(tmp_path):
    """`nnscratch train --dataset csv:diabetes.csv --plot DIR` keeps the weights of the lowest val_loss epoch
    (epoch 3 of 84 there), and its curves.png showed 84 epochs of training R^2 rising to 0.98 with no word
    that the model saved is epoch 3's."""
    import json

    rng = np.random.default_rng(5)
    X = rng.normal(size=(80, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=2.0, size=80)).astype(np.float32)
    net = nn.Network.from_sizes(3, 32, 1, output="identity", seed=0)
    history = net.fit(X[:60], y[:60], epochs=30, loss="mse", optimizer=nn.Adam(lr=0.05),
                      validation_data=(X[60:], y[60:]), restore_best=True)
    best = history.params["best_epoch"]
    assert best < 29  # the noise overfits: an earlier epoch is kept (else the test checks nothing)
    for source in (history, {"history": history.history, "epoch": history.epoch, "params": history.params}):
        fig = viz.plot_history(source)
        for ax in fig.axes:
            lines = [line for line in ax.get_lines() if line.get_label().startswith("weights kept")]
            assert len(lines) == 1 and set(lines[0].get_xdata()) == {best + 1}, [l.get_label() for l in ax.get_lines()]
            assert lines[0].get_label() == f"weights kept (epoch {best + 1})"
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"history": history.history, "epoch": history.epoch, "params": history.params}))
    assert any(line.get_label().startswith("weights kept") for line in viz.plot_history(str(path)).axes[0].get_lines())
    last = {"history": history.history, "epoch": history.epoch, "params": dict(history.params, best_epoch=29)}
    assert not any(line.get_label().startswith("weights kept") for line in viz.plot_history(last).axes[0].get_lines())


def test_cpu_vs_gpu_on_one_backend_claims_no_agreement(capsys):
    """`python examples/cpu_vs_gpu.py --backend numpy` ended "first-epoch losses agree to 0.0e+00 (same seed,
    same initial weights)": one backend compared with itself."""
    import os
    import runpy

    examples = os.path.join(os.path.dirname(__file__), os.pardir, "examples")
    main = runpy.run_path(os.path.join(examples, "cpu_vs_gpu.py"), run_name="example")["main"]
    small = ["--layers", "784,8,10", "--train", "100", "--epochs", "1", "--batch-size", "50"]
    main(["--backend", "numpy", *small])
    assert "agree" not in capsys.readouterr().out
    main(["--backends", "numpy,array_api_strict", *small])
    assert "first-epoch losses agree to" in capsys.readouterr().out


def test_plot_all_with_images_says_a_multilabel_model_has_no_animation(tagger, tmp_path, capsys):
    """`plot tags.npz --what all --images 3` said "its inputs are not images (--what activations draws them
    alone)", and --what activations refuses a multilabel model as well."""
    from nnscratch.cli import main

    net, X, Y = tagger
    net.save(tmp_path / "tags.npz")
    np.savez(tmp_path / "data.npz", X=X, Y=Y)
    status = main(["plot", str(tmp_path / "tags.npz"), "--what", "all", "--images", "3",
                   "--dataset", f"npz:{tmp_path / 'data.npz'}", "--out", str(tmp_path / "pictures")])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "it is multilabel" in err and "--what activations" not in err, err
    assert not (tmp_path / "pictures").exists()


@pytest.mark.parametrize("picture", ["plot_decision_boundary", "animate_activations"])
def test_the_true_classes_beside_a_prediction_are_checked(picture):
    """plot_decision_boundary drew a regression's values truncated to classes (a negative one in another
    class's colour) and stopped at matplotlib's "'c' argument has 200 elements" on rows of 0/1 labels;
    animate_activations titled each frame with the flattened rows' entries, or a truncated value, as the
    true class, and a y shorter than the inputs failed in the middle of the animation."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    net = nn.Network.from_sizes(2, 4, 2, seed=0)
    draw = {"plot_decision_boundary": lambda labels: viz.plot_decision_boundary(net, X, labels, resolution=10),
            "animate_activations": lambda labels: viz.animate_activations(net, X, None, y=labels, n_images=5,
                                                                          image_shape=None)}[picture]
    for labels, words in (((X > 0).astype(np.float32), "rows of 0/1 labels"),
                          (X[:, 0] * 3.3, "not a class"),
                          (y[:3], "received 40 inputs and 3 classes in y")):
        with pytest.raises(ValueError, match=words) as excinfo:
            draw(labels)
        assert _one_line(excinfo).startswith(f"{picture} takes")
    assert draw(y.astype(np.float32)) is not None  # whole numbers as floats are classes


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_the_cells_past_a_layers_last_neuron_are_not_drawn_as_activations(activation):
    """A layer of 128 neurons is a 6 x 22 grid: its 4 cells past the last neuron were white, magma's colour of
    the strongest activation (and RdBu's of 0), so they read as neurons firing hardest."""
    from matplotlib.colors import to_rgba

    net = nn.Network.from_sizes(4, 128, 3, hidden=activation, seed=0)
    fig = viz.animate_activations(net, np.random.default_rng(7).normal(size=(2, 4)), image_shape=None)
    image = fig.axes[1].get_images()[0]
    grid = image.get_array()
    assert int(np.ma.count_masked(grid)) == grid.size - 128 > 0
    bad, behind = np.array(to_rgba(image.cmap.get_bad())), np.array(to_rgba(fig.axes[1].get_facecolor()))
    pad = (bad[3] * bad[:3] + (1 - bad[3]) * behind[:3])  # as drawn: a transparent cell shows the panel's white
    assert pad.max() < 0.9  # not white, nor near it: magma's strongest (0.99, 0.99, 0.75), RdBu's 0
    for value in np.linspace(0, 1, 11):  # far from every colour an activation takes
        assert np.abs(pad - np.array(image.cmap(value))[:3]).max() > 0.2, (value, pad, image.cmap(value))


def test_every_feature_map_row_names_its_layer_by_number():
    """The first row (the input's) said "Conv2D ch 0" alone while the others said "2: MaxPool2D": the reader
    could not tell which layer of the network the first row is."""
    from nnscratch.viz.filters import plot_feature_maps

    net = nn.Network([nn.Reshape((1, 6, 6)), nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
                      nn.Flatten(), nn.Dense(18, 2), nn.Softmax()], seed=0)
    fig = plot_feature_maps(net, np.random.default_rng(8).random(36))
    titles = [ax.get_title() for ax in fig.axes]
    assert "1: Conv2D ch 0" in titles and "3: MaxPool2D ch 0" in titles, titles


def test_seed000s_confusion_matrix_says_its_accuracy(tmp_path, monkeypatch):
    """examples/seed000_ann_mnist.py titled its confusion matrix "784-128-64-10 with nnscratch's defaults, 2,000
    test digits": its own title replaced plot_confusion's, which gives the accuracy."""
    import os
    import runpy

    examples = os.path.join(os.path.dirname(__file__), os.pardir, "examples")
    main = runpy.run_path(os.path.join(examples, "seed000_ann_mnist.py"), run_name="example")["main"]
    figures = []
    monkeypatch.setattr(viz, "plot_confusion", lambda *a, **k: figures.append(viz.confusion.plot_confusion(*a, **k)))
    result = main(["--backend", "numpy", "--layers", "784,16,8,10", "--train", "200", "--sgd-epochs", "1",
                   "--epochs", "1", "--images", "2", "--out", str(tmp_path)])
    title = figures[0]._suptitle.get_text()
    assert f"accuracy {result['defaults']:.1%} on 2,000 test digits" in title, title


def test_plot_boundary_says_its_points_are_the_test_split(tmp_path, monkeypatch):
    """`nnscratch plot moons.npz --what boundary` titled "decision regions: accuracy 99.2% on 250 points" without
    saying which points (--what confusion of the same model says "moons test set: ...")."""
    from nnscratch.cli import main

    model = str(tmp_path / "moons.npz")
    assert main(["train", "--dataset", "moons", "--epochs", "2", "--out", model, "--quiet"]) == 0
    figures = []
    for name, module in (("plot_decision_boundary", viz.boundary), ("plot_confusion", viz.confusion)):
        monkeypatch.setattr(viz, name, lambda *a, _draw=getattr(module, name), **k: figures.append(_draw(*a, **k)))
    assert main(["plot", model, "--what", "boundary", "--out", str(tmp_path / "b.png")]) == 0
    assert main(["plot", model, "--what", "confusion", "--out", str(tmp_path / "c.png")]) == 0
    boundary, confusion = figures[0].axes[0].get_title(), figures[1]._suptitle.get_text()
    accuracy = confusion.split("accuracy ")[1]
    assert boundary == f"moons test set: decision regions, accuracy {accuracy}", (boundary, confusion)


def test_plot_misclassified_of_an_image_table_draws_the_pixels_as_read(tmp_path, monkeypatch):
    """A CNN trained on an npz: of flat image rows is a table model: its pixels are standardised column by column, and
    `plot --what misclassified` drew those z-scores on a 0..1 grey scale (negatives white): the digits were
    barely there. The pictures now undo the scaling, as --what boundary does for its axes."""
    from nnscratch.cli import main

    rng = np.random.default_rng(9)
    X = rng.random((200, 1, 8, 8)).astype(np.float32)
    y = (X[:, 0, :, :4].mean(axis=(1, 2)) > X[:, 0, :, 4:].mean(axis=(1, 2))).astype(np.int64)
    np.savez(tmp_path / "images.npz", X=X.reshape(200, 64), y=y)  # flat rows: a table, standardised column by column
    model = str(tmp_path / "cnn.npz")
    assert main(["train", "--dataset", f"npz:{tmp_path / 'images.npz'}", "--layers", "conv2x3p1,relu,flatten,dense2",
                 "--epochs", "1", "--out", model, "--quiet"]) == 0
    assert "standardize" in nn.Network.load(model).metadata  # else this test checks nothing
    figures = []
    monkeypatch.setattr(viz, "plot_misclassified",
                        lambda *a, **k: figures.append(viz.confusion.plot_misclassified(*a, **k)))
    assert main(["plot", model, "--what", "misclassified", "--out", str(tmp_path / "m.png")]) == 0
    drawn = [np.asarray(ax.get_images()[0].get_array()) for ax in figures[0].axes if ax.get_images()]
    assert drawn and all(0 <= tile.min() and tile.max() <= 1 for tile in drawn)
    flat = X.reshape(len(X), -1)
    for tile in drawn:  # each one an image of the file, as stored
        assert np.abs(flat - tile.reshape(1, -1)).max(axis=1).min() < 1e-4
