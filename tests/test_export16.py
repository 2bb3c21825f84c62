"""ONNX export where it meets the rest (session 16): the export without onnxruntime, what ``nnscratch export``
says of images given as rows, and crossings not tested elsewhere (float64 layer options to 1e-12, a CNN
trained by the threaded step, class weights, a resumed run). Each test that names a fix says what a user saw
before it."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli

pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install onnxruntime)")

ROOT = pathlib.Path(nn.__file__).parents[1]


def run_onnx(model, X):
    source = model if isinstance(model, str) else model.SerializeToString()
    return ort.InferenceSession(source, providers=["CPUExecutionProvider"]).run(None, {"input": X})[0]


def test_the_export_without_onnxruntime_says_nothing_and_builds_the_same_graph(tmp_path):
    """ndonnx warns on import when onnxruntime is missing that it will use "the (incomplete) reference
    implementation" for constants: ``nnscratch export`` printed that warning line (nnscratch traces with that
    implementation anyway), and under ``python -W error`` (pytest's filterwarnings = error) ``export_onnx`` stopped
    with the UserWarning. Now nothing is said and the graph is the one written with onnxruntime installed."""
    net = nn.Network([nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(2 * 3 * 4, 3),
                      nn.Softmax()], input_shape=(1, 6, 8), seed=0)
    net.save(tmp_path / "m.npz")
    script = ("import sys; sys.modules['onnxruntime'] = None\n"  # import onnxruntime: ImportError; find_spec: None
              "import nnscratch as nn; from nnscratch import cli\n"
              f"status = cli.main(['export', {str(tmp_path / 'm.npz')!r}, {str(tmp_path / 'cli.onnx')!r}])\n"
              f"nn.Network.load({str(tmp_path / 'm.npz')!r}).export_onnx({str(tmp_path / 'py.onnx')!r})\n"
              "sys.exit(status)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    done = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith(f"wrote {tmp_path / 'cli.onnx'}: input 'input' (N, 1, 6, 8) float32")
    assert (tmp_path / "cli.onnx").read_bytes() == (tmp_path / "py.onnx").read_bytes() \
        == net.export_onnx().SerializeToString()
    X = np.random.default_rng(0).normal(size=(9, 1, 6, 8)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(str(tmp_path / "cli.onnx"), X), net.predict_proba(X), rtol=1e-5, atol=1e-6)


def export_said(model, capsys):
    assert cli.main(["export", str(model), str(model.with_suffix(".onnx"))]) == 0
    return capsys.readouterr().out


def test_a_digit_cnn_of_the_command_line_says_its_input_rows_are_flattened_images(tmp_path, capsys):
    """``nnscratch train --model cnn`` on digits takes rows of 784 (its first layer makes them images): export
    said the input was (N, 784) and the pixels 0 to 1, not that the images go in flattened, so (n, 1, 28, 28)
    images, as a CNN's users hold them, were refused by onnxruntime ("Got invalid dimensions for input").
    It says so now, and what it says gives predict's classes."""
    from nnscratch.datasets import load_mnist_sample
    data = load_mnist_sample()
    np.save(tmp_path / "X.npy", np.round(data.X_train[:300] * 255).astype(np.uint8).reshape(-1, 28, 28))
    np.save(tmp_path / "y.npy", data.y_train[:300])
    model = tmp_path / "digits.npz"
    assert cli.main(["train", "--dataset", f"npy:{tmp_path / 'X.npy'},{tmp_path / 'y.npy'}", "--layers",
                     "conv4x3s2,relu,flatten,dense10", "--epochs", "1", "--out", str(model), "--quiet"]) == 0
    said = export_said(model, capsys)
    assert "input 'input' (N, 784) float32" in said
    assert "input rows are 1x28x28 images, each flattened in (C, H, W) order (X.reshape(len(X), -1)" in said
    assert "grey levels from 0 to 1" in said
    images = np.round(data.X_test[:40] * 255).reshape(-1, 1, 28, 28)  # what a user holds: (n, C, H, W) pixels
    p = run_onnx(str(model.with_suffix(".onnx")), (images.reshape(len(images), -1) / 255).astype(np.float32))
    np.save(tmp_path / "test.npy", images)
    assert cli.main(["predict", str(model), str(tmp_path / "test.npy"), "--json"]) == 0
    predicted = [json.loads(line)["class"] for line in capsys.readouterr().out.splitlines()]
    assert predicted == p.argmax(axis=1).tolist()


def test_an_image_classifier_of_an_npy_says_how_its_rows_and_pixels_go_in(tmp_path, capsys):
    """An .npy of 8x8 images (whole numbers 0..255) trained with a conv spec: training divided the pixels by 255
    and made rows of 64 images again; export said only "input 'input' (N, 64)", nothing of the flattening nor
    the division, and 0..255 pixels gave every row a probability of 1.000. It says both now."""
    rng = np.random.default_rng(0)
    X = (rng.random((240, 1, 8, 8)) * 255).astype(np.uint8)
    y = (X[:, 0, :4].mean(axis=(1, 2)) > X[:, 0, 4:].mean(axis=(1, 2))).astype(int)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    model = tmp_path / "small.npz"
    assert cli.main(["train", "--dataset", f"npy:{tmp_path / 'X.npy'},{tmp_path / 'y.npy'}", "--layers",
                     "conv4x3p1,relu,maxpool2,flatten,dense2", "--epochs", "2", "--out", str(model), "--quiet"]) == 0
    said = export_said(model, capsys)
    assert "input 'input' (N, 64) float32" in said
    assert "input rows are 1x8x8 images, each flattened in (C, H, W) order" in said
    assert "divide such pixels by 255 first (the graph does not)" in said
    net = nn.Network.load(model)
    rows = (X[:30].reshape(30, -1) / 255).astype(np.float32)  # as the lines say
    np.testing.assert_allclose(run_onnx(str(model.with_suffix(".onnx")), rows), net.predict_proba(rows), rtol=1e-5,
                               atol=1e-6)


def test_a_model_of_a_table_or_of_no_images_is_not_said_to_take_images(tmp_path, capsys):
    """The notes fit the model: a table's rows are raw features, an MLP of 5 inputs gets no note at all."""
    nn.Network.from_sizes(5, 4, 2, seed=0).save(tmp_path / "plain.npz")
    assert export_said(tmp_path / "plain.npz", capsys).splitlines()[1:] == []
    nn.Network([nn.Conv2D(1, 2, 5, stride=4), nn.Flatten(), nn.Dense(2 * 6 * 6, 10), nn.Softmax()],
               input_shape=(1, 28, 28), seed=0).save(tmp_path / "images.npz")
    said = export_said(tmp_path / "images.npz", capsys)
    assert "input 'input' (N, 1, 28, 28)" in said and "flattened" not in said and "grey levels from 0 to 1" in said
    nn.Network.from_sizes(784, 8, 10, seed=0).save(tmp_path / "digits.npz")
    assert "input rows are 28x28 images, each flattened (X.reshape(len(X), -1) of images (n, 28, 28))" \
        in export_said(tmp_path / "digits.npz", capsys)
    table = nn.Network.from_sizes(2, 4, 2, seed=0, metadata={"standardize": {"mean": [0.0, 1.0], "std": [1.0, 2.0]},
                                                               "features": ["a", "b"]})
    table.save(tmp_path / "table.npz")
    assert export_said(tmp_path / "table.npz", capsys).splitlines()[1:] == [
        "  input rows are raw feature values in the columns a, b (the graph standardises them as training did)"]


# ------------------------------------------------------------------ crossings, checked to float64's precision
FLOAT64_CASES = {
    "same-even-kernel": ([nn.Conv2D(2, 3, 4, padding="same"), nn.ReLU(), nn.Flatten(), nn.Dense(3 * 7 * 9, 3),
                          nn.Softmax()], (2, 7, 9)),
    "same-3x5": ([nn.Conv2D(2, 3, (3, 5), padding="same"), nn.LeakyReLU(0.2), nn.Flatten(), nn.Dense(3 * 7 * 9, 3),
                  nn.Softmax()], (2, 7, 9)),
    "strided-3x5": ([nn.Conv2D(1, 3, (3, 5), stride=(2, 3), padding=(1, 2)), nn.Sigmoid(), nn.Flatten(),
                     nn.Dense(3 * 4 * 3, 3), nn.Softmax()], (1, 7, 9)),
    "avgpool-stride-not-kernel": ([nn.Conv2D(1, 3, 3), nn.AvgPool2D(2, stride=3), nn.Flatten(), nn.Dense(3 * 2 * 3, 2),
                                   nn.Tanh()], (1, 7, 10)),
    "maxpool3s2-batchnorm": ([nn.BatchNorm(2), nn.Conv2D(2, 3, 3), nn.MaxPool2D(3, 2), nn.Flatten(), nn.Dropout(0.5),
                              nn.Dense(3 * 2 * 3, 3), nn.Softmax()], (2, 7, 9)),
    "dense-batchnorm-sigmoid": ([nn.Dense(5, 8), nn.BatchNorm(8), nn.Tanh(), nn.Dense(8, 3), nn.Sigmoid()], (5,)),
    "reshape-regression": ([nn.Dense(5, 16), nn.Reshape((1, 4, 4)), nn.Conv2D(1, 2, 3), nn.Flatten(), nn.Dense(8, 2)],
                           (5,)),
}


@pytest.mark.parametrize("case", list(FLOAT64_CASES))
def test_float64_models_of_every_layer_option_export_to_float64_precision(case):
    """Strided, 'same' even and rectangular kernels, pooling of a stride other than its window, BatchNorm's running
    statistics after a convolution and a dense layer, Dropout, Reshape, tanh and sigmoid outputs, a regression:
    trained in float64, the graph gives predict_proba to 1e-12, at 1 and 50 rows."""
    layers, shape = FLOAT64_CASES[case]
    net = nn.Network(layers, input_shape=shape, seed=0, dtype="float64")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, *shape))
    n_out = net.output_shape[0]
    y = {"Softmax": rng.integers(0, n_out, 50), "Sigmoid": (X.reshape(50, -1)[:, :n_out] > 0).astype(int)}.get(
        type(layers[-1]).__name__, np.tanh(X.reshape(50, -1)[:, :n_out]))
    net.fit(X, y, epochs=2, batch_size=16, loss="mse" if isinstance(layers[-1], (nn.Tanh, nn.Dense)) else None)
    model = net.export_onnx()
    assert model.graph.input[0].type.tensor_type.elem_type == 11  # double
    for n in (1, 50):
        got = run_onnx(model, X[:n])
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, net.predict_proba(X[:n]), rtol=1e-12, atol=1e-12)


