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
