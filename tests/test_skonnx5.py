"""Today's training changes (divergence guard with optimizer state, regression figures, image targets)
where they meet the scikit-learn estimators and the ONNX export."""

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install 'nnscratch[sklearn]')")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor  # noqa: E402

from nnscratch.sklearn import MLPRegressor  # noqa: E402


def _diverging_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    return X * 3, (X @ [1.0, 2, -1, 0.5] + 0.1 * rng.normal(size=200)) * 30


def test_early_stopping_ends_a_diverged_fit_on_its_best_validation_epoch_as_scikit_learn_does():
    """SGD that improves for four epochs, then blows up: scikit-learn's MLP goes on with NaN scores that
    never beat the best and ends on the best validation epoch's weights. The estimator raised instead,
    keeping the last finite weights (R^2 about -1e30) while best_validation_score_ said 0.99."""
    X, y = _diverging_data()
    options = dict(hidden_layer_sizes=(8,), max_iter=40, solver="sgd", learning_rate_init=0.002, momentum=0.99,
                   batch_size=20, early_stopping=True, random_state=0)
    ours, theirs = MLPRegressor(**options), SklearnMLPRegressor(**options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours.fit(X, y)
        theirs.fit(X, y)
    said = [str(w.message) for w in caught if w.category is ConvergenceWarning and "non-finite" in str(w.message)]
    assert len(said) == 1 and "best validation score" in said[0] and "learning_rate_init=0.002" in said[0]
    assert ours.n_iter_ < options["max_iter"] and np.isfinite(ours.validation_scores_).all()
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=1e-9)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), rel=1e-9) and ours.score(X, y) > 0.9


