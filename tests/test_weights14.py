"""Per-sample and per-class weights in ``Network.fit`` / ``evaluate``: the math (a weight of 2 is the row
twice; PyTorch's weighted cross-entropy reduced as Keras 3 does) and every crossing (shuffling,
validation_split, streaming, augment, resume, backends, data-parallel ranks)."""

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.errors import ConfigError, DataError, ShapeError

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import _finish, _python, needs_mpi  # noqa: E402


def _data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.3)
    return X, y, rng.uniform(0.2, 3.0, n)


def _net(backend="numpy", dtype="float64"):
    return nn.Network([nn.Dense(4, 6), nn.Tanh(), nn.Dense(6, 3), nn.Softmax()], seed=1, backend=backend,
                      dtype=dtype)


def _weights(net):
    return [np.asarray(net.backend.to_numpy(w)) for w in net.get_weights()]


def test_a_weight_of_two_is_the_row_twice_in_one_full_batch_step():
    """Keras' sum_over_batch_size: sum(w l) / n. Row 0 repeated makes n + 1 rows, so the weighted batch
    of n rows equals it with every weight scaled by n / (n + 1)."""
    X, y, _ = _data()
    n = len(X)
    w = np.ones(n)
    w[0] = 2.0
    repeated, weighted = _net(), _net()
    h1 = repeated.fit(np.concatenate([X[:1], X]), np.concatenate([y[:1], y]), epochs=1, batch_size=None,
                      optimizer=nn.SGD(lr=0.5), shuffle=False)
    h2 = weighted.fit(X, y, epochs=1, batch_size=None, optimizer=nn.SGD(lr=0.5), shuffle=False,
                      sample_weight=w * n / (n + 1))
    for a, b in zip(_weights(repeated), _weights(weighted)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert h1.history["loss"][0] == pytest.approx(h2.history["loss"][0], rel=1e-12)
    # without the rescaling the step is the repeated one's times (n + 1) / n: Keras' divisor is n, not sum(w)
    _, grads = _net().compute_gradients(X, y, sample_weight=w)
    _, twice = _net().compute_gradients(np.concatenate([X[:1], X]), np.concatenate([y[:1], y]))
    for a, b in zip(grads, twice):
        np.testing.assert_allclose(a, b * (n + 1) / n, rtol=0, atol=1e-12)


def test_weighted_gradients_and_loss_match_torch_cross_entropy_reduced_as_keras():
    torch = pytest.importorskip("torch")
    X, y, w = _data()
    net = _net()
    value, grads = net.compute_gradients(X, y, sample_weight=w)
    params = [torch.tensor(a, requires_grad=True) for a in _weights(net)]
    W1, b1, W2, b2 = params
    logits = torch.tanh(torch.tensor(X) @ W1 + b1) @ W2 + b2
    rows = torch.nn.functional.cross_entropy(logits, torch.tensor(y), reduction="none")
    loss = (rows * torch.tensor(w)).sum() / len(X)  # Keras 3's "sum_over_batch_size"
    loss.backward()
    assert value == pytest.approx(loss.item(), rel=1e-12)
    for ours, p in zip(grads, params):
        np.testing.assert_allclose(ours, p.grad.numpy(), rtol=0, atol=1e-12)
    history = _net().fit(X, y, epochs=1, batch_size=None, optimizer=nn.SGD(lr=0.1), sample_weight=w)
    assert history.history["loss"][0] == pytest.approx(loss.item(), rel=1e-12)  # the weighted loss is reported
    assert net.evaluate(X, y, sample_weight=w)["loss"] == pytest.approx(loss.item(), rel=1e-12)


def _reference_sgd(X, y, w, lr, batch_size, epochs):
    """Plain SGD written out: the epoch's order from the network's RNG, each batch's weighted gradient."""
    net = _net()
    for _ in range(epochs):
        order = net.rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            _, grads = net.compute_gradients(X[idx], y[idx], sample_weight=w[idx])
            net.set_weights([p - lr * g for p, g in zip(_weights(net), grads)])
    return net


def test_shuffled_weights_follow_their_rows_and_streaming_gives_the_same():
    X, y, w = _data(20)
    reference = _reference_sgd(X, y, w, 0.3, 6, 3)
    for stream in (False, True):
        net = _net()
        net.fit(X, y, epochs=3, batch_size=6, optimizer=nn.SGD(lr=0.3), sample_weight=w, stream=stream)
        for a, b in zip(_weights(net), _weights(reference)):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_validation_split_holds_out_the_last_rows_weights():
    X, y, w = _data(20)
    net = _net()
    history = net.fit(X, y, epochs=2, batch_size=5, optimizer=nn.SGD(lr=0.1), sample_weight=w,
                      validation_split=0.25)
    assert history.history["val_loss"][-1] == pytest.approx(
        net.evaluate(X[15:], y[15:], sample_weight=w[15:])["loss"], rel=1e-12)
    twin = _net()
    twin.fit(X[:15], y[:15], epochs=2, batch_size=5, optimizer=nn.SGD(lr=0.1), sample_weight=w[:15])
    for a, b in zip(_weights(net), _weights(twin)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_class_weight_is_the_sample_weight_of_each_rows_class_and_both_multiply():
    X, y, w = _data(20)
    table = {0: 0.5, 2: 3.0}  # class 1 unnamed: weight 1
    per_row = np.array([table.get(int(c), 1.0) for c in y])
    a, b = _net(), _net()
    a.fit(X, y, epochs=2, batch_size=7, class_weight=table, sample_weight=w)
    b.fit(X, y, epochs=2, batch_size=7, sample_weight=w * per_row)
    for p, q in zip(_weights(a), _weights(b)):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-12)


def test_augment_keeping_the_rows_carries_the_weights_and_one_adding_rows_is_refused():
    X, y, w = _data(16)

    def jitter(X, y, rng):
        return X + 0.01 * rng.standard_normal(X.shape), y

    def doubled(X, y, rng):
        return np.concatenate([X, X]), np.concatenate([y, y])

    a, b = _net(), _net()
    a.fit(X, y, epochs=2, batch_size=4, augment=jitter, sample_weight=w)
    b.fit(X, y, epochs=2, batch_size=4, augment=jitter)
    assert not np.allclose(_weights(a)[0], _weights(b)[0])
    with pytest.raises(ConfigError, match=r"^fit\(augment=f, sample_weight=...\): the weights follow the rows, so f "
                                          r"must return as many rows as it is given, in their order; doubled "
                                          r"returned 32 from 16\. Drop sample_weight"):
        _net().fit(X, y, augment=doubled, sample_weight=w)
    _net().fit(X, y, augment=doubled, class_weight={0: 2.0})  # class weights follow each epoch's labels


def test_resume_with_the_same_weights_ends_as_the_uninterrupted_run(tmp_path):
    X, y, w = _data(20)
    whole = _net()
    whole.fit(X, y, epochs=4, batch_size=6, sample_weight=w, class_weight={1: 2.0})
    path = tmp_path / "run.ckpt"
    first = _net()
    first.fit(X, y, epochs=2, batch_size=6, sample_weight=w, class_weight={1: 2.0}, checkpoint=path)
    resumed = _net()
    history = resumed.fit(X, y, epochs=4, batch_size=6, sample_weight=w, class_weight={1: 2.0}, checkpoint=path,
                          resume=True)
    assert len(history.history["loss"]) == 4
    for a, b in zip(_weights(whole), _weights(resumed)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_every_backend_trains_the_weighted_model_numpy_does(any_backend):
    """Weights and class labels cross to and from every device (device1 refuses other host conversions)."""
    X, y, w = _data(20)
    ours = nn.Network([nn.Dense(4, 6), nn.Tanh(), nn.Dense(6, 3), nn.Softmax()], seed=1, backend=any_backend)
    ref = nn.Network([nn.Dense(4, 6), nn.Tanh(), nn.Dense(6, 3), nn.Softmax()], seed=1, backend="numpy",
                     dtype=ours.dtype)
    h = ours.fit(X, y, epochs=2, batch_size=6, sample_weight=w, class_weight={2: 2.5}, validation_split=0.2)
    g = ref.fit(X, y, epochs=2, batch_size=6, sample_weight=w, class_weight={2: 2.5}, validation_split=0.2)
    tol = 1e-10 if str(ours.dtype).endswith("64") else 2e-5
    np.testing.assert_allclose(h.history["loss"], g.history["loss"], rtol=tol)
    np.testing.assert_allclose(h.history["val_loss"], g.history["val_loss"], rtol=tol)
    for a, b in zip(_weights(ours), _weights(ref)):
        np.testing.assert_allclose(a, b, rtol=0, atol=tol * 10)


@pytest.mark.parametrize("weights, error, message", [
    (np.ones(11), ShapeError, r"^sample_weight must hold one weight per sample, shape \(12,\); got shape \(11,\)\. "),
    (np.r_[np.ones(11), -1.0], DataError, r"^sample_weight must be >= 0; got -1 at row 11\. "),
    (np.r_[np.ones(11), np.nan], DataError, r"^sample_weight must be finite; got 1 NaN or infinite value\(s\), "
                                            r"the first at row 11\. "),
    (np.zeros(12), DataError, r"^sample_weight is zero for all 12 rows, so nothing would be learned; "),
])
def test_bad_sample_weights_are_refused_in_one_line(weights, error, message):
    X, y, _ = _data()
    with pytest.raises(error, match=message) as info:
        _net().fit(X, y, sample_weight=weights)
    assert "\n" not in str(info.value)


def test_class_weight_outside_classification_is_refused_in_one_line():
    X, y, _ = _data()
    reg = nn.Network([nn.Dense(4, 2)], seed=0)
    with pytest.raises(ConfigError, match=r"^class_weight applies to classification \(one class per row\); this "
                                          r"fit is a regression\. Weigh the rows with sample_weight= instead\.$"):
        reg.fit(X, X[:, :2], class_weight={0: 2.0})
    with pytest.raises(ConfigError, match=r"^class_weight's keys are the class labels 0 to 2 \(the integer labels "
                                          r"fit takes\); got 'a'\."):
        _net().fit(X, y, class_weight={"a": 2.0})


def test_without_weights_the_step_is_called_as_before():
    """The unweighted hot path passes no weights (tests/test_hot_path.py pins its operation counts)."""
    from nnscratch.training.step import DeviceData, Step
    from nnscratch import validation
    X, y, w = _data()
    net = _net()
    step = Step(net, None, nn.SGD(lr=0.1))
    targets = validation.as_targets(net, y, step.loss, len(X))
    assert len(DeviceData(net, validation.as_inputs(net, X), targets).batch(None, 0, 4)) == 2
    assert len(DeviceData(net, validation.as_inputs(net, X), targets, net.backend.asarray(w[:, None])).batch(
        None, 0, 4)) == 3


MPI_SCRIPT = """
import sys
import numpy as np
import nnscratch as nn
from nnscratch import distributed

comm = distributed.from_environment() if sys.argv[1] == "mpi" else None
rng = np.random.default_rng(0)
X, y, w = rng.standard_normal((30, 4)), rng.integers(0, 3, 30), rng.uniform(0.1, 3.0, 30)
net = nn.Network([nn.Dense(4, 6), nn.Tanh(), nn.Dense(6, 3), nn.Softmax()], seed=1, dtype="float64")
h = net.fit(X, y, epochs=3, batch_size=7, optimizer=nn.SGD(lr=0.2), sample_weight=w, class_weight={2: 0.5},
            validation_split=0.2, stream=sys.argv[2] == "stream", comm=comm)
if comm is None or comm.rank == 0:
    np.savez(sys.argv[3], loss=h.history["loss"], val_loss=h.history["val_loss"],
             *[net.backend.to_numpy(a) for a in net.get_weights()])
"""


@needs_mpi
@pytest.mark.parametrize("stream", ["device", "stream"])
def test_two_ranks_train_the_weighted_model_one_process_does(tmp_path, stream):
    script = tmp_path / "weighted.py"
    script.write_text(textwrap.dedent(MPI_SCRIPT))
    _finish(_python(script, "one", stream, tmp_path / "one.npz", cwd=tmp_path))
    _finish(_python(script, "mpi", stream, tmp_path / "two.npz", n=2, cwd=tmp_path))
    one, two = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    assert sorted(one.files) == sorted(two.files)
    for key in one.files:
        np.testing.assert_allclose(two[key], one[key], rtol=1e-10, atol=1e-12)


def test_a_convolutional_network_split_over_threads_weighs_as_one_thread(monkeypatch):
    """ThreadedStep cuts each batch's weights with its rows (tests/test_threaded_step.py's two threads)."""
    from nnscratch.backend import threads
    from nnscratch.training import threaded
    if threads.blas_info() is None:
        pytest.skip("needs a BLAS threadpoolctl can limit")
    rng = np.random.default_rng(0)
    X, y, w = rng.standard_normal((10, 1, 5, 5)), rng.integers(0, 2, 10), rng.uniform(0.1, 3.0, 10)

    def trained():
        net = nn.Network([nn.Conv2D(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Dense(18, 2), nn.Softmax()], seed=0,
                         dtype="float64")
        history = net.fit(X, y, epochs=2, batch_size=5, sample_weight=w, optimizer=nn.SGD(lr=0.1))
        return net, history

    monkeypatch.setattr(threaded, "thread_count", lambda net, comm=None: 1)
    one, h1 = trained()
    monkeypatch.setattr(threaded, "thread_count", lambda net, comm=None: 2)
    monkeypatch.setattr(threaded, "MIN_ROWS", 1)
    before = threads.blas_threads()
    try:
        two, h2 = trained()
    finally:
        threads.set_threads(before)
    np.testing.assert_allclose(h2.history["loss"], h1.history["loss"], rtol=1e-12)
    for a, b in zip(_weights(one), _weights(two)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_evaluate_and_compute_gradients_streamed_from_host_weigh_as_on_the_device(monkeypatch):
    X, y, w = _data(40)
    net = _net()
    on_device = net.evaluate(X, y, sample_weight=w)["loss"], net.compute_gradients(X, y, sample_weight=w)
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", "4K")  # far below the data: both stream, in pieces
    with pytest.warns(UserWarning, match="holds less than one batch"):
        streamed = net.evaluate(X, y, sample_weight=w, batch_size=8)["loss"]
    assert streamed == pytest.approx(on_device[0], rel=1e-12)
    value, grads = net.compute_gradients(X, y, sample_weight=w)
    assert value == pytest.approx(on_device[1][0], rel=1e-12)
    for a, b in zip(grads, on_device[1][1]):
        np.testing.assert_allclose(net.backend.to_numpy(a), b, rtol=0, atol=1e-12)


def test_validation_data_with_keras_third_member_weighs_val_loss():
    X, y, w = _data(20)
    net = _net()
    history = net.fit(X[:15], y[:15], epochs=1, batch_size=5, validation_data=(X[15:], y[15:], w[15:]))
    assert history.history["val_loss"][-1] == pytest.approx(
        net.evaluate(X[15:], y[15:], sample_weight=w[15:])["loss"], rel=1e-12)
    assert history.history["val_loss"][-1] != pytest.approx(net.evaluate(X[15:], y[15:])["loss"], rel=1e-3)


def test_a_loss_of_ones_own_without_per_sample_values_is_refused_before_training():
    from nnscratch.losses import MeanSquaredError

    class Mean(MeanSquaredError):
        _rows = nn.losses.Loss._rows  # its value is a mean, its per-sample losses unknown

    X, y, w = _data()
    reg = nn.Network([nn.Dense(4, 2)], seed=0)
    with pytest.raises(ConfigError, match=r"^Mean defines no per-sample loss, so it cannot weigh samples; define its "
                                          r"_rows\(out, y\) -> \(n_samples,\)"):
        reg.fit(X, X[:, :2], loss=Mean(), sample_weight=w)
    assert reg.fit(X, X[:, :2], loss=Mean()).history["loss"]  # unweighted, as before


@pytest.mark.parametrize("name", ["cross_entropy", "bce", "mse", "sse"])
def test_each_losss_weighted_gradient_is_the_derivative_of_its_weighted_value(name, backend):
    """sum_i w_i l_i / n: ones weigh as the unweighted mean; the gradient is its derivative (finite differences)."""
    from nnscratch.losses import get_loss
    from nnscratch.testing import numerical_gradient
    rng = np.random.default_rng(3)
    loss = get_loss(name)
    out0, y0, w0 = rng.standard_normal((7, 3)), np.eye(3)[rng.integers(0, 3, 7)], rng.uniform(0, 2, (7, 1))
    out, y, w, ones = (backend.asarray(a, dtype=backend.dtype) for a in (out0, y0, w0, np.ones((7, 1))))
    assert float(loss.value(out, y, ones)) == pytest.approx(float(loss.value(out, y)), rel=1e-5)
    numeric = numerical_gradient(lambda o: float(loss.value(o, y0, w0)), out0)
    np.testing.assert_allclose(backend.to_numpy(loss.gradient(out, y, 1.0, w)), numeric, rtol=1e-4, atol=1e-6)


def test_weights_given_as_the_backends_own_arrays_train_as_numpy_ones():
    torch = pytest.importorskip("torch")
    X, y, w = _data(20)
    a, b = _net("torch:cpu"), _net("torch:cpu")
    a.fit(torch.tensor(X), torch.tensor(y), epochs=2, batch_size=6, sample_weight=torch.tensor(w), stream=False)
    b.fit(X, y, epochs=2, batch_size=6, sample_weight=w)
    for p, q in zip(_weights(a), _weights(b)):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-12)
