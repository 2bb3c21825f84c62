"""Streaming as asked and as said: a memory budget below one batch is said once by every call that
streams (fit, evaluate, predict, predict_proba), and ``fit(stream=True)`` streams ``X`` from host memory
even when ``y`` is already on the device (an ``X`` there cannot stream: that is said instead)."""

import warnings

import numpy as np
import pytest

from nnscratch import Network
from nnscratch.training import streaming

NOTE = "holds less than one batch"


def _data(n=100):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 5))
    return X, (X[:, 0] > X[:, 1]).astype(int) + (X[:, 2] > 0.5).astype(int)


def _notes(call):
    """``(result, [budget notes], [their files])`` of ``call()``, every warning recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    said = [w for w in caught if NOTE in str(w.message)]
    return result, [str(w.message) for w in said], [w.filename for w in said]


@pytest.mark.parametrize("budget, said", [("2K", True), ("1G", False), (None, False)])
def test_predict_and_evaluate_say_once_when_the_memory_budget_holds_less_than_one_batch(monkeypatch, budget, said):
    """fit's note, through the same function: each names its batch_size (predict's and predict_proba's
    default batch is 4096 rows); the answers are those of the resident data."""
    X, y = _data()
    net = Network.from_sizes(5, 8, 3, seed=0)
    resident = (net.predict(X), net.predict_proba(X), net.evaluate(X, y))
    if budget:
        monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", budget)
    else:
        monkeypatch.delenv("NNSCRATCH_DEVICE_MEMORY", raising=False)
    calls = {"predict": lambda: net.predict(X), "predict_proba": lambda: net.predict_proba(X),
             "evaluate": lambda: net.evaluate(X, y, batch_size=32)}
    for (name, call), before in zip(calls.items(), resident):
        result, notes, files = _notes(call)
        assert len(notes) == (1 if said else 0), (name, notes)
        if name == "evaluate":
            assert result == pytest.approx(before)
        else:
            np.testing.assert_allclose(result, before, rtol=1e-6)
        if not said:
            continue
        assert files == [__file__], (name, files)  # the caller's line
        if name == "evaluate":
            assert notes[0] == streaming.budget_note(net, X, 32, training=False)
            assert "a forward pass on 32 samples" in notes[0] and notes[0].endswith("or lower batch_size")
        else:
            assert notes[0] == streaming.budget_note(net, X, None, training=False)
            assert "a forward pass on 100 samples" in notes[0] and notes[0].endswith("or lower batch_size")


def test_the_command_line_predict_says_the_budget_note_once(tmp_path, capsys, monkeypatch):
    from test_cli_messages import run  # noqa: E402  (the command line, its status and output)
    model = tmp_path / "spirals.npz"
    assert run(capsys, "train", "--dataset", "spirals", "--epochs", "1", "--quiet", "--backend", "numpy",
               "--out", model)[0] == 0
    inputs = tmp_path / "points.npy"
    np.save(inputs, np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32))
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", "1K")
    status, out, err = run(capsys, "predict", model, inputs)
    assert status == 0 and len(out.strip().splitlines()) >= 40
    notes = [line for line in err.splitlines() if NOTE in line]
    assert len(notes) == 1 and notes[0].startswith("warning: NNSCRATCH_DEVICE_MEMORY=1K ") \
        and "a forward pass on 40 samples" in notes[0], err


def _fit(backend, place_X=False, place_y=False, **options):
    X, y = _data(80)
    net = Network.from_sizes(5, 8, 3, seed=0, backend=backend)
    X_in = net.backend.asarray(X, dtype=net.dtype) if place_X else X
    y_in = net.backend.asarray(y) if place_y else y
    history = net.fit(X_in, y_in, epochs=2, batch_size=16, validation_data=(X[:20], y[:20]), **options)
    return history, net.get_weights()


@pytest.mark.parametrize("backend", ["torch", "array_api_strict:device1"])
@pytest.mark.parametrize("shuffle", [True, False])
def test_fit_stream_true_streams_the_inputs_when_only_the_targets_are_on_the_device(backend, shuffle):
    """Before, a device ``y`` quietly put all of ``X`` on the device. Now ``X`` streams and each batch
    takes its targets where they are (device1 refuses any read back to the host), with the same result."""
    if backend.startswith("torch"):
        pytest.importorskip("torch")
    else:
        pytest.importorskip("array_api_strict")
    runs = [_fit(backend, place_y=place_y, stream=stream, shuffle=shuffle)
            for place_y, stream in ((True, True), (False, True), (True, False))]
    assert [h.params["streamed"] for h, _ in runs] == [True, True, False]
    for history, weights in runs[1:]:
        for a, b in zip(runs[0][1], weights):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(runs[0][0][key], history[key], rtol=1e-5)


def test_a_targets_array_on_the_device_no_longer_keeps_too_large_inputs_from_streaming(monkeypatch):
    """Without ``stream``: inputs too large for the device stream though ``y`` is on it (fit and evaluate)."""
    pytest.importorskip("torch")
    X, y = _data()
    net = Network.from_sizes(5, 8, 3, seed=0, backend="torch")
    y_device = net.backend.asarray(y)
    resident = net.evaluate(X, y_device)
    monkeypatch.setattr(type(net.backend), "memory_info", lambda self: (1000, 10_000))
    assert streaming.should_stream(net, X, y_device) and streaming.should_stream(net, X, y_device, training=False)
    assert net.evaluate(X, y_device) == pytest.approx(resident)
    assert net.fit(X, y_device, epochs=1, batch_size=16).params["streamed"]


def test_fit_stream_true_on_inputs_already_on_the_device_says_it_cannot_stream():
    """An ``X`` already on the device cannot be kept in host memory: one clear warning, then it trains
    from there (the result of a resident run)."""
    pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history, weights = _fit("torch", place_X=True, stream=True)
    said = [str(w.message) for w in caught if "stream=True" in str(w.message)]
    assert not history.params["streamed"] and len(said) == 1, said
    assert "X is already an array of torch:cpu" in said[0] and "pass X as a NumPy array" in said[0]
    for a, b in zip(_fit("torch", place_X=True)[1], weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)
