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