def test_a_diverged_fit_without_early_stopping_still_raises_and_a_fresh_fit_starts_over():
    """No early stopping: a ValueError (scikit-learn's kind) keeping the last finite weights; the next fit
    (warm_start=False) starts from new weights and a new optimizer, as scikit-learn's does."""
    X, y = _diverging_data()
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=40, solver="sgd", learning_rate_init=0.002, momentum=0.99,
                       batch_size=20, random_state=0)
    with pytest.raises(ValueError, match="non-finite parameter weights in epoch"):
        est.fit(X, y)
    assert all(np.isfinite(c).all() for c in est.coefs_)
    est.set_params(learning_rate_init=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    reference = SklearnMLPRegressor(hidden_layer_sizes=(8,), max_iter=40, solver="sgd", learning_rate_init=1e-4,
                                    momentum=0.99, batch_size=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X, y)
    np.testing.assert_allclose(est.coefs_[0], reference.coefs_[0], rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------------ ONNX
def _onnx():
    pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
    return pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install onnxruntime)")


def _runs_as_predict(model, net, X, rows=None):
    """onnxruntime on ``model`` gives ``net.predict_proba`` at batch sizes 1 and 7 (float32 tolerance);
    ``rows``: what the graph takes instead of ``X`` (a table model's raw rows)."""
    session = _onnx().InferenceSession(model.SerializeToString())
    for n in (1, 7):
        given = X[:n] if rows is None else rows[:n]
        out = session.run(None, {"input": given})[0]
        expected = np.asarray(net.predict_proba(X[:n]))
        assert out.shape == expected.shape
        np.testing.assert_allclose(out, expected, rtol=2e-5, atol=2e-5 * float(np.abs(expected).max()))


def _graph_dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_the_graph_declares_its_output_shape_with_the_inputs_batch_dimension():
    """A one-column regression's graph said its output was (?, ?): ndonnx's shape inference dropped the 1
    and no output dimension was the input's N. Declared now, and onnx's strict shape inference agrees."""
    _onnx()
    import onnx
    import nnscratch as nn
    from nnscratch.saving.onnx import to_onnx
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    for output, units, y in (("identity", 1, X @ np.float32([1, 2, 3]) + 100), ("sigmoid", 1, X[:, 0] > 0),
                             ("softmax", 3, np.arange(40) % 3)):
        net = nn.Network.from_sizes(3, 8, units, hidden="relu", output=output, seed=0, dtype="float32")
        net.fit(X, y, epochs=2, batch_size=8)
        model = to_onnx(net)
        assert _graph_dims(model.graph.output[0]) == ["N", units] and _graph_dims(model.graph.input[0]) == ["N", 3]
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
        _runs_as_predict(model, net, X)


def _python_model(kind):
    import nnscratch as nn
    rng = np.random.default_rng(1)
    if kind == "image-to-image":  # convolutions to the end, flattened: targets (n, 1, 8, 8) given as rows
        X = rng.random((20, 1, 8, 8)).astype(np.float32)
        net = nn.Network([nn.Conv2D(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2D(4, 1, 3, padding=1), nn.Flatten()],
                         input_shape=(1, 8, 8), seed=0, dtype="float32")
        history = net.fit(X, (5000 + 2000 * X).reshape(20, -1), epochs=2, batch_size=8, loss="mse")
        assert "r2" in history.history and "mae" in history.history  # a regression, scored as one
        return net, X
    X = rng.normal(size=(30, 5)).astype(np.float32)
    net = nn.Network([nn.Dense(5, 8), nn.BatchNorm(8), nn.ReLU(), nn.Dropout(0.3), nn.Dense(8, 1), nn.Sigmoid()],
                     seed=0, dtype="float32")
    net.fit(X, X[:, 0] > 0, epochs=2, batch_size=8)
    return net, X


@pytest.mark.parametrize("kind", ["image-to-image", "batchnorm-dropout-sigmoid"])
def test_models_of_todays_kinds_export_as_they_predict(kind):
    _onnx()
    from nnscratch.saving.onnx import to_onnx
    net, X = _python_model(kind)
    model = to_onnx(net)
    assert _graph_dims(model.graph.output[0]) == ["N", *net.output_shape]
    _runs_as_predict(model, net, X)


def test_the_cli_image_to_image_spec_exports_in_the_targets_units(tmp_path, capsys):
    """``--layers conv8x3p1,relu,conv1x3p1`` on (n, 1, H, W) targets: the spec ends with flatten,identity,
    the targets' scale is folded into the last convolution, and the graph gives predict's values. export
    said its input rows were 'raw feature values in the columns x0, x1, ...' (names the user never gave);
    it says they are the images flattened."""
    _onnx()
    import nnscratch as nn
    from nnscratch import cli
    from nnscratch.saving.onnx import to_onnx
    from nnscratch.saving.standardizer import standardize_for
    rng = np.random.default_rng(0)
    X = rng.random((40, 1, 6, 6)).astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", (5000 + 2000 * np.roll(X, 1, axis=3)).astype(np.float32))
    model = tmp_path / "m.npz"
    assert cli.main(["train", "--dataset", f"npy:{tmp_path / 'X.npy'},{tmp_path / 'y.npy'}", "--layers",
                     "conv8x3p1,relu,conv1x3p1", "--epochs", "2", "--out", str(model), "--quiet"]) == 0
    assert cli.main(["export", str(model), str(tmp_path / "m.onnx")]) == 0
    said = capsys.readouterr().out
    assert "output 'output' (N, 36)" in said
    assert "raw values of 1x6x6 images, each flattened" in said and "columns x0" not in said  # not a table's
    net = nn.Network.load(model)
    rows = X.reshape(40, -1).astype(np.float64)  # the graph standardises raw rows as predict does
    assert float(np.abs(np.asarray(net.predict(standardize_for(net, rows[:7])))).mean()) > 1000  # target units
    session = _onnx().InferenceSession(str(tmp_path / "m.onnx"))
    for n in (1, 7):
        expected = np.asarray(net.predict(standardize_for(net, rows[:n])))
        np.testing.assert_allclose(session.run(None, {"input": rows[:n]})[0], expected, rtol=1e-5)
    assert _graph_dims(to_onnx(net).graph.output[0]) == ["N", 36]


def _custom_network(forward):
    import nnscratch as nn
    from nnscratch.layers import Layer

    class Custom(Layer):
        def forward(self, x, training=False):
            return forward(x)

        def backward(self, grad):
            return grad
    return nn.Network([nn.Dense(3, 2), Custom()], seed=0, dtype="float32")


def test_a_layer_that_changes_the_shape_unannounced_keeps_the_traced_output_shape():
    """A custom layer that adds columns without an ``output_shape``: the network believes (2,), the graph
    computes 4 columns; the declared shape stays the traced one, so onnxruntime runs without a mismatch."""
    _onnx()
    from array_api_compat import array_namespace
    from nnscratch.saving.onnx import to_onnx
    net = _custom_network(lambda x: array_namespace(x).concat([x, x], axis=1))
    model = to_onnx(net)
    assert _graph_dims(model.graph.output[0])[1] == 4
    out = _onnx().InferenceSession(model.SerializeToString()).run(None, {"input": np.ones((7, 3), np.float32)})[0]
    assert out.shape == (7, 4)


def test_a_layer_that_cannot_be_traced_is_refused_in_one_line():
    """onnx's shape-inference error spans lines; the refusal quoted it whole (the CLI printed a second line)."""
    _onnx()
    from array_api_compat import array_namespace
    from nnscratch.errors import ConfigError
    from nnscratch.saving.onnx import to_onnx
    net = _custom_network(lambda x: x @ array_namespace(x).ones((5, 5), dtype=x.dtype))
    with pytest.raises(ConfigError, match="Layer 1 \\(Custom\\) cannot be exported to ONNX") as caught:
        to_onnx(net)
    assert "\n" not in str(caught.value) and "MatMul" in str(caught.value)


def test_a_diverged_partial_fit_keeps_the_state_before_it_and_says_how_to_go_on_at_a_smaller_rate():
    """partial_fit keeps its first call's optimizer (as scikit-learn's), so 'try learning_rate_init=0.001'
    changed nothing there; and 'in epoch 1' was said of any call. The weights and the optimizer's velocity
    and step count are those from before the call; the advice given works."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X[:, 0]
    est = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.01, random_state=0)
    for _ in range(3):
        est.partial_fit(X, y)
    before = [a.copy() for a in est.coefs_ + est.intercepts_]
    state = {k: {s: a.copy() for s, a in slots.items()} for k, slots in est._optimizer.state.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow, on the way to the refusal
        with pytest.raises(ValueError, match="in this partial_fit call") as caught:
            est.partial_fit(X, y * 1e300)
    message = str(caught.value)
    assert "\n" not in message and "set_params(warm_start=True, learning_rate_init=0.001).fit(X, y)" in message
    assert all(np.array_equal(a, b) for a, b in zip(est.coefs_ + est.intercepts_, before))
    assert est._optimizer.t == 3 and len(est.loss_curve_) == 3 and est.t_ == 180
    assert all(np.array_equal(est._optimizer.state[k][s], a) for k, slots in state.items() for s, a in slots.items())
    est.set_params(warm_start=True, learning_rate_init=0.001)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est._optimizer.learning_rate == 0.001 and all(np.isfinite(a).all() for a in est.coefs_)
