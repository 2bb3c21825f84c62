"""Data too large for the device streams batches from host memory, with the same result."""

import numpy as np
import pytest

from nnscratch import Network
from nnscratch.training import memory, streaming

# The data here are raw uint8 rows on purpose (host memory stays compact; batches convert on the way).
pytestmark = pytest.mark.filterwarnings("ignore::nnscratch.errors.DataWarning")


def _data(n=150):
    rng = np.random.default_rng(5)
    X = rng.integers(0, 256, size=(n, 6)).astype(np.uint8)
    return X, (X[:, 0] > X[:, 1]).astype(int) + (X[:, 2] > 128).astype(int)


def _fit(backend, monkeypatch=None, free=None, **options):
    net = Network.from_sizes(6, 12, 3, seed=0, backend=backend)
    if monkeypatch is not None:
        monkeypatch.setattr(type(net.backend), "memory_info", lambda self: (free, 10 * free))
    X, y = _data()
    history = net.fit(X / 255.0 if options.pop("scaled", False) else X, y, epochs=3, batch_size=16,
                      optimizer="momentum", validation_data=(X[:40], y[:40]), **options)
    return net, history


@pytest.mark.parametrize("shuffle", [True, False])
def test_small_device_memory_streams_with_the_same_result(backend, monkeypatch, shuffle, capsys):
    resident, h_resident = _fit(backend, shuffle=shuffle)
    streamed, h_streamed = _fit(backend, monkeypatch, free=1000, shuffle=shuffle, verbose=True)
    assert "streaming batches from host memory" in capsys.readouterr().out
    assert h_streamed.params["streamed"] and not h_resident.params["streamed"]
    for a, b in zip(resident.get_weights(), streamed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(h_resident[key], h_streamed[key], rtol=1e-5)


def test_streaming_decision(monkeypatch):
    net = Network.from_sizes(6, 12, 3, seed=0, backend="numpy")
    X, y = _data()
    need = memory.training_bytes(net, X, batch_size=16)
    # at least: X as sent (uint8) and in float32, one-hot targets, their shuffled copy, kept outputs twice
    assert need >= 150 * (6 * (4 + 1) + 3 * 4 * 4)
    assert memory.training_bytes(net, X, (X, y), batch_size=16) >= need + 150 * 6 * 4
    monkeypatch.setattr(type(net.backend), "memory_info", lambda self: (need, 10 * need))
    assert streaming.should_stream(net, X, y)
    monkeypatch.setattr(type(net.backend), "memory_info", lambda self: (100 * need, 1000 * need))
    assert not streaming.should_stream(net, X, y)
    assert streaming.should_stream(net, X, y, stream=True)
    monkeypatch.setattr(type(net.backend), "memory_info", lambda self: None)
    assert not streaming.should_stream(net, X, y)
    strict = Network.from_sizes(6, 12, 3, seed=0, backend="array_api_strict")
    device_X = strict.backend.asarray(X)
    assert not streaming.should_stream(strict, device_X, y, stream=True)  # already on the device


@pytest.mark.parametrize("text", ["abc", "0", "-5", "inf", "nan", "-1G"])
def test_a_device_memory_setting_that_is_not_a_positive_size_is_one_config_error(monkeypatch, text):
    from nnscratch.errors import ConfigError
    net = Network.from_sizes(6, 12, 3, seed=0, backend="numpy")
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", text)
    with pytest.raises(ConfigError, match=f"positive size such as 512M.*got '{text}'"):
        memory.device_budget(net.backend)
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", "1.5GB")
    assert memory.device_budget(net.backend) == 3 * 2**29


def test_streamed_data_is_validated_on_the_host(monkeypatch):
    X, y = _data()
    net = Network.from_sizes(6, 12, 3, seed=0, backend="numpy")
    bad = X.astype(float)
    bad[3, 3] = np.nan
    from nnscratch.errors import DataError, ShapeError
    with pytest.raises(DataError, match="X contains NaN"):
        net.fit(bad, y, stream=True)
    with pytest.raises(DataError, match="labels from 3 to 5"):
        net.fit(X, y + 3, stream=True)
    with pytest.raises(ShapeError, match="7 features"):
        net.fit(np.ones((5, 7)), y[:5], stream=True)


def test_streamed_one_hot_and_regression_targets(backend):
    X, y = _data()
    for targets in (np.eye(3)[y], ):
        a = Network.from_sizes(6, 12, 3, seed=0, backend=backend)
        b = Network.from_sizes(6, 12, 3, seed=0, backend=backend)
        a.fit(X, targets, epochs=2, stream=True)
        b.fit(X, targets, epochs=2, stream=False)
        for wa, wb in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-6)
    reg = Network.from_sizes(6, 4, 1, output=None, seed=0, backend=backend)
    history = reg.fit(X / 255.0, X[:, :1] / 255.0, epochs=2, stream=True)
    assert "accuracy" not in history.history


