"""The layer contract: ``Parameter`` and the ``Layer`` base class.

Each layer keeps its forward pass and its backward pass side by side. The
forward pass caches what the backward pass needs; the backward pass sets the
parameter gradients and returns the gradient with respect to its input.
The namespace ``xp`` comes from the arrays themselves (or the backend the
layer was built on), so the same code runs on every backend.

Shapes are checked before any data flows: ``output_shape(shape)`` maps the
per-sample input shape (no batch axis; ``None`` for a size not known yet) to
the per-sample output shape, or raises a ShapeError that says how to fix
the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from array_api_compat import array_namespace

from ..backend.kernels import Kernels
from ..errors import DataError, ShapeError
from .._typing import Array, Rng, Shape

if TYPE_CHECKING:
    from ..backend.core import Backend
    from .initializers import Initializer


class Parameter:
    """A trainable array with its gradient: ``value`` and ``grad`` share shape.

    In a network both are views into its :class:`~nnscratch.models.params.ParameterBuffer`
    (``bound``); assigning ``value`` or ``grad`` then copies into the view, so the
    buffer always holds the current weights and gradients.

    Parameters
    ----------
    name : str
        What the layer calls it, e.g. ``"W"`` (weights) or ``"b"`` (biases).
    value : array
        The initial array, on the layer's backend; ``grad`` starts as zeros of its shape.
    """

    __slots__ = ("name", "_value", "_grad", "bound")
    name: str
    _value: Array
    _grad: Any
    bound: bool

    def __init__(self, name: str, value: Array) -> None:
        self.name, self._value, self._grad, self.bound = name, value, None, False

    @property
    def value(self) -> Array:
        return self._value

    @value.setter
    def value(self, new: Array) -> None:
        if not self.bound:
            self._value = new
        elif new is not self._value:  # ``p.value -= d`` is in place: nothing to copy
            if tuple(getattr(new, "shape", ())) not in ((), tuple(self._value.shape)):  # NumPy would broadcast it
                raise ShapeError(f"Parameter {self.name!r} is {tuple(self._value.shape)}; got an array of shape "
                                 f"{tuple(new.shape)}. Assign one of its shape, or set them all with "
                                 "net.set_weights(...), which checks and converts.")
            try:
                self._value[...] = new
            except (TypeError, ValueError) as exc:  # another library's array or device
                raise DataError(f"Parameter {self.name!r} takes an array of its network's backend; got "
                                f"{type(new).__module__}.{type(new).__name__} ({exc}). Convert it with "
                                "net.backend.asarray(x), or set them all with net.set_weights(...).") from None

    @property
    def grad(self) -> Array | None:
        return self._grad

    @grad.setter
    def grad(self, new: Array | None) -> None:
        if not self.bound:
            self._grad = new
        elif new is not None and new is not self._grad:  # a bound gradient keeps its slot
            self._grad[...] = new

    def bind(self, value: Array, grad: Array) -> None:
        """Make ``value`` and ``grad`` these views (done by ParameterBuffer).

        Parameters
        ----------
        value : array
            A view into the buffer's flat weights, shaped as this parameter.
        grad : array
            The matching view into the buffer's flat gradients.
        """
        self._value, self._grad, self.bound = value, grad, True

    def unbind(self) -> None:
        self.bound = False

    def __getstate__(self):
        """A copy (``pickle``, ``copy.deepcopy``) owns its arrays and is unbound: a view into a network's
        buffer would carry (on PyTorch) the whole buffer, and writes into it would reach nothing."""
        copies = [None if a is None else array_namespace(a).asarray(a, copy=True) for a in (self._value, self._grad)]
        return {"name": self.name, "_value": copies[0], "_grad": copies[1], "bound": False}

    def __setstate__(self, state):
        for key, value in state.items():
            object.__setattr__(self, key, value)

    def __repr__(self):
        return f"Parameter({self.name!r}, shape={tuple(self.value.shape)})"


class Layer:
    """Base class. Subclasses implement ``forward`` and ``backward``.

    ``input_shape`` is the per-sample shape the layer requires (``(n_in,)``
    for Dense; ``None`` entries for sizes it accepts freely), or None when it
    takes any shape (activations).
    """

    params: Sequence[Parameter] = ()
    xp: Any = None  # the backend's namespace, cached by build() so the hot path never looks it up
    _backend: Any = None  # the Backend it was built on: a copy makes ``xp`` and its kernels from it again
    _made_by_build: tuple[str, ...] = ()  # the attributes build() creates (parameters), named when missing
    input_shape: Shape | None = None
    _network: Any = None  # a weak reference to the Network the layer was built into (one network per layer)

    def build(self, backend: Backend, rng: Rng, init: Initializer, index: int) -> None:
        """Create parameters on ``backend`` and remember its namespace.

        Parameters
        ----------
        backend : Backend
            Where the parameters live (the network's backend).
        rng : numpy.random.Generator
            The network's seeded host generator that draws the initial weights.
        init : Initializer
            The network's default initialiser, for a layer that was given none.
        index : int
            The layer's position in the network, which names its parameters (``"0.weight"``).
        """
        self.xp, self._backend = backend.xp, backend

    def output_shape(self, input_shape: Shape) -> Shape:
        """Per-sample output shape for a per-sample ``input_shape``; default: unchanged.

        Parameters
        ----------
        input_shape : tuple of int or None
            One sample's shape, no batch axis (``(784,)``, ``(1, 28, 28)``); None for a size the data decides.
        """
        return tuple(input_shape)

    def _xp(self, x):
        """The namespace of ``x``: cached when built, looked up for a layer used on its own."""
        return self.xp or array_namespace(x)

    def forward(self, x: Array, training: bool = False) -> Array:
        """The layer's output for a batch ``x``; with ``training=True`` also cache what
        :meth:`backward` needs (and use batch statistics, dropout masks).

        Parameters
        ----------
        x : array, (batch, ...)
            The batch of inputs, on the layer's backend.
        training : bool, default False
            A training pass: cache for :meth:`backward`; False: predict/evaluate behaviour.
        """
        raise NotImplementedError

    def backward(self, dy: Array, need_input_grad: bool = True) -> Array | None:
        """Given ``dy = dL/d(output)``, set each parameter's ``grad`` to ``dL/dw`` and return
        ``dL/dx`` (or None when ``need_input_grad`` is False). Raises RuntimeError before a
        ``forward(x, training=True)``.

        Parameters
        ----------
        dy : array, shaped as the last training forward's output
            The loss's gradient with respect to this layer's output.
        need_input_grad : bool, default True
            Compute ``dL/dx``; the first layer skips it (nothing before it needs it).
        """
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """A JSON-able dict that rebuilds the layer (``{"type": name, **arguments}``), saved with the model."""
        return {"type": type(self).__name__}

    def __repr__(self):
        options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "type")
        return f"{type(self).__name__}({options})"

    def __getattr__(self, name):
        """Only for a missing attribute: a parameter asked of a layer not built yet says how to build it."""
        if name in type(self)._made_by_build:
            raise AttributeError(f"{self!r} has no {name} yet: its parameters are made when a Network is built "
                                 f"from it, e.g. Network([{type(self).__name__}(...), ...]); a layer used on its "
                                 "own needs layer.build(backend, rng, init, index) first.")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self):
        """What ``pickle`` and ``copy.deepcopy`` keep: settings, parameters, caches; not the namespace and
        kernels (modules do not pickle; :meth:`__setstate__` makes them again from the backend), nor the
        network it belongs to: a copy belongs to none, so it can go into a new network (built anew there)."""
        state = {k: v for k, v in vars(self).items() if k != "_network"}
        state["_remade"] = [name for name in ("xp", "_kernels") if state.get(name) is not None]
        state.update(dict.fromkeys(state["_remade"]))
        return state

    def __setstate__(self, state):
        state = dict(state)
        remade = state.pop("_remade", ())
        vars(self).update(state)
        if self._backend is not None and "xp" in remade:
            self.xp = self._backend.xp
        if self._backend is not None and "_kernels" in remade:
            self._kernels = Kernels(self._backend)

    def _cached(self, name):
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward() was called before forward(training=True).")
        return value
