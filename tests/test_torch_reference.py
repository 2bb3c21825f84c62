"""nnscratch against PyTorch autograd: same network, weights and batch, 20 steps."""

import numpy as np
import pytest

from nnscratch import Network, get_optimizer

torch = pytest.importorskip("torch", reason="PyTorch is not installed (CI installs torch==2.13.0)")

OPTIMIZERS = {
    "sgd-momentum": ({"lr": 0.1, "momentum": 0.9}, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    "sgd-nesterov": ({"lr": 0.05, "momentum": 0.9, "nesterov": True},
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    "adam": ({"lr": 0.01}, lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam-l2": ({"lr": 0.01, "weight_decay": 0.01}, lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.01)),
    "rmsprop": ({"lr": 0.01, "rho": 0.9}, lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9)),
}
NAMES = {"sgd-momentum": "sgd", "sgd-nesterov": "sgd", "adam": "adam", "adam-l2": "adam", "rmsprop": "rmsprop"}


def torch_twin(net):
    """A torch.nn.Sequential with the same weights (torch stores W transposed)."""
    layers = []
    for w, b in zip(net.get_weights()[::2], net.get_weights()[1::2]):
        linear = torch.nn.Linear(*w.shape).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T.astype(np.float64)))
            linear.bias.copy_(torch.from_numpy(b.astype(np.float64)))
        layers += [linear, torch.nn.Tanh()]
    return torch.nn.Sequential(*layers[:-1])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_twenty_steps_agree_with_torch(backend, name, loss, rng):
    ours_options, make_theirs = OPTIMIZERS[name]
    output = "softmax" if loss == "cross_entropy" else "identity"
    net = Network.from_sizes(6, 8, 5, 3, hidden="tanh", output=output, seed=7, backend=backend)
    twin = torch_twin(net)
    X = rng.normal(size=(16, 6)).astype(np.float32)
    labels = rng.integers(0, 3, 16)
    y = labels if loss == "cross_entropy" else np.eye(3)[labels]

    opt = get_optimizer(NAMES[name], **ours_options)
    theirs = make_theirs(twin.parameters())
    criterion = torch.nn.CrossEntropyLoss() if loss == "cross_entropy" else torch.nn.MSELoss()
    tx, ty = torch.from_numpy(X.astype(np.float64)), torch.from_numpy(y if loss == "mse" else labels)
    for _ in range(20):
        net.fit(X, y, epochs=1, batch_size=None, shuffle=False, loss=loss, optimizer=opt)
        theirs.zero_grad()
        criterion(twin(tx), ty).backward()
        theirs.step()

    expected = [t.detach().numpy() for t in twin.parameters()]
    for ours, want in zip(net.get_weights(), [e.T if e.ndim == 2 else e for e in expected]):
        np.testing.assert_allclose(ours, want, rtol=1e-5, atol=1e-5)
    assert not np.allclose(net.get_weights()[0], torch_twin(Network.from_sizes(
        6, 8, 5, 3, hidden="tanh", output=output, seed=7)).state_dict()["0.weight"].numpy().T)