# ------------------------------------------------------------ host traffic of a streamed epoch

class _Counting:
    """Wrap a backend's ``asarray``: record the rows of every host -> device transfer, and
    the order of transfers and training steps."""

    def __init__(self, net, monkeypatch):
        self.rows, self.log = [], []
        backend, original = net.backend, net.backend.asarray

        def asarray(x, dtype=None):
            self.rows.append(int(np.shape(x)[0]) if np.ndim(x) else 0)
            self.log.append("put")
            return original(x, dtype)
        monkeypatch.setattr(backend, "asarray", asarray)
        first, forward = net.layers[0], net.layers[0].forward

        def logged(x, training=False):
            if training:
                self.log.append("step")
            return forward(x, training)
        monkeypatch.setattr(first, "forward", logged)


@pytest.mark.parametrize("shuffle", [True, False])
def test_streaming_moves_one_input_and_one_target_array_per_batch(monkeypatch, shuffle):
    X, y = _data(80)
    net = Network.from_sizes(6, 12, 3, seed=0, backend="array_api_strict:device1")
    counted = _Counting(net, monkeypatch)
    history = net.fit(X, y, epochs=2, batch_size=16, shuffle=shuffle, validation_data=(X[:20], y[:20]),
                      stream=True)
    assert history.params["streamed"]
    # per epoch: 5 training batches and 1 validation batch, each one inputs + one targets array; nothing else
    assert len(counted.rows) == 2 * (2 * 5 + 2 * 1), counted.rows
    assert sorted(set(counted.rows)) == [16, 20]
    # one batch ahead: when batch k trains, batch k + 1 has already been sent
    steps = [i for i, event in enumerate(counted.log) if event == "step"]
    for k, at in enumerate(steps[:5]):
        assert counted.log[:at].count("put") == 2 * min(k + 2, 5), (k, counted.log)


def test_inference_goes_batch_by_batch_when_x_does_not_fit(monkeypatch):
    X, y = _data(100)
    X = X / 255.0
    net = Network.from_sizes(6, 12, 3, seed=0, backend="array_api_strict:device1")
    b = net.backend
    whole = {"proba": b.to_numpy(net.predict_proba(X)), "labels": b.to_numpy(net.predict(X)),
             "all": [b.to_numpy(a) for a in net.forward(X, return_all=True)], "eval": net.evaluate(X, y),
             "grads": net.compute_gradients(X, y)}
    counted = _Counting(net, monkeypatch)
    net.forward(X)
    assert counted.rows == [100]  # fits: all at once
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", "4K")
    monkeypatch.setattr(streaming, "INFERENCE_BATCH", 16)
    counted.rows.clear()
    np.testing.assert_allclose(b.to_numpy(net.predict_proba(X)), whole["proba"], rtol=1e-6)
    np.testing.assert_array_equal(b.to_numpy(net.predict(X)), whole["labels"])
    for got, want in zip(net.forward(X, return_all=True), whole["all"]):
        np.testing.assert_allclose(b.to_numpy(got), want, rtol=1e-6)
    assert counted.rows and max(counted.rows) <= 16
    counted.rows.clear()
    evaluated = net.evaluate(X, y, batch_size=16)
    assert evaluated == pytest.approx(whole["eval"], rel=1e-6) and max(counted.rows) <= 16
    counted.rows.clear()
    loss, grads = net.compute_gradients(X, y)
    assert loss == pytest.approx(whole["grads"][0], rel=1e-5) and max(counted.rows) <= 16
    for got, want in zip(grads, whole["grads"][1]):
        np.testing.assert_allclose(b.to_numpy(got), b.to_numpy(want), rtol=1e-4, atol=1e-6)