def test_a_cnn_trained_on_two_threads_with_class_weights_and_resumed_exports_as_it_predicts(tmp_path, monkeypatch):
    """The threaded step (replicas sharing the weights, BatchNorm's statistics gathered from the threads), class
    weights and a run resumed from its checkpoint: the graph of each model, and of the model loaded from its
    file, gives its predict_proba, to 1e-5 in float32 and 1e-12 in float64."""
    from nnscratch.backend import threads
    from nnscratch.training import threaded
    monkeypatch.setattr(threads, "_workers", [2])
    monkeypatch.setattr(threaded, "thread_count", lambda net, comm=None: 2)
    split = []

    class Recorded(threaded.ThreadedStep):
        def __init__(self, *args):
            super().__init__(*args)
            split.append(len(args[-1]) + 1)  # the network and its replicas

    monkeypatch.setattr(threaded, "ThreadedStep", Recorded)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(128, 1, 8, 8))
    y = (X[:, 0, :4].mean(axis=(1, 2)) > 0).astype(int) + (X[:, 0, :, :4].mean(axis=(1, 2)) > 0)

    def cnn(dtype):
        return nn.Network([nn.Conv2D(1, 4, 3, padding=1), nn.BatchNorm(4), nn.ReLU(), nn.MaxPool2D(2), nn.Dropout(0.2),
                           nn.Flatten(), nn.Dense(4 * 4 * 4, 3), nn.Softmax()], input_shape=(1, 8, 8), seed=0,
                          dtype=dtype)

    for dtype, tol in (("float32", 1e-5), ("float64", 1e-12)):
        x = X.astype(dtype)
        first = cnn(dtype)
        first.fit(x, y, epochs=1, batch_size=64, class_weight={0: 1.0, 1: 4.0, 2: 1.0},
                  checkpoint=str(tmp_path / f"{dtype}.ckpt"))
        resumed = cnn(dtype)
        resumed.fit(x, y, epochs=2, batch_size=64, class_weight={0: 1.0, 1: 4.0, 2: 1.0},
                    checkpoint=str(tmp_path / f"{dtype}.ckpt"), resume=True)
        resumed.save(tmp_path / f"{dtype}.npz")
        for net in (first, resumed, nn.Network.load(tmp_path / f"{dtype}.npz")):
            model = net.export_onnx()
            for n in (1, 128):
                np.testing.assert_allclose(run_onnx(model, x[:n]), net.predict_proba(x[:n]), rtol=tol, atol=tol)
        assert not np.allclose(first.predict_proba(x), resumed.predict_proba(x))  # the resumed run trained on
    assert split == [2, 2, 2, 2]  # every fit split its batches over two threads


