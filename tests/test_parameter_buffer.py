"""One flat buffer holds every parameter and every gradient of a network.

Parameters are views into it (in-place updates write through on every
backend), gradients after a step are dL/dw whatever the optimizer, an
optimizer's state belongs to the parameters it was made for, and its state
dict stays per parameter name (what checkpoints store).
"""

import numpy as np
import pytest

from nnscratch import SGD, Adam, Network, RMSProp
from nnscratch.models.params import ParameterBuffer
from nnscratch.testing import assert_close


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)


def _flat(backend, arrays):
    host = [a if isinstance(a, np.ndarray) else backend.to_numpy(a) for a in arrays]
    return np.concatenate([np.reshape(a, -1) for a in host])


def test_in_place_update_of_a_reshaped_slice_writes_through(backend):
    xp = backend.xp
    flat = xp.zeros(10, dtype=backend.dtype, device=backend.device)
    view = xp.reshape(flat[2:8], (2, 3))
    view += xp.ones((2, 3), dtype=backend.dtype, device=backend.device)
    view[...] = view * 3.0
    np.testing.assert_array_equal(backend.to_numpy(flat), [0, 0, 3, 3, 3, 3, 3, 3, 0, 0])


def test_parameters_and_gradients_are_views_into_one_buffer(backend):
    X, y = _data()
    net = Network.from_sizes(4, 6, 3, seed=0, backend=backend)
    buf = net.parameter_buffer
    assert buf.size == 4 * 6 + 6 + 6 * 3 + 3 and [n for n, _, _ in buf.layout] == [p.name for p in net.parameters()]
    before = net.get_weights()
    buf.values -= 1.0
    for w, w0 in zip(net.get_weights(), before):
        np.testing.assert_allclose(w, w0 - 1.0, rtol=1e-6)
    new = [np.full(w.shape, i, dtype=np.float32) for i, w in enumerate(before)]
    net.set_weights(new)
    np.testing.assert_array_equal(backend.to_numpy(buf.values), _flat(backend, new))
    net.fit(X, y, epochs=2, batch_size=16, optimizer=Adam(lr=0.01))
    np.testing.assert_array_equal(backend.to_numpy(buf.values), _flat(backend, net.get_weights()))
    np.testing.assert_array_equal(backend.to_numpy(buf.grads), _flat(backend, [p.grad for p in net.parameters()]))
    assert not np.array_equal(backend.to_numpy(buf.values), _flat(backend, new))


@pytest.mark.parametrize("make", [lambda: SGD(lr=0.5), lambda: SGD(lr=0.5, momentum=0.9),
                                  lambda: Adam(lr=0.05), lambda: RMSProp(lr=0.05)],
                         ids=["sgd", "momentum", "adam", "rmsprop"])
def test_grad_holds_dl_dw_after_a_step(backend, make):
    X, y = _data()
    net = Network.from_sizes(4, 6, 3, seed=0, backend=backend)
    _, expected = net.compute_gradients(X, y)          # at the weights the step starts from
    net.fit(X, y, epochs=1, batch_size=None, optimizer=make(), shuffle=False)   # one full-batch step
    for p, g in zip(net.parameters(), expected):
        assert_close(p.grad, g, rtol=1e-5, atol=1e-7)


def test_compute_gradients_returns_copies(backend):
    X, y = _data()
    net = Network.from_sizes(4, 6, 3, seed=0, backend=backend)
    _, first = net.compute_gradients(X, y)
    kept = [backend.to_numpy(g) for g in first]
    net.compute_gradients(X[:8] * 3.0, y[:8])
    for g, k in zip(first, kept):
        np.testing.assert_array_equal(backend.to_numpy(g), k)


def test_optimizer_reused_for_a_second_network_starts_afresh(backend):
    X, y = _data()
    first = Network.from_sizes(4, 6, 3, seed=0, backend=backend)
    second = Network.from_sizes(4, 6, 3, seed=1, backend=backend)
    twin = second.to(backend)
    shared = Adam(lr=0.01)
    first.fit(X, y, epochs=3, batch_size=16, optimizer=shared)
    second.fit(X, y, epochs=1, batch_size=16, optimizer=shared)
    twin.fit(X, y, epochs=1, batch_size=16, optimizer=Adam(lr=0.01))
    for a, b in zip(second.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert shared.t == 3                               # 48 rows / 16: the second network's own steps
    other = Network.from_sizes(4, 5, 2, 3, seed=0, backend=backend)   # other shapes: no broadcast error
    history = other.fit(X, y, epochs=1, batch_size=16, optimizer=shared)
    assert np.isfinite(history["loss"][-1])


def test_state_dict_is_per_parameter_name_and_resumes_exactly(backend):
    X, y = _data()
    net = Network.from_sizes(4, 6, 3, seed=0, backend=backend)
    opt = Adam(lr=0.01)
    net.fit(X, y, epochs=1, batch_size=16, optimizer=opt)
    state = opt.state_dict()
    assert set(state["state"]) == {p.name for p in net.parameters()}
    for p in net.parameters():
        assert tuple(state["state"][p.name]["m"].shape) == tuple(p.value.shape)
    host = {"t": state["t"], "state": {n: {k: backend.to_numpy(v) for k, v in s.items()}
                                       for n, s in state["state"].items()}}
    resumed = Adam(lr=0.01)
    resumed.load_state_dict(host, asarray=lambda a: backend.asarray(a, dtype=backend.dtype))
    twin = net.to(backend)
    net.fit(X, y, epochs=1, batch_size=16, optimizer=opt, shuffle=False)
    twin.fit(X, y, epochs=1, batch_size=16, optimizer=resumed, shuffle=False)
    for a, b in zip(net.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_buffer_refuses_mixed_dtypes(backend):
    from nnscratch.errors import ConfigError
    from nnscratch.layers import Parameter

    if not backend.has_float64:
        pytest.skip("needs float64")
    xp = backend.xp
    params = [Parameter("a", xp.zeros(2, dtype=xp.float32, device=backend.device)),
              Parameter("b", xp.zeros(2, dtype=xp.float64, device=backend.device))]
    with pytest.raises(ConfigError, match="one dtype"):
        ParameterBuffer(params)
