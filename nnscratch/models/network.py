"""Network: a stack of layers on one backend, with forward, backward and training.

Build one from layer sizes, like the seeds' ``ANN(*layers)``::

    net = Network.from_sizes(784, 128, 64, 10, hidden="relu", output="softmax", seed=0)

or layer by layer, like the seeds' ``Layer_Dense`` / ``Activation_ReLU``::

    net = Network([Dense(784, 128), ReLU(), Dense(128, 10), Softmax()], seed=0)

This module builds it and says what it is (layers, shapes, parameters, task); the methods
that run it on data (``forward``, ``predict``, ``evaluate``, ``fit``, gradients) are
:mod:`nnscratch.models.running`'s, those that keep and copy it (``save``, ``load``, ``to``,
weights, ONNX) :mod:`nnscratch.models.persistence`'s, each a method by assignment in the class body.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import validation
from ..host_arrays import zero_one_rows
from ..options import check_seed
from .._keywords import keywords
from ..backend.core import Backend, get_backend, host_rng
from ..errors import ConfigError, ShapeError
from ..layers.initializers import default_initializer, get_initializer
from ..layers import Dense
from ..losses import default_loss, get_loss
from ..backend.kernels import Kernels
from .params import ParameterBuffer
from . import persistence, running, shapes
from .spec import mlp_layers
from .summary import not_an_mlp, summary_text, unflat_layers
from ..layers.checks import check_layers, input_shape_of, refuse_one_unit_softmax
from .task import check_loss_fits, check_task, derive_task
from .._typing import Array, DType, Shape

if TYPE_CHECKING:
    from ..layers.base import Layer, Parameter
    from ..losses import Loss
    from ..optim.optimizers import Optimizer


class Network:
    """A feed-forward network: a stack of layers trained end to end (an MLP, a CNN, ...).

    Parameters
    ----------
    layers : list of Layer
        Layers applied in order: ``Dense``, activations, ``Conv2D``, pooling,
        ``Flatten``/``Reshape``, ``BatchNorm``, ``Dropout``.
    *more
        Refused with a ConfigError: pass the layers as one list (``Network([Dense(..), ReLU()])``).
    init : str, dict or Initializer, optional
        Weight initialiser for every Dense and Conv2D layer that has none of its own.
        Default: He for a layer followed by ReLU/LeakyReLU (pooling in between
        included), Glorot otherwise.
    seed : int, optional
        Seeds the host RNG that draws the initial weights and the shuffling
        order: the same seed gives the same run on every backend.
    backend : str or Backend, optional
        See :func:`nnscratch.get_backend`.
    dtype : {None, "float32", "float64"}, optional
        Float type of weights and computation; default: the backend's (float32 unless set).
    input_shape : tuple of int, optional
        Per-sample input shape, e.g. ``(1, 28, 28)``; default: what the first layer with a fixed input requires.
    metadata : dict, optional
        JSON-able facts about the model (dataset name, class names, ...), saved with it and restored by :meth:`load`.

    Notes
    -----
    A layer object belongs to one network and appears in it once (it keeps its
    own weights and cached inputs): a repeated or already-used layer is a
    ConfigError. ``copy.copy(net)`` and ``copy.deepcopy(net)`` are both whole, independent
    copies (weights, optimizer state, RNG), safe from a callback while it trains; unlike
    PyTorch's ``copy.copy`` of a Module, nothing is shared. :meth:`to` copies it to another backend.

    Attributes
    ----------
    task : {"multiclass", "binary", "multilabel", "regression"}
        What :meth:`predict` returns and whether accuracy is reported; see
        :mod:`nnscratch.models.task`. Derived from the output layer until :meth:`fit`
        fixes it from the loss it trains with; saved with the model.
    """

    _task: str | None
    _fit_loss: Loss | None
    optimizer: Optimizer | None

    @keywords("Network")
    def __init__(self, layers: Sequence[Layer], *more: Any,
                 init: str | dict[str, Any] | Callable[..., Any] | None = None, seed: int | None = None,
                 backend: str | Backend | None = None, dtype: DType | None = None,
                 input_shape: Shape | None = None, metadata: dict[str, Any] | None = None) -> None:
        if more:  # PyTorch's nn.Sequential(*layers), or an option given by position: Python's 'takes 2 positional'
            raise ConfigError(f"Network takes its layers as one list, then options by name: Network([Dense(4, 8), "
                              f"ReLU(), ...], seed=0); got {1 + len(more)} positional arguments.")
        self.layers = check_layers(layers, self)
        self.input_shape = input_shape_of(self.layers, input_shape)
        self.output_shape = self.shape_after(self.input_shape, error=ConfigError)
        refuse_one_unit_softmax(self.layers, self.input_shape)
        self._task, self._fit_loss = None, None
        self.metadata = dict(metadata or {})
        self.backend = get_backend(backend, dtype=dtype)
        self.xp, self.dtype = self.backend.xp, self.backend.dtype
        self.seed = check_seed(seed)
        self.rng = host_rng(self.seed)
        self.init = None if init is None else get_initializer(init)
        self.optimizer, self.stop_training = None, False
        with self.backend.activate():
            for index, layer in enumerate(self.layers):
                layer_init = self.init if self.init is not None else default_initializer(self.layers, index)
                layer.build(self.backend, self.rng, layer_init, index)
            if not self.parameters():
                raise ConfigError("Network needs at least one layer with parameters, such as Dense.")
            # Every parameter and gradient as a view into one flat array each (None where views cannot be).
            self.parameter_buffer = ParameterBuffer.adopt(self.parameters(), Kernels(self.backend))
        owner = weakref.ref(self)
        for layer in self.layers:
            layer._network = owner

    @classmethod
    def from_sizes(cls, *sizes: int, hidden: str | Layer | type[Layer] = "relu",
                   output: str | Layer | type[Layer] | None = "auto", **options: Any) -> Network:
        """``from_sizes(784, 128, 10)``: Dense layers between consecutive sizes, ``hidden`` after each but the last,
        ``output`` after the last (a name, a class such as ``nn.Tanh``, or a layer, copied for each place).

        ``output="auto"`` (default): Softmax over several outputs (multiclass),
        Sigmoid on one output (binary classification); ``None`` or "identity"
        for raw outputs (regression).

        Parameters
        ----------
        *sizes : int
            Inputs, then the units of each Dense layer: ``784, 128, 10``.
        hidden : str, Layer or Layer class, default "relu"
            The activation after each hidden Dense layer.
        output : str, Layer, Layer class or None, default "auto"
            The activation after the last Dense layer (see above).
        **options
            The keyword arguments of :class:`Network` (``seed=``, ``backend=``, ``dtype=``, ...).
        """
        return cls(mlp_layers(sizes, hidden, output), **options)

    # ------------------------------------------------------------ structure
    @property
    def dense_layers(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def sizes(self) -> tuple[int | None, ...]:
        """An MLP's widths: inputs, then each Dense layer's outputs, e.g. ``(784, 128, 10)``.
        A network whose layers work on images (convolution, pooling) has none: it raises a
        ConfigError; see :attr:`output_shapes` and :meth:`summary`."""
        unflat = unflat_layers(self)
        if unflat:
            raise not_an_mlp(unflat)
        return (self.n_inputs,) + tuple(layer.n_out for layer in self.dense_layers)

    @property
    def is_mlp(self) -> bool:
        """True when every layer but Flatten/Reshape receives flat samples: then :attr:`sizes` describes it."""
        return not unflat_layers(self)

    @property
    def output_shapes(self) -> tuple[Shape, ...]:
        """Per-sample output shape of every layer, in order: no batch axis, None for a size
        known only when data arrives (the "Output Shape" column of Keras' ``model.summary()``)."""
        return tuple(shapes.layer_shapes(self.layers, self.input_shape))

    def summary(self, print_fn: Callable[[str], Any] = print) -> None:
        """Print a table of the layers (per-sample output shape, parameter count) and the totals.

        Parameters
        ----------
        print_fn : callable, default print
            Receives the table as one string (``logging.info`` or a list's ``append`` work too).
        """
        print_fn(summary_text(self))

    n_inputs = property(shapes.n_inputs_of)    # features per sample
    n_outputs = property(shapes.n_outputs_of)  # output values per sample

    def shape_after(self, input_shape: Shape, error: type[Exception] = ShapeError) -> Shape:
        """Run the per-sample ``input_shape`` through every layer's ``output_shape``;
        a mismatch raises ``error`` naming the layer and the fix.

        Parameters
        ----------
        input_shape : tuple of int
            One sample's shape, no batch axis: ``(784,)`` or ``(1, 28, 28)``.
        error : exception class, default ShapeError
            What a mismatch raises (ConfigError while building, ShapeError for data).
        """
        return shapes.shape_after(self.layers, input_shape, error)

    def parameters(self) -> list[Parameter]:
        """Every trainable Parameter, in layer order: "0.weight", "0.bias", "2.weight", ..."""
        return [p for layer in self.layers for p in layer.params]

    def buffers(self) -> list[Parameter]:
        """Every non-trained array the predictions depend on (BatchNorm's running statistics),
        in layer order: "1.running_mean", "1.running_var", ..."""
        return [b for layer in self.layers for b in getattr(layer, "buffers", ())]

    def __repr__(self):
        body = ", ".join(repr(layer) for layer in self.layers)
        return f"Network([{body}], backend={str(self.backend)!r}, dtype={self.backend.dtype_name!r})"

    # ------------------------------------------------------------ running (nnscratch.models.running)
    forward = running.forward
    predict_proba = running.predict_proba
    predict = running.predict
    evaluate = running.evaluate
    fit = running.fit

    def _fix_loss(self, loss: str | Loss | None, y: Array) -> Loss:
        """The Loss a fit on targets ``y`` trains with (:meth:`resolve_loss`), kept with the task it fixes."""
        loss = self.resolve_loss(loss)
        self._task = derive_task(self.layers[-1], self.n_outputs, loss, validation.labels_given(y), zero_one_rows(y))
        self._fit_loss = loss
        return loss

    @property
    def task(self) -> str:
        """"multiclass", "binary", "multilabel" or "regression" (see :mod:`nnscratch.models.task`)."""
        if self._task is None and None in self.output_shape:  # open size (convolutions to the end): values
            return "regression"
        return self._task or derive_task(self.layers[-1], self.n_outputs, self.resolve_loss())

    @task.setter
    def task(self, value: str) -> None:
        self._task = check_task(value, self.output_shape[-1])

    def resolve_loss(self, loss: str | Loss | None = None) -> Loss:
        """The Loss to use: the given one, else the one the last :meth:`fit` used, else
        the default for the output layer. Cross-entropy on one output is refused.

        Parameters
        ----------
        loss : str, Loss or None, optional
            A loss name (``"cross_entropy"``, ``"mse"``, ...) or a Loss; None: the default above.
        """
        if loss is None:
            loss = self._fit_loss or default_loss(self.layers[-1])
        return check_loss_fits(get_loss(loss), self.output_shape[-1])  # None: open (no classifier)

    # ------------------------------------------------------------ gradients (nnscratch.models.running)
    compute_gradients = running.compute_gradients
    check_gradients = running.check_gradients

    # ------------------------------------------------------------ keeping and copying (nnscratch.models.persistence)
    get_config = persistence.get_config
    from_config = classmethod(persistence.from_config)
    get_weights = persistence.get_weights
    set_weights = persistence.set_weights
    get_buffers = persistence.get_buffers
    set_buffers = persistence.set_buffers
    to = persistence.to
    __reduce__ = persistence.reduce
    save = persistence.save
    export_onnx = persistence.export_onnx
    load = classmethod(persistence.load)
