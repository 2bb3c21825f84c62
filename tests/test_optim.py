"""One hand-computed step per optimizer, and argument checks."""

import math

import numpy as np
import pytest

from nnscratch import SGD, Adam, RMSProp, get_optimizer
from nnscratch.errors import ConfigError
from nnscratch.layers import Parameter


def one_param(backend, w, g):
    p = Parameter("w", backend.asarray(np.array(w, dtype=np.float64), dtype=backend.dtype))
    p.grad = backend.asarray(np.array(g, dtype=np.float64), dtype=backend.dtype)
    return p


def values(backend, p):
    return backend.to_numpy(p.value).astype(np.float64)


def test_sgd_step(backend):
    p = one_param(backend, [1.0, -2.0], [0.5, 0.25])
    SGD(lr=0.1).step([p])
    np.testing.assert_allclose(values(backend, p), [0.95, -2.025], rtol=1e-6)


def test_sgd_momentum_two_steps(backend):
    p = one_param(backend, [1.0], [1.0])
    opt = SGD(lr=0.1, momentum=0.9)
    opt.step([p])                      # b = 1, w = 1 - 0.1
    opt.step([p])                      # b = 0.9 + 1 = 1.9, w = 0.9 - 0.19
    np.testing.assert_allclose(values(backend, p), [0.71], rtol=1e-6)


def test_sgd_nesterov_step(backend):
    p = one_param(backend, [1.0], [2.0])
    SGD(lr=0.1, momentum=0.5, nesterov=True).step([p])   # b = 2, d = 2 + 0.5 * 2 = 3
    np.testing.assert_allclose(values(backend, p), [0.7], rtol=1e-6)


def test_sgd_decay_follows_seed_003(backend):
    p = one_param(backend, [0.0], [1.0])
    opt = SGD(lr=1.0, decay=0.5)
    for _ in range(3):                 # lr_t = 1 / (1 + 0.5 t): 1, 2/3, 1/2
        opt.step([p])
    np.testing.assert_allclose(values(backend, p), [-(1 + 2 / 3 + 1 / 2)], rtol=1e-6)
    assert opt.current_lr == pytest.approx(1 / 2.5)


def test_weight_decay_adds_l2_gradient(backend):
    p = one_param(backend, [2.0], [0.0])
    SGD(lr=0.1, weight_decay=0.5).step([p])                # g = 0 + 0.5 * 2
    np.testing.assert_allclose(values(backend, p), [1.9], rtol=1e-6)


def test_adam_first_step_moves_by_lr_in_the_gradient_sign(backend):
    p = one_param(backend, [1.0, 1.0], [3.0, -0.01])
    Adam(lr=0.01).step([p])            # m_hat = g, v_hat = g^2: step = lr * g / (|g| + eps)
    np.testing.assert_allclose(values(backend, p), [0.99, 1.01], rtol=1e-5)


def test_adam_second_step_by_hand(backend):
    p = one_param(backend, [0.0], [1.0])
    opt = Adam(lr=0.1, beta1=0.5, beta2=0.5, eps=0.0)
    opt.step([p])
    p.grad = p.grad * 3.0              # g2 = 3
    opt.step([p])
    m, v = 0.5 * 0.5 + 0.5 * 3, 0.5 * 0.5 + 0.5 * 9     # 1.75, 4.75
    expected = -0.1 - 0.1 / (1 - 0.25) * m / (math.sqrt(v) / math.sqrt(1 - 0.25))
    np.testing.assert_allclose(values(backend, p), [expected], rtol=1e-5)


def test_rmsprop_step(backend):
    p = one_param(backend, [1.0], [2.0])
    RMSProp(lr=0.01, rho=0.9, eps=0.0).step([p])  # v = 0.1 * 4 = 0.4
    np.testing.assert_allclose(values(backend, p), [1 - 0.01 * 2 / math.sqrt(0.4)], rtol=1e-5)


def test_state_lives_on_the_parameters_device(backend):
    p = one_param(backend, [1.0], [1.0])
    opt = Adam()
    opt.step([p])
    assert backend.owns(opt.state["w"]["m"]) and backend.owns(opt.state["w"]["v"])
    assert opt.state_dict()["t"] == 1


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "0.1", None])
def test_invalid_learning_rate(bad):
    with pytest.raises(ConfigError, match="Invalid lr"):
        SGD(lr=bad)


def test_invalid_options_and_names():
    with pytest.raises(ConfigError, match="momentum"):
        SGD(momentum=1.5)
    with pytest.raises(ConfigError, match="Nesterov"):
        SGD(nesterov=True)
    with pytest.raises(ConfigError, match="beta1"):
        Adam(beta1=1.0)
    with pytest.raises(ConfigError, match="Unknown optimizer 'adamw'.*adam, momentum"):
        get_optimizer("adamw")


def test_get_optimizer_names_and_configs():
    assert isinstance(get_optimizer("momentum"), SGD) and get_optimizer("momentum").momentum == 0.9
    opt = get_optimizer("adam", lr=0.5)
    clone = get_optimizer(opt.get_config())
    assert type(clone) is Adam and clone.get_config() == opt.get_config()
