"""``Network(...)`` given something other than a list of layers says where and how to fix it.

The message used to be cut at 120 characters, so a long item (a whole Network) lost
"at position N" and ended mid-repr ("... a."). Now a long repr is shortened, the position
stays, and a Network given as a layer is told to list (copies of) its layers; the fix the
message gives is run here and works.
"""
import copy
import re

import pytest

from nnscratch import Dense, Network, ReLU
from nnscratch.errors import ConfigError


def refusal(layers):
    with pytest.raises(ConfigError) as caught:
        Network(layers)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_network_among_the_layers_keeps_its_position_and_the_fix():
    net = Network([Dense(4, 8), ReLU(), Dense(8, 2)])
    message = refusal([Dense(3, 4), ReLU(), net, Dense(2, 3)])
    assert "a Network at position 2, which is not a layer" in message
    assert message.endswith("Network([*copy.deepcopy(net).layers, Dense(...)]).")
    stacked = Network([*copy.deepcopy(net).layers, Dense(2, 3)])  # the fix it gives works
    assert [type(layer).__name__ for layer in stacked.layers] == ["Dense", "ReLU", "Dense", "Dense"]


def test_a_network_given_alone_is_told_to_list_its_layers():
    net = Network([Dense(4, 8), ReLU(), Dense(8, 2)])
    assert "got a Network, which is not a layer; list its layers" in refusal(net)


def test_a_long_item_is_shortened_but_its_position_kept():
    message = refusal([Dense(2, 3), "x" * 300])
    assert re.search(r"got str 'x+\.\.\. at position 1\.$", message), message
    assert len(message) < 300
