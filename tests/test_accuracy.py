"""Accuracy on the shipped MNIST sample (2,000 test digits), with fixed seeds, on NumPy.

- the default ``nnscratch train`` reaches at least 97.0% (the issue's floor);
- seed 001's 784-16-10 net beats its reported 89.7% (350 full-batch steps);
- seed 000's 784-256-32-10 net beats its reported 90.7% (it trained 8 per-sample epochs; 3 here).

The seeds' nets use nnscratch's defaults: minibatches of 32, Adam(lr=1e-3).

No threshold is a coin toss: floating-point rounding differs between BLAS kernels,
thread counts and CPUs, so each sits well below the lowest figure measured under
``OPENBLAS_CORETYPE=Haswell|SkylakeX|Zen|Prescott`` x ``OPENBLAS_NUM_THREADS=1|2``
(the README's accuracy table has the spreads and the commands): the default run
measured 97.70% to 98.20% over seeds 0-4 (seed 0, the one tested: 97.75-98.05%;
threshold 97.0%); seed 001's net 91.75% and seed 000's 93.2% under every setting
(thresholds: their write-ups' 89.7% and 90.7%).
"""

import json

import pytest

from nnscratch import Network
from nnscratch import cli
from nnscratch.datasets import load_mnist_sample


@pytest.fixture(scope="module")
def sample():
    return load_mnist_sample()


def test_default_train_reaches_97_percent(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("NNSCRATCH_BACKEND", raising=False)
    status = cli.main(["train", "--json", "--backend", "numpy", "--out", str(tmp_path / "m.npz")])
    result = json.loads(capsys.readouterr().out)
    assert status == 0
    assert result["layers"] == [784, 256, 128, 10] and result["epochs"] == 20
    assert result["test_accuracy"] >= 0.970, result


@pytest.mark.parametrize("sizes, epochs, reported", [
    ((784, 16, 10), 10, 0.897),          # seed 001
    ((784, 256, 32, 10), 3, 0.907),      # seed 000
])
def test_seed_architectures_beat_their_reported_accuracy(sample, sizes, epochs, reported):
    net = Network.from_sizes(*sizes, seed=0, backend="numpy")
    net.fit(sample.X_train, sample.y_train, epochs=epochs)
    accuracy = net.evaluate(sample.X_test, sample.y_test)["accuracy"]
    assert accuracy > reported, (sizes, accuracy)
