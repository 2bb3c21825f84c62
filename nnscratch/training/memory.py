"""How many bytes a call needs on the device, and how many the device has.

The arithmetic behind :func:`nnscratch.training.streaming.should_stream`, without
deciding anything: :func:`device_budget` reads the free memory
(``Backend.memory_info()``, which counts memory the allocator caches;
``$NNSCRATCH_DEVICE_MEMORY`` sets a budget instead, e.g. ``512M``);
:func:`training_bytes` and :func:`inference_bytes` count what ``fit`` and a
forward pass (``evaluate``, ``compute_gradients``, ``predict``) really allocate
there, parameters included (:func:`parameter_bytes`); :func:`size` writes a
byte count for a message.

Under ``mpiexec`` (data-parallel training, :mod:`nnscratch.distributed`) each process
holds the whole data set but trains on its share of each batch: :func:`batch_rows`
counts that share, the rows one process's step holds at a time.
"""

import contextlib
import math
import os
from contextvars import ContextVar

from ..errors import ConfigError, ShapeError
from ..layers import Conv2D
from ..models.shapes import layer_shapes

INFERENCE_BATCH = 4096  # rows per forward-pass batch of data kept in host memory
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def device_budget(backend):
    """Free bytes on ``backend``'s device: ``$NNSCRATCH_DEVICE_MEMORY`` if set, else
    ``backend.memory_info()[0]``; None when unknown (then nothing streams)."""
    text = os.environ.get("NNSCRATCH_DEVICE_MEMORY", "").strip().upper().removesuffix("B")
    if text:
        unit = text[-1] if text[-1] in _UNITS else ""
        try:
            size = float(text.removesuffix(unit)) * _UNITS[unit]
        except ValueError:
            size = math.nan
        if not size >= 1 or math.isinf(size):
            raise ConfigError(f"NNSCRATCH_DEVICE_MEMORY must be a positive size such as 512M or 2G; "
                              f"got {os.environ['NNSCRATCH_DEVICE_MEMORY']!r}.")
        return int(size)
    info = backend.memory_info()
    return None if info is None else info[0]


def row_count(a):
    """The rows (first axis) of ``a``: 0 for a scalar or an object without a length."""
    shape = getattr(a, "shape", None)
    if shape is None:
        try:
            return len(a)
        except TypeError:
            return 0
    return shape[0] if len(shape) else 0


def _features(net, X):
    shape = getattr(X, "shape", None)
    return math.prod(shape[1:]) if shape is not None and len(shape) > 1 else (net.n_inputs or 1)


def _host_itemsize(X):
    return getattr(getattr(X, "dtype", None), "itemsize", 8)


def inference_bytes(net, X, with_targets=False, batch_size=INFERENCE_BATCH):
    """Device bytes of a forward pass over all of ``X``: the inputs as sent and in the
    model's dtype, the outputs and their concatenation, one batch of activations
    (and with targets: float targets, labels, the boolean one-hot temporary)."""
    s, n, k = _itemsize(net), row_count(X), _outputs(net, X)
    total = n * _features(net, X) * (s + _host_itemsize(X)) + 2 * n * k * s
    total += _activation_bytes(net, min(n, batch_size), X, backward=False)
    if with_targets:
        total += n * (k * s + k + 2 * 8)
    return total + parameter_bytes(net)


def _outputs(net, X):
    """Output values per sample (all of them: ``(8, 28, 28)`` is 6272): those of ``X``'s shape where the
    network's output size is open (a network of convolutions only), else :attr:`~nnscratch.Network.n_outputs`."""
    if None not in net.output_shape:
        return net.n_outputs
    shape = getattr(X, "shape", None)
    try:
        out = net.shape_after(tuple(shape[1:])) if shape is not None and len(shape) > 1 else ()
    except ShapeError:  # X does not fit: said when it reaches the layers
        out = ()
    return math.prod(out) if out and None not in out else _features(net, X)


_ALONE: ContextVar[bool] = ContextVar("nnscratch_memory_alone", default=False)


def processes():
    """How many processes share each training batch: the size of the data-parallel job this process
    joined (:func:`nnscratch.distributed.from_environment`), 1 outside one or inside :func:`one_process`."""
    from ..distributed.comm import active_size
    return 1 if _ALONE.get() else active_size()


