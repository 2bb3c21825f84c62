"""Pictures of a CNN: first-layer filters, feature maps of one image, the layer diagram."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from nnscratch import Network  # noqa: E402
from nnscratch.models.spec import layers_from_spec  # noqa: E402
from nnscratch.cli.plot import save_model_plots  # noqa: E402
from nnscratch.viz.filters import feature_maps  # noqa: E402


def test_feature_maps_follow_the_layers():
    net = Network(layers_from_spec("conv3x3,relu,maxpool2,conv5x3p1,dense10", 784, 10), seed=0)
    maps = feature_maps(net, np.random.default_rng(0).random(784))
    assert [(name, m.shape) for name, m in maps] == [("1: Conv2D", (3, 26, 26)), ("2: ReLU", (3, 26, 26)),
                                                      ("3: MaxPool2D", (3, 13, 13)), ("4: Conv2D", (5, 13, 13))]
    assert (maps[1][1] >= 0).all() and maps[1][1].max() > 0


def test_a_cnn_gets_its_own_pictures(tmp_path):
    from nnscratch.datasets import load_mnist_sample
    data = load_mnist_sample()
    net = Network(layers_from_spec("conv4x3p1,relu,maxpool2,bn,dense10", 784, 10), seed=0)
    saved = save_model_plots(tmp_path, net, data)
    names = sorted(p.rsplit("/", 1)[-1] for p in saved)
    assert names == ["architecture.png", "confusion.png", "features.png", "filters.png", "misclassified.png"]
    assert all((tmp_path / n).stat().st_size > 1000 for n in names)
