"""Numerics at the edges: optimizers, schedules and clipping against torch.optim, losses against
torch.nn.functional, metrics against their float64 definitions, and the dtypes a float32 network
is given. Torch tests skip where torch is not installed (CI has none)."""

import math

import numpy as np
import pytest

from nnscratch import SGD, Adam, Cosine, Exponential, Network, RMSProp, StepDecay, get_backend, metrics
from nnscratch.errors import ConfigError, DataError
from nnscratch.layers import Parameter
from nnscratch.losses import get_loss
from nnscratch.optim.clip import clip_by_global_norm

F64 = get_backend("numpy", dtype="float64")
W0 = np.random.default_rng(0).normal(size=(4, 3))


def _gradient(w, k):
    """A gradient that depends on the weights and the step, so that trajectories can part."""
    return np.cos(w * (k + 1)) + 0.1 * w ** 3


def _ours(optimizer, steps=15):
    p = Parameter("w", F64.asarray(W0.copy()))
    for k in range(steps):
        p.grad = F64.asarray(_gradient(F64.to_numpy(p.value), k))
        optimizer.step([p])
    return F64.to_numpy(p.value)


def _theirs(torch, make, schedule=None, steps=15):
    w = torch.tensor(W0.copy(), requires_grad=True)
    optimizer = make([w])
    scheduler = schedule(optimizer) if schedule else None
    for k in range(steps):
        w.grad = torch.from_numpy(_gradient(w.detach().numpy(), k))
        optimizer.step()
        if scheduler:
            scheduler.step()
    return w.detach().numpy()


RULES = {  # ours, torch's: every option, with and without weight decay (L2 in both)
    "sgd": (lambda: SGD(lr=0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
    "sgd-wd": (lambda: SGD(lr=0.1, weight_decay=0.1), lambda t, p: t.optim.SGD(p, lr=0.1, weight_decay=0.1)),
    "momentum-wd": (lambda: SGD(lr=0.1, momentum=0.9, weight_decay=0.05),
                    lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.05)),
    "nesterov-wd": (lambda: SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05),
                    lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    "adam": (lambda: Adam(lr=0.01), lambda t, p: t.optim.Adam(p, lr=0.01)),
    "adam-wd": (lambda: Adam(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-3, weight_decay=0.1),
                lambda t, p: t.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.1)),
    "rmsprop": (lambda: RMSProp(lr=0.01), lambda t, p: t.optim.RMSprop(p, lr=0.01, alpha=0.9)),
    "rmsprop-wd": (lambda: RMSProp(lr=0.01, rho=0.5, eps=1e-2, weight_decay=0.1),
                   lambda t, p: t.optim.RMSprop(p, lr=0.01, alpha=0.5, eps=1e-2, weight_decay=0.1)),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_update_rule_follows_torch_optim_in_float64(rule):
    torch = pytest.importorskip("torch")
    ours, theirs = RULES[rule]
    np.testing.assert_allclose(_ours(ours()), _theirs(torch, lambda p: theirs(torch, p)), rtol=0, atol=1e-13)


SCHEDULES = {
    "step": (lambda: StepDecay(0.5, step_size=3, gamma=0.5), lambda t, o: t.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    "exponential": (lambda: Exponential(0.5, gamma=0.9), lambda t, o: t.optim.lr_scheduler.ExponentialLR(o, 0.9)),
    "cosine": (lambda: Cosine(0.5, total=10, min_lr=0.01),
               lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, 10, eta_min=0.01)),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_follow_torchs_schedulers_step_by_step(name):
    torch = pytest.importorskip("torch")
    ours, theirs = SCHEDULES[name]
    # 10 steps: past a cosine's ``total`` torch's rises again (a period of 2 total), ours holds min_lr as Keras's
    got = _ours(SGD(lr=ours(), momentum=0.9), steps=10)
    want = _theirs(torch, lambda p: torch.optim.SGD(p, lr=0.5, momentum=0.9), lambda o: theirs(torch, o), steps=10)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)


@pytest.mark.parametrize("grads", [[np.zeros(3), np.zeros((2, 2))], [np.array([3.0, 4.0]), np.array([[12.0]])],
                                   [np.array([1e-7, 0.0])]], ids=["zeros", "clipped", "tiny"])
def test_clipping_is_torchs_clip_grad_norm_with_its_eps(grads):
    torch = pytest.importorskip("torch")
    tensors = [torch.tensor(g.copy(), requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g.copy())
    torch.nn.utils.clip_grad_norm_(tensors, 1.0)
    for ours, t in zip(clip_by_global_norm([g.copy() for g in grads], 1.0), tensors):
        np.testing.assert_allclose(ours, t.grad.numpy(), rtol=0, atol=1e-15)


def _torch_losses(torch):
    f = torch.nn.functional
    return {"cross_entropy": f.cross_entropy, "binary_cross_entropy": f.binary_cross_entropy_with_logits,
            "mse": f.mse_loss, "sse": lambda z, y: 0.5 * ((z - y) ** 2).sum() / z.shape[0]}


LOSS_CASES = {  # logits, targets
    "extreme": (np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]]), np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])),
    "soft": (np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]]), np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])),
    "one-sample": (np.array([[0.3, -2.0, 1.5]]), np.array([[0.0, 0.0, 1.0]])),
}


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy", "mse", "sse"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_losses_and_gradients_are_torchs(name, case, dtype):
    torch = pytest.importorskip("torch")
    z, y = (a.astype(dtype) for a in LOSS_CASES[case])
    value, grad = get_loss(name)(z, y)
    tz = torch.tensor(z, requires_grad=True)
    want = _torch_losses(torch)[name](tz, torch.tensor(y))
    want.backward()
    assert value.dtype == grad.dtype == np.dtype(dtype)
    tol = {"float32": 1e-6, "float64": 1e-14}[dtype]
    assert float(value) == pytest.approx(want.item(), rel=tol, abs=tol)
    np.testing.assert_allclose(grad, tz.grad.numpy(), rtol=tol, atol=tol)


