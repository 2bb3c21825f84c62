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
