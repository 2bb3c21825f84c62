"""A :class:`~nnscratch.models.network.Network`'s methods for keeping and copying it.

Config, weights and running statistics in and out, a copy on another backend, ``pickle``,
and files (``.npz``, ONNX): every method that treats a network as data rather than running it.
Each is written here once as a function of the network and is a method of ``Network`` by
assignment in its class body (``get_config = persistence.get_config``), so the class reads
as what it does and its API is unchanged. The work itself is :mod:`nnscratch.models.state`'s
and :mod:`nnscratch.saving`'s; these are the documented entry points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._keywords import keywords
from ..saving import serialize
from ..backend.core import Backend, on_device
from . import state
from .._typing import Array, DType, PathLike

if TYPE_CHECKING:
    from .network import Network


def get_config(self: Network) -> dict[str, Any]:
    """JSON-able description: layers, seed, dtype, input shape, metadata, task (and a built-in loss)."""
    return state.get_config(self)


def from_config(cls: type[Network], config: dict[str, Any], backend: str | Backend | None = None,
                dtype: DType | None = None) -> Network:
    """A new network (fresh weights) built from :meth:`get_config`'s description.

    Parameters
    ----------
    config : dict
        What :meth:`get_config` returned (layers, options, task), e.g. read from JSON.
    backend : str, Backend or None, optional
        Where to build it (``"numpy"``, ``"torch:cuda"``, ...); default: the selected backend.
    dtype : {None, "float32", "float64"}, optional
        Float type of the weights; default: the backend's.
    """
    return state.from_config(cls, config, backend=backend, dtype=dtype)


def get_weights(self: Network) -> list[Array]:
    """Host NumPy copies of every parameter, in :meth:`parameters` order. BatchNorm's running statistics
    are not parameters (Keras's ``get_weights`` includes its moving ones): :meth:`get_buffers` has them, so
    a copy of a network with BatchNorm takes ``set_weights(get_weights())`` and ``set_buffers(get_buffers())``."""
    return [self.backend.to_numpy(p.value) for p in self.parameters()]


@on_device
def set_weights(self: Network, weights: Sequence[Array] | Mapping[str, Array]) -> None:
    """Set every parameter from a copy of ``weights``: a list in :meth:`parameters` order (what
    :meth:`get_weights` returns), or a dict of every parameter by name (``{"0.weight": ..., "0.bias": ...}``);
    host arrays, read-only or memory-mapped ones too, or arrays of any backend; shapes must match.
    The given arrays are never modified: training updates the copies.

    Parameters
    ----------
    weights : list of array, or dict of str to array
        One array per parameter, in :meth:`parameters` order or by name; shapes must match.
    """
    state.set_weights(self, weights)


def get_buffers(self: Network) -> dict[str, Array]:
    """Host copies of the layers' non-trained state (BatchNorm's running statistics), by name."""
    return {b.name: self.backend.to_numpy(b.value) for b in self.buffers()}


@on_device
def set_buffers(self: Network, arrays: Mapping[str, Array]) -> None:
    """Set the layers' buffers from copies of ``{name: array}`` (host arrays, or arrays of any backend
    as :meth:`set_weights` takes); names not given keep their values (files written before a layer had buffers).

    Parameters
    ----------
    arrays : dict of str to array
        Buffer name (``"1.running_mean"``) to its new value; names left out keep theirs.
    """
    state.set_buffers(self, arrays)


def to(self: Network, backend: str | Backend | None = None, dtype: DType | None = None) -> Network:
    """A copy of this network on another backend and/or dtype (default: this one's dtype,
    or a given Backend's own): weights, running statistics, random state, the task and loss of
    the last fit, and the optimizer with its state (moments, step count), so a ``fit`` there
    continues the same run.

    Parameters
    ----------
    backend : str, Backend or None, optional
        The backend of the copy (``"torch"``, ``"cupy:1"``, a Backend); default: this network's.
    dtype : {None, "float32", "float64"}, optional
        Float type of the copy; default: as above.
    """
    return state.copy_to(self, backend, dtype)


def reduce(self: Network) -> tuple[Any, ...]:
    """``pickle`` and ``copy.deepcopy`` (see :func:`nnscratch.models.state.reduce`)."""
    return state.reduce(self)


def save(self: Network, path: PathLike) -> str:
    """Write the config and weights to one ``.npz`` file, atomically.

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file to write (replaced whole, never half-written).
    """
    return serialize.save(self, path)


@keywords("export_onnx")
def export_onnx(self: Network, path: PathLike | None = None, *, input_name: str = "input",
                output_name: str = "output", input_shape: Any = None) -> Any:
    """Write this model as ONNX (its own forward pass traced on ndonnx arrays); see
    :func:`nnscratch.saving.onnx.to_onnx`. Needs ``pip install "nnscratch[onnx]"``.

    Parameters
    ----------
    path : str or Path, optional
        The ``.onnx`` file to write; None only returns the model.
    input_name : str, default "input"
        Name of the graph's input.
    output_name : str, default "output"
        Name of the graph's output.
    input_shape : tuple of int, optional
        The per-sample shape the graph takes, e.g. ``(1, 28, 28)``, where ``net.input_shape`` leaves sizes open.
    """
    from ..saving.onnx import to_onnx
    return to_onnx(self, path, input_name=input_name, output_name=output_name, input_shape=input_shape)


def load(cls: type[Network], path: PathLike, backend: str | Backend | None = None,
         dtype: DType | None = None) -> Network:
    """Read a file written by :meth:`save`, onto any backend: a name (``"torch"``), a Backend, or None for the
    selected one (``use_backend``, ``$NNSCRATCH_BACKEND``). The model keeps the dtype it was saved in
    whichever form names the backend (a Backend's own dtype does not cast it; :meth:`to` does); ``dtype=``
    casts it. A float64 model on a backend without float64 (array-api-strict's ``no_float64`` device) is
    a ConfigError that says ``dtype='float32'``; a file written by ``fit(checkpoint=...)`` is refused with
    how to get its model.

    Parameters
    ----------
    path : str or Path
        A model file written by :meth:`save`.
    backend : str, Backend or None, optional
        Where to load it (above); default: the selected backend.
    dtype : {None, "float32", "float64"}, optional
        Cast the weights to this type; default: the dtype it was saved in.
    """
    return serialize.load(cls, path, backend=backend, dtype=dtype)