# ---------------------------------------------------------------- defects found and fixed
def test_loading_another_optimizers_state_is_one_clear_error():
    """Adam().load_state_dict(momentum_sgd.state_dict()) was accepted, and the next step failed inside
    Adam's update with KeyError: 'm'."""
    p = Parameter("w", F64.asarray(W0.copy()))
    p.grad = F64.asarray(W0.copy())
    sgd = SGD(lr=0.1, momentum=0.9)
    sgd.step([p])
    with pytest.raises(ConfigError, match=r"holds slots momentum.*Adam keeps m, v.*config"):
        Adam().load_state_dict(sgd.state_dict())
    same = SGD(lr=0.1, momentum=0.9)  # the same kind, and state-less SGD, load as before
    same.load_state_dict(sgd.state_dict())
    SGD(lr=0.1, momentum=0.9).load_state_dict(SGD(lr=0.1).state_dict())
    same.step([p])
    assert same.t == 2


def test_setting_lr_to_a_numpy_float_scales_the_cosines_min_lr():
    """opt.lr = np.float32(0.05) (a rate read off an array) left min_lr where it was, or refused the rate
    below it; a Python float scaled it."""
    for value in (0.05, np.float32(0.05), np.float64(0.05)):
        opt = Adam(lr=Cosine(0.1, total=10, min_lr=0.02))
        opt.lr = value
        assert opt.schedule.min_lr == pytest.approx(0.01)
    opt = Adam(lr=Cosine(0.1, total=10, min_lr=0.05))
    opt.lr = np.float32(0.01)
    assert opt.schedule.min_lr == pytest.approx(0.005)


@pytest.mark.parametrize("where", ["y_true", "y_pred"])
def test_r2_of_nan_is_nan_as_rmse_and_mae_are(where):
    """A NaN target scored R^2 = 0.0 (its column looked constant and mispredicted), where MAE and RMSE
    gave NaN; constant columns still score as scikit-learn's."""
    y, f = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])
    bad = np.array([1.0, np.nan, 3.0])
    args = (bad, f) if where == "y_true" else (y, bad)
    assert all(math.isnan(score(*args)) for score in (metrics.r2, metrics.mae, metrics.rmse))
    assert math.isnan(metrics.r2(np.ones(3), np.array([1.0, np.nan, 1.0])))
    assert metrics.r2(np.ones(3), np.ones(3)) == 1.0 and metrics.r2(np.ones(3), f) == 0.0


def test_float64_targets_beside_float32_predictions_keep_their_digits():
    """r2(y_test, net.predict(X_test)): float32 predictions rounded float64 targets to float32 first,
    so targets near 1e4 scored R^2 off in the fifth digit from scikit-learn's (and MAE in the fourth)."""
    rng = np.random.default_rng(0)
    y = 1e4 + rng.normal(size=20)
    f = (y + 0.3 * rng.normal(size=20)).astype(np.float32)
    exact = f.astype(np.float64)
    sse, sst = np.sum((y - exact) ** 2), np.sum((y - y.mean()) ** 2)
    assert metrics.r2(y, f) == pytest.approx(1 - sse / sst, rel=1e-12)
    for args in ((y, f), (f, y)):  # either side float32
        assert metrics.mae(*args) == pytest.approx(np.mean(np.abs(y - exact)), rel=1e-12)
        assert metrics.rmse(*args) == pytest.approx(np.sqrt(sse / 20), rel=1e-12)


