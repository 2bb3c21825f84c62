"""Network: a stack of layers on one backend, with forward, backward and training.

Build one from layer sizes, like the seeds' ``ANN(*layers)``::

    net = Network.from_sizes(784, 128, 64, 10, hidden="relu", output="softmax", seed=0)

or layer by layer, like the seeds' ``Layer_Dense`` / ``Activation_ReLU``::

    net = Network([Dense(784, 128), ReLU(), Dense(128, 10), Softmax()], seed=0)
"""

import math

from . import serialize, testing, train, validation
from .backend import Backend, get_backend, host_rng, new_seed
from .errors import ConfigError, ShapeError
from .init import Glorot, He, get_initializer
from .layers import Dense, Layer, LeakyReLU, ReLU, get_activation, layer_from_config
from .losses import default_loss, get_loss
from .step import predicted_labels


class Network:
    """A multi-layer perceptron.

    Parameters
    ----------
    layers : list of Layer
        ``Dense`` layers and activations, applied in order.
    init : str, dict or Initializer, optional
        Weight initialiser for every Dense layer that has none of its own.
        Default: He for a Dense followed by ReLU/LeakyReLU, Glorot otherwise.
    seed : int, optional
        Seeds the host RNG that draws the initial weights and the shuffling
        order: the same seed gives the same run on every backend.
    backend : str or Backend, optional
        See :func:`nnscratch.get_backend`.
    dtype : {"float32", "float64"}, optional
    input_shape : tuple of int, optional
        Per-sample input shape, e.g. ``(1, 28, 28)``; default: what the first
        layer with a fixed input requires (``(n_in,)`` for a Dense).
    metadata : dict, optional
        JSON-able facts about the model (dataset name, class names, ...),
        saved with it and restored by :meth:`load`.
    """

    def __init__(self, layers, *, init=None, seed=None, backend=None, dtype=None, input_shape=None,
                 metadata=None):
        self.layers = _check_layers(layers)
        self.input_shape = _input_shape(self.layers, input_shape)
        self.output_shape = self.shape_after(self.input_shape, error=ConfigError)
        self.metadata = dict(metadata or {})
        self.backend = get_backend(backend, dtype=dtype)
        self.xp, self.dtype = self.backend.xp, self.backend.dtype
        self.seed = new_seed() if seed is None else seed
        self.rng = host_rng(self.seed)
        self.init = None if init is None else get_initializer(init)
        self.optimizer, self.stop_training = None, False
        for index, layer in enumerate(self.layers):
            layer.build(self.backend, self.rng, self._default_init(index), index)
        if not self.parameters():
            raise ConfigError("Network needs at least one layer with parameters, such as Dense.")

    @classmethod
    def from_sizes(cls, *sizes, hidden="relu", output="softmax", **options):
        """``from_sizes(784, 128, 10)``: Dense layers between consecutive sizes,
        ``hidden`` after each but the last, ``output`` after the last
        (``None`` or "identity" for raw outputs)."""
        if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
            sizes = tuple(sizes[0])
        if len(sizes) < 2:
            raise ConfigError(f"A network needs at least an input and an output size; got sizes={sizes}.")
        get_activation(hidden), get_activation(output or "identity")  # unknown names fail here
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            layers += [Dense(n_in, n_out), get_activation((output or "identity") if last else hidden)]
        return cls(layers, **options)

    def _default_init(self, index):
        if self.init is not None:
            return self.init
        following = self.layers[index + 1] if index + 1 < len(self.layers) else None
        return He() if isinstance(following, (ReLU, LeakyReLU)) else Glorot()

    # ------------------------------------------------------------ structure
    @property
    def dense_layers(self):
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def sizes(self):
        dense = self.dense_layers
        return (dense[0].n_in,) + tuple(layer.n_out for layer in dense)

    @property
    def n_inputs(self):
        """Features per sample: the product of :attr:`input_shape` (None if a size is open)."""
        return None if None in self.input_shape else math.prod(self.input_shape)

    @property
    def n_outputs(self):
        return self.output_shape[-1]

    def shape_after(self, input_shape, error=ShapeError):
        """Run the per-sample ``input_shape`` through every layer's ``output_shape``;
        a mismatch raises ``error`` naming the layer and the fix."""
        shape = tuple(input_shape)
        for index, layer in enumerate(self.layers):
            try:
                shape = layer.output_shape(shape)
            except ShapeError as exc:
                if error is ShapeError:
                    raise
                raise error(f"Layer sizes do not chain at layer {index}: {exc}") from None
        return shape

    def parameters(self):
        """Every trainable Parameter, in layer order: "0.weight", "0.bias", "2.weight", ..."""
        return [p for layer in self.layers for p in layer.params]

    def __repr__(self):
        body = ", ".join(repr(layer) for layer in self.layers)
        return f"Network([{body}], backend={str(self.backend)!r}, dtype={self.backend.dtype_name!r})"

    # ------------------------------------------------------------ running
    def forward(self, X, return_all=False):
        """Run the network on ``X (n_samples, n_inputs)``.

        Returns the output activations, or with ``return_all=True`` the list
        of every layer's output: a Dense layer's is its pre-activation ``z``,
        an activation's is ``a`` (seed 000's ``z_vectors`` and activations).
        """
        out, outputs = validation.as_inputs(self, X), []
        for layer in self.layers:
            out = layer.forward(out)
            outputs.append(out)
        return outputs if return_all else out

    def predict_proba(self, X):
        """Output activations (class probabilities for a softmax/sigmoid network)."""
        return self.forward(X)

    def predict(self, X):
        """Predicted classes: argmax of the outputs, or ``p > 0.5`` for one output."""
        return predicted_labels(self.forward(X), self.n_outputs, threshold=0.5)

    def evaluate(self, X, y, loss=None, batch_size=4096):
        """Mean loss and (for classification) accuracy on ``(X, y)``, as floats."""
        return train.evaluate(self, X, y, loss=loss, batch_size=batch_size)

    def fit(self, X, y, **options):
        """Train on ``(X, y)``; see :func:`nnscratch.train.fit` for the options."""
        return train.fit(self, X, y, **options)

    def resolve_loss(self, loss=None):
        """The Loss to use: the given one, or the default for the output layer."""
        return default_loss(self.layers[-1]) if loss is None else get_loss(loss)

    # ------------------------------------------------------------ gradients
    def compute_gradients(self, X, y, loss=None):
        """Backpropagate one batch without updating: ``(loss, [grads])`` in
        :meth:`parameters` order."""
        return train.compute_gradients(self, X, y, loss=loss)

    def check_gradients(self, X, y, loss=None, eps=1e-6, max_entries=64):
        """Worst relative error ``|num - ana| / (|num| + |ana|)`` (per-parameter
        norms) between backprop and central finite differences in float64."""
        return testing.check_gradients(self, X, y, loss=loss, eps=eps, max_entries=max_entries)

    # ------------------------------------------------------------ persistence
    def get_config(self):
        return {"layers": [layer.get_config() for layer in self.layers], "seed": self.seed,
                "dtype": self.backend.dtype_name, "input_shape": list(self.input_shape),
                "metadata": self.metadata}

    @classmethod
    def from_config(cls, config, backend=None, dtype=None):
        layers = [layer_from_config(c) for c in config["layers"]]
        shape = config.get("input_shape")  # files before 0.2 have none: the first Dense gives it
        return cls(layers, seed=config.get("seed"), backend=backend, dtype=dtype or config.get("dtype"),
                   input_shape=None if shape is None else tuple(shape), metadata=config.get("metadata"))

    def get_weights(self):
        """Host NumPy copies of every parameter, in :meth:`parameters` order."""
        return [self.backend.to_numpy(p.value) for p in self.parameters()]

    def set_weights(self, weights):
        """Set every parameter from host arrays (shapes must match)."""
        params = self.parameters()
        validation.check_weights(params, weights)
        for p, w in zip(params, weights):
            p.value = self.backend.asarray(w, dtype=self.dtype)

    def get_buffers(self):
        """Host copies of the layers' non-trained state (BatchNorm's running statistics), by name."""
        return {b.name: self.backend.to_numpy(b.value) for layer in self.layers for b in getattr(layer, "buffers", ())}

    def set_buffers(self, arrays):
        """Set the layers' buffers from ``{name: host array}``; names not given keep their values
        (files written before a layer had buffers)."""
        for b in (b for layer in self.layers for b in getattr(layer, "buffers", ())):
            if b.name in arrays:
                validation.check_weights([b], [arrays[b.name]])
                b.value = self.backend.asarray(arrays[b.name], dtype=self.dtype)

    def to(self, backend=None, dtype=None):
        """A copy of this network on another backend and/or dtype (default: this one's dtype,
        or a given Backend's own)."""
        if isinstance(backend, Backend) and dtype is None:
            target = backend
        else:
            target = get_backend(backend or self.backend).with_dtype(dtype or self.backend.dtype_name)
        clone = type(self).from_config(self.get_config(), backend=target, dtype=target.dtype_name)
        clone.set_weights(self.get_weights())
        clone.set_buffers(self.get_buffers())
        clone.rng.bit_generator.state = self.rng.bit_generator.state
        return clone

    def save(self, path):
        """Write the config and weights to one ``.npz`` file, atomically."""
        return serialize.save(self, path)

    @classmethod
    def load(cls, path, backend=None, dtype=None):
        """Read a file written by :meth:`save`, onto any backend."""
        return serialize.load(cls, path, backend=backend, dtype=dtype)


def _check_layers(layers):
    layers = list(layers) if isinstance(layers, (list, tuple)) else None
    if not layers or not all(isinstance(layer, Layer) for layer in layers):
        raise ConfigError("Network expects a non-empty list of layers such as "
                          "[Dense(784, 128), ReLU(), Dense(128, 10), Softmax()].")
    return layers


def _input_shape(layers, given):
    """The per-sample input shape: ``given``, else the first fixed ``Layer.input_shape``."""
    if given is not None:
        shape = tuple(given) if isinstance(given, (list, tuple)) else (given,)
        if not shape or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
            raise ConfigError(f"input_shape must be a tuple of positive integers such as (1, 28, 28) or (784,); "
                              f"got {given!r}.")
        return shape
    for layer in layers:
        if layer.input_shape is not None:
            return tuple(layer.input_shape)
    raise ConfigError("No layer fixes the input size; pass input_shape=..., e.g. Network(layers, input_shape=(784,)).")
