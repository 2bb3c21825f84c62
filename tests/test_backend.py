"""The backend selector: names, devices, precedence, host transfers, errors."""

import numpy as np
import pytest

import nnscratch
from nnscratch.backend.core import Backend, parse
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


# ------------------------------------------------------------ unusable GPUs, clearly

@pytest.fixture
def fresh_backends():
    """Backends are cached per name; these tests swap libraries underneath, so start and end clean."""
    from nnscratch.backend import core as backend_module
    backend_module._make.cache_clear()
    yield
    backend_module._make.cache_clear()


def _fake_cupy(missing):
    """A CuPy that sees one GPU (a driver is there) but lacks a toolkit library."""
    import types

    class Device:
        def __init__(self, index=0):
            self.id = index

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def synchronize(self):
            pass

    class Array:
        def _kernel(self, other):
            if missing == "nvrtc":  # elementwise kernels are compiled at run time
                raise RuntimeError("CuPy failed to load libnvrtc.so.12: OSError: libnvrtc.so.12: "
                                   "cannot open shared object file: No such file or directory")
            return self

        __mul__ = __add__ = _kernel

        def __matmul__(self, other):
            if missing == "cublas":
                raise ImportError("libcublas.so.12: cannot open shared object file: No such file or directory")
            return self

        def __getitem__(self, index):
            return 1.0

    fake = types.ModuleType("cupy")
    fake.__version__ = "14.0.0"
    fake.asarray = lambda *args, **kwargs: Array()
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1), Device=Device)
    return fake


@pytest.mark.parametrize("missing", ["cublas", "nvrtc"])
def test_gpu_without_toolkit_fails_at_the_probe_and_says_what_to_install(monkeypatch, fresh_backends, missing):
    import sys
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(missing))
    monkeypatch.delenv("NNSCRATCH_BACKEND", raising=False)
    with pytest.raises(BackendUnavailableError) as info:
        nnscratch.get_backend("cupy")
    message = str(info.value)
    assert f"lib{missing}.so.12" in message and "toolkit" in message
    assert "pip install 'nnscratch[cuda12]'" in message and "cupy-cuda12x[ctk]" in message
    assert nnscratch.get_backend("auto").name == "numpy"
    cupy_info = {i.name: i for i in nnscratch.available_backends()}["cupy"]
    assert not cupy_info.usable and "[ctk]" in cupy_info.reason
    from nnscratch.backend.adapters import _cupy_device
    assert _cupy_device(_fake_cupy(None), "0")[1] == "0"  # a complete install passes the probe


def test_the_real_cupy_wheel_on_a_machine_without_gpu(monkeypatch, fresh_backends, capsys):
    """cupy-cuda12x imports here, then fails at its first CUDA call: one clear error, auto -> NumPy."""
    from nnscratch.cli.app import main
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() > 0:
            pytest.skip("a CUDA GPU is usable here")
    except Exception:  # noqa: BLE001 - what this test is about
        pass
    monkeypatch.delenv("NNSCRATCH_BACKEND", raising=False)
    with pytest.raises(BackendUnavailableError, match="no usable CUDA GPU.*(nvidia-smi|driver).*backend='numpy'"):
        nnscratch.get_backend("cupy")
    assert nnscratch.get_backend("auto").name == "numpy"
    assert main(["info"]) == 0
    out = capsys.readouterr()
    cupy_lines = out.out[out.out.index("  cupy"):out.out.index("  torch")]
    assert "not usable" in cupy_lines and "no usable CUDA GPU" in cupy_lines and "Traceback" not in out.err


def test_torch_mps_and_unknown_torch_devices_are_one_clear_error():
    torch = pytest.importorskip("torch")
    if torch.backends.mps.is_available():
        pytest.skip("MPS is usable here")
    with pytest.raises(BackendUnavailableError, match="torch:mps is not available.*torch:cpu"):
        nnscratch.get_backend("torch:mps")
    with pytest.raises(ConfigError, match="'cpu', 'cuda', 'cuda:N' or 'mps'"):
        nnscratch.get_backend("torch:meta")


def test_torch_cuda_that_cannot_run_is_unavailable_not_a_raw_error(monkeypatch):
    """torch says CUDA is there, but the first kernel fails (a CPU build here): BackendUnavailableError."""
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("CUDA is usable here")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    with pytest.raises(BackendUnavailableError, match="PyTorch cannot run on cuda:0.*torch:cpu"):
        Backend("torch", "cuda")
    with pytest.raises(BackendUnavailableError, match="sees 1 GPU.*no cuda:1.*torch:cuda:0"):
        Backend("torch", "cuda:1")


# ------------------------------------------------------------ free memory, as the allocator sees it

def test_host_memory_is_mem_available_not_mem_free(tmp_path):
    from nnscratch.backend.adapters import host_memory
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16000000 kB\nMemFree:          500000 kB\nMemAvailable:    9000000 kB\n")
    assert host_memory(meminfo) == (9000000 * 1024, 16000000 * 1024)
    assert host_memory(tmp_path / "missing") is None or len(host_memory(tmp_path / "missing")) == 2


def test_device_free_memory_counts_what_the_allocator_caches():
    """After a first fit the pool holds freed blocks: they are free for the next one."""
    import types
    from nnscratch.backend.adapters import ADAPTERS

    class Device:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    pool = types.SimpleNamespace(free_bytes=lambda: 300)
    cupy = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(memGetInfo=lambda: (100, 1000))),
                                 get_default_memory_pool=lambda: pool)
    assert ADAPTERS["cupy"].memory_info(types.SimpleNamespace(_lib=cupy, device=Device())) == (400, 1000)
    cuda = types.SimpleNamespace(mem_get_info=lambda d: (100, 1000), memory_reserved=lambda d: 500,
                                 memory_allocated=lambda d: 200)
    torch_backend = types.SimpleNamespace(_lib=types.SimpleNamespace(cuda=cuda), device=types.SimpleNamespace(type="cuda"))
    assert ADAPTERS["torch"].memory_info(torch_backend) == (400, 1000)
