"""Dropout: inverted dropout with masks drawn on the device from the network's seed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..backend.core import host_rng, new_seed
from ..errors import ConfigError
from .base import Layer
from .habits import keywords
from .._typing import Array, Rng, is_real

if TYPE_CHECKING:
    from ..backend.core import Backend
    from .initializers import Initializer

# A counter-based hash (Wellons' "lowbias32" finaliser, second multiplier from MurmurHash2)
# over int64 arrays holding 32-bit values: multipliers below 2**31 keep every product
# below 2**63, so int64 arithmetic never overflows and every backend gives the same bits.
_M1, _M2, _MASK = 0x7FEB352D, 0x5BD1E995, 0xFFFFFFFF


def _mix(h):
    h = h ^ (h >> 16)
    h = (h * _M1) & _MASK
    h = h ^ (h >> 15)
    h = (h * _M2) & _MASK
    return h ^ (h >> 16)


def keep_mask(xp, shape, keys, rate, device=None, first_row=0):
    """Boolean mask of ``shape``, each entry kept with probability ``1 - rate``: the
    hash of (element index, ``keys``) compared with ``rate * 2**32``. The element
    index counts from row ``first_row`` (rows ``first_row:first_row + shape[0]``
    of a larger batch get exactly that batch's mask for those rows)."""
    n = 1
    for size in shape:
        n *= size
    start = first_row * (n // shape[0]) if shape[0] else 0
    index = xp.reshape(xp.arange(start, start + n, dtype=xp.int64, device=device), shape)
    bits = _mix(_mix(index ^ keys[0]) ^ keys[1])
    return bits >= int(rate * 2.0 ** 32)


class Dropout(Layer):
    """Inverted dropout: in training ``y = x * m / (1 - rate)`` with ``m ~ Bernoulli(1 - rate)``;
    ``y = x`` in predict/evaluate, so nothing needs rescaling after training.

    The masks are a hash of each element's index and two 32-bit keys drawn per
    batch from the network's seeded host RNG. Drawing the keys is a host
    computation, but they reach the device as scalar kernel arguments, not as
    an array transfer: no host array crosses per batch, on a GPU too, while the
    masks stay reproducible from the seed and resume exactly (the RNG state is
    in checkpoints). ``mask`` holds the last training mask (scaled), for tests.

    The index is the element's index in the global batch: in a data-parallel step
    (``training`` is a :class:`~nnscratch.distributed.sync.ShardContext`) a rank's
    rows start at ``training.row_offset``, so N ranks draw exactly the masks one
    process draws.

    Parameters
    ----------
    rate : float, default 0.5
        Fraction of inputs zeroed in each training batch, in ``[0, 1)``; 0 disables dropout.
    """

    mask: Array | float | None
    _rng: Rng | None

    @keywords("Dropout")
    def __init__(self, rate: float = 0.5) -> None:
        if not is_real(rate) or not 0 <= rate < 1:
            raise ConfigError(f"Dropout rate must be a number in [0, 1) (the share of units dropped); "
                              f"got {rate!r}.")
        self.rate = float(rate)
        self._rng, self.mask = None, None

    def build(self, backend: Backend, rng: Rng, init: Initializer, index: int) -> None:
        super().build(backend, rng, init, index)
        self._rng = rng

    def forward(self, x: Array, training: bool = False) -> Array:
        if not training:  # the last training mask stays for backward (a predict between the two changes nothing)
            return x
        if self.rate == 0.0:
            self.mask = 1.0
            return x
        if self._rng is None:  # used on its own, outside a Network
            self._rng = host_rng(new_seed())
        xp = self._xp(x)
        keys = [int(k) for k in self._rng.integers(0, 2 ** 32, size=2)]
        keep = keep_mask(xp, tuple(x.shape), keys, self.rate, device=x.device,
                         first_row=getattr(training, "row_offset", 0))
        self.mask = xp.astype(keep, x.dtype) * (1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        """dL/dx = dL/dy * m / (1 - rate), with the forward pass's mask.

        Parameters
        ----------
        dy : array, shaped as the last training forward's output
            The loss's gradient with respect to this layer's output.
        need_input_grad : bool, default True
            Compute ``dL/dx``; the first layer skips it (nothing before it needs it).
        """
        return dy * self._cached("mask")

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "rate": self.rate}