def test_float64_targets_keep_their_digits_beside_a_devices_float32_predictions():
    torch = pytest.importorskip("torch")
    y = 1e4 + np.random.default_rng(1).normal(size=20)
    f = (y + 0.5).astype(np.float32)
    assert metrics.mae(y, torch.from_numpy(f)) == pytest.approx(np.mean(np.abs(f.astype(np.float64) - y)), rel=1e-12)


@pytest.mark.parametrize("y_true,y_pred,name", [
    (np.array([0, 1, 1]), np.array([0.2, 0.9, 0.6]), "y_pred"),
    (np.array([0.5, 1.0]), np.array([0.5, 1.0]), "y_true"),
    (np.array([0.0, 1.0]), np.array([np.nan, 1.0]), "y_pred"),
])
def test_accuracy_refuses_values_that_are_not_labels(y_true, y_pred, name):
    """Probabilities against labels scored 0.0 (nothing equal), and equal regression values 1.0, where
    scikit-learn refuses continuous targets; whole-number floats are labels as before."""
    with pytest.raises(DataError, match=f"class labels, and {name} holds values that are not whole"):
        metrics.accuracy(y_true, y_pred)
    assert metrics.accuracy(np.array([0.0, 1.0, 2.0]), np.array([0, 1, 1])) == pytest.approx(2 / 3)


@pytest.mark.parametrize("x_dtype", ["float64", "float16", "int64", "uint8", "bool"])
@pytest.mark.parametrize("y_dtype", ["float64", "float16", "int64", "uint8", "bool"])
def test_a_float32_network_stays_float32_whatever_dtypes_it_is_given(x_dtype, y_dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 3))
    X = X > 0 if x_dtype == "bool" else np.clip(np.round(X), 0, 1).astype(x_dtype) \
        if x_dtype in ("int64", "uint8") else X.astype(x_dtype)
    y = (rng.normal(size=24) > 0).astype(y_dtype)
    for output, n_out in (("softmax", 2), ("identity", 1)):
        net = Network.from_sizes(3, 4, n_out, output=output, seed=0)
        net.fit(X, y, epochs=2, batch_size=8, optimizer=Adam(lr=0.01))
        assert {w.dtype for w in net.get_weights()} == {np.dtype("float32")}
        assert {a.dtype for s in net.optimizer.state.values() for a in s.values()} == {np.dtype("float32")}
        assert net.predict(X).dtype == (np.int64 if n_out == 2 else np.float32)


def test_float64_targets_beside_labels_on_a_device_without_float64():
    """Host float64 targets beside a float64-free device's integer labels: ValueError 'Device ... does not
    support dtype=float64' from array-api-strict, before any score; now scored in float32 there."""
    pytest.importorskip("array_api_strict")
    device = get_backend("array_api_strict:no_float64")
    labels = device.asarray(np.array([1, 2, 4]))
    assert metrics.mae(np.array([1.5, 2.0, 3.0]), labels) == 0.5
    assert metrics.mae(labels, np.array([1.5, 2.0, 3.0])) == 0.5
    assert metrics.accuracy(np.array([1.0, 2.0, 3.0]), labels) == pytest.approx(2 / 3)


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy", "mse", "sse"])
def test_a_loss_moves_numpy_targets_to_the_outputs_device(name):
    """get_loss(name)(torch_outputs, numpy_targets) failed with AttributeError: 'numpy.ndarray' object has
    no attribute 'to'; NumPy outputs beside torch targets failed inside NumPy. Now NumPy targets are moved
    (as the metrics move them) and two device libraries are one BackendMismatchError."""
    torch = pytest.importorskip("torch")
    from nnscratch.errors import BackendMismatchError
    z = np.array([[0.3, -2.0], [1.5, 0.1]], dtype=np.float32)
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    want_value, want_grad = get_loss(name)(z, y.astype(np.float32))
    value, grad = get_loss(name)(torch.from_numpy(z), y)
    assert isinstance(grad, torch.Tensor) and grad.dtype == torch.float32
    assert float(value) == pytest.approx(float(want_value), rel=1e-6)
    np.testing.assert_allclose(grad.numpy(), want_grad, rtol=1e-6)
    with pytest.raises(BackendMismatchError, match=r"outputs are an array of numpy but the targets of torch"):
        get_loss(name)(z, torch.from_numpy(y))


