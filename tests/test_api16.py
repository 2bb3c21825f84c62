"""``Network.export_onnx`` names its options (it passed ``**options`` on, so a misspelt or PyTorch-style one was
``to_onnx() got an unexpected keyword argument`` with no hint)."""

import pytest

import nnscratch as nn
from nnscratch._keywords import KeywordError


@pytest.mark.parametrize("given, said", [("input_shapes", "nnscratch calls it input_shape="),
                                         ("input_names", "nnscratch calls it input_name="),
                                         ("dynamic_axes", "the batch axis N is always dynamic"),
                                         ("input_nmae", "did you mean input_name=?")])
def test_export_onnx_says_what_a_foreign_keyword_is_called(given, said):
    net = nn.Network.from_sizes(4, 3, seed=0)
    with pytest.raises(KeywordError, match=f"export_onnx\\(\\) got an unexpected keyword argument '{given}'.*{said}"):
        net.export_onnx(**{given: 1})
    assert issubclass(KeywordError, TypeError)  # what Python says of an unknown keyword


def test_export_onnx_passes_its_options_on():
    pytest.importorskip("ndonnx")
    model = nn.Network.from_sizes(4, 3, seed=0).export_onnx(input_name="x", output_name="p")
    assert [i.name for i in model.graph.input] == ["x"] and [o.name for o in model.graph.output] == ["p"]
