"""Backends named wrongly, or from where the code does not show: each mistake one line that says where it is.

- ``auto`` with a device (``auto:1``) was NumPy or CuPy's first GPU, the device dropped without a word;
- ``$NNSCRATCH_BACKEND`` mistyped was said in Python as "Unknown backend 'nmpy'", with no word of the
  variable the name came from (the command line named it; ``Network.load`` and ``Network(...)`` did not);
- ``"torch: cpu"`` was "Unknown backend 'torch '";
- ``import torch`` blocked as the tests block it (``sys.modules["torch"] = None``) made ``nnscratch info``
  an AttributeError: the thread setting asked the ``None`` for ``set_num_threads``.
"""

import sys

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.backend import threads
from nnscratch.cli import main
from nnscratch.errors import BackendUnavailableError, ConfigError


def _one_line(text, *words):
    assert "\n" not in text.strip() and all(w in text for w in words), text


@pytest.mark.parametrize("spec", ["auto:1", "auto:cpu", "auto:device1"])
def test_auto_with_a_device_is_refused_not_dropped(spec):
    with pytest.raises(ConfigError) as info:
        nn.get_backend(spec)
    device = spec.partition(":")[2]
    _one_line(str(info.value), "'auto' takes no device", repr(spec), f"'cupy:{device}'", f"'torch:cuda:{device}'")
    assert nn.get_backend("auto").name in ("numpy", "cupy")


def test_auto_with_a_device_on_the_command_line_is_one_line(capsys):
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--no-save", "--backend", "auto:1"]) == 2
    _one_line(capsys.readouterr().err, "'auto' takes no device", "'cupy:1'")


@pytest.mark.parametrize("spec, name", [("torch: cpu", "torch:cpu"), (" numpy : cpu ", "numpy"),
                                        ("array_api_strict : device2", "array_api_strict:device2")])
def test_spaces_around_the_colon_are_read_as_none(spec, name):
    if spec.startswith("torch"):
        pytest.importorskip("torch")
    assert str(nn.get_backend(spec)) == name


@pytest.mark.parametrize("value, error, words", [
    ("nmpy", ConfigError, ["Unknown backend 'nmpy'", "Did you mean 'numpy'?"]),
    ("auto:1", ConfigError, ["'auto' takes no device"]),
    ("array_api_strict:device9", ConfigError, ["device 'device9'"]),
    ("cupy:0", (BackendUnavailableError, ConfigError), ["cupy"])])
def test_a_mistake_in_the_environment_variable_names_it_in_python(value, error, words, tmp_path, monkeypatch):
    path = nn.Network.from_sizes(2, 3, 2, seed=0, backend="numpy").save(tmp_path / "m.npz")
    monkeypatch.setenv("NNSCRATCH_BACKEND", value)
    try:
        nn.get_backend(value)
    except Exception:
        pass
    else:
        pytest.skip(f"{value} is usable here")
    for call in (lambda: nn.Network.from_sizes(2, 3, 2), lambda: nn.Network.load(path), nn.get_backend):
        with pytest.raises(error) as info:
            call()
        _one_line(str(info.value), f"$NNSCRATCH_BACKEND={value}:", "unset it", "backend= in Python", *words)
    assert nn.Network.load(path, backend="numpy").backend.name == "numpy"  # a backend named wins, as before
    with nn.use_backend("numpy"):
        assert nn.Network.from_sizes(2, 3, 2).backend.name == "numpy"


