"""This session's features crossed with the others (h6-hunt): validation_split, (n, 1) label columns,
foreign keyword hints, Adam's bias correction on resume, predict's wording, model files with layers
of one's own, and MPI. Each test failed before its fix; an ``xfail(strict=True)`` one names a defect
in a file being split elsewhere, with the fix in its reason."""

import json

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import Network
from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-error-line checks)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 4)).astype(np.float32), np.arange(40) % 3


# ---------------------------------------------------------------- nnscratch predict of every model kind
def test_predict_prints_a_regression_models_values(tmp_path, capsys):
    """An image/array model whose task is regression (identity output trained with mse on values) has no
    class: predict crashed with "TypeError: '<' not supported between instances of 'list' and 'int'"."""
    rng = np.random.default_rng(1)
    X = rng.random((30, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", X[:3])
    for units in (1, 2):
        net = Network([nn.Dense(4, units), nn.Identity()], seed=0)
        net.fit(X, X[:, :units], epochs=1, loss="mse")
        assert net.task == "regression"
        net.save(tmp_path / f"r{units}.npz")
        expected = net.predict(X[:3]).reshape(3, units)
        status, out, err = run(capsys, "predict", tmp_path / f"r{units}.npz", tmp_path / "x.npy", "--json")
        assert status == 0 and err == "", err
        values = [json.loads(line)["value"] for line in out.splitlines()]
        np.testing.assert_allclose(np.reshape(values, (3, units)), expected, rtol=1e-6)
        status, out, err = run(capsys, "predict", tmp_path / f"r{units}.npz", tmp_path / "x.npy")
        assert status == 0 and len(out.splitlines()) == 3 and "probability" not in out and "output" not in out
        assert out.splitlines()[0].startswith(f"{tmp_path / 'x.npy'}[0]: ")
    one_line(*run(capsys, "predict", tmp_path / "r1.npz", tmp_path / "x.npy", "--classes", "mnist")[::2],
             "--classes mnist", "regression model", "drop --classes")
