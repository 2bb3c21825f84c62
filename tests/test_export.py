"""ONNX export: onnxruntime runs the traced forward pass and agrees with predict_proba."""

import json
import subprocess
import sys

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.errors import ConfigError
from nnscratch.layers import Activation

pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install onnxruntime)")

from nnscratch.saving.onnx import to_onnx  # noqa: E402

ACTIVATIONS = ["relu", "leaky_relu", "sigmoid", "tanh", "identity"]


def trained_mlp(hidden, output, n_out=3, dtype="float32"):
    """A small MLP moved away from its initial weights by a few steps of training."""
    net = nn.Network.from_sizes(6, 12, 8, n_out, hidden=hidden, output=output, seed=3, dtype=dtype)
    X = np.random.default_rng(0).normal(size=(64, 6))
    y = X[:, :n_out] if output == "identity" else np.random.default_rng(1).integers(0, max(n_out, 2), 64)
    net.fit(X, y, epochs=3, batch_size=16)
    return net


def trained_cnn():
    """A small CNN with every image layer (BatchNorm's running statistics and Dropout's
    inference identity included), moved away from its initial weights."""
    net = nn.Network([nn.Conv2D(1, 4, 3, padding=1), nn.BatchNorm(4), nn.ReLU(), nn.MaxPool2D(2),
                      nn.Conv2D(4, 6, (3, 2), stride=2), nn.ReLU(), nn.AvgPool2D(2), nn.Flatten(),
                      nn.Dropout(0.25), nn.Dense(6 * 1 * 1, 3), nn.Softmax()], input_shape=(1, 11, 10), seed=0)
    X = np.random.default_rng(0).normal(size=(40, 1, 11, 10))
    net.fit(X, np.random.default_rng(1).integers(0, 3, 40), epochs=2, batch_size=8)
    return net


def trained_colour_cnn():
    """Colour, non-square images: an even kernel with 'same' padding, a 1x1 convolution, overlapping
    pooling that leaves odd sizes, and a convolution straight into the dense layer."""
    net = nn.Network([nn.Conv2D(3, 4, 2, padding="same"), nn.ReLU(), nn.MaxPool2D(3, 2), nn.Conv2D(4, 2, 1),
                      nn.BatchNorm(2), nn.Tanh(), nn.Flatten(), nn.Dense(2 * 3 * 5, 3), nn.Softmax()],
                     input_shape=(3, 7, 11), seed=0)
    X = np.random.default_rng(0).normal(size=(24, 3, 7, 11))
    net.fit(X, np.random.default_rng(1).integers(0, 3, 24), epochs=2, batch_size=8)
    return net


# Each case: (id, build() -> network, per-sample input shape).
OUTPUTS = ["softmax", "sigmoid", "identity"]
CASES = [(f"mlp-{h}-{o}", (lambda h=h, o=o: trained_mlp(h, o, 1 if o == "sigmoid" else 3)), (6,))
         for h, o in zip(ACTIVATIONS, OUTPUTS * 2)]  # every activation as hidden and as output layer
CASES.append(("mlp-float64", lambda: trained_mlp("tanh", "softmax", dtype="float64"), (6,)))
CASES.append(("cnn", trained_cnn, (1, 11, 10)))
CASES.append(("cnn-colour", trained_colour_cnn, (3, 7, 11)))


def run_onnx(model, X):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": X})[0]


@pytest.mark.parametrize("build, shape", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_onnxruntime_matches_predict_proba(build, shape):
    net = build()
    model = to_onnx(net)
    X = np.random.default_rng(7).normal(size=(37, *shape)).astype(net.backend.dtype_name)
    for n in (1, 37):  # one model, any batch size
        expected = net.backend.to_numpy(net.predict_proba(X[:n]))
        got = run_onnx(model, X[:n])
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_the_batch_dimension_is_symbolic_and_metadata_is_kept():
    net = nn.Network.from_sizes(4, 5, 2, seed=0, metadata={"classes": ["cat", "dog"]})
    model = to_onnx(net)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and not dims[0].dim_value and dims[1].dim_value == 4
    props = {p.key: p.value for p in model.metadata_props}
    assert '"dog"' in props["nnscratch_metadata"] and props["nnscratch_version"] == nn.__version__


def test_export_leaves_the_network_untouched_and_works_from_torch():
    torch = pytest.importorskip("torch")
    net = trained_mlp("relu", "softmax").to("torch:cpu")
    before = [w.copy() for w in net.get_weights()]
    X = np.random.default_rng(2).normal(size=(5, 6)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(net.export_onnx(), X), net.predict_proba(X).numpy(), rtol=1e-5, atol=1e-5)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.get_weights()))
    assert all(isinstance(p.value, torch.Tensor) for p in net.parameters())


class HostOnly(Activation):
    """A layer whose forward reads a value back to the host: not traceable."""

    def _f(self, xp, x):
        return x / float(xp.max(xp.abs(x)))


def test_a_layer_that_cannot_be_traced_is_named():
    net = nn.Network([nn.Dense(3, 4), HostOnly(), nn.Dense(4, 2)], seed=0)
    with pytest.raises(ConfigError, match=r"Layer 1 \(HostOnly\) cannot be exported to ONNX"):
        to_onnx(net)


