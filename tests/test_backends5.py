"""The training path's newer parts on every backend: the scores of metrics.py on a device without
float64 and beside NumPy targets, a figure a callback logs as a device scalar, a regression's figures
read per fit as a classification's are, the divergence guard's optimizer state on the parameters'
device and its copies in memory, and ``optimizer.lr`` set from a callback."""

import math

import numpy as np
import pytest

from nnscratch import SGD, Adam, Network, metrics
from nnscratch.errors import DivergenceError
from nnscratch.optim.schedules import Cosine
from nnscratch.training.history import Callback

from test_host_transfers import counting  # noqa: F401  (the counting device1 backend)


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


def test_scores_of_numpy_targets_against_a_models_device_predictions(any_backend):
    """``r2(y_test, model.predict(X_test))``: predict answers on the model's device, and NumPy targets
    beside it are moved there, as fit moves them (it was a TypeError listing two module paths)."""
    X, y = _regression(24)
    net = Network.from_sizes(5, 4, 2, seed=0, backend=any_backend, output=None)
    predicted = net.predict(X)
    on_host = net.backend.to_numpy(predicted)
    for name in ("r2", "mae", "rmse"):
        score = getattr(metrics, name)
        assert score(y, predicted) == pytest.approx(score(y, on_host), rel=1e-6)
        assert score(predicted, y) == pytest.approx(score(on_host, y), rel=1e-6)
    labels = np.arange(24) % 2
    assert metrics.accuracy(labels, net.backend.asarray(labels)) == 1.0


def test_scores_of_arrays_on_two_devices_say_how_to_bring_them_together():
    pytest.importorskip("array_api_strict")
    from nnscratch import get_backend
    from nnscratch.errors import BackendMismatchError
    one, two = get_backend("array_api_strict:device1"), get_backend("array_api_strict:device2")
    y = np.linspace(0.0, 1.0, 6, dtype=np.float32)
    with pytest.raises(BackendMismatchError, match=r"y_true .*device1 but y_pred .*device2.*backend_of"):
        metrics.r2(one.asarray(y), two.asarray(y))


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


@pytest.mark.parametrize("kind", ["EarlyStopping", "ReduceLROnPlateau"])
def test_a_callback_monitoring_a_device_scalar_checkpoints(backend, kind, tmp_path):
    """Before: EarlyStopping and ReduceLROnPlateau kept the monitored device scalar as their best value,
    so the checkpoint that holds their state refused to save."""
    import nnscratch as nn
    X, y = _regression()
    net = Network.from_sizes(5, 8, 2, seed=0, backend=backend, output=None)
    watch = getattr(nn, kind)(monitor="weight_norm", patience=5)
    net.fit(X, y, epochs=2, batch_size=32, callbacks=[_WeightNorm(), watch], checkpoint=tmp_path / "run.ckpt")
    assert (tmp_path / "run.ckpt").exists() and type(watch.best) is float


# ---------------------------------------------------------------- what was checked and found right
def _reads(backend, calls, y, epochs, batch_size):
    """Every host door and implicit read of one fit, counted."""
    X = _regression()[0]
    net = Network.from_sizes(5, 8, 2, seed=0, backend=backend, output=None if y.ndim == 2 else "auto")
    calls.clear()
    net.fit(X, y, epochs=epochs, batch_size=batch_size, optimizer=Adam(lr=0.01), validation_data=(X[:20], y[:20]))
    return dict(calls)


def test_a_regression_reads_per_epoch_what_a_classification_does(counting):  # noqa: F811
    """On device1 (a stand-in GPU, every host door counted): a regression's R^2 and MAE sums come back
    in the epoch's one transfer; per fit nothing grows with the batches."""
    backend, calls = counting
    X, y = _regression()
    labels = (X[:, 0] > 0).astype(np.int64)
    per_fit = [_reads(backend, calls, y, 2, b) for b in (96, 32, 4)]
    assert per_fit[0] == per_fit[1] == per_fit[2], per_fit
    for targets in (y, labels):
        one, three = _reads(backend, calls, targets, 1, 8), _reads(backend, calls, targets, 3, 8)
        per_epoch = {k: (three.get(k, 0) - one.get(k, 0)) / 2 for k in set(one) | set(three)}
        per_epoch = {k: v for k, v in per_epoch.items() if v}
        assert per_epoch == {"asarray": 1, "to_numpy": 1, "to_device": 1, "__array__": 1}, per_epoch


@pytest.mark.parametrize("name", ["torch:cpu", "array_api_strict:device1"])
def test_a_diverged_fit_leaves_the_optimizer_on_the_parameters_device(name):
    """The guard's copy of Adam's moments goes back where the weights are, finite, and training goes on."""
    pytest.importorskip(name.split(":")[0])
    X, y = _regression()
    net = Network.from_sizes(5, 8, 2, seed=0, backend=name, output=None)
    net.fit(X, y, epochs=1, batch_size=16, optimizer=Adam(lr=0.01))
    with pytest.raises(DivergenceError):
        net.fit(X, y * 1e25, epochs=2, batch_size=16)
    assert net.optimizer.t == 6
    where = str(net.parameters()[0].value.device)
    for slot in net.optimizer.state["buffer"].values():
        assert str(slot.device) == where and np.isfinite(net.backend.to_numpy(slot)).all()
    assert np.isfinite(net.fit(X, y, epochs=1, batch_size=16)["loss"]).all()


class _Halve(Callback):
    def __init__(self):
        self.rates = []

    def on_batch_end(self, batch, network):
        self.rates.append(network.optimizer.current_lr)

    def on_epoch_end(self, epoch, logs, network):
        network.optimizer.lr = network.optimizer.lr / 2


@pytest.mark.parametrize("name", ["torch:cpu", "array_api_strict:device1"])
def test_a_callback_sets_lr_on_a_device(name):
    pytest.importorskip(name.split(":")[0])
    X, y = _regression()
    net = Network.from_sizes(5, 8, 2, seed=0, backend=name, output=None)
    halve = _Halve()
    net.fit(X, y, epochs=2, batch_size=48, optimizer=SGD(lr=Cosine(0.1, total=4)), callbacks=[halve])
    schedule = Cosine(0.1, total=4)
    assert halve.rates == pytest.approx([schedule(1), schedule(2), schedule(3) / 2, schedule(4) / 2], rel=1e-12)


def test_the_guard_lets_the_last_good_copies_go_before_it_makes_new_ones():
    """At each epoch's end the guard replaces its copy of the weights and of Adam's two moments (3 copies of
    the parameters, as fit's memory estimate counts them); it made the new copies while holding the old
    ones, 6 copies at once on the device."""
    import tracemalloc

    from nnscratch.training.guard import Guard

    X, y = _regression(64)
    net = Network.from_sizes(5, 400, 400, 2, seed=0, output=None)
    net.fit(X, y, epochs=1, batch_size=64, optimizer=Adam(lr=1e-3))
    parameters = sum(p.value.nbytes for p in net.parameters())
    tracemalloc.start()  # before the guard's first copies, so that letting them go counts
    try:
        guard = Guard(net)
        before = tracemalloc.get_traced_memory()[0]
        guard.check(0, 2, {"loss": 1.0}, 0.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - before < parameters, (peak - before) / parameters