def test_the_environment_variable_is_named_once_on_the_command_line(capsys, monkeypatch):
    monkeypatch.setenv("NNSCRATCH_BACKEND", "nmpy")
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--no-save"]) == 2
    err = capsys.readouterr().err
    _one_line(err, "$NNSCRATCH_BACKEND=nmpy:", "unset it, or pass --backend")
    assert err.count("NNSCRATCH_BACKEND") == 1, err
    assert main(["info"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("default backend:"))
    assert line.count("NNSCRATCH_BACKEND") == 1, line


def test_a_float64_refusal_from_the_environment_is_said_as_the_dtype_it_is(monkeypatch):
    """Only a name that picks no usable backend is blamed on the variable; its device's lack of float64
    is the dtype's mistake and keeps its own fix."""
    monkeypatch.setenv("NNSCRATCH_BACKEND", "array_api_strict:no_float64")
    with pytest.raises(ConfigError) as info:
        nn.Network.from_sizes(2, 3, 2, dtype="float64")
    _one_line(str(info.value), "no float64", "dtype='float32'")
    assert "NNSCRATCH_BACKEND" not in str(info.value)


def test_threads_are_set_when_torch_is_blocked(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    before, workers = threads.blas_threads(), list(threads._workers)
    try:
        threads.set_threads(1)
    finally:
        threads.set_threads(before)
        threads._workers[:] = workers
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "torch            not installed" in out
    assert np.isfinite(nn.Network.from_sizes(2, 3, 2, seed=0).predict_proba(np.zeros((1, 2)))).all()


# ---------------------------------------------------------------- optimizer state of another backend

@pytest.mark.parametrize("source, target", [("numpy", "torch:cpu"), ("numpy", "array_api_strict:device1"),
                                            ("array_api_strict:device2", "array_api_strict:device1"),
                                            ("torch:cpu", "array_api_strict:no_float64")])
@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # strict copying a torch tensor
def test_a_state_dict_of_another_backend_loads_without_asarray(source, target, optimizer):
    """``opt.load_state_dict(other.optimizer.state_dict())`` keeps the arrays as given; the first step then
    mixed them with the network's: "TypeError: can't assign a numpy.ndarray to a torch.FloatTensor", "mismatched
    devices" on array-api-strict. The step moves them to its parameters' device and dtype, as ``to()`` does."""
    for name in (source, target):
        if name.startswith("torch"):
            pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 4)), np.arange(6) % 3
    dtype = "float32" if target.endswith("no_float64") else "float64"
    first = nn.Network.from_sizes(4, 5, 3, seed=0, backend=source, dtype=dtype)
    first.fit(X, y, epochs=1, batch_size=3, optimizer=optimizer)
    expected = first.to(target, dtype=dtype)
    expected.fit(X, y, epochs=1, batch_size=3)
    given = nn.get_optimizer(optimizer)
    given.load_state_dict(first.optimizer.state_dict())  # no asarray: the source's own arrays
    again = nn.Network.from_sizes(4, 5, 3, seed=0, backend=target, dtype=dtype)
    again.set_weights(first.get_weights())
    again.rng.bit_generator.state = first.rng.bit_generator.state
    again.fit(X, y, epochs=1, batch_size=3, optimizer=given)
    for a, b in zip(again.get_weights(), expected.get_weights()):
        np.testing.assert_array_equal(a, b)
    for slots in again.optimizer.state_dict()["state"].values():
        assert all(again.backend.owns(a) and a.dtype == again.dtype for a in slots.values())


def test_a_parameter_stepped_alone_takes_host_state_on_its_device():
    """The same for an optimizer stepping Parameters of its own (a list, no network's buffer)."""
    torch = pytest.importorskip("torch")
    p = nn.Parameter("w", torch.ones(3, dtype=torch.float32))
    p.grad = torch.full((3,), 0.5)
    sgd = nn.SGD(lr=0.1, momentum=0.9)
    sgd.load_state_dict({"t": 1, "state": {"w": {"momentum": np.full(3, 2.0)}}})  # float64 host state
    sgd.step([p])
    assert torch.equal(p.value, torch.full((3,), 1 - 0.1 * (0.9 * 2.0 + 0.5)))
    momentum = sgd.state_dict()["state"]["w"]["momentum"]
    assert isinstance(momentum, torch.Tensor) and momentum.dtype == torch.float32


# ---------------------------------------------------------------- float64 data on a device without float64

def _strict_float64():
    import array_api_strict
    return array_api_strict.zeros((2, 3), dtype=array_api_strict.float64)


@pytest.mark.parametrize("make", [lambda: np.zeros((2, 3)), lambda: [[0.0, 1.0, 2.0]] * 2, lambda: np.float64(1.5),
                                  _strict_float64], ids=["numpy", "list", "scalar", "strict"])