def test_export_command(tmp_path):
    net = trained_mlp("tanh", "softmax")
    net.save(tmp_path / "model.npz")
    out = subprocess.run([sys.executable, "-m", "nnscratch", "export", str(tmp_path / "model.npz"),
                          str(tmp_path / "model.onnx")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "input 'input' (N, 6) float32" in out.stdout
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    X = np.random.default_rng(3).normal(size=(9, 6)).astype(np.float32)
    np.testing.assert_allclose(session.run(None, {"input": X})[0], net.predict_proba(X), rtol=1e-5, atol=1e-5)
    missing = subprocess.run([sys.executable, "-m", "nnscratch", "export", str(tmp_path / "nope.npz"),
                              str(tmp_path / "x.onnx")], capture_output=True, text=True)
    assert missing.returncode == 2 and "nope.npz" in missing.stderr and not (tmp_path / "x.onnx").exists()


def test_a_table_model_exports_its_standardisation():
    """A model trained on standardised table columns takes raw rows in ONNX, as in predict."""
    from nnscratch.saving.standardizer import KEY, Standardizer, standardize_for
    rng = np.random.default_rng(4)
    X = rng.normal(loc=[100.0, -5.0, 0.0], scale=[30.0, 2.0, 0.1], size=(50, 3))
    scaler = Standardizer().fit(X)
    net = nn.Network.from_sizes(3, 6, 2, seed=0, metadata={KEY: scaler.to_metadata()})
    net.fit(scaler.transform(X), (X[:, 0] > 100).astype(np.int64), epochs=2, batch_size=10)
    raw = X[:7]  # float64 rows, as the table reader gives them
    expected = net.backend.to_numpy(net.predict_proba(standardize_for(net, raw)))
    np.testing.assert_allclose(run_onnx(to_onnx(net), raw), expected, rtol=1e-5, atol=1e-5)


def test_a_table_column_of_large_values_keeps_its_spread_in_onnx_as_in_predict(tmp_path, capsys):
    """Timestamps in milliseconds (1.7e12 +- 1e5): float32 holds them to 131,072, so a float32 graph input
    turned every row into one or two values (50% accuracy); the graph takes float64 rows, as predict reads
    them, and both agree with the labels."""
    from nnscratch import cli
    rng = np.random.default_rng(0)
    stamps = 1.7e12 + rng.integers(0, 100_000, 200).astype(np.float64)
    label = (stamps > np.median(stamps)).astype(int)
    path = tmp_path / "times.csv"
    path.write_text("stamp,late\n" + "".join(f"{s:.0f},{c}\n" for s, c in zip(stamps, label)))
    model, onnx_file = str(tmp_path / "t.npz"), str(tmp_path / "t.onnx")
    assert cli.main(["train", "--dataset", f"csv:{path}", "--out", model, "--quiet"]) == 0
    assert cli.main(["export", model, onnx_file]) == 0
    out = capsys.readouterr().out
    assert "(N, 1) float64" in out and "raw feature values in the columns stamp" in out
    session = ort.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])
    assert (session.run(None, {"input": stamps[:, None]})[0].argmax(axis=1) == label).mean() > 0.9
    assert cli.main(["predict", model, str(path), "--json"]) == 0
    predicted = [json.loads(line)["class"] for line in capsys.readouterr().out.splitlines()]
    assert (np.array(predicted) == label).mean() > 0.9


@pytest.mark.parametrize("loss, n_out, link", [("cross_entropy", 3, "softmax"), ("binary_cross_entropy", 1, "sigmoid"),
                                               ("mse", 2, None)])
def test_a_logit_output_exports_what_predict_proba_gives(loss, n_out, link):
    """Issue 20, item 7: an Identity output trained with cross-entropy exported its logits
    (rows summing to anything); the graph now ends with predict_proba's softmax (sigmoid)."""
    net = nn.Network.from_sizes(6, 8, n_out, output="identity", seed=1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6)).astype(np.float32)
    y = X[:, :n_out] if link is None else rng.integers(0, max(n_out, 2), 40)
    net.fit(X, y, loss=loss, epochs=2, batch_size=8)
    got = run_onnx(to_onnx(net), X)
    np.testing.assert_allclose(got, net.predict_proba(X), rtol=1e-5, atol=1e-6)
    logits = net.forward(X)
    if link == "softmax":
        np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)
    if link is not None:
        assert np.abs(got - logits).max() > 0.1
    else:
        np.testing.assert_allclose(got, logits, rtol=1e-5, atol=1e-6)


def test_a_network_of_open_input_sizes_exports_for_a_given_shape():
    net = nn.Network([nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(2 * 3 * 4, 2),
                      nn.Softmax()], seed=0)
    with pytest.raises(ConfigError, match=r"sizes the data decides.*to_onnx\(net, input_shape=\(1, 28, 28\)\)"):
        to_onnx(net)
    with pytest.raises(ConfigError, match=r"input_shape=\(2, 6, 8\) does not fit"):
        to_onnx(net, input_shape=(2, 6, 8))
    with pytest.raises(ConfigError, match=r"receives 18; use Dense\(18, 2\)"):
        to_onnx(net, input_shape=(1, 6, 6))
    X = np.random.default_rng(0).normal(size=(5, 1, 6, 8)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(to_onnx(net, input_shape=(1, 6, 8)), X), net.predict_proba(X),
                               rtol=1e-5, atol=1e-6)
