"""The backend owns its device: everything runs inside ``Backend.activate()``.

CuPy ignores ``device=`` in its creation functions and allocates on the
*current* device; a model on ``cupy:1`` is only right if every call runs inside
``cupy.cuda.Device(1)``. No GPU here, so array-api-strict plays CuPy: its
creation functions are patched to ignore ``device=`` and use the device the
strict backend's ``activate()`` made current (``CPU_DEVICE`` outside). A model on
``device2`` then works only if nnscratch enters its device wherever it creates
arrays, and array-api-strict refuses any operation mixing devices, so a stray
array fails the test.
"""

import contextlib
import dataclasses

import numpy as np
import pytest

import nnscratch
from nnscratch import Network
from nnscratch.backend import adapters

strict = pytest.importorskip("array_api_strict")
CREATORS = ("asarray", "zeros", "ones", "empty", "full", "arange", "linspace", "eye",
            "zeros_like", "ones_like", "empty_like", "full_like")


@pytest.fixture
def cupy_like(monkeypatch):
    """array-api-strict with CuPy's device semantics; returns the record of entered devices."""
    current, entered = [strict.Device("CPU_DEVICE")], []

    @contextlib.contextmanager
    def activate(backend):
        previous, current[0] = current[0], backend.device
        entered.append(backend.device_name)
        try:
            yield
        finally:
            current[0] = previous

    for name in CREATORS:
        original = getattr(strict, name)

        def create(*args, _original=original, **kwargs):
            kwargs["device"] = current[0]  # like CuPy: the current device, whatever device= says
            return _original(*args, **kwargs)
        monkeypatch.setattr(strict, name, create)
    patched = dataclasses.replace(adapters.ADAPTERS["array_api_strict"], activate=activate)
    monkeypatch.setitem(adapters.ADAPTERS, "array_api_strict", patched)
    return entered


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)


def _on(device, arrays):
    return all(a.device == strict.Device(device) for a in arrays)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
def test_model_on_device2_never_touches_another_device(cupy_like, tmp_path, optimizer):
    X, y = _data()
    net = Network.from_sizes(4, 6, 3, seed=0, backend="array_api_strict:device2")
    assert _on("device2", [p.value for p in net.parameters()])
    net.fit(X, y, epochs=2, batch_size=16, optimizer=optimizer, validation_data=(X[:20], y[:20]),
            checkpoint=tmp_path / "run.ckpt")
    assert _on("device2", [p.value for p in net.parameters()] + [p.grad for p in net.parameters()])
    assert _on("device2", [a for state in net.optimizer.state_dict()["state"].values() for a in state.values()])
    assert _on("device2", [net.predict(X), net.predict_proba(X)] + net.forward(X, return_all=True))
    assert set(net.evaluate(X, y)) == {"loss", "accuracy"}
    loss, grads = net.compute_gradients(X, y)
    assert np.isfinite(loss) and _on("device2", grads)
    net.save(tmp_path / "m.npz")
    loaded = Network.load(tmp_path / "m.npz", backend="array_api_strict:device2")
    assert _on("device2", [p.value for p in loaded.parameters()])
    np.testing.assert_array_equal(loaded.backend.to_numpy(loaded.predict(X)), net.backend.to_numpy(net.predict(X)))
    resumed = Network.from_sizes(4, 6, 3, seed=0, backend="array_api_strict:device2")
    resumed.fit(X, y, epochs=3, batch_size=16, optimizer=optimizer, validation_data=(X[:20], y[:20]),
                checkpoint=tmp_path / "run.ckpt", resume=True)
    assert _on("device2", [p.value for p in resumed.parameters()])
    assert set(cupy_like) == {"device2"}


def test_streamed_fit_and_batched_inference_stay_on_the_device(cupy_like, monkeypatch):
    X, y = _data()
    net = Network.from_sizes(4, 6, 3, seed=0, backend="array_api_strict:device2")
    net.fit(X, y, epochs=2, batch_size=16, stream=True, validation_data=(X[:20], y[:20]))
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", "1K")
    assert _on("device2", [net.predict(X)] + net.compute_gradients(X, y)[1])
    assert set(net.evaluate(X, y)) == {"loss", "accuracy"}


def test_the_fake_catches_a_stray_array(cupy_like):
    """Without the device context the fake puts new arrays on CPU_DEVICE, and mixing fails."""
    backend = nnscratch.get_backend("array_api_strict:device2")
    with backend.activate():
        w = strict.ones(3)
        assert (w + backend.asarray(np.ones(3, dtype=np.float32))).device == strict.Device("device2")
    with pytest.raises(ValueError, match="different devices"):
        w + strict.zeros(3, device=backend.device)


