"""Training where it meets the rest: binary cross-entropy's gradient in the sigmoid's tails, and
``evaluate``'s regression figures on float64 targets beside a float32 network."""

import numpy as np
import pytest

from nnscratch import Network
from nnscratch.losses import BinaryCrossEntropy


def test_bce_gradient_keeps_small_probabilities(backend):
    """dL/dz = (sigmoid(z) - y) / n for confident right predictions (y = 0, z very negative): the tanh
    form gave exactly 0 below z = -17 in float32; now sigmoid(z) to a few ulp, as the Sigmoid layer."""
    z = np.array([[-20.0], [-40.0], [-80.0], [-100.0], [0.5], [30.0], [100.0], [1000.0]])
    y = np.array([[0.0], [0.0], [0.0], [0.0], [1.0], [1.0], [0.0], [1.0]])
    exact = (np.exp(-np.logaddexp(0.0, -z)) - y) / len(z)
    got = backend.to_numpy(BinaryCrossEntropy().gradient(*(backend.asarray(a, dtype=backend.dtype) for a in (z, y))))
    eps = float(np.finfo(backend.to_numpy(backend.asarray(0.0, dtype=backend.dtype)).dtype).eps)
    small = z[:, 0] < -87  # sigmoid(z) below float32's normal numbers: 0 or a subnormal
    near_one = (z[:, 0] > 0) & (y[:, 0] == 1)  # p - 1 cancels in every float (and in PyTorch's): to eps
    tails = ~small & ~near_one
    np.testing.assert_allclose(got[tails], exact[tails].astype(got.dtype), rtol=8 * eps, atol=0)
    assert np.all(np.abs(got[small] - exact[small]) < 1e-37) and np.all(np.isfinite(got))
    assert np.all(np.abs(got[near_one] - exact[near_one]) <= eps / len(z))


def test_bce_gradient_equals_torch_autograd_in_float64():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.uniform(-60, 60, (40, 3)), np.array([[-700.0, 700.0, -35.0]])])
    y = rng.integers(0, 2, z.shape).astype(np.float64)
    zt = torch.tensor(z, requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.tensor(y)).backward()
    got, want = BinaryCrossEntropy().gradient(z, y), zt.grad.numpy()
    cancels = (y == 1) & (z > 0)  # p - 1 near 0: both to an ulp of 1 / n; the rest to 1e-14, tails too
    np.testing.assert_allclose(got[~cancels], want[~cancels], rtol=1e-14, atol=0)
    np.testing.assert_allclose(got[cancels], want[cancels], rtol=0, atol=2 * np.finfo(np.float64).eps / z.size)


@pytest.mark.parametrize("spec, ceiling", [("torch:cpu", 34), ("array_api_strict", 41)])
def test_bce_step_has_no_more_operations(spec, ceiling):
    """A binary MLP's training step (Sigmoid output, fused binary cross-entropy): the accurate
    sigmoid costs the 6 operations of the tanh form (34 on PyTorch, 40.7 on array-api-strict)."""
    from nnscratch.bench.counting import count_step
    from nnscratch.errors import BackendUnavailableError

    try:
        counted = count_step(spec, sizes=(12, 16, 8, 1), batch_size=16, optimizer="sgd", batches=3)
    except BackendUnavailableError as exc:
        pytest.skip(str(exc))
    assert counted["ops"] <= ceiling, counted["by_op"]


