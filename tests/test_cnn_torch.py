"""The CNN layers against PyTorch autograd (float64): forward and every gradient to 1e-10,
and a 20-step training run of a small CNN to 1e-5."""

import numpy as np
import pytest

import nnscratch

from nnscratch import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, Network, ReLU, Softmax,
                       get_optimizer)
from nnscratch.layers.initializers import He

torch = pytest.importorskip("torch", reason="PyTorch is not installed (CI installs torch==2.13.0)")
F = torch.nn.functional


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny tensors: torch's thread pool only adds contention on a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=["numpy", "array_api_strict:device1"], ids=["numpy", "strict-device1"])
def two_backends(request):
    """NumPy and strict device1 for the many per-option comparisons (the finite-difference checks
    in test_layers_cnn_gradients.py cover every backend)."""
    return nnscratch.get_backend(request.param)


def f64(backend):
    if not backend.has_float64:
        pytest.skip(f"{backend} has no float64")
    return backend.with_dtype("float64")


def ours_and_theirs(layer, backend, x, theirs, params=()):
    """Run ``layer`` forward/backward with dL/dy = R, and ``theirs(tx, *tparams)`` in torch autograd;
    assert the outputs and all gradients agree to 1e-10."""
    layer.build(backend, np.random.default_rng(0), He(), 0)
    for p, value in zip(layer.params, params):
        p.value = backend.asarray(value, dtype="float64")
    y = layer.forward(backend.asarray(x, dtype="float64"), training=True)
    R = np.random.default_rng(1).normal(size=tuple(y.shape))
    dx = layer.backward(backend.asarray(R, dtype="float64"))
    tx = torch.tensor(x, requires_grad=True)
    tparams = [torch.tensor(np.asarray(v), requires_grad=True) for v in params]
    ty = theirs(tx, *tparams)
    (ty * torch.from_numpy(R)).sum().backward()
    close = lambda a, b: np.testing.assert_allclose(backend.to_numpy(a), b, rtol=1e-10, atol=1e-10)  # noqa: E731
    close(y, ty.detach().numpy())
    close(dx, tx.grad.numpy())
    for p, t in zip(layer.params, tparams):
        close(p.grad, t.grad.numpy())
    return layer


CONVS = [dict(kernel_size=3, padding=1), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
         dict(kernel_size=(2, 4), padding="same"), dict(kernel_size=3, stride=3, padding=2),
         dict(kernel_size=(1, 3), stride=2), dict(kernel_size=1), dict(kernel_size=4, stride=2, padding=1)]


@pytest.mark.parametrize("options", CONVS, ids=lambda o: "-".join(f"{k[0]}{v}" for k, v in o.items()))
def test_conv2d_matches_torch(backend, options):
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(3, 2, 9, 8)), rng.normal(size=(4, 2, *np.broadcast_to(options["kernel_size"], 2))), \
        rng.normal(size=4)
    layer = Conv2D(2, 4, **options)
    padding = options.get("padding", 0)
    ours_and_theirs(layer, f64(backend), x, lambda t, tw, tb: F.conv2d(
        t, tw, tb, stride=options.get("stride", 1), padding=padding), params=(w, b))


POOLS = [dict(kernel_size=2), dict(kernel_size=3, stride=2), dict(kernel_size=(2, 3), stride=(1, 2)),
         dict(kernel_size=3)]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("options", POOLS, ids=lambda o: "-".join(f"{k[0]}{v}" for k, v in o.items()))
@pytest.mark.parametrize("size", [(9, 7), (12, 12)], ids=["cut", "12x12"])
def test_pooling_matches_torch(two_backends, kind, options, size):
    """On 9x7 images rows and columns are left over; 12x12 is tiled exactly by the windows with stride =
    kernel (2x2, 3x3: every pixel written once, the gradient image is never zero-filled)."""
    backend = two_backends
    x = np.random.default_rng(3).normal(size=(2, 3, *size))
    layer = (MaxPool2D if kind == "max" else AvgPool2D)(**options)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    ours_and_theirs(layer, f64(backend), x, lambda t: pool(t, options["kernel_size"], options.get("stride")))


def test_maxpool_ties_route_to_one_winner(backend):
    x = np.zeros((1, 1, 4, 4))  # every window a four-way tie: torch routes each gradient to one entry
    ours_and_theirs(MaxPool2D(2), f64(backend), x, lambda t: F.max_pool2d(t, 2))


@pytest.mark.parametrize("options", POOLS + [dict(kernel_size=(2, 3))],
                         ids=lambda o: "-".join(f"{k[0]}{v}" for k, v in o.items()))
