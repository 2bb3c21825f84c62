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


@pytest.mark.parametrize("target", ["cat,", ",cat", "cat,,dog"])
def test_a_comma_too_many_in_target_is_said_as_such(tmp_path, target):
    """``--target cat,`` was "--target '': t.csv has no such column"."""
    from nnscratch.datasets.tables import load_table
    from nnscratch.errors import ConfigError
    path = tmp_path / "t.csv"
    path.write_text("a,b,cat,dog\n1,2,0,1\n3,4,1,0\n5,6,0,1\n7,8,1,1\n1,1,0,0\n2,2,1,1\n")
    with pytest.raises(ConfigError, match=f"--target {target}: an empty name between commas"):
        load_table(path, target=target)
