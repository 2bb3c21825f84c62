"""Honest GPU timing: the cold first epoch is never timed as training, and is reported apart."""

import types

import numpy as np
import pytest

from nnscratch import Network
from nnscratch.bench import device
from nnscratch.bench.runner import run_bench
from nnscratch.cli.app import main
from nnscratch.errors import ConfigError

SMALL = dict(samples=64, features=8, hidden=(4,), batch_sizes=(32,), epochs=1)


def test_bench_refuses_zero_epochs_and_negative_warmup(capsys):
    with pytest.raises(ConfigError, match="--epochs must be an integer of at least 1; got 0"):
        run_bench(**{**SMALL, "epochs": 0})
    with pytest.raises(ConfigError, match="--warmup must be an integer of at least 0; got -1"):
        run_bench(**{**SMALL, "warmup": -1})
    assert main(["bench", "--epochs", "0"]) == 2
    assert "--epochs: expected a whole number >= 1; received '0'" in capsys.readouterr().err  # as train says it


def test_bench_refuses_an_untimed_warmup_of_zero_on_a_gpu(monkeypatch):
    assert run_bench(**{**SMALL, "warmup": 0})["rows"]  # a CPU has no cold start to hide
    monkeypatch.setattr(device, "is_gpu", lambda backend: True)  # pretend numpy computes on a GPU
    with pytest.raises(ConfigError, match="--warmup 0 on a GPU backend \\(numpy\\).*kernel compilation.*--warmup 1"):
        run_bench(**{**SMALL, "warmup": 0})
    assert run_bench(**{**SMALL, "warmup": 1})["rows"]


def test_which_backends_are_gpus():
    gpu = lambda name, kind=None: device.is_gpu(types.SimpleNamespace(name=name, device=types.SimpleNamespace(type=kind)))  # noqa: E731
    assert gpu("cupy") and gpu("torch", "cuda") and gpu("torch", "mps")
    assert not gpu("torch", "cpu") and not gpu("numpy") and not gpu("array_api_strict")


def test_fit_keeps_the_first_epoch_apart_and_train_prints_it(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3)).astype(np.float32)
    net = Network.from_sizes(3, 4, 2, seed=0, backend="numpy")
    history = net.fit(X, (X[:, 0] > 0).astype(int), epochs=4, batch_size=8)
    assert history.params["first_epoch_seconds"] == history["seconds"][0]
    assert history.params["steady_epoch_seconds"] == history["seconds"][1:]
    assert history.timing().startswith(f"first epoch {history['seconds'][0]:.2f} s")
    assert "median of 3" in history.timing()
    assert main(["train", "--dataset", "xor", "--epochs", "3", "--no-save", "--backend", "numpy"]) == 0
    assert "first epoch" in capsys.readouterr().out
