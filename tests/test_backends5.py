"""The training path's newer parts on every backend: the scores of metrics.py on a device
without float64, a regression's figures read per fit as a classification's are, the divergence
guard's optimizer state on the parameters' device, and ``optimizer.lr`` set from a callback."""

import math

import numpy as np
import pytest

from nnscratch import SGD, Adam, Network, metrics
from nnscratch.errors import DivergenceError
from nnscratch.optim.schedules import Cosine
from nnscratch.training.history import Callback


def _regression(n=96, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5)).astype(np.float32)
    return X, np.stack([X[:, 0] + 2 * X[:, 1], X[:, 2]], axis=1).astype(np.float32)


# ---------------------------------------------------------------- metrics on any device
def test_scores_of_integer_labels_and_targets_on_any_device(any_backend):
    """Integer labels (and integer targets, scored in the widest float the device has: float32 on
    a device without float64) score alike everywhere; they raised 'does not support float64' there."""
    xp, dev = any_backend.xp, any_backend.device
    y, f = xp.asarray([1, 2, 3, 4], device=dev), xp.asarray([1, 2, 3, 5], device=dev)
    assert metrics.accuracy(y, f) == 0.75
    assert metrics.mae(y, f) == 0.25 and metrics.rmse(y, f) == 0.5
    assert math.isclose(metrics.r2(y, f), 0.8, rel_tol=1e-6)


def test_r2_makes_no_tensor_from_host_data():
    """``metrics.r2`` of device tensors reads its one float and sends nothing to the device (it made
    its row count from a Python list: a host-to-device copy on a GPU)."""
    torch = pytest.importorskip("torch")
    from nnscratch.bench.counting import torch_counter

    y = torch.linspace(0.0, 1.0, 12, dtype=torch.float64).reshape(6, 2)
    for score in (metrics.r2, metrics.mae, metrics.rmse):
        with torch_counter() as counter:
            score(y, y * 0.9)
        assert dict(counter.transfers) == {"_local_scalar_dense": 1}, (score.__name__, counter.transfers)


# ---------------------------------------------------------------- a figure a callback adds to logs
class _WeightNorm(Callback):
    """Adds a figure computed where the weights are: a device scalar (a NumPy scalar on NumPy)."""

    def on_epoch_end(self, epoch, logs, network):
        w = network.parameters()[0].value
        logs["weight_norm"] = network.xp.sum(w * w)


def test_a_device_scalar_a_callback_logs_is_recorded_as_a_float(backend, tmp_path):
    """History records what a callback adds to logs as a Python float, as fit's own figures: before,
    it kept the device scalar, so a checkpoint refused to save ('... give Network(metadata=...) only
    such values') and to_json raised TypeError (NumPy's float32 too)."""
    X, y = _regression()
    net = Network.from_sizes(5, 8, 2, seed=0, backend=backend, output=None)
    history = net.fit(X, y, epochs=2, batch_size=32, callbacks=[_WeightNorm()], checkpoint=tmp_path / "run.ckpt")
    assert all(type(v) is float and v > 0 for v in history["weight_norm"])
    w = net.backend.to_numpy(net.parameters()[0].value).astype(np.float64)
    assert history["weight_norm"][-1] == pytest.approx(float(np.sum(w * w)), rel=1e-5)
    assert '"weight_norm"' in history.to_json()
    resumed = Network.from_sizes(5, 8, 2, seed=0, backend=backend, output=None)
    again = resumed.fit(X, y, epochs=3, batch_size=32, callbacks=[_WeightNorm()], resume=tmp_path / "run.ckpt")
    assert again["weight_norm"][:2] == history["weight_norm"] and len(again["weight_norm"]) == 3
