"""One contiguous buffer for all of a network's parameters, and one for their gradients.

Every :class:`~nnscratch.layers.Parameter` of a network becomes a view into
two flat 1-D arrays: ``values`` (the weights) and ``grads`` (their
gradients). The backward pass writes each gradient into its slot of
``grads``; an optimizer then updates every parameter with a handful of
array operations over the flat arrays instead of a handful per parameter
(what PyTorch's foreach/fused optimizers and Horovod's tensor fusion do),
and a data-parallel run can all-reduce ``grads`` in one call per step.

Views are basic slices of the flat arrays, reshaped: NumPy, CuPy, PyTorch
and array-api-strict return views for both and write in-place updates
through (``tests/test_parameter_buffer.py`` checks it). An array type
without item assignment (an immutable one, as JAX's) gets no buffer: its
parameters keep their own arrays and optimizers update them one by one,
with the same math.
"""

import math

from array_api_compat import array_namespace

from ..errors import ConfigError


class ParameterBuffer:
    """Flat ``values`` and ``grads`` arrays (one dtype, one device) holding ``params``.

    Attributes
    ----------
    values, grads : 1-D arrays of ``size`` entries
        Parameter ``p`` lives at ``values[offset:offset + n]`` reshaped to its
        shape (``grads`` likewise); ``layout`` lists ``(name, offset, shape)``.
    params : list of Parameter
        The parameters, in order; their ``value``/``grad`` are the views.

    ``value``/``grad`` alias ``values``/``grads`` so an optimizer treats the
    buffer as one big parameter; assigning them copies into the buffer.
    """

    def __init__(self, params, kernels=None):
        params = list(params)
        self.kernels = kernels
        if not params:
            raise ConfigError("ParameterBuffer needs at least one Parameter.")
        first = params[0].value
        xp, dtype, device = array_namespace(first), first.dtype, first.device
        for p in params:
            if p.value.dtype != dtype:
                raise ConfigError(f"ParameterBuffer holds one dtype; {p.name} is {p.value.dtype}, "
                                  f"{params[0].name} is {dtype}. Build the network with one dtype.")
        self.params, self.layout, offset = params, [], 0
        for p in params:
            shape = tuple(p.value.shape)
            self.layout.append((p.name, offset, shape))
            offset += math.prod(shape)
        self.size = offset
        self.values = xp.empty(offset, dtype=dtype, device=device)
        self.grads = xp.zeros(offset, dtype=dtype, device=device)
        for p, (_, start, shape) in zip(params, self.layout):
            value = self.view(self.values, start, shape)
            value[...] = p.value
            p.bind(value, self.view(self.grads, start, shape))

    @classmethod
    def adopt(cls, params, kernels=None):
        """A buffer for ``params``, or None when their arrays cannot hold views
        (no item assignment): the parameters then keep their own arrays.
        ``kernels`` (:class:`nnscratch.backend.kernels.Kernels`) gives :meth:`add_scaled` its in-place axpy."""
        try:
            return cls(params, kernels)
        except (TypeError, AttributeError, NotImplementedError):
            for p in params:
                p.unbind()
            return None

    @staticmethod
    def view(flat, start, shape):
        """``flat[start:start + prod(shape)]`` as an array of ``shape`` (a view)."""
        n = math.prod(shape)
        return array_namespace(flat).reshape(flat[start:start + n], shape)

    def split(self, flat):
        """``{name: view}`` of a flat array laid out like ``values`` (optimizer state)."""
        return {name: self.view(flat, start, shape) for name, start, shape in self.layout}

    def join(self, pieces, fill):
        """A flat array from ``{name: array}`` pieces; missing names keep ``fill``'s entries."""
        flat = array_namespace(fill).asarray(fill, copy=True)
        for name, start, shape in self.layout:
            if name in pieces:
                self.view(flat, start, shape)[...] = pieces[name]
        return flat

    def add_scaled(self, alpha, x):
        """``values += alpha * x`` in one pass where the library allows (no temporary)."""
        if self.kernels is None:
            self.values += alpha * x
        else:
            self.kernels.axpy(alpha, x, self.values)

    @property
    def value(self):
        return self.values

    @value.setter
    def value(self, new):
        if new is not self.values:  # ``values -= step`` is in place: nothing to copy
            self.values[...] = new

    @property
    def grad(self):
        return self.grads

    @grad.setter
    def grad(self, new):
        if new is not self.grads:
            self.grads[...] = new

    @property
    def name(self):
        return "buffer"

    def __repr__(self):
        return f"ParameterBuffer({len(self.params)} parameters, {self.size} entries, dtype={self.values.dtype})"