def test_streamed_gradients_of_a_network_with_dropout_are_the_one_pass_gradients(backend, monkeypatch):
    """Every piece draws the whole batch's Dropout keys and masks its own rows of it; BatchNorm,
    which normalises each piece by itself, is said in one warning."""
    from nnscratch import BatchNorm, Dense, Dropout, ReLU, Softmax
    from nnscratch.errors import DataWarning
    X, y = _data(100)
    X = X / 255.0

    def gradients(middle, stream):
        net = Network([Dense(6, 8), middle, ReLU(), Dense(8, 3), Softmax()], seed=0, backend=backend,
                      dtype="float64")
        monkeypatch.setattr(streaming, "should_stream", lambda *a, **k: stream)
        monkeypatch.setattr(streaming, "INFERENCE_BATCH", 16)
        loss, grads = net.compute_gradients(X, y)
        return loss, [net.backend.to_numpy(g) for g in grads]

    whole, pieces = gradients(Dropout(0.5), False), gradients(Dropout(0.5), True)
    assert pieces[0] == pytest.approx(whole[0], rel=1e-12)
    for got, want in zip(pieces[1], whole[1]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    with pytest.warns(DataWarning, match="BatchNorm normalises each piece with its own statistics"):
        gradients(BatchNorm(8), True)


def test_pinned_staging_never_refills_a_buffer_before_its_copy_finished():
    """A fake asynchronous copy reads the pinned buffer only when its event completes: if a
    buffer were refilled too early, an earlier batch would arrive with later rows."""
    from nnscratch.backend.staging import Pinned, PinnedStager

    class LateCopy:  # the device array of an asynchronous copy: the bytes land when the event completes
        def __init__(self, view):
            self.view, self.value = view, None

        def synchronize(self):
            if self.value is None:
                self.value = self.view.copy()

    class FakeStager(PinnedStager):
        allocations = 0

        def allocate(self, shape, dtype):
            FakeStager.allocations += 1
            return Pinned(np.empty(shape, dtype))

        def copy(self, pinned, n):
            late = LateCopy(pinned.host[:n])
            return late, late

    source = np.arange(50 * 3, dtype=np.float32).reshape(50, 3)
    order = np.random.default_rng(0).permutation(50)
    stager = FakeStager(backend=None)
    batches = [(start, min(start + 8, 50)) for start in range(0, 50, 8)]
    arrived = [stager.put(source, order[a:b]) for a, b in batches]
    for late in arrived:
        late.synchronize()
    for late, (a, b) in zip(arrived, batches):
        np.testing.assert_array_equal(late.value, source[order[a:b]])
    assert FakeStager.allocations == 2  # two buffers, reused (the short last batch fits in one)


def test_torch_cuda_staging_is_pinned_non_blocking_on_a_side_stream():
    """A stand-in for torch's CUDA calls records how TorchStager copies a batch."""
    import contextlib
    import types
    from nnscratch.backend.staging import TorchStager

    log, current = [], ["compute"]

    class Tensor:
        def __init__(self, array, device="cpu", pinned=False):
            self.array, self.device, self.pinned = array, device, pinned
            self.shape, self.dtype = array.shape, array.dtype

        def numpy(self):
            return self.array

        def __getitem__(self, index):
            return Tensor(self.array[index], self.device, self.pinned)

        def copy_(self, source, non_blocking=False):
            log.append(("copy", source.pinned, non_blocking, current[0], self.device))
            self.array[...] = source.array

    class Event:
        def record(self, stream):
            log.append(("record", stream))

        def synchronize(self):
            log.append(("host waits",))

    @contextlib.contextmanager
    def stream(s):
        previous, current[0] = current[0], s
        yield
        current[0] = previous

    cuda = types.SimpleNamespace(Stream=lambda device: "side", stream=stream, Event=Event,
                                 current_stream=lambda device: types.SimpleNamespace(
                                     wait_event=lambda e: log.append(("compute waits", current[0]))))
    torch = types.SimpleNamespace(
        cuda=cuda, from_numpy=lambda a: Tensor(a),
        empty=lambda shape, dtype, pin_memory=False, device="cpu": Tensor(np.empty(shape, dtype), device, pin_memory))
    stager = TorchStager(types.SimpleNamespace(_lib=torch, device="cuda:0"))
    source = np.arange(12, dtype=np.float32).reshape(6, 2)
    batches = [stager.put(source, rows) for rows in (slice(0, 4), np.array([5, 4]), slice(4, 6))]
    np.testing.assert_array_equal(batches[1].array, source[[5, 4]])
    copies = [entry for entry in log if entry[0] == "copy"]
    assert copies == [("copy", True, True, "side", "cuda:0")] * 3  # pinned source, non_blocking, side stream
    assert [e[0] for e in log[:3]] == ["copy", "record", "compute waits"]
    assert log.count(("host waits",)) == 1  # only the third batch reuses a buffer, after its first copy


def test_training_counts_the_divergence_guards_copies_of_the_parameters():
    """fit keeps the parameters, their gradients and two optimizer slots, and the divergence guard the last
    good epoch's weights and slots beside them: 7 copies (before: 4 counted, so a large model that fitted the
    budget on paper did not on the device)."""
    net = Network.from_sizes(1000, 1000, 2, seed=0, backend="numpy", dtype="float32")
    weights = 4 * sum(p.value.size for p in net.parameters())
    X = np.zeros((2, 1000), dtype=np.float32)
    assert 7 * weights <= memory.training_bytes(net, X, batch_size=2) < 7 * weights + 100_000