def test_metrics_take_lists_and_refuse_text_in_one_line():
    """metrics.r2([1, 2, 3], [1, 2, 4]) was ConfigError 'Expected an array, got list.' (scikit-learn takes
    lists), and r2 of NumPy strings a ValueError from astype."""
    assert metrics.r2([1.0, 2.0, 3.0], (1, 2, 4)) == 0.5
    assert metrics.mae([[1, 2], [3, 4]], np.array([[1, 2], [3, 5]])) == 0.25
    assert metrics.accuracy([0, 1, 1], [0, 1, 0]) == pytest.approx(2 / 3)
    assert metrics.accuracy(np.array(["a", "b"]), np.array(["a", "c"])) == 0.5  # labels of any kind, as before
    with pytest.raises(DataError, match=r"y_true holds <U1 values; rmse, mae and r2 score numbers"):
        metrics.r2(np.array(["a", "b"]), np.array([1.0, 2.0]))
    with pytest.raises(DataError, match=r"y_pred must hold numbers.*got an array of dtype <U1"):
        metrics.mae([1, 2], ["a", "b"])


def test_a_parameter_without_a_gradient_is_skipped_as_torch_skips_it():
    """Parameter.grad is None until a backward sets it (a frozen or unused parameter): SGD failed with
    TypeError "unsupported operand type(s) for *: 'float' and 'NoneType'", Adam with array_namespace's
    TypeError, and clipping too. torch.optim and clip_grad_norm_ leave such parameters alone."""
    from nnscratch.optim.clip import clip_gradients
    for optimizer in (SGD(lr=0.1, momentum=0.9, weight_decay=0.1), Adam(), RMSProp()):
        frozen, trained = Parameter("frozen", np.ones(3)), Parameter("trained", np.ones(2))
        trained.grad = np.array([3.0, 4.0])
        clip_gradients([frozen, trained], 1.0)
        np.testing.assert_allclose(trained.grad, [0.6, 0.8], rtol=1e-6)
        optimizer.step([frozen, trained])
        np.testing.assert_array_equal(frozen.value, np.ones(3))
        assert np.all(trained.value < 1.0) and "frozen" not in optimizer.state


def test_asking_for_adamw_says_adams_weight_decay_is_l2():
    """get_optimizer("adamw") answered only "Did you mean 'adam'?", and Adam's weight_decay is L2 (coupled),
    not AdamW's decoupled decay: taking the hint trained another model than AdamW would without a word."""
    from nnscratch import get_optimizer
    with pytest.raises(ConfigError, match=r"Did you mean 'adam'\? Its weight_decay is the L2 gradient.*no AdamW"):
        get_optimizer("AdamW")


def test_float16_scores_are_computed_in_a_standard_float():
    """float16 targets and predictions were scored in float16: errors past 256 squared overflow, RMSE inf
    and R^2 NaN. Now in the widest float of the device, as integers are."""
    y, f = np.array([300.0, 10.0, 20.0]), np.array([0.0, 12.0, 20.0])
    for score in (metrics.rmse, metrics.mae, metrics.r2):
        assert score(y.astype(np.float16), f.astype(np.float16)) == pytest.approx(score(y, f), rel=1e-12)
    f32 = metrics.rmse(y.astype(np.float32), (f + 1e-3).astype(np.float32))  # float32 stays float32, as before
    assert f32 == pytest.approx(float(np.sqrt(np.mean((y.astype(np.float32) - (f + 1e-3).astype(np.float32)) ** 2))))


@pytest.mark.parametrize("make", [lambda: Adam(lr=Cosine(0.05, total=40, warmup=5, min_lr=0.001)),
                                  lambda: SGD(lr=StepDecay(0.1, step_size=7), momentum=0.9, nesterov=True,
                                              weight_decay=0.01),
                                  lambda: RMSProp(lr=0.01, decay=0.1)], ids=["adam-cosine", "nesterov-step", "rmsprop"])
def test_a_state_dict_on_the_host_resumes_mid_schedule_exactly(make):
    rng = np.random.default_rng(1)
    X, labels = rng.normal(size=(32, 6)), rng.integers(0, 3, 32)
    once = Network.from_sizes(6, 8, 3, seed=7, dtype="float64")
    once.fit(X, labels, epochs=10, batch_size=8, shuffle=False, optimizer=make())
    first = Network.from_sizes(6, 8, 3, seed=7, dtype="float64")
    first.fit(X, labels, epochs=4, batch_size=8, shuffle=False, optimizer=make())  # 16 steps: mid-warm-up/-step
    saved = first.optimizer.state_dict()
    saved["state"] = {name: {k: np.array(v) for k, v in s.items()} for name, s in saved["state"].items()}
    second = Network.from_sizes(6, 8, 3, seed=7, dtype="float64")
    second.set_weights(first.get_weights())
    optimizer = make()
    optimizer.load_state_dict(saved)
    second.fit(X, labels, epochs=6, batch_size=8, shuffle=False, optimizer=optimizer)
    for a, b in zip(once.get_weights(), second.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)
    assert optimizer.t == once.optimizer.t == 40 and optimizer.current_lr == once.optimizer.current_lr
