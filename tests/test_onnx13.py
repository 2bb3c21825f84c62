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
