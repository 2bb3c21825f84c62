"""The things the benchmark times: nnscratch on a backend, and the hand-written references.

Each contender trains one epoch per :meth:`epoch` call and returns the
seconds that epoch took, measured so that a GPU has finished its work.
"""

import importlib
import time

from ..backend.core import get_backend
from ..errors import BackendUnavailableError
from ..models.network import Network
from ..optim.optimizers import SGD


class NNScratch:
    """``Network.fit`` for one epoch at a time; the time is the fit loop's own
    ``history["seconds"]`` (the epoch, ending with its one device read)."""

    def __init__(self, backend, X, y, sizes, batch_size, lr=0.01, seed=0, name=None):
        self.backend = backend
        self.name = name or f"nnscratch {backend}"
        self.net = Network.from_sizes(*sizes, seed=seed, backend=backend)
        self.X, self.y = backend.asarray(X, dtype=backend.dtype), backend.asarray(y)
        self.optimizer, self.batch_size = SGD(lr=lr), batch_size

    def epoch(self):
        history = self.net.fit(self.X, self.y, epochs=1, batch_size=self.batch_size,
                               optimizer=self.optimizer, shuffle=True)
        return history.history["seconds"][-1]


class Reference:
    """A hand-written loop from ``benchmarks/``, timed around its ``epoch()`` and ``sync()``."""

    def __init__(self, loop, backend, name):
        self.loop, self.backend, self.name = loop, backend, name

    def epoch(self):
        self.loop.sync()
        start = time.perf_counter()
        self.loop.epoch()
        self.loop.sync()
        return time.perf_counter() - start


def _load(module_name):
    """A reference loop from :mod:`nnscratch.bench.reference` (shipped in the package)."""
    try:
        return importlib.import_module(f"{__package__}.reference.{module_name}")
    except ImportError as exc:
        raise BackendUnavailableError(f"{module_name}.py cannot run here: {exc}.") from None


def reference_specs(backends):
    """``(label, backend spec)`` of every reference loop to add for these backends."""
    specs = [("numpy-reference", "numpy"), ("torch-reference", "torch:cpu")]
    gpus = [b for b in backends if b.startswith("torch:cuda") or b.startswith("cupy")]
    if gpus:
        specs.append(("torch-reference", "torch:cuda"))
    return specs


def make_reference(label, spec, X, y, sizes, batch_size, lr=0.01, seed=0):
    """A :class:`Reference` for ``label`` on ``spec``; raises BackendUnavailableError if it cannot run."""
    backend = get_backend(spec)
    if label == "numpy-reference":
        loop = _load("numpy_reference").NumpyReference(X, y, sizes, batch_size, lr=lr, seed=seed)
    else:
        module = _load("torch_reference")
        loop = module.TorchReference(X, y, sizes, batch_size, lr=lr, seed=seed, device=str(backend.device))
    return Reference(loop, backend, f"{label}" + ("" if spec in ("numpy", "torch:cpu") else f" {spec}"))
