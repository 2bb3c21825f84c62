"""Network: a stack of layers on one backend, with forward, backward and training.

Build one from layer sizes, like the seeds' ``ANN(*layers)``::

    net = Network.from_sizes(784, 128, 64, 10, hidden="relu", output="softmax", seed=0)

or layer by layer, like the seeds' ``Layer_Dense`` / ``Activation_ReLU``::

    net = Network([Dense(784, 128), ReLU(), Dense(128, 10), Softmax()], seed=0)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..training import evaluation, streaming, loop as train
from .. import testing
from .. import validation
from ..host_arrays import zero_one_rows
from ..options import check_callbacks, check_positive_int, check_seed, warn_small_batch
from .._keywords import keywords
from ..backend.core import Backend, get_backend, host_rng, on_device
from ..errors import ConfigError, ShapeError
from ..layers.initializers import default_initializer, get_initializer
from ..layers import Dense
from ..losses import default_loss, get_loss
from ..backend.kernels import Kernels
from .params import ParameterBuffer
from . import persistence, shapes
from ..training.step import predicted_labels
from ..training.history import checked_callbacks
from .spec import mlp_layers
from .summary import not_an_mlp, summary_text, unflat_layers
from ..layers.checks import check_layers, input_shape_of, refuse_one_unit_softmax
from .task import binary_threshold, check_loss_fits, check_task, derive_task, probability_link
from .._typing import Array, DType, Shape

if TYPE_CHECKING:
    from ..layers.base import Layer, Parameter
    from ..losses import Loss
    from ..optim.optimizers import Optimizer
    from ..training.history import History


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

    # ------------------------------------------------------------ running
    @on_device
    def forward(self, X: Array, return_all: bool = False) -> Array | list[Array]:
        """Run the network on ``X (n_samples, n_inputs)`` (batch by batch from host
        memory when ``X`` does not fit on the device).

        Returns the output activations, or with ``return_all=True`` the list
        of every layer's output: a Dense layer's is its pre-activation ``z``,
        an activation's is ``a`` (seed 000's ``z_vectors`` and activations).

        Parameters
        ----------
        X : array, (n_samples, n_inputs) or (n_samples, C, H, W)
            Inputs, on the host or the network's device.
        return_all : bool, default False
            Return every layer's output (a list) instead of the last one.
        """
        def run(out):
            outputs = []
            for layer in self.layers:
                out = layer.forward(out)
                outputs.append(out)
            return outputs if return_all else out
        return streaming.in_batches(self, X, run)

    @on_device
    def predict_proba(self, X: Array) -> Array:
        """Output activations ``(n_samples, n_outputs)``: class probabilities for a
        softmax/sigmoid output, or for an Identity output whose loss is (binary)
        cross-entropy (the softmax/sigmoid of its logits); else the outputs as they are.

        Parameters
        ----------
        X : array, (n_samples, n_inputs) or (n_samples, C, H, W)
            Inputs, on the host or the network's device.
        """
        out = self.forward(X)
        link = probability_link(self.layers[-1], self.resolve_loss())
        return out if link is None else link.forward(out)

    @keywords("predict")
    @on_device
    def predict(self, X: Array) -> Array:
        """What the task calls a prediction (see :attr:`task`).

        Parameters
        ----------
        X : array, (n_samples, n_inputs) or (n_samples, C, H, W)
            Inputs, on the host or the network's device.

        Returns
        -------
        classification : int array of shape (n_samples,)
            Class labels: argmax of the outputs; with one output, ``p > 0.5``
            on a Sigmoid, ``logit > 0`` on an Identity output.
        multilabel : int array of shape (n_samples, n_outputs)
            Indicator rows of 0/1, each output thresholded as one output is.
        regression : array of shape (n_samples, n_outputs)
            The output values.
        """
        out = self.forward(X)
        if self.task == "regression":
            return out
        return predicted_labels(out, self.n_outputs, binary_threshold(self.layers[-1]), task=self.task)

    @keywords("evaluate")
    def evaluate(self, X: Array, y: Array, loss: str | Loss | None = None, batch_size: int = 4096) -> dict[str, float]:
        """``{"loss", "accuracy"}`` for a classification :attr:`task` (multilabel: subset accuracy), ``{"loss",
        "r2", "mae", "rmse"}`` for a regression, as floats. The default loss is the one the last :meth:`fit` used.

        Parameters
        ----------
        X : array, (n_samples, ...)
            Inputs.
        y : array
            Their labels (or one-hot or multi-hot rows) or regression targets, as ``fit`` takes them.
        loss : str or Loss, optional
            The loss reported; default: the one the last ``fit`` used.
        batch_size : int, default 4096
            Rows evaluated at once: bounds the memory, not the result.
        """
        batch_size = check_positive_int("batch_size", batch_size)
        return evaluation.evaluate(self, X, y, loss=loss, batch_size=batch_size)

    def fit(self, X: Array, y: Array, **options: Any) -> History:
        """Train on ``(X, y)``; see :func:`nnscratch.training.loop.fit` for the options.

        Fixes :attr:`task` from the output layer, the loss and the targets (:mod:`nnscratch.models.task`); the
        loss defaults to the checkpoint's when resuming, else the previous ``fit``'s, else the output layer's. The
        data is never modified. Integer inputs beyond [-1, 1] and a ``batch_size`` larger than
        the data warn (:class:`nnscratch.errors.DataWarning`); inputs are never rescaled.

        Parameters
        ----------
        X : array, (n_samples, n_inputs) or (n_samples, C, H, W)
            Training inputs, host or device arrays.
        y : array
            Class labels ``(n_samples,)``, one-hot or multi-hot rows, or targets ``(n_samples, n_outputs)``.
        **options
            ``epochs``, ``batch_size``, ``optimizer``, ``validation_data``, ``callbacks``, ``checkpoint``,
            ``resume``, ...: the keywords of :func:`nnscratch.training.loop.fit`.
        """
        warn_small_batch(options.get("batch_size"), X, options.get("validation_split"))  # a size the caller asked
        if "callbacks" in options:
            options["callbacks"] = checked_callbacks(check_callbacks(options["callbacks"]))
        return train.fit(self, X, y, **options)

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

    # ------------------------------------------------------------ gradients
    def compute_gradients(self, X: Array, y: Array, loss: str | Loss | None = None) -> tuple[float, list[Array]]:
        """Backpropagate one batch without updating: ``(loss, [grads])`` in
        :meth:`parameters` order.

        Parameters
        ----------
        X : array, (n_samples, ...)
            One batch of inputs.
        y : array
            Their labels or targets, as ``fit`` takes them.
        loss : str or Loss, optional
            The loss to differentiate; default: :meth:`resolve_loss`'s.
        """
        return evaluation.compute_gradients(self, X, y, loss=loss)

    @on_device
    def check_gradients(self, X: Array, y: Array, loss: str | Loss | None = None, eps: float = 1e-6,
                        max_entries: int = 64) -> float:
        """Worst relative error ``|num - ana| / (|num| + |ana|)`` (per-parameter
        norms) between backprop and central finite differences in float64, in
        training mode (batch statistics, fixed dropout masks); the network is left as it was.

        Parameters
        ----------
        X : array, (n_samples, ...)
            A small batch of inputs; a few rows suffice.
        y : array
            Their labels or targets, as ``fit`` takes them.
        loss : str or Loss, optional
            The loss to differentiate; default: :meth:`resolve_loss`'s.
        eps : float, default 1e-6
            Step of the central differences, in the units of the weights.
        max_entries : int, default 64
            Entries of each parameter perturbed (a seeded sample); more is slower and surer.
        """
        return testing.check_gradients(self, X, y, loss=loss, eps=eps, max_entries=max_entries)

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
