"""BatchNorm: batch normalisation over axis 1, as PyTorch's ``BatchNorm1d``/``BatchNorm2d``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
import math

from ..errors import ConfigError, ShapeError
from .base import Layer, Parameter
from .._typing import Array, Rng, Shape

if TYPE_CHECKING:
    from ..backend.core import Backend
    from .initializers import Initializer


class BatchNorm(Layer):
    """``y = gamma * (x - mean) / sqrt(var + eps) + beta`` per feature (axis 1).

    Inputs ``(N, F)`` or ``(N, C, H, W)``; statistics over every axis but 1.
    In training, the batch's mean and biased variance, and the running
    statistics move by ``running = (1 - momentum) * running + momentum * batch``
    (PyTorch's convention; the running variance takes the unbiased batch
    variance, ``var * m / (m - 1)``, as PyTorch does). In predict/evaluate the
    running statistics. They are not trained: they live in :attr:`buffers`,
    saved with the model and in checkpoints.
    """

    buffers: Sequence[Parameter]

    def __init__(self, n_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
            raise ConfigError(f"BatchNorm n_features must be a positive integer; got {n_features!r}.")
        if not 0 <= momentum <= 1 or not eps > 0:
            raise ConfigError(f"BatchNorm needs 0 <= momentum <= 1 and eps > 0; got momentum={momentum!r}, "
                              f"eps={eps!r}.")
        self.n_features, self.momentum, self.eps = n_features, float(momentum), float(eps)
        self.params, self.buffers, self._xhat = (), (), None

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if len(shape) not in (1, 3) or shape[0] not in (None, self.n_features):
            raise ShapeError(f"{self!r} normalises {self.n_features} features (N, {self.n_features}) or "
                             f"channels (N, {self.n_features}, H, W) but receives per-sample shape {shape}; "
                             f"use BatchNorm({shape[0] if shape else '?'}).")
        return shape

    def build(self, backend: Backend, rng: Rng, init: Initializer, index: int) -> None:
        super().build(backend, rng, init, index)
        xp, f = backend.xp, self.n_features
        full = lambda v: xp.full(f, v, dtype=backend.dtype, device=backend.device)  # noqa: E731
        self.gamma, self.beta = Parameter(f"{index}.weight", full(1.0)), Parameter(f"{index}.bias", full(0.0))
        self.running_mean = Parameter(f"{index}.running_mean", full(0.0))
        self.running_var = Parameter(f"{index}.running_var", full(1.0))
        self.params, self.buffers = (self.gamma, self.beta), (self.running_mean, self.running_var)

    def forward(self, x: Array, training: bool = False) -> Array:
        xp = self._xp(x)
        axes, shape = ((0,), (1, -1)) if x.ndim == 2 else ((0, 2, 3), (1, -1, 1, 1))
        if training:
            mean = xp.mean(x, axis=axes, keepdims=True)
            xc = x - mean
            var = xp.mean(xc * xc, axis=axes, keepdims=True)
            inv = 1.0 / xp.sqrt(var + self.eps)
            self._xhat, self._inv, self._axes = xc * inv, inv, axes
            self._update_running(xp, xp.reshape(mean, (-1,)), xp.reshape(var, (-1,)), math.prod(x.shape) // x.shape[1])
            xhat = self._xhat
        else:
            mean, var = xp.reshape(self.running_mean.value, shape), xp.reshape(self.running_var.value, shape)
            xhat = (x - mean) / xp.sqrt(var + self.eps)
        return xp.reshape(self.gamma.value, shape) * xhat + xp.reshape(self.beta.value, shape)

    def _update_running(self, xp, mean, var, m):
        mom, unbiased = self.momentum, var * (m / (m - 1) if m > 1 else 1.0)
        self.running_mean.value = (1.0 - mom) * self.running_mean.value + mom * mean
        self.running_var.value = (1.0 - mom) * self.running_var.value + mom * unbiased

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        """With xhat = (x - mean) * inv: dL/dgamma = sum(dy * xhat), dL/dbeta = sum(dy);
        dL/dx = inv * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma (sums, means over the batch axes)."""
        xhat = self._cached("_xhat")
        xp, axes = self._xp(dy), self._axes
        shape = (1, -1) if dy.ndim == 2 else (1, -1, 1, 1)
        self.gamma.grad = xp.sum(dy * xhat, axis=axes)
        self.beta.grad = xp.sum(dy, axis=axes)
        if not need_input_grad:
            return None
        g = dy * xp.reshape(self.gamma.value, shape)
        return self._inv * (g - xp.mean(g, axis=axes, keepdims=True)
                            - xhat * xp.mean(g * xhat, axis=axes, keepdims=True))

    def get_config(self) -> dict[str, Any]:
        return {"type": "BatchNorm", "n_features": self.n_features, "momentum": self.momentum, "eps": self.eps}