@pytest.mark.parametrize("size", [(8, 6), (9, 7)], ids=["tiled", "cut"])
def test_maxpool_partial_ties_route_as_torch(two_backends, options, size):
    """Values from {0, 1, 2}: windows with two- and three-way ties beside clear winners, on images the
    windows tile exactly (every pixel of the gradient image written once, no zero fill) and on ones with rows
    and columns left over."""
    x = np.random.default_rng(5).integers(0, 3, size=(2, 3, *size)).astype(float)
    ours_and_theirs(MaxPool2D(**options), f64(two_backends), x,
                    lambda t: F.max_pool2d(t, options["kernel_size"], options.get("stride")))


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 2)], ids=["NF", "NCHW"])
def test_batchnorm_matches_torch_in_training_and_eval(backend, shape):
    backend = f64(backend)
    rng = np.random.default_rng(4)
    x, gamma, beta = rng.normal(1.5, 2.0, size=shape), rng.normal(size=3), rng.normal(size=3)
    running = [torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)]
    layer = ours_and_theirs(BatchNorm(3, momentum=0.2), backend, x, lambda t, g, b: F.batch_norm(
        t, *running, g, b, training=True, momentum=0.2, eps=1e-5), params=(gamma, beta))
    for ours, theirs in zip(layer.buffers, running):  # unbiased running variance, torch's momentum
        np.testing.assert_allclose(backend.to_numpy(ours.value), theirs.numpy(), rtol=1e-12)
    x2 = rng.normal(size=shape)
    expected = F.batch_norm(torch.from_numpy(x2), *running, torch.from_numpy(gamma), torch.from_numpy(beta),
                            training=False, eps=1e-5)
    got = layer.forward(backend.asarray(x2, dtype="float64"))
    np.testing.assert_allclose(backend.to_numpy(got), expected.numpy(), rtol=1e-10, atol=1e-10)


def test_dropout_matches_torch_given_the_same_mask(backend):
    backend = f64(backend)
    x = np.random.default_rng(5).normal(size=(6, 40))
    layer = Dropout(0.3)
    layer.build(backend, np.random.default_rng(0), None, 0)  # as ours_and_theirs builds it: the same mask
    y = backend.to_numpy(layer.forward(backend.asarray(x, dtype="float64"), training=True))
    keep = y != 0
    assert 0.55 < keep.mean() < 0.85  # about 1 - rate kept
    mask = torch.from_numpy(keep.astype(np.float64))
    ours_and_theirs(layer, backend, x, lambda t: t * mask / (1 - 0.3))
    np.testing.assert_array_equal(backend.to_numpy(layer.forward(backend.asarray(x, dtype="float64"))), x)


def small_cnn(backend, dtype, seed=3):
    return Network([Conv2D(1, 4, 3, padding=1), ReLU(), MaxPool2D(2), Conv2D(4, 6, (3, 2), stride=(2, 1)),
                    BatchNorm(6), ReLU(), AvgPool2D(2, stride=1), Flatten(), Dense(6 * 1 * 2, 5), Softmax()],
                   input_shape=(1, 10, 9), seed=seed, backend=backend, dtype=dtype)


def torch_twin(net):
    w = [torch.from_numpy(a.astype(np.float64)) for a in net.get_weights()]
    conv1, conv2 = torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1))
    bn, dense = torch.nn.BatchNorm2d(6, momentum=0.1, eps=1e-5), torch.nn.Linear(12, 5)
    model = torch.nn.Sequential(conv1, torch.nn.ReLU(), torch.nn.MaxPool2d(2), conv2, bn, torch.nn.ReLU(),
                                torch.nn.AvgPool2d(2, stride=1), torch.nn.Flatten(), dense).double()
    with torch.no_grad():
        for t, value in zip(model.parameters(), w[:6] + [w[6].T, w[7]]):
            t.copy_(value)
    return model


def test_twenty_training_steps_agree_with_torch(backend):
    backend = f64(backend)
    net = small_cnn(backend, "float64")
    twin = torch_twin(net)
    rng = np.random.default_rng(8)
    X, labels = rng.normal(size=(12, 1, 10, 9)), rng.integers(0, 5, 12)
    theirs = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    history = net.fit(X, labels, epochs=20, batch_size=None, shuffle=False,
                      optimizer=get_optimizer("sgd", lr=0.1, momentum=0.9))
    losses = []
    for _ in range(20):
        theirs.zero_grad()
        loss = F.cross_entropy(twin(torch.from_numpy(X)), torch.from_numpy(labels))
        loss.backward()
        theirs.step()
        losses.append(loss.item())
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    expected = [t.detach().numpy() for t in twin.parameters()]
    expected[6] = expected[6].T
    for ours, want in zip(net.get_weights(), expected):
        np.testing.assert_allclose(ours, want, rtol=1e-5, atol=1e-7)
    bn = twin[4]
    for ours, want in zip(net.layers[4].buffers, (bn.running_mean, bn.running_var)):
        np.testing.assert_allclose(backend.to_numpy(ours.value), want.numpy(), rtol=1e-5)
    assert losses[-1] < 0.5 * losses[0]  # it did train