def test_running_statistics_go_to_the_device_of_the_copy(cupy_like, tmp_path):
    """BatchNorm's running statistics land on the model's device: after ``to()``, ``load`` and
    ``set_buffers`` (which ran outside the device's context, so ``to('cupy:1')`` left them on GPU 0)."""
    from nnscratch.layers import BatchNorm, Dense, ReLU, Softmax
    X, y = _data()
    layers = lambda: [Dense(4, 6), BatchNorm(6), ReLU(), Dense(6, 3), Softmax()]  # noqa: E731
    net = Network(layers(), seed=0, backend="numpy")
    net.fit(X, y, epochs=1, batch_size=16)
    net.save(tmp_path / "m.npz")
    other = Network(layers(), seed=0, backend="array_api_strict:device2")
    other.set_weights(net.get_weights())
    other.set_buffers(net.get_buffers())
    for copy in (net.to("array_api_strict:device2"), other,
                 Network.load(tmp_path / "m.npz", backend="array_api_strict:device2")):
        assert _on("device2", [b.value for b in copy.buffers()] + [p.value for p in copy.parameters()])
        np.testing.assert_allclose(copy.backend.to_numpy(copy.predict_proba(X)),
                                   net.backend.to_numpy(net.predict_proba(X)), rtol=1e-5, atol=1e-6)


def test_optimizer_state_goes_to_the_device_of_the_copy(cupy_like):
    """``to()`` and a pickle move Adam's moments inside the device's context: on ``cupy:1`` they were
    made on the current GPU, and the next step mixed devices."""
    import pickle
    X, y = _data()
    net = Network.from_sizes(4, 6, 3, seed=0, backend="numpy")
    net.fit(X, y, epochs=1, batch_size=16, optimizer="adam")
    moved = net.to("array_api_strict:device2")
    moved.fit(X, y, epochs=1, batch_size=16)
    again = pickle.loads(pickle.dumps(moved))
    again.fit(X, y, epochs=1, batch_size=16)
    for copy in (moved, again):
        assert _on("device2", [a for s in copy.optimizer.state_dict()["state"].values() for a in s.values()])
    assert set(cupy_like) == {"device2"}


def test_sklearn_estimators_stay_on_their_device(cupy_like):
    """The early-stopping split and the optimizer state after a pickle go to the estimator's device."""
    import pickle
    import warnings
    pytest.importorskip("sklearn")
    from nnscratch.sklearn import MLPClassifier
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        stopped = MLPClassifier((5,), max_iter=3, early_stopping=True, random_state=0,
                                backend="array_api_strict:device2").fit(X, y)
        assert len(stopped.validation_scores_) == stopped.n_iter_
        again = pickle.loads(pickle.dumps(MLPClassifier((5,), max_iter=3, random_state=0,
                                                        backend="array_api_strict:device2").fit(X, y)))
        again.partial_fit(X, y)
    assert _on("device2", [p.value for p in again._network.parameters()])
    assert set(cupy_like) == {"device2"}


def test_predict_proba_applies_its_softmax_on_the_device(cupy_like, monkeypatch):
    """An Identity output trained with cross-entropy: predict_proba's softmax of the logits runs in the
    device's context too (CuPy runs a kernel on the current GPU, not the one holding the logits)."""
    from nnscratch.layers import Softmax
    X, y = _data()
    net = Network.from_sizes(4, 6, 3, output="identity", seed=0, backend="array_api_strict:device2")
    net.fit(X, y, epochs=1, batch_size=16, loss="cross_entropy")
    current = []
    forward = Softmax.forward
    monkeypatch.setattr(Softmax, "forward", lambda self, x: current.append(strict.asarray(0.0).device)
                        or forward(self, x))
    probabilities = net.backend.to_numpy(net.predict_proba(X))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    assert current == [strict.Device("device2")]  # the fake creates arrays on the current device


def test_feature_maps_are_drawn_on_the_device(cupy_like):
    """``nnscratch plot --what features`` runs the layers on the model's device, not the current one."""
    from nnscratch.layers import Conv2D, Dense, Flatten, ReLU, Softmax
    from nnscratch.viz.filters import feature_maps
    net = Network([Conv2D(1, 2, 3, padding=1), ReLU(), Flatten(), Dense(2 * 6 * 6, 3), Softmax()],
                  input_shape=(1, 6, 6), seed=0, backend="array_api_strict:device2")
    x = np.random.default_rng(0).random((1, 6, 6)).astype(np.float32)
    assert [m.shape for _, m in feature_maps(net, x)] == [(2, 6, 6), (2, 6, 6)]
    assert set(cupy_like) == {"device2"}


def test_check_gradients_runs_on_the_device(cupy_like):
    from nnscratch.layers import BatchNorm, Dense, ReLU, Softmax
    X, y = _data()
    net = Network([Dense(4, 6), BatchNorm(6), ReLU(), Dense(6, 3), Softmax()], seed=0,
                  backend="array_api_strict:device2", dtype="float64")
    assert net.check_gradients(X[:8], y[:8]) < 1e-4
    assert set(cupy_like) == {"device2"}
