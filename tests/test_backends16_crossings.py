"""Every layer kind crossing backends through files: checkpoints written on one backend and resumed on
another, and a model on ``device2`` that never leaves it.

``tests/test_persist6.py`` saves and resumes every layer on its own backend, ``tests/test_checkpoint.py``
resumes a Dense network from NumPy on every backend and ``tests/test_device.py`` keeps a Dense network on
``device2``; here the convolutions, both pools, BatchNorm's running statistics and Dropout's masks cross.
array-api-strict computes with NumPy, so a run that crosses between them ends bit for bit as the run that
never stopped (under Adam, whose update NumPy and array-api-strict compute alike; momentum's in-place axpy
is one fused multiply-add on NumPy). PyTorch rounds its own way, so a run crossing to or from it is compared
under momentum: Adam's step ``m / sqrt(v)`` turns the rounding noise of a gradient that is zero in exact
arithmetic (a convolution's bias before BatchNorm) into steps of full size and either sign.
"""

import contextlib

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import Network
from nnscratch.optim.schedules import Cosine
from test_device import cupy_like  # noqa: F401,F811  (array-api-strict with CuPy's current-device semantics)

strict = pytest.importorskip("array_api_strict")


def _layers():
    """A strided, padded, non-square convolution, both pools, BatchNorm on channels and features, Dropout,
    Flatten, Reshape and the activations."""
    return [nn.Reshape((1, 6, 6)), nn.Conv2D(1, 2, 3, stride=(1, 2), padding=1), nn.BatchNorm(2), nn.LeakyReLU(0.1),
            nn.MaxPool2D((2, 1)), nn.Conv2D(2, 3, 2), nn.AvgPool2D(1), nn.Flatten(), nn.Dropout(0.3), nn.Dense(12, 5),
            nn.BatchNorm(5), nn.Tanh(), nn.Dense(5, 3), nn.Softmax()]


def _data(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 36)).astype(np.float32), rng.integers(0, 3, n)


X, Y = _data(14, 0)
VALIDATION = _data(6, 1)


class _Killed(nn.Callback):
    """Stops the run at the start of epoch ``at``, as a killed process would (after that checkpoint)."""

    def __init__(self, at):
        self.at = at

    def on_epoch_begin(self, epoch, network):
        if epoch == self.at:
            raise KeyboardInterrupt


def _run(backend, dtype, optimizer, seed=0, callbacks=(), **options):
    net = Network(_layers(), seed=seed, backend=backend, dtype=dtype)
    more = [nn.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1),
            nn.EarlyStopping(patience=3, restore_best=True)]
    net.fit(X, Y, epochs=4, batch_size=5, optimizer=nn.get_optimizer(optimizer, lr=Cosine(0.02, 20)),
            validation_data=VALIDATION, restore_best=True, callbacks=[*more, *callbacks], **options)
    return net


def _usable(*names):
    for name in names:
        try:
            nn.get_backend(name)
        except nn.errors.BackendUnavailableError as exc:
            pytest.skip(f"{name}: {exc}")


@pytest.mark.parametrize("source, target, dtype", [
    ("numpy", "array_api_strict:device2", "float32"), ("array_api_strict:device1", "numpy", "float64"),
    ("array_api_strict:device2", "array_api_strict:no_float64", "float32"),
    ("torch:cpu", "array_api_strict:device1", "float32"), ("array_api_strict:device2", "torch:cpu", "float64")])
def test_a_checkpoint_of_every_layer_resumes_on_another_backend(source, target, dtype, tmp_path):
    _usable(source, target)
    exact = "torch" not in source + target
    optimizer = "adam" if exact else "momentum"
    whole = _run(target, dtype, optimizer)
    with contextlib.suppress(KeyboardInterrupt):
        _run(source, dtype, optimizer, checkpoint=tmp_path / "run.ckpt", callbacks=[_Killed(2)])
    resumed = _run(target, dtype, optimizer, seed=7, checkpoint=tmp_path / "run.ckpt", resume=True)
    close = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}[dtype]
    pairs = list(zip(resumed.get_weights(), whole.get_weights()))
    pairs += [(resumed.get_buffers()[k], v) for k, v in whole.get_buffers().items()]
    for got, want in pairs:
        assert got.dtype == np.dtype(dtype)
        if exact:
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, **close)
    assert resumed.backend == whole.backend
    assert (resumed.optimizer.t, resumed.optimizer.current_lr) == (whole.optimizer.t, whole.optimizer.current_lr)
    assert resumed.rng.bit_generator.state == whole.rng.bit_generator.state


def _on_device2(arrays):
    return all(a.device == strict.Device("device2") for a in arrays)


def _every_array(net):
    arrays = [p.value for p in net.parameters()] + [b.value for b in net.buffers()]
    return arrays + [a for slots in net.optimizer.state_dict()["state"].values() for a in slots.values()]


def test_every_layer_on_device2_never_touches_another_device(cupy_like, tmp_path):  # noqa: F811
    """Creation functions on the current device only (CuPy's way): a stray array of any layer, its
    running statistics, the optimizer's moments or EarlyStopping's best weights would land elsewhere."""
    net = Network(_layers(), seed=0, backend="array_api_strict:device2")
    stop = nn.EarlyStopping(patience=3, restore_best=True)
    with contextlib.suppress(KeyboardInterrupt):
        net.fit(X, Y, epochs=4, batch_size=5, optimizer="adam", validation_data=VALIDATION, restore_best=True,
                callbacks=[stop, _Killed(2)], checkpoint=tmp_path / "run.ckpt")
    assert _on_device2(_every_array(net))
    resumed = Network(_layers(), seed=3, backend="array_api_strict:device2")
    stop = nn.EarlyStopping(patience=3, restore_best=True)
    resumed.fit(X, Y, epochs=4, batch_size=5, validation_data=VALIDATION, restore_best=True, callbacks=[stop],
                checkpoint=tmp_path / "run.ckpt", resume=True)
    assert _on_device2(_every_array(resumed) + list(stop.get_arrays(resumed).values()))
    loaded = Network.load(resumed.save(tmp_path / "m.npz"), backend="array_api_strict:device2")
    moved = resumed.to("array_api_strict:device2", dtype="float64")
    assert _on_device2([p.value for p in loaded.parameters()] + [b.value for b in loaded.buffers()])
    assert _on_device2(_every_array(moved))
    outputs = [m.predict_proba(X) for m in (resumed, loaded)] + resumed.forward(X, return_all=True)
    assert _on_device2(outputs + resumed.compute_gradients(X, Y)[1])
    np.testing.assert_array_equal(*(resumed.backend.to_numpy(o) for o in outputs[:2]))
    assert set(cupy_like) == {"device2"}


def test_host_optimizer_state_adopted_on_device2_lands_there(cupy_like):  # noqa: F811
    """State loaded without ``asarray`` (host arrays) is moved when a step adopts it, inside the device's
    context: under CuPy's semantics a move outside it would put the moments on the current GPU."""
    first = Network(_layers(), seed=0, backend="numpy")
    first.fit(X, Y, epochs=1, batch_size=5, optimizer="adam")
    adam = nn.get_optimizer("adam")
    adam.load_state_dict(first.optimizer.state_dict())
    net = Network(_layers(), seed=0, backend="array_api_strict:device2")
    net.set_weights(first.get_weights())
    net.fit(X, Y, epochs=1, batch_size=5, optimizer=adam)
    assert _on_device2(_every_array(net)) and set(cupy_like) == {"device2"}
