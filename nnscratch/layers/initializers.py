"""Weight initialisers, drawn on the host and moved to the device once.

Every initialiser draws from a ``numpy.random.Generator`` seeded by the
network, so the same seed gives the same starting weights on every backend.
An initialiser is called as ``init(rng, n_in, n_out)`` and returns the
weight matrix ``(n_in, n_out)`` as a float64 NumPy array and the bias vector
``(n_out,)`` or None for zeros; the layer casts them to its dtype on its device.
A layer given none gets :func:`default_initializer`'s: He before a ReLU, else Glorot.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, unknown_name
from .activations import LeakyReLU, ReLU
from .pooling import AvgPool2D, MaxPool2D
from .._typing import Array, Rng, is_real

if TYPE_CHECKING:
    from .base import Layer


class Initializer:
    """Base: zero biases, weights from :meth:`weights`."""

    name = "?"

    def __call__(self, rng: Rng, n_in: int, n_out: int) -> tuple[Array, Array | None]:
        return self.weights(rng, n_in, n_out), None

    def weights(self, rng: Rng, n_in: int, n_out: int) -> Array:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


class Uniform(Initializer):
    """``U(-limit, limit)`` for the weights, and for the biases too when
    ``biases=True`` (seed 000 draws both from ``U(-0.05, 0.05)``).

    Parameters
    ----------
    limit : float, default 0.05
        Half-width of the interval: weights are drawn from ``[-limit, limit)``.
    biases : bool, default False
        Draw the biases from the same interval too; False starts them at 0.
    """

    name = "uniform"

    def __init__(self, limit: float = 0.05, biases: bool = False) -> None:
        if not (is_real(limit) and limit > 0):
            raise ConfigError(f"Uniform limit must be a positive number, e.g. limit=0.05; got {limit!r}.")
        self.limit, self.biases = float(limit), bool(biases)

    def __call__(self, rng: Rng, n_in: int, n_out: int) -> tuple[Array, Array | None]:
        w = self.weights(rng, n_in, n_out)
        b = rng.uniform(-self.limit, self.limit, size=n_out) if self.biases else None
        return w, b

    def weights(self, rng: Rng, n_in: int, n_out: int) -> Array:
        return rng.uniform(-self.limit, self.limit, size=(n_in, n_out))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "limit": self.limit, "biases": self.biases}


class Normal(Initializer):
    """``N(0, std**2)``; ``std=1`` is seed 004's ``np.random.randn``.

    Parameters
    ----------
    std : float, default 1.0
        Standard deviation of the weights (mean 0); small values such as 0.01 start near 0.
    """

    name = "normal"

    def __init__(self, std: float = 1.0) -> None:
        if not (is_real(std) and std > 0):
            raise ConfigError(f"Normal std must be a positive number, e.g. std=0.01; got {std!r}.")
        self.std = float(std)

    def weights(self, rng: Rng, n_in: int, n_out: int) -> Array:
        return rng.normal(0.0, self.std, size=(n_in, n_out))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "std": self.std}


class Glorot(Initializer):
    """Glorot/Xavier uniform: ``U(-a, a)``, ``a = sqrt(6 / (n_in + n_out))``."""

    name = "glorot"

    def weights(self, rng: Rng, n_in: int, n_out: int) -> Array:
        limit = math.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-limit, limit, size=(n_in, n_out))


class He(Initializer):
    """He normal: ``N(0, 2 / n_in)``, for ReLU layers."""

    name = "he"

    def weights(self, rng: Rng, n_in: int, n_out: int) -> Array:
        return rng.normal(0.0, math.sqrt(2.0 / n_in), size=(n_in, n_out))


INITIALIZERS = {"uniform": Uniform, "normal": Normal, "glorot": Glorot, "xavier": Glorot, "he": He}


def get_initializer(spec: str | dict[str, Any] | Callable[..., Any]) -> Callable[..., Any]:
    """An initialiser from a name, a config dict, an Initializer class (made with its defaults, as
    Keras takes ``HeNormal``), or an Initializer or function (returned as is)."""
    if isinstance(spec, type) and issubclass(spec, Initializer):
        return spec()
    if isinstance(spec, Initializer) or (callable(spec) and not isinstance(spec, (str, dict))):
        return spec
    if isinstance(spec, dict):
        if "name" not in spec:
            raise ConfigError(f"An init dict names its initializer, e.g. {{'name': 'normal', 'std': 0.1}}; got {spec!r}.")
        options = {k: v for k, v in spec.items() if k != "name"}
        cls = _lookup(spec.get("name"))
        takes = list(inspect.signature(cls).parameters)
        unknown = sorted(set(options) - set(takes))
        if unknown:
            raise ConfigError(f"The {cls.name} initializer takes {', '.join(takes) or 'no options'}; got "
                              f"{', '.join(map(str, unknown))} in {spec!r}.")
        return cls(**options)
    return _lookup(spec)()


def init_config(init: Callable[..., Any] | None) -> dict[str, Any] | None:
    """What a layer's config keeps of its initialiser ``init``: ``init.get_config()`` for a built-in one (its
    class is the one :data:`INITIALIZERS` gives its name), which :func:`get_initializer` rebuilds; None for
    none or one of one's own (a function, a subclass), whose name nothing could rebuild: loading and copying
    the model failed on it ('Unknown initializer'), though the saved weights hold all that it drew."""
    if isinstance(init, Initializer) and INITIALIZERS.get(init.name) is type(init):
        return init.get_config()
    return None


def draw(init: Callable[..., Any], rng: Rng, n_in: int, n_out: int, layer: Layer) -> tuple[Array, Array | None]:
    """``init(rng, n_in, n_out)`` for ``layer``, checked: weights ``(n_in, n_out)`` and biases ``(n_out,)`` or
    None. An initialiser of one's own that returns something else is a ConfigError naming the layer (it
    was a failed unpacking or reshape, or weights of another shape that failed in the first product)."""
    drawn = init(rng, n_in, n_out)
    w, b = drawn if isinstance(drawn, (tuple, list)) and len(drawn) == 2 else (drawn, ...)
    shape = lambda a: tuple(a.shape) if hasattr(a, "shape") else type(a).__name__  # noqa: E731
    if b is ... or shape(w) != (n_in, n_out) or not (b is None or shape(b) == (n_out,)):
        got = (f"an array of shape {shape(drawn)}" if hasattr(drawn, "shape") else f"a {shape(drawn)}") if b is ... \
            else f"a pair shaped ({shape(w)}, {None if b is None else shape(b)})"
        raise ConfigError(f"The initializer of {layer!r} returned {got}; init(rng, n_in={n_in}, n_out={n_out}) "
                          f"must return (weights of shape ({n_in}, {n_out}), biases of shape ({n_out},) or None).")
    return w, b


def _lookup(name):
    key = str(name).lower()
    if key not in INITIALIZERS:
        raise unknown_name("initializer", name, INITIALIZERS)
    return INITIALIZERS[key]


def default_initializer(layers: Sequence[Layer], index: int) -> Initializer:
    """He for the layer at ``index`` of ``layers`` when its outputs reach a ReLU or LeakyReLU (pooling
    in between does not count: max-pooling and ReLU commute), else Glorot."""
    after = (layer for layer in layers[index + 1:] if not isinstance(layer, (MaxPool2D, AvgPool2D)))
    following = next(after, None)
    return He() if isinstance(following, (ReLU, LeakyReLU)) else Glorot()
