"""Activations: elementwise (or row-wise) functions, each beside its derivative."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .base import Layer
from .habits import keywords
from .._typing import Array, Rng, is_real

if TYPE_CHECKING:
    from ..backend.core import Backend
    from .initializers import Initializer


class Activation(Layer):
    """An elementwise (or row-wise) function with no parameters."""

    _f: Callable[..., Array]  # y = f(x), given (xp, x)
    _df: Callable[..., Array]  # dL/dx, given (xp, x, y, dy)

    def forward(self, x: Array, training: bool = False) -> Array:
        y = self._f(self._xp(x), x)
        if training:
            self._x, self._y = x, y
        return y

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        return self._df(self._xp(dy), self._cached("_x"), self._y, dy)


class Identity(Activation):
    """f(x) = x; f'(x) = 1."""

    def _f(self, xp, x):
        return x

    def _df(self, xp, x, y, dy):
        return dy


class ReLU(Activation):
    """f(x) = max(x, 0); f'(x) = 1 where x > 0, else 0."""

    zero = 0.0  # a 0-d device array once built: a Python 0.0 becomes a host-made tensor per call on torch

    def build(self, backend: Backend, rng: Rng, init: Initializer, index: int) -> None:
        super().build(backend, rng, init, index)
        self.zero = backend.xp.zeros((), dtype=backend.dtype, device=backend.device)

    def _f(self, xp, x):
        return xp.maximum(x, self.zero)

    def _df(self, xp, x, y, dy):
        return dy * xp.astype(y > 0, dy.dtype)  # a multiply: NumPy's where() took 4x as long on a 128x256 float32 batch


class LeakyReLU(Activation):
    """f(x) = x where x > 0, else alpha * x; f'(x) = 1 or alpha.

    Parameters
    ----------
    alpha : float, default 0.01
        Slope for ``x <= 0``, in ``[0, 1)``; 0 gives ReLU.
    """

    @keywords("LeakyReLU")
    def __init__(self, alpha: float = 0.01) -> None:
        if not (is_real(alpha) and 0 <= alpha < 1):
            raise ConfigError(f"LeakyReLU alpha must be a number in [0, 1), e.g. alpha=0.01; got {alpha!r}.")
        self.alpha = float(alpha)

    def _f(self, xp, x):
        return xp.maximum(x, self.alpha * x)  # equal to the where() form since alpha < 1

    def _df(self, xp, x, y, dy):
        return dy * (xp.astype(x > 0, dy.dtype) * (1.0 - self.alpha) + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "alpha": self.alpha}


class Sigmoid(Activation):
    """f(x) = 1 / (1 + exp(-x)), with x first raised to ``floor`` (-87 in float32, -708 in float64) so that
    exp never overflows; f'(x) = f(x) * (1 - f(x)). Every value keeps its relative precision, as PyTorch's
    does, down to f(floor) (about 1e-38 and 1e-308), which the few x below it give: (tanh(x/2) + 1) / 2, used
    before, lost it to cancellation (0.3% off at x = -10 and exactly 0 below -17 in float32)."""

    floor = -87.0  # a 0-d device array once built (as ReLU's zero); exp(87) is finite in float32

    def build(self, backend: Backend, rng: Rng, init: Initializer, index: int) -> None:
        super().build(backend, rng, init, index)
        low = -87.0 if backend.dtype_name == "float32" else -708.0
        self.floor = backend.xp.asarray(low, dtype=backend.dtype, device=backend.device)

    def _f(self, xp, x):
        floor = self.floor
        if isinstance(floor, float):  # never built (predict_proba's link after logits): the floor of x's dtype
            floor = -87.0 if x.dtype == xp.float32 else -708.0
        return 1.0 / (1.0 + xp.exp(-xp.maximum(x, floor)))

    def _df(self, xp, x, y, dy):
        return dy * y * (1.0 - y)


class Tanh(Activation):
    """f(x) = tanh(x); f'(x) = 1 - tanh(x)**2."""

    def _f(self, xp, x):
        return xp.tanh(x)

    def _df(self, xp, x, y, dy):
        return dy * (1.0 - y * y)


class Softmax(Activation):
    """Row-wise softmax p_i = exp(x_i) / sum_j exp(x_j), shifted by the row max.

    Backward applies the Jacobian dp_i/dx_j = p_i (delta_ij - p_j):
    dx = p * (dy - sum(dy * p)). With cross-entropy the network skips this
    and uses the fused gradient ``p - y`` instead.
    """

    def _f(self, xp, x):
        e = xp.exp(x - xp.max(x, axis=1, keepdims=True))
        return e / xp.sum(e, axis=1, keepdims=True)

    def _df(self, xp, x, y, dy):
        return y * (dy - xp.sum(dy * y, axis=1, keepdims=True))


