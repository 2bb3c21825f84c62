"""Layers: a dense (fully connected) layer and the activations.

Each layer keeps its forward pass and its backward pass side by side. The
forward pass caches what the backward pass needs; the backward pass sets the
parameter gradients and returns the gradient with respect to its input.
Arrays are ``(n_samples, n_features)``; the namespace ``xp`` comes from the
arrays themselves, so the same code runs on every backend.
"""

from array_api_compat import array_namespace

from .errors import ConfigError, unknown_name
from .init import get_initializer


class Parameter:
    """A trainable array with its gradient: ``value`` and ``grad`` share shape."""

    __slots__ = ("name", "value", "grad")

    def __init__(self, name, value):
        self.name, self.value, self.grad = name, value, None

    def __repr__(self):
        return f"Parameter({self.name!r}, shape={tuple(self.value.shape)})"


class Layer:
    """Base class. Subclasses implement ``forward`` and ``backward``."""

    params = ()
    xp = None  # the backend's namespace, cached by build() so the hot path never looks it up

    def build(self, backend, rng, init, index):
        """Create parameters on ``backend`` and remember its namespace."""
        self.xp = backend.xp

    def _xp(self, x):
        """The namespace of ``x``: cached when built, looked up for a layer used on its own."""
        return self.xp or array_namespace(x)

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dy, need_input_grad=True):
        raise NotImplementedError

    def get_config(self):
        return {"type": type(self).__name__}

    def __repr__(self):
        options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "type")
        return f"{type(self).__name__}({options})"

    def _cached(self, name):
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward() was called before forward(training=True).")
        return value


class Dense(Layer):
    """Fully connected layer: ``z = x @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output sizes; ``W`` is ``(n_in, n_out)`` and ``b`` is ``(n_out,)``.
    init : str, dict or Initializer, optional
        Overrides the network's default for this layer.
    """

    def __init__(self, n_in, n_out, init=None):
        for label, n in (("n_in", n_in), ("n_out", n_out)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ConfigError(f"Dense {label} must be a positive integer; got {n!r}.")
        self.n_in, self.n_out = n_in, n_out
        self.init = None if init is None else get_initializer(init)
        self.params, self._x = (), None

    def build(self, backend, rng, init, index):
        super().build(backend, rng, init, index)
        w, b = (self.init or init)(rng, self.n_in, self.n_out)
        weight = backend.asarray(w, dtype=backend.dtype)
        bias = backend.xp.zeros(self.n_out, dtype=backend.dtype, device=backend.device) if b is None \
            else backend.asarray(b, dtype=backend.dtype)
        self.weight, self.bias = Parameter(f"{index}.weight", weight), Parameter(f"{index}.bias", bias)
        self.params = (self.weight, self.bias)

    def forward(self, x, training=False):
        if training:
            self._x = x
        z = x @ self.weight.value
        z += self.bias.value
        return z

    def backward(self, dy, need_input_grad=True):
        """dL/dW = x.T @ dy, dL/db = sum of dy over samples, dL/dx = dy @ W.T."""
        x = self._cached("_x")
        self.weight.grad = x.T @ dy
        self.bias.grad = self._xp(dy).sum(dy, axis=0)
        return dy @ self.weight.value.T if need_input_grad else None

    def get_config(self):
        config = {"type": "Dense", "n_in": self.n_in, "n_out": self.n_out}
        if self.init is not None and hasattr(self.init, "get_config"):
            config["init"] = self.init.get_config()
        return config


class Activation(Layer):
    """An elementwise (or row-wise) function with no parameters."""

    def forward(self, x, training=False):
        y = self._f(self._xp(x), x)
        if training:
            self._x, self._y = x, y
        return y

    def backward(self, dy, need_input_grad=True):
        return self._df(self._xp(dy), self._cached("_x"), self._y, dy)


class Identity(Activation):
    """f(x) = x; f'(x) = 1."""

    def _f(self, xp, x):
        return x

    def _df(self, xp, x, y, dy):
        return dy


class ReLU(Activation):
    """f(x) = max(x, 0); f'(x) = 1 where x > 0, else 0."""

    def _f(self, xp, x):
        return xp.maximum(x, 0.0)

    def _df(self, xp, x, y, dy):
        return dy * xp.astype(y > 0, dy.dtype)  # a multiply: NumPy's where() is ~10x slower here


class LeakyReLU(Activation):
    """f(x) = x where x > 0, else alpha * x; f'(x) = 1 or alpha."""

    def __init__(self, alpha=0.01):
        if not 0 <= alpha < 1:
            raise ConfigError(f"LeakyReLU alpha must be in [0, 1); got {alpha}.")
        self.alpha = float(alpha)

    def _f(self, xp, x):
        return xp.maximum(x, self.alpha * x)  # equal to the where() form since alpha < 1

    def _df(self, xp, x, y, dy):
        return dy * (xp.astype(x > 0, dy.dtype) * (1.0 - self.alpha) + self.alpha)

    def get_config(self):
        return {"type": "LeakyReLU", "alpha": self.alpha}


class Sigmoid(Activation):
    """f(x) = 1 / (1 + exp(-x)), computed as (tanh(x/2) + 1) / 2 so it never
    overflows; f'(x) = f(x) * (1 - f(x))."""

    def _f(self, xp, x):
        return 0.5 * (xp.tanh(0.5 * x) + 1.0)

    def _df(self, xp, x, y, dy):
        return dy * y * (1.0 - y)


class Tanh(Activation):
    """f(x) = tanh(x); f'(x) = 1 - tanh(x)**2."""

    def _f(self, xp, x):
        return xp.tanh(x)

    def _df(self, xp, x, y, dy):
        return dy * (1.0 - y * y)


class Softmax(Activation):
    """Row-wise softmax p_i = exp(x_i) / sum_j exp(x_j), shifted by the row max.

    Backward applies the Jacobian dp_i/dx_j = p_i (delta_ij - p_j):
    dx = p * (dy - sum(dy * p)). With cross-entropy the network skips this
    and uses the fused gradient ``p - y`` instead.
    """

    def _f(self, xp, x):
        e = xp.exp(x - xp.max(x, axis=1, keepdims=True))
        return e / xp.sum(e, axis=1, keepdims=True)

    def _df(self, xp, x, y, dy):
        return y * (dy - xp.sum(dy * y, axis=1, keepdims=True))


ACTIVATIONS = {"identity": Identity, "linear": Identity, "relu": ReLU, "leaky_relu": LeakyReLU,
               "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax}
LAYERS = {cls.__name__: cls for cls in (Dense, Identity, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax)}


def get_activation(spec):
    """An activation layer from a name ("relu", "leaky_relu", ...) or a Layer."""
    if isinstance(spec, Layer):
        return spec
    key = str(spec).lower().replace("-", "_").replace("leakyrelu", "leaky_relu")
    if key not in ACTIVATIONS:
        raise unknown_name("activation", spec, ACTIVATIONS)
    return ACTIVATIONS[key]()


def layer_from_config(config):
    """Rebuild a layer from ``Layer.get_config()``."""
    options = dict(config)
    kind = options.pop("type", None)
    if kind not in LAYERS:
        raise unknown_name("layer type", kind, LAYERS)
    return LAYERS[kind](**options)