def test_float64_data_arrives_as_float32_where_the_device_has_no_float64(make):
    """``backend.asarray`` of float64 data on ``no_float64`` was the library's "Device no_float64 does not
    support dtype=float64"; so was the move a BackendMismatchError tells one to make."""
    backend = nn.get_backend("array_api_strict:no_float64")
    moved = backend.asarray(make())
    assert moved.dtype == backend.xp.float32 and backend.owns(moved)
    assert backend.asarray(np.arange(3)).dtype == backend.xp.int64  # integers keep their kind
    assert nn.get_backend("array_api_strict").asarray(np.zeros(2)).dtype == backend.xp.float64  # float64 kept there


def test_the_move_a_mismatch_error_names_works_for_float64_data():
    torch = pytest.importorskip("torch")
    net = nn.Network.from_sizes(3, 4, 2, seed=0, backend="array_api_strict:no_float64")
    X = torch.linspace(-1, 1, 6, dtype=torch.float64).reshape(2, 3)
    with pytest.raises(nn.errors.BackendMismatchError) as info:
        net.predict(X)
    assert "model.backend.asarray(nnscratch.backend_of(X).to_numpy(X))" in str(info.value)
    moved = net.backend.asarray(nn.backend_of(X).to_numpy(X))  # the move it names
    expected = net.predict(X.numpy())
    assert (net.backend.to_numpy(net.predict(moved)) == net.backend.to_numpy(expected)).all()
    assert (net.backend.to_numpy(net.predict(net.backend.asarray(X))) == net.backend.to_numpy(expected)).all()


# ---------------------------------------------------------------- an array library installed but broken

@pytest.fixture
def broken(tmp_path, monkeypatch):
    """``broken(name)``: a package ``name`` first on the path whose import fails as a build missing its shared
    libraries does (OSError from inside), with every cached backend forgotten before and after."""
    from nnscratch.backend import core
    core._make.cache_clear()
    monkeypatch.delenv("NNSCRATCH_BACKEND", raising=False)

    def make(name, error=None):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise {error or OSError.__name__}("
                                                      f"'lib{name}_cuda.so: cannot open shared object file')\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield make
    core._make.cache_clear()


@pytest.mark.parametrize("error", ["OSError", "RuntimeError", "ImportError",
                                   "lambda text: ModuleNotFoundError(text, name='fastrlock')"])
def test_a_broken_cupy_leaves_auto_on_numpy(broken, error):
    """A CuPy whose import raised OSError made every call that picks the default backend that OSError; one
    missing a library it needs (its ImportError, or a dependency's ModuleNotFoundError) was "not installed"."""
    broken("cupy", f"({error})")
    assert nn.get_backend("auto").name == "numpy"
    assert nn.Network.from_sizes(2, 3, 2, seed=0).backend.name == "numpy"
    with pytest.raises(BackendUnavailableError) as info:
        nn.get_backend("cupy")
    _one_line(str(info.value), "'cupy' is installed but cannot be imported", "libcupy_cuda.so",
              "reinstall it", "backend='numpy'")


def test_a_broken_torch_is_said_by_info_and_skipped_by_bench(broken, capsys):
    """info and bench died of the OSError (bench even for --backends numpy, asking every library's version)."""
    broken("torch")
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    torch_lines = out[out.index("  torch"):out.index("  array_api_strict")]
    assert "installed, not usable" in torch_lines and "OSError: libtorch_cuda.so" in torch_lines
    info = {b.name: b for b in nn.available_backends()}["torch"]
    assert info.installed and not info.usable
    assert main(["bench", "--backends", "numpy,torch", "--epochs", "1", "--samples", "64", "--batch-sizes", "32"]) == 0
    said = capsys.readouterr()
    assert "skipping torch: Backend 'torch' is installed but cannot be imported" in said.out + said.err
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--no-save", "--backend", "torch"]) == 2
    _one_line(capsys.readouterr().err, "'torch' is installed but cannot be imported", "reinstall it")


def test_a_pickle_of_a_backend_missing_here_says_how_to_move_the_model():
    """It said "... or use the numpy backend (backend='numpy' in Python ...)", which no unpickling can take."""
    import os
    import pathlib
    import pickle
    import subprocess
    pytest.importorskip("torch")
    backend = nn.get_backend("torch:cpu", dtype="float64")
    assert pickle.loads(pickle.dumps(backend)) == backend
    data = pickle.dumps(nn.Network.from_sizes(3, 4, 2, seed=0, backend=backend))
    code = ("import pickle, sys; sys.modules['torch'] = None\n"
            "from nnscratch.errors import BackendUnavailableError\n"
            "try:\n    pickle.loads(sys.stdin.buffer.read())\n"
            "except BackendUnavailableError as exc:\n    print(exc)\n")
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(nn.__file__).parents[1]))  # this tree's nnscratch
    line = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, check=True,
                          env=env).stdout.decode()
    _one_line(line, "Backend 'torch' is not installed", "made on torch:cpu and unpickles there only",
              "net.save(path)", "net.to('numpy')")


