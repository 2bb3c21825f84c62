"""ONNX export where it meets the other features (multilabel, tables, backends, the command line, layers of
one's own): each test that names a fix says what a user saw before it."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.errors import ConfigError
from nnscratch.layers import LAYERS, Layer

pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install onnxruntime)")


def session(model):
    return ort.InferenceSession(model if isinstance(model, str) else model.SerializeToString(),
                                providers=["CPUExecutionProvider"])


class HostConstant(Layer):
    """A layer of one's own whose forward returns a NumPy array (a constant) instead of an array of its input's."""

    def forward(self, x, training=False):
        return np.ones((1, 3), dtype=np.float32)

    def backward(self, dy):
        return dy


@pytest.mark.parametrize("returned", [lambda x: np.ones((1, 3), np.float32), lambda x: None, lambda x: (x, x)],
                         ids=["numpy", "none", "tuple"])
def test_a_layer_whose_forward_returns_no_array_of_its_input_is_refused_in_one_line(returned):
    """A forward that returned a NumPy array (or None, or a tuple) on ndonnx arrays passed the tracing and failed in
    ndonnx.build with "AttributeError: 'numpy.ndarray' object has no attribute '_tyarray'", a traceback
    naming no layer; it is now the ConfigError naming the layer that other untraceable forwards get."""
    class Returning(HostConstant):
        def forward(self, x, training=False):
            return returned(x)

    net = nn.Network([nn.Dense(3, 3), Returning()], input_shape=3, seed=0)
    with pytest.raises(ConfigError, match=r"Layer 1 \(Returning\) cannot be exported to ONNX") as caught:
        net.export_onnx()
    assert "\n" not in str(caught.value) and "not an array of its input's namespace (ndonnx)" in str(caught.value)


def test_the_export_command_refuses_such_a_layer_in_one_error_line(tmp_path, capsys, monkeypatch):
    """``nnscratch export`` of a saved model holding such a (registered) layer said only "error: AttributeError:
    'numpy.ndarray' object has no attribute '_tyarray' (run with --debug for the traceback)"."""
    monkeypatch.setitem(LAYERS, "HostConstant", HostConstant)
    nn.Network([nn.Dense(3, 3), HostConstant()], input_shape=3, seed=0).save(tmp_path / "mine.npz")
    status = cli.main(["export", str(tmp_path / "mine.npz"), str(tmp_path / "mine.onnx")])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: Layer 1 (HostConstant) cannot be exported to ONNX")
    assert not (tmp_path / "mine.onnx").exists()


def predict_from_graph(path_or_model, X):
    """What a user of onnxruntime computes from the graph and its metadata, as the docstring of to_onnx says."""
    s = session(path_or_model)
    meta = s.get_modelmeta().custom_metadata_map
    out = s.run(None, {"input": X})[0]
    if meta["nnscratch_task"] == "multiclass":
        return out.argmax(axis=1)
    if meta["nnscratch_task"] == "regression":
        return out
    labels = (out > float(meta["nnscratch_threshold"])).astype(int)
    return labels[:, 0] if meta["nnscratch_task"] == "binary" else labels


