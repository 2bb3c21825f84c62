"""The backend selector: names, devices, precedence, host transfers, errors."""

import numpy as np
import pytest

import nnscratch
from nnscratch.backend import Backend, parse
from nnscratch.errors import BackendUnavailableError, ConfigError


def test_parse_splits_name_and_device():
    assert parse("torch:cuda:1") == ("torch", "cuda:1")
    assert parse("cupy:1") == ("cupy", "1")
    assert parse("numpy") == ("numpy", None)
    assert parse("array-api-strict:device1") == ("array_api_strict", "device1")


def test_round_trip_host_device_host(backend):
    host = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = backend.asarray(host)
    assert backend.owns(x)
    back = backend.to_numpy(x)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, host)
    backend.synchronize()


def test_to_numpy_is_a_copy(backend):
    x = backend.asarray(np.zeros(3, dtype=np.float32))
    host = backend.to_numpy(x)
    x += 1.0
    host[1] = 5
    np.testing.assert_array_equal(host, [0, 5, 0])
    np.testing.assert_array_equal(backend.to_numpy(x), [1, 1, 1])


def test_default_dtype_float32_and_float64_selectable(backend):
    assert backend.dtype == backend.xp.float32
    assert nnscratch.get_backend(backend, dtype="float64").dtype == backend.xp.float64


def test_no_float64_device_refuses_float64_with_clear_message():
    with pytest.raises(ConfigError, match="no float64.*dtype='float32'"):
        nnscratch.get_backend("array_api_strict:no_float64", dtype="float64")


def test_precedence_argument_then_block_then_env_then_auto(monkeypatch):
    monkeypatch.setenv("NNSCRATCH_BACKEND", "array_api_strict")
    assert nnscratch.get_backend().name == "array_api_strict"
    with nnscratch.use_backend("numpy"):
        assert nnscratch.get_backend().name == "numpy"
        assert nnscratch.get_backend("array_api_strict:device1").device_name == "device1"
        net = nnscratch.Network.from_sizes(2, 3, 1, seed=0)
        assert net.backend.name == "numpy"
    assert nnscratch.get_backend().name == "array_api_strict"
    monkeypatch.delenv("NNSCRATCH_BACKEND")
    assert nnscratch.get_backend().name in ("cupy", "numpy")


def test_unknown_backend_and_dtype_names():
    with pytest.raises(ConfigError, match="Unknown backend 'jax'.*numpy"):
        nnscratch.get_backend("jax")
    with pytest.raises(ConfigError, match="Unknown dtype 'float16'"):
        nnscratch.get_backend("numpy", dtype="float16")
    with pytest.raises(ConfigError, match="CPU only"):
        nnscratch.get_backend("numpy:cuda")


def test_available_backends_lists_every_backend_with_a_reason_when_unusable():
    infos = {i.name: i for i in nnscratch.available_backends()}
    assert set(infos) == {"numpy", "cupy", "torch", "array_api_strict"}
    assert infos["numpy"].usable and infos["numpy"].devices == ("numpy",)
    for info in infos.values():
        assert info.usable or info.reason


def test_cupy_without_gpu_gives_one_clear_error(monkeypatch):
    """CuPy imports without a GPU, then fails at the first CUDA call."""
    import sys
    import types

    class CUDARuntimeError(RuntimeError):
        pass

    def no_device():
        raise CUDARuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_device))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with pytest.raises(BackendUnavailableError) as info:
        Backend("cupy")
    message = str(info.value)
    assert "no usable CUDA GPU" in message and "cudaErrorNoDevice" in message and "backend='numpy'" in message
    assert "Traceback" not in message
    cupy_info = {i.name: i for i in nnscratch.available_backends()}["cupy"]
    assert cupy_info.installed and not cupy_info.usable and "nvidia-smi" in cupy_info.reason


def test_backend_of_identifies_library_and_device(backend):
    x = backend.asarray(np.ones((2, 2), dtype=np.float32))
    found = nnscratch.backend_of(x)
    assert (found.name, found.device_name) == (backend.name, backend.device_name)


def test_torch_gpu_index_out_of_range_is_unavailable(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(BackendUnavailableError, match="sees 2 GPU.*no cuda:5.*torch:cuda:1"):
        Backend("torch", "cuda:5")
