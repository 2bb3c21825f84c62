"""BatchNorm: batch normalisation over axis 1, as PyTorch's ``BatchNorm1d``/``BatchNorm2d``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
import math

from ..errors import ConfigError, DataError, ShapeError
from .base import Layer, Parameter
from .habits import keywords
from .._typing import Array, Rng, Shape, is_int, is_real

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

    In a data-parallel step (``training`` is a
    :class:`~nnscratch.distributed.sync.ShardContext`) the statistics are those of
    the global batch, gathered from every rank (a synchronised BatchNorm, as
    PyTorch's ``SyncBatchNorm``): N ranks train the model one process trains.

    The bias of a Dense or Conv2D right before a BatchNorm has no effect: the batch mean takes it
    away, so its gradient ``sum(dL/dx)`` is zero but for float rounding (about 1e-8 in float32; no
    float arithmetic makes such a sum exactly 0). SGD leaves it near 0; Adam divides each gradient by
    its own size, so it moves on that noise by up to ``lr`` a step (about 0.005 after 40 float32 steps)
    and differs between backends and rank counts, with no effect on the training loss (predict sees
    it only through the running mean, which follows it).

    Parameters
    ----------
    n_features : int
        Features (``F`` of ``(N, F)``) or channels (``C`` of ``(N, C, H, W)``) to normalise.
    momentum : float, default 0.1
        Weight of each batch in the running statistics (PyTorch's meaning: larger adapts faster).
    eps : float, default 1e-5
        Added to the variance before the square root, so a constant feature does not divide by 0.
    """

    buffers: Sequence[Parameter]
    _made_by_build = ("gamma", "beta", "running_mean", "running_var")
    _sync: Any  # a data-parallel step's ShardContext while it trains, else None

    @keywords("BatchNorm")
    def __init__(self, n_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        if not is_int(n_features) or n_features < 1:
            raise ConfigError(f"BatchNorm n_features must be a positive integer; got {n_features!r}.")
        if momentum is None:
            raise ConfigError("BatchNorm momentum=None (PyTorch's cumulative average of the batch statistics) is "
                              "not supported; give a number in [0, 1], e.g. momentum=0.1 (PyTorch's default).")
        if not (is_real(momentum) and 0 <= momentum <= 1) or not (is_real(eps) and eps > 0):
            raise ConfigError(f"BatchNorm needs numbers 0 <= momentum <= 1 and eps > 0 (finite); got "
                              f"momentum={momentum!r}, eps={eps!r}.")
        self.n_features, self.momentum, self.eps = int(n_features), float(momentum), float(eps)
        self.params, self.buffers, self._xhat, self._sync = (), (), None, None

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
        if x.ndim not in (2, 4) or x.shape[1] != self.n_features:  # on its own (a Network checks first)
            self.output_shape(tuple(x.shape[1:]))
        axes, shape = ((0,), (1, -1)) if x.ndim == 2 else ((0, 2, 3), (1, -1, 1, 1))
        if not training:
            mean, var = xp.reshape(self.running_mean.value, shape), xp.reshape(self.running_var.value, shape)
            xhat = (x - mean) / xp.sqrt(var + self.eps)
            return xp.reshape(self.gamma.value, shape) * xhat + xp.reshape(self.beta.value, shape)
        count = math.prod(x.shape) // x.shape[1]  # values per channel (0 in an empty shard)
        self._sync = training if hasattr(training, "moments") else None  # a data-parallel step's ShardContext
        if self._sync is None and count == 1:  # on its own: a Network refuses it before training
            raise DataError(f"{self!r} in training sees one value per channel (shape {tuple(x.shape)}), whose "
                            "variance is 0; as PyTorch ('Expected more than 1 value per channel when training'), "
                            "pass at least 2 samples, or use it in predict mode (training=False).")
        if self._sync is None:
            mean = xp.mean(x, axis=axes, keepdims=True)
            xc = x - mean
            var = xp.mean(xc * xc, axis=axes, keepdims=True)
        else:
            mean, var, count = self._global_moments(xp, x, axes, shape, count)
            xc = x - mean
        inv = 1.0 / xp.sqrt(var + self.eps)
        self._xhat, self._inv, self._axes = xc * inv, inv, axes
        self._update_running(xp, xp.reshape(mean, (-1,)), xp.reshape(var, (-1,)), count)
        return xp.reshape(self.gamma.value, shape) * self._xhat + xp.reshape(self.beta.value, shape)

    def _global_moments(self, xp, x, axes, shape, count):
        """Mean and biased variance (shaped to broadcast) of the global batch, and its count per
        channel: this shard's count, mean and sum of squared deviations, combined over ranks."""
        if count:
            local = xp.mean(x, axis=axes, keepdims=True)
            xc = x - local
            local, m2 = xp.reshape(local, (-1,)), xp.sum(xc * xc, axis=axes)
        else:  # a rank with no rows of this batch still takes part in the collective
            local = m2 = xp.zeros(self.n_features, dtype=x.dtype, device=x.device)
        mean, var, total = self._sync.moments(count, local, m2)
        return xp.reshape(mean, shape), xp.reshape(var, shape), total

    def _update_running(self, xp, mean, var, m):
        mom, unbiased = self.momentum, var * (m / (m - 1) if m > 1 else 1.0)
        self.running_mean.value = (1.0 - mom) * self.running_mean.value + mom * mean
        self.running_var.value = (1.0 - mom) * self.running_var.value + mom * unbiased

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        """With xhat = (x - mean) * inv: dL/dgamma = sum(dy * xhat), dL/dbeta = sum(dy);
        dL/dx = inv * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma (sums, means over the batch axes).

        Data-parallel (synchronised): the means are over the global batch, ``gamma *
        sum_r weight_r (dL/dbeta_r, dL/dgamma_r) / count`` (``weight_r``: rank r's share of the
        batch, its loss gradient being the mean over its own ``count`` rows).

        Parameters
        ----------
        dy : array, shaped as the last training forward's output
            The loss's gradient with respect to this layer's output.
        need_input_grad : bool, default True
            Compute ``dL/dx``; the first layer skips it (nothing before it needs it).
        """
        xhat = self._cached("_xhat")
        xp, axes = self._xp(dy), self._axes
        shape = (1, -1) if dy.ndim == 2 else (1, -1, 1, 1)
        self.gamma.grad = xp.sum(dy * xhat, axis=axes)
        self.beta.grad = xp.sum(dy, axis=axes)
        if not need_input_grad:
            return None
        gamma = xp.reshape(self.gamma.value, shape)
        g = dy * gamma
        if self._sync is None:
            return self._inv * (g - xp.mean(g, axis=axes, keepdims=True)
                                - xhat * xp.mean(g * xhat, axis=axes, keepdims=True))
        f = self.n_features
        sums = self._sync.weighted_sum(xp.concat([self.beta.grad, self.gamma.grad]))
        scale = gamma / max(math.prod(dy.shape) // f, 1)  # this shard's count per channel
        return self._inv * (g - scale * xp.reshape(sums[:f], shape) - xhat * (scale * xp.reshape(sums[f:], shape)))

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "n_features": self.n_features, "momentum": self.momentum, "eps": self.eps}