@pytest.mark.parametrize("output, loss, task", [
    ("sigmoid", "binary_cross_entropy", "multilabel"), ("identity", "binary_cross_entropy", "multilabel"),
    ("sigmoid", "binary_cross_entropy", "binary"), ("identity", "binary_cross_entropy", "binary"),
    ("identity", "mse", "multilabel"), ("tanh", "mse", "binary"), ("softmax", "cross_entropy", "multiclass"),
])
def test_the_graph_and_its_metadata_give_predicts_answer(output, loss, task):
    """The metadata said to threshold a binary or multilabel output at 0.5, while predict thresholds the raw
    outputs of an Identity or Tanh output layer (squared error, the task set by hand) at 0: 40% of the rows of
    such a model came out otherwise. "nnscratch_threshold" now says where predict splits the graph's output."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    Y = (X[:, :3] + 0.3 * X[:, 3:] > 0.2).astype(int)
    y = Y[:, 0] if task == "binary" else Y.argmax(axis=1) if task == "multiclass" else Y
    net = nn.Network.from_sizes(4, 8, 1 if task == "binary" else 3, output=output, seed=0)
    net.fit(X, y.reshape(len(y), -1) if loss == "mse" else y, epochs=3, batch_size=32, loss=loss)
    net.task = task
    got = predict_from_graph(net.export_onnx(), X.astype(np.float32))
    np.testing.assert_array_equal(got, net.predict(X))


def test_a_table_regression_exported_by_the_cli_gives_predicts_values_in_the_targets_units(tmp_path, capsys):
    """The command line learns a table's target in standard units and folds the scale into the output layer:
    the graph (written by ``nnscratch export`` and by ``export_onnx``, the same bytes) takes the raw float64
    rows and gives what ``nnscratch predict`` prints, prices of 3e5 +- 1e5, at 1, 7 and 10,000 rows."""
    import json
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10_000, 3)) * [1.0, 100.0, 0.01] + [0.0, 5000.0, 1.0]
    y = 3e5 + 1e5 * (X[:, 0] + 0.01 * (X[:, 1] - 5000.0))
    np.savetxt(tmp_path / "prices.csv", np.column_stack([X[:300], y[:300]]), delimiter=",", header="a,b,c,price",
               comments="")
    np.save(tmp_path / "rows.npy", X)
    model, cli_onnx, py_onnx = (str(tmp_path / name) for name in ("prices.npz", "cli.onnx", "py.onnx"))
    assert cli.main(["train", "--dataset", f"csv:{tmp_path / 'prices.csv'}", "--epochs", "5", "--out", model,
                     "--quiet"]) == 0
    assert cli.main(["export", model, cli_onnx]) == 0
    nn.Network.load(model).export_onnx(py_onnx)
    assert open(cli_onnx, "rb").read() == open(py_onnx, "rb").read()
    capsys.readouterr()
    assert cli.main(["predict", model, str(tmp_path / "rows.npy"), "--json"]) == 0
    printed = np.array([json.loads(line)["value"] for line in capsys.readouterr().out.splitlines()]).reshape(-1)
    assert abs(np.median(printed) - 3e5) < 5e4  # the target's own units
    s = session(cli_onnx)
    assert (s.get_inputs()[0].type, s.get_inputs()[0].shape) == ("tensor(double)", ["N", 3])
    for n in (1, 7, 10_000):
        got = s.run(None, {"input": X[:n]})[0].reshape(-1)
        np.testing.assert_allclose(got, printed[:n], rtol=0, atol=1e-5 * printed.std())  # float32 outputs


@pytest.mark.parametrize("backend, dtype", [("numpy", "float64"), ("torch:cpu", "float32"),
                                            ("array_api_strict", "float32")])
def test_a_multilabel_cnn_of_every_image_layer_exports_as_it_predicts_on_any_backend(backend, dtype):
    """A multilabel CNN (stride, padding, a rectangular kernel, both poolings, BatchNorm's running statistics,
    Dropout; logits out, the graph ending with their sigmoid) trained on each backend: onnxruntime gives
    predict_proba, and predict's indicator rows from it, at 1, 7 and 10,000 images."""
    pytest.importorskip(backend.split(":")[0])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10_000, 2, 9, 8))
    Y = (X[:, :, :3, :3].mean(axis=(2, 3)) @ [[1, -1, 0.5], [0.5, 1, -1]] > 0).astype(int)
    net = nn.Network([nn.Conv2D(2, 3, (3, 2), stride=(2, 1), padding=1), nn.BatchNorm(3), nn.LeakyReLU(0.1),
                      nn.MaxPool2D(2), nn.Conv2D(3, 4, 1), nn.Tanh(), nn.AvgPool2D((2, 3), stride=1), nn.Flatten(),
                      nn.Dropout(0.2), nn.Dense(4 * 2 * 1, 3), nn.Identity()],
                     input_shape=(2, 9, 8), seed=0, backend=backend, dtype=dtype)
    net.fit(X[:96], Y[:96], epochs=2, batch_size=16, loss="binary_cross_entropy")
    assert net.task == "multilabel"
    model = net.export_onnx()
    for n in (1, 7, 10_000):
        x = X[:n].astype(dtype)
        np.testing.assert_allclose(session(model).run(None, {"input": x})[0],
                                   net.backend.to_numpy(net.predict_proba(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(predict_from_graph(model, X[:500].astype(dtype)),
                                  net.backend.to_numpy(net.predict(X[:500])))


@pytest.mark.parametrize("dropped", [("task",), ("task", "loss")])
def test_a_model_file_of_an_older_version_exports_as_it_predicts(tmp_path, dropped):
    """Files written before the task (and the loss) were saved derive them from the output layer on loading; the
    graph and its metadata follow what the loaded network predicts (a sigmoid model stays "binary")."""
    import json
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    net = nn.Network.from_sizes(4, 6, 1, output="sigmoid", seed=0)
    net.fit(X, (X[:, 0] > 0).astype(int), epochs=2, loss="binary_cross_entropy")
    net.save(tmp_path / "new.npz")
    arrays = dict(np.load(tmp_path / "new.npz"))
    header = json.loads(arrays["__header__"].tobytes())
    header["config"] = {k: v for k, v in header["config"].items() if k not in dropped}
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    old = nn.Network.load(tmp_path / "old.npz")
    assert old.task == "binary"
    model = old.export_onnx()
    x = X.astype(np.float32)
    np.testing.assert_allclose(session(model).run(None, {"input": x})[0], old.predict_proba(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(predict_from_graph(model, x), old.predict(x))


def test_a_standardisation_that_does_not_fit_the_inputs_is_one_line(tmp_path, capsys):
    """A model whose saved "standardize" figures do not match its input size (a damaged or hand-edited file, or
    Network(metadata=...) of another table's) failed in onnx's shape inference: ``nnscratch export`` ended with
    status 1 and "error: InferenceError: [ShapeInferenceError] ... Incompatible dimensions -- for Sub", Python with
    that multi-line InferenceError. It is now one line saying what does not fit, and no file is written."""
    from nnscratch.errors import ModelFileError
    net = nn.Network.from_sizes(3, 4, 2, seed=0, metadata={"standardize": {"mean": [0.0, 1.0], "std": [1.0, 2.0]}})
    with pytest.raises(ModelFileError, match=r"scales rows of 2 features, but the network takes inputs of "
                                             r"per-sample shape \(3,\)") as caught:
        net.export_onnx(tmp_path / "direct.onnx")
    assert "\n" not in str(caught.value) and not (tmp_path / "direct.onnx").exists()
    net.save(tmp_path / "m.npz")
    status = cli.main(["export", str(tmp_path / "m.npz"), str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1 and "scales rows of 2 features" in err, err
    assert not (tmp_path / "m.onnx").exists()

