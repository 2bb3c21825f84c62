"""Network: a stack of layers on one backend, with forward, backward and training.

Build one from layer sizes, like the seeds' ``ANN(*layers)``::

    net = Network.from_sizes(784, 128, 64, 10, hidden="relu", output="softmax", seed=0)

or layer by layer, like the seeds' ``Layer_Dense`` / ``Activation_ReLU``::

    net = Network([Dense(784, 128), ReLU(), Dense(128, 10), Softmax()], seed=0)
"""

from . import serialize, testing, train, validation
from .backend import Backend, get_backend, host_rng, new_seed
from .errors import ConfigError
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
    """

    def __init__(self, layers, *, init=None, seed=None, backend=None, dtype=None):
        self.layers = _check_layers(layers)
        self.backend = get_backend(backend, dtype=dtype)
        self.xp, self.dtype = self.backend.xp, self.backend.dtype
        self.seed = new_seed() if seed is None else seed
        self.rng = host_rng(self.seed)
        self.init = None if init is None else get_initializer(init)
        self.optimizer, self.stop_training = None, False
        for index, layer in enumerate(self.layers):
            layer.build(self.backend, self.rng, self._default_init(index), index)

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
        return self.sizes[0]

    @property
    def n_outputs(self):
        return self.sizes[-1]

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
        return {"layers": [layer.get_config() for layer in self.layers],
                "seed": self.seed, "dtype": self.backend.dtype_name}

    @classmethod
    def from_config(cls, config, backend=None, dtype=None):
        layers = [layer_from_config(c) for c in config["layers"]]
        return cls(layers, seed=config.get("seed"), backend=backend, dtype=dtype or config.get("dtype"))

    def get_weights(self):
        """Host NumPy copies of every parameter, in :meth:`parameters` order."""
        return [self.backend.to_numpy(p.value) for p in self.parameters()]

    def set_weights(self, weights):
        """Set every parameter from host arrays (shapes must match)."""
        params = self.parameters()
        validation.check_weights(params, weights)
        for p, w in zip(params, weights):
            p.value = self.backend.asarray(w, dtype=self.dtype)

    def to(self, backend=None, dtype=None):
        """A copy of this network on another backend and/or dtype (default: this one's dtype,
        or a given Backend's own)."""
        if isinstance(backend, Backend) and dtype is None:
            target = backend
        else:
            target = get_backend(backend or self.backend).with_dtype(dtype or self.backend.dtype_name)
        clone = Network.from_config(self.get_config(), backend=target, dtype=target.dtype_name)
        clone.set_weights(self.get_weights())
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
    dense = [layer for layer in layers if isinstance(layer, Dense)]
    if not dense:
        raise ConfigError("Network needs at least one Dense layer.")
    for a, b in zip(dense[:-1], dense[1:]):
        if a.n_out != b.n_in:
            raise ConfigError(f"Layer sizes do not chain: Dense({a.n_in}, {a.n_out}) is followed by "
                              f"Dense({b.n_in}, {b.n_out}); the second needs n_in={a.n_out}.")
    return layers