def test_a_two_target_regression_resumed_on_the_command_line_exports_predicts_values(tmp_path, capsys):
    """Two targets of different units (3e5 +- 1e5 and 5 +- 1e-3), standardised for training and folded back at the
    end of a run resumed from its checkpoint (which holds standard units): the graph of ``nnscratch export`` takes
    the raw float64 rows and gives what ``nnscratch predict`` prints, in each target's units."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) * [1.0, 100.0, 0.01] + [0.0, 1000.0, 3.0]
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    Y = np.column_stack([3e5 + 1e5 * Z[:, 0], 5 + 1e-3 * Z[:, 1]])
    np.savetxt(tmp_path / "t.csv", np.column_stack([X, Y]), delimiter=",", header="a,b,c,price,length", comments="")
    np.save(tmp_path / "rows.npy", X)
    common = ["train", "--dataset", f"csv:{tmp_path / 't.csv'}", "--target", "price,length", "--out",
              str(tmp_path / "m.npz"), "--checkpoint", str(tmp_path / "run.ckpt"), "--quiet"]
    assert cli.main([*common, "--epochs", "2"]) == 0
    assert cli.main([*common, "--epochs", "4", "--resume", "--force"]) == 0
    assert cli.main(["export", str(tmp_path / "m.npz"), str(tmp_path / "m.onnx")]) == 0
    capsys.readouterr()
    assert cli.main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "rows.npy"), "--json"]) == 0
    printed = np.array([json.loads(line)["value"] for line in capsys.readouterr().out.splitlines()])
    assert abs(np.median(printed[:, 0]) - 3e5) < 5e4 and abs(np.median(printed[:, 1]) - 5) < 0.01
    got = run_onnx(str(tmp_path / "m.onnx"), X)
    np.testing.assert_allclose(got, printed, rtol=0, atol=1e-5 * float(printed[:, 0].std()))
    np.testing.assert_allclose(got[:, 1], printed[:, 1], rtol=1e-6)  # the small target keeps its own precision


def test_the_export_command_keeps_metadata_of_ones_own_that_the_command_line_sets_aside(tmp_path, capsys):
    """``Network(metadata={"dataset": "iris", ...})``: the command line reads a "dataset" or "features" of one's own
    as absent (one warning line), and ``nnscratch export`` wrote the graph without them, so its
    "nnscratch_metadata" lost what ``export_onnx`` of the same file keeps. The graph now keeps the file's metadata
    whole (the same bytes as export_onnx); the notes still read those keys as absent."""
    metadata = {"dataset": "iris", "owner": "me", "features": "sepal,petal", "classes": [3, 1]}
    nn.Network.from_sizes(3, 4, 2, seed=0, metadata=metadata).save(tmp_path / "m.npz")
    assert cli.main(["export", str(tmp_path / "m.npz"), str(tmp_path / "m.onnx")]) == 0
    said = capsys.readouterr()
    assert "reads them as absent" in said.err and said.out.splitlines()[1:] == []  # no columns 's', 'e', ...
    onnx = pytest.importorskip("onnx")
    props = {p.key: p.value for p in onnx.load(str(tmp_path / "m.onnx")).metadata_props}
    assert json.loads(props["nnscratch_metadata"]) == metadata
    assert (tmp_path / "m.onnx").read_bytes() == nn.Network.load(tmp_path / "m.npz").export_onnx().SerializeToString()


class ParamsAlone(nn.layers.Layer):
    """A layer of one's own that keeps its weights in ``params`` alone (no attribute names them), a bias in a
    list attribute and a constant in a tuple: ``y = x * scale + bias + shift``."""

    def build(self, backend, rng, init, index):
        super().build(backend, rng, init, index)
        self.params = (nn.layers.Parameter(f"{index}.scale", backend.asarray(np.linspace(0.5, 2.0, 3),
                                                                            dtype=backend.dtype)),)
        self.biases = [nn.layers.Parameter(f"{index}.bias", backend.asarray(np.array([0.1, -0.2, 0.3]),
                                                                           dtype=backend.dtype))]
        self.shifts = (backend.asarray(np.array([0.0, 1.0, -1.0]), dtype=backend.dtype),)  # a constant

    def forward(self, x, training=False):
        return x * self.params[0].value + self.biases[0].value + self.shifts[0]

    def backward(self, dy, need_input_grad=True):
        return dy * self.params[0].value


@pytest.mark.parametrize("backend", ["numpy", "torch:cpu", "array_api_strict"])
def test_a_layer_of_ones_own_that_keeps_its_weights_in_params_alone_exports_from_every_backend(backend):
    """Only Parameters and arrays held as attributes were copied into the graph's namespace; ``params`` (and a
    list of Parameters, a tuple of arrays) kept the backend's arrays. On NumPy ndonnx took them as constants, but from PyTorch or
    array-api-strict the export said "Layer 1 (ParamsAlone) cannot be exported to ONNX ... TypeError:
    unsupported operand type(s) for *: 'Array' and 'Tensor'. Write that forward with array-API functions only",
    of a forward that uses nothing else."""
    pytest.importorskip(backend.split(":")[0])
    net = nn.Network([nn.Dense(3, 3), ParamsAlone(), nn.Softmax()], input_shape=3, seed=0, backend=backend)
    X = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    got = run_onnx(net.export_onnx(), X)
    np.testing.assert_allclose(got, net.backend.to_numpy(net.predict_proba(X)), rtol=1e-5, atol=1e-6)
    assert isinstance(net.layers[1].params[0].value, type(net.layers[0].weight.value))  # the network untouched
