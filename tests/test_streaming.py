"""Data too large for the device streams batches from host memory, with the same result."""

import numpy as np
import pytest

from nnscratch import Network, streaming


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
    need = streaming.training_bytes(net, X, batch_size=16)
    # at least: X as sent (uint8) and in float32, one-hot targets, their shuffled copy, kept outputs twice
    assert need >= 150 * (6 * (4 + 1) + 3 * 4 * 4)
    assert streaming.training_bytes(net, X, (X, y), batch_size=16) >= need + 150 * 6 * 4
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