@pytest.mark.parametrize("shape", [(-1,), (-1, 1)], ids=["flat", "column"])
def test_evaluate_scores_float64_targets_as_scikit_learn(backend, shape):
    """A float32 regression network scored on float64 targets 1000 +- 0.01: R^2, MAE and RMSE of
    ``predict(X)`` against the targets as given (they were rounded to float32 first: R^2 1e-5 off)."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3)).astype(np.float32)
    y = 1000.0 + X @ np.array([0.3, -0.2, 0.1]) + 0.01 * rng.standard_normal(200)
    net = Network.from_sizes(3, 8, 1, seed=0, output=None, backend=backend)
    figures = net.evaluate(X, y.reshape(shape))
    p = backend.to_numpy(net.predict(X))[:, 0].astype(np.float64)
    assert figures["r2"] == pytest.approx(r2_score(y, p), rel=1e-12)
    assert figures["mae"] == pytest.approx(mean_absolute_error(y, p), rel=1e-12)
    assert figures["rmse"] == pytest.approx(mean_squared_error(y, p) ** 0.5, rel=1e-12)


def _tiny(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(14, 5)), rng.integers(0, 3, 14)  # batches of 5: 3 steps per epoch


def test_a_cosine_schedule_ending_before_the_run_is_said(recwarn):
    """total counted in epochs (6 steps of a 15-step run), then a second fit with the spent schedule:
    their steps trained at lr 0 in silence (the loss stayed put), as the resumed run's case is said."""
    from nnscratch import SGD, Cosine

    X, y = _tiny()
    net = Network.from_sizes(5, 4, 3, seed=2)
    with pytest.warns(UserWarning, match=r"ends after total=6 steps, so 9 of this run's 15 steps \(5 epochs of 3 "
                                         r"batches\) train at min_lr=0, where the weights do not change; .*total=15"):
        net.fit(X, y, epochs=5, batch_size=5, optimizer=SGD(lr=Cosine(0.1, total=6)))
    before = [np.copy(p.value) for p in net.parameters()]
    with pytest.warns(UserWarning, match=r"taken 15 already, so 6 of this run's 6 steps .* pass a new optimizer"):
        net.fit(X, y, epochs=2, batch_size=5)
    assert all(np.array_equal(a, p.value) for a, p in zip(before, net.parameters()))


def test_one_epoch_fits_sharing_a_cosine_within_its_total_say_nothing(recwarn):
    from nnscratch import SGD, Cosine

    X, y = _tiny()
    net, optimizer = Network.from_sizes(5, 4, 3, seed=2), SGD(lr=Cosine(0.1, total=15, warmup=2))
    for _ in range(5):
        net.fit(X, y, epochs=1, batch_size=5, optimizer=optimizer)
    assert optimizer.t == 15 and not [w for w in recwarn if "cosine" in str(w.message)]


def test_a_resumed_cosine_ending_early_is_said_once(tmp_path, recwarn):
    from nnscratch import SGD, Cosine

    X, y, path = *_tiny(), tmp_path / "run.npz"
    Network.from_sizes(5, 4, 3, seed=2).fit(X, y, epochs=2, batch_size=5, optimizer=SGD(lr=Cosine(0.1, total=9)),
                                            checkpoint=path)
    Network.from_sizes(5, 4, 3, seed=2).fit(X, y, epochs=5, batch_size=5, resume=path)
    said = [str(w.message) for w in recwarn if "cosine" in str(w.message)]
    assert len(said) == 1 and "ends after 9 steps, 6 steps before this run does" in said[0], said
    Network.from_sizes(5, 4, 3, seed=2).fit(X, y, epochs=5, batch_size=5, resume=path,
                                            optimizer=SGD(lr=Cosine(0.1, total=9)))  # given: said here
    said = [str(w.message) for w in recwarn if "cosine" in str(w.message)]
    assert len(said) == 2 and "taken 6 already, so 6 of this run's 9 steps" in said[1], said


@pytest.mark.parametrize("make", ["EarlyStopping", "ReduceLROnPlateau"])
def test_keras_patience_zero_names_its_equivalent(make):
    """Keras's EarlyStopping default patience=0 (stop at the first epoch without improvement) is
    patience=1 here; the refusal said 'Pass e.g. patience=10'."""
    import nnscratch
    from nnscratch.errors import ConfigError

    with pytest.raises(ConfigError, match=r"patience=0 acts at the first epoch without improvement, which is "
                                          r"patience=1 here: pass patience=1"):
        getattr(nnscratch, make)(patience=0)
    assert getattr(nnscratch, make)(patience=1).patience == 1


def test_an_unbuilt_sigmoid_on_float64_keeps_float64s_range():
    """predict_proba's link after logits is a Sigmoid never built: it kept float32's floor (-87) on float64
    data, so p(-100) was 1.6e-38 instead of 3.7e-44."""
    from nnscratch.layers import Sigmoid
    p = Sigmoid().forward(np.array([[-100.0, 0.0, 30.0]]))
    np.testing.assert_allclose(p, 1 / (1 + np.exp([[100.0, 0.0, -30.0]])), rtol=1e-15)
    p32 = Sigmoid().forward(np.array([[-100.0]], dtype=np.float32))
    assert p32.dtype == np.float32 and 0 < p32[0, 0] < 1e-37
