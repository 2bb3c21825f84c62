"""What the backends bug hunt found outside its files (2026-12-08): the module function
``nnscratch.testing.check_gradients`` on a device under CuPy's rules, the divergence guard copying
optimizer state that another backend's device holds, a blank ``$NNSCRATCH_BACKEND`` under ``mpiexec``,
and the CNN bench on a broken PyTorch install."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import Dense, Network, ReLU, Softmax, Tanh
from nnscratch.testing import check_gradients

from test_device import cupy_like  # noqa: F401  (array-api-strict with CuPy's current-device semantics)

strict = pytest.importorskip("array_api_strict")
rng = np.random.default_rng(0)
X, y = rng.normal(size=(12, 4)), rng.integers(0, 3, 12)


def _net(backend, dtype="float64"):
    return Network([Dense(4, 5), Tanh(), Dense(5, 3), Softmax()], seed=0, backend=backend, dtype=dtype)


def test_the_module_check_gradients_works_on_a_device_as_the_method_does(cupy_like):  # noqa: F811
    """It made its arrays on the current device, outside the network's: 'mismatched devices'."""
    net = _net("array_api_strict:device2")
    assert check_gradients(net, X, y) < 1e-6
    assert "device2" in cupy_like


def test_the_guard_copies_state_another_backends_device_holds():
    """Adam's state from a network on device1 (which refuses the host conversion), loaded without
    asarray into a NumPy network's optimizer: the guard's copy of the last good state failed."""
    first = Network([Dense(4, 5), ReLU(), Dense(5, 3), Softmax()], seed=0, backend="array_api_strict:device1")
    first.fit(X, y, epochs=1, batch_size=4, optimizer="adam")
    adam = nn.get_optimizer("adam")
    adam.load_state_dict(first.optimizer.state_dict())
    net = Network([Dense(4, 5), ReLU(), Dense(5, 3), Softmax()], seed=0, backend="numpy", dtype="float32")
    net.set_weights([first.backend.to_numpy(w) for w in first.get_weights()])
    history = net.fit(X, y, epochs=2, batch_size=4, optimizer=adam)
    assert np.isfinite(history.history["loss"]).all() and len(history.history["loss"]) == 2


def test_a_blank_backend_variable_is_unset_for_each_mpi_rank_too(monkeypatch):
    """``command_line_rank`` read ``$NNSCRATCH_BACKEND`` raw: " " became the backend every rank asked for
    (the library and the command line take a blank value as unset)."""
    import argparse
    import types

    from nnscratch.distributed import devices
    monkeypatch.setenv("NNSCRATCH_BACKEND", "  ")
    args = argparse.Namespace(backend=None, quiet=False, json=False, no_save=False, show=False, history=None,
                              plot=None, live=None)
    devices.command_line_rank(args, types.SimpleNamespace(rank=0, local_rank=0, size=2))
    assert args.backend in (None, "numpy", "auto")


def test_the_cnn_bench_says_a_broken_torch_in_one_line(monkeypatch):
    import builtins

    from nnscratch.bench import cnn
    from nnscratch.errors import BackendUnavailableError
    real = builtins.__import__

    def broken(name, *args, **kwargs):
        if name == "torch":
            raise OSError("libtorch_cpu.so: cannot open shared object file")
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", broken)
    with pytest.raises(BackendUnavailableError, match="installed but cannot be imported .*libtorch_cpu.so"):
        cnn._need_torch()