# ---------------------------------------------------------------- a dtype as any library writes it

def _dtypes():
    kinds = [(np.float32, "float32"), (np.dtype("float64"), "float64"), (np.int64, "int64"), ("int32", "int32"),
             (bool, "bool"), (np.dtype(">f4"), "float32")]
    strict = pytest.importorskip("array_api_strict")
    kinds += [(strict.float32, "float32"), (strict.int64, "int64")]
    try:
        import torch
    except ImportError:
        return kinds
    return kinds + [(torch.float64, "float64"), (torch.int32, "int32")]


@pytest.mark.parametrize("name", ["numpy", "torch:cpu", "array_api_strict:device1"])
def test_backend_asarray_takes_a_dtype_of_any_library(name):
    """``backend.asarray(x, dtype=np.float32)`` on torch was "as_tensor(): argument 'dtype' must be torch.dtype,
    not type", on array-api-strict "dtype must be one of the supported dtypes"; NumPy refused torch's."""
    if name.startswith("torch"):
        pytest.importorskip("torch")
    backend = nn.get_backend(name)
    for given, want in _dtypes():
        moved = backend.asarray(np.arange(3), dtype=given)
        assert moved.dtype == getattr(backend.xp, want) and backend.owns(moved), (given, moved.dtype)


def test_a_dtype_no_backend_has_or_its_device_lacks_is_one_line():
    with pytest.raises(ConfigError) as info:
        nn.get_backend("numpy").asarray([1, 2], dtype="float")
    _one_line(str(info.value), "Unknown dtype 'float'", "'float32'")
    no64 = nn.get_backend("array_api_strict:no_float64")
    for given in ("float64", np.float64):
        with pytest.raises(ConfigError) as info:
            no64.asarray([1.0], dtype=given)
        _one_line(str(info.value), "no float64", "dtype='float32'")


def test_a_broken_onnx_does_not_stop_reading_a_file_that_is_no_model(tmp_path, monkeypatch):
    """Telling an ONNX file from others imported onnx and caught ImportError alone: with an onnx that
    protobuf breaks (its TypeError "Descriptors cannot be created directly") loading any non-npz file said that."""
    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / "__init__.py").write_text("raise TypeError('Descriptors cannot be created directly.')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "onnx", raising=False)
    (tmp_path / "notes.txt").write_text("my notes\n")
    with pytest.raises(nn.errors.ModelFileError) as info:
        nn.Network.load(tmp_path / "notes.txt")
    _one_line(str(info.value), "not an .npz archive")


def test_a_blank_environment_variable_is_unset(monkeypatch):
    monkeypatch.setenv("NNSCRATCH_BACKEND", "  ")
    assert nn.get_backend() == nn.get_backend("auto")
    monkeypatch.setenv("NNSCRATCH_BACKEND", " array_api_strict:device2 ")
    assert str(nn.Network.from_sizes(2, 3, 2).backend) == "array_api_strict:device2"


@pytest.mark.parametrize("spec, names", [("cpu", ["'numpy'", "'torch:cpu'"]), ("CPU", ["'numpy'"]),
                                         ("mps", ["'torch:mps'"])])
def test_a_device_given_as_the_backend_names_the_backends_that_run_there(spec, names, capsys):
    """'cpu' was "Unknown backend 'cpu'; expected one of: ..." with no word of which one runs on the CPU."""
    with pytest.raises(ConfigError) as info:
        nn.get_backend(spec)
    _one_line(str(info.value), f"Unknown backend {spec!r}", "named by its array library", *names)
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--no-save", "--backend", spec]) == 2
    _one_line(capsys.readouterr().err, names[0])