@contextlib.contextmanager
def one_process():
    """Inside, the arithmetic counts the rows it is given as one process's own (a share already)."""
    token = _ALONE.set(True)
    try:
        yield
    finally:
        _ALONE.reset(token)


def batch_rows(batch_size, n):
    """The most rows of one batch of ``batch_size`` (None: all ``n``) that one process trains on
    at a time: the whole batch, or under ``mpiexec`` the largest share of it
    (:func:`nnscratch.distributed.shard`: the shares differ by at most one row)."""
    rows = min(batch_size or n, n)
    return -(-rows // processes())


def _activation_bytes(net, rows, X=None, backward=True):
    """One batch through the network: every Dense layer's output, activation and gradient, and every feature
    map (a per-sample output of channels and positions, of ``X``'s samples where sizes are open), with its
    gradient when ``backward``, a convolution's columns too (a CNN's maps were left out: 5.5 MB counted for a
    forward pass of 4096 small images through a 16-channel convolution that peaks at 97 MB)."""
    widths = sum(p.value.shape[-1] for p in net.parameters() if len(p.value.shape) == 2)
    return (3 * widths + _map_floats(net, X, 2 if backward else 1)) * rows * _itemsize(net)


def _map_floats(net, X, copies):
    """Floats per sample of the feature maps of one pass (``copies``: 2 with their gradients; 0 for an MLP)."""
    shape = getattr(X, "shape", None)
    sample = net.input_shape if None not in net.input_shape or shape is None else tuple(shape[1:])
    floats = 0
    try:
        for layer, out in zip(net.layers, layer_shapes(net.layers, tuple(sample))):
            if len(out) > 1 and None not in out:
                floats += copies * math.prod(out)
                if isinstance(layer, Conv2D):  # im2col: a column of in_channels x kernel per output position
                    floats += layer.in_channels * math.prod(layer.kernel_size) * math.prod(out[1:])
    except ShapeError:  # X does not fit: said when it reaches the layers
        return 0
    return floats


def _itemsize(net):
    return 8 if net.backend.dtype_name == "float64" else 4


GUARD_COPIES = 3
"""The divergence guard's copies beside them (:mod:`nnscratch.training.guard`): the last good epoch's
weights and up to two optimizer slots (Adam's moments)."""


def parameter_bytes(net, copies=4):
    """Parameters, gradients and up to two optimizer slots each."""
    return copies * _itemsize(net) * sum(math.prod(p.value.shape) for p in net.parameters())


def training_bytes(net, X, validation_data=None, batch_size=None):
    """Device bytes ``fit`` allocates: the inputs (as sent and converted), one-hot
    targets and labels, each epoch's shuffled targets and labels, the permutation,
    the kept outputs and their concatenation, one batch of activations (this process's
    share, :func:`batch_rows`), the parameters with gradients and optimizer state, the divergence
    guard's copy of them (:data:`GUARD_COPIES`), and the validation data."""
    s, n, k = _itemsize(net), row_count(X), _outputs(net, X)
    total = n * _features(net, X) * (s + _host_itemsize(X))
    total += n * (k * (s + 1) + 8)        # one-hot targets (and their boolean temporary), labels
    total += n * (k * s + 8 + 8)          # shuffled targets and labels, the permutation
    total += 2 * n * k * s                # kept outputs, concatenated
    total += _activation_bytes(net, batch_rows(batch_size, n), X)
    if validation_data is not None:
        total += inference_bytes(net, validation_data[0], with_targets=True) - parameter_bytes(net)
    return total + parameter_bytes(net) + parameter_bytes(net, copies=GUARD_COPIES)


def data_bytes(net, X, validation_data=None):
    """Backwards-compatible name for :func:`training_bytes`."""
    return training_bytes(net, X, validation_data)


def size(n):
    """``n`` bytes as ``1.5 MiB``."""
    units = ("bytes", "KiB", "MiB", "GiB", "TiB")
    k = 0
    while n >= 1024 and k < len(units) - 1:
        n, k = n / 1024, k + 1
    return f"{n:.0f} bytes" if k == 0 else f"{n:.1f} {units[k]}"
