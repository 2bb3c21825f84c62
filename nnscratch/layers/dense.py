"""Dense (fully connected) layer: ``z = x @ W + b``, forward beside backward."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..backend.kernels import Kernels
from ..errors import ConfigError, ShapeError
from .initializers import draw, get_initializer, init_config
from .base import Layer, Parameter
from .habits import keywords
from .._typing import Array, Rng, Shape, is_int

if TYPE_CHECKING:
    from ..backend.core import Backend
    from .initializers import Initializer


class Dense(Layer):
    """Fully connected layer: ``z = x @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output sizes; ``W`` is ``(n_in, n_out)`` and ``b`` is ``(n_out,)``.
    init : str, dict or Initializer, optional
        Overrides the network's default for this layer.
    """

    _made_by_build = ("weight", "bias")

    @keywords("Dense")
    def __init__(self, n_in: int, n_out: int, init: str | dict[str, Any] | Callable[..., Any] | None = None) -> None:
        for label, n in (("n_in", n_in), ("n_out", n_out)):
            if not is_int(n) or n < 1:
                raise ConfigError(f"Dense {label} must be a positive integer; got {n!r}.")
        self.n_in, self.n_out = n_in, n_out = int(n_in), int(n_out)
        self.input_shape = (n_in,)
        self.init = None if init is None else get_initializer(init)
        self.params, self._x = (), None
        self._wT = self._wT_of = None  # W.T, a view: follows in-place updates of W at no cost

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if len(shape) != 1 or shape[0] not in (self.n_in, None):  # several axes: open or not, a Flatten first
            given = shape[0] if len(shape) == 1 else f"shape {shape}"
            fix = f"use Dense({shape[0]}, {self.n_out})" if len(shape) == 1 else "put a Flatten() before it"
            raise ShapeError(f"Dense({self.n_in}, {self.n_out}) expects {self.n_in} features per sample but "
                             f"receives {given}; {fix}.")
        return (self.n_out,)

    def build(self, backend: Backend, rng: Rng, init: Initializer, index: int) -> None:
        super().build(backend, rng, init, index)
        w, b = draw(self.init or init, rng, self.n_in, self.n_out, self)
        weight = backend.asarray(w, dtype=backend.dtype)
        bias = backend.xp.zeros(self.n_out, dtype=backend.dtype, device=backend.device) if b is None \
            else backend.asarray(b, dtype=backend.dtype)
        self.weight, self.bias = Parameter(f"{index}.weight", weight), Parameter(f"{index}.bias", bias)
        self.params = (self.weight, self.bias)
        self._kernels = Kernels(backend)

    def forward(self, x: Array, training: bool = False) -> Array:
        if x.ndim != 2 or x.shape[1] != self.n_in:  # a layer used on its own (a Network checks first)
            self.output_shape(tuple(x.shape[1:]))
        if training:
            self._x = x
        z = x @ self.weight.value
        z += self.bias.value
        return z

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        """dL/dW = x.T @ dy, dL/db = sum of dy over samples, dL/dx = dy @ W.T.

        The gradients go into the parameters' slots of the network's gradient buffer.

        Parameters
        ----------
        dy : array, shaped as the last training forward's output
            The loss's gradient with respect to this layer's output.
        need_input_grad : bool, default True
            Compute ``dL/dx``; the first layer skips it (nothing before it needs it).
        """
        x, k, w, b = self._cached("_x"), self._kernels, self.weight, self.bias
        w.grad = k.matmul_into(x.T, dy, w.grad if w.bound else None)  # in the slot where the library can
        b.grad = k.sum_rows_into(dy, b.grad if b.bound else None)
        return dy @ self._weight_t() if need_input_grad else None

    def _weight_t(self):
        """``W.T``, made once per weight array (a transposed view is an operation of its own)."""
        w = self.weight.value
        if self._wT_of is not w:
            self._wT, self._wT_of = w.T, w
        return self._wT

    def get_config(self) -> dict[str, Any]:
        config = {"type": type(self).__name__, "n_in": self.n_in, "n_out": self.n_out}
        kept = init_config(self.init)
        return config if kept is None else {**config, "init": kept}


