"""The optimizers' in-place updates also work, unchanged, on arrays that have no
in-place operators (as JAX's): Python then rebinds, and the results are equal."""

import types

import numpy as np
import pytest

from nnscratch import SGD, Adam, RMSProp
from nnscratch.layers import Parameter


class Frozen:
    """A minimal immutable array: arithmetic returns new arrays; no ``+=`` etc."""

    def __init__(self, a):
        self.a = np.array(a, dtype=np.float64)
        self.a.flags.writeable = False

    def __array_namespace__(self, api_version=None):
        return NAMESPACE

    def _op(name):
        def op(self, other):
            other = other.a if isinstance(other, Frozen) else other
            return Frozen(getattr(self.a, name)(other))
        return op

    __add__, __radd__, __sub__, __rsub__ = _op("__add__"), _op("__radd__"), _op("__sub__"), _op("__rsub__")
    __mul__, __rmul__, __truediv__ = _op("__mul__"), _op("__rmul__"), _op("__truediv__")


NAMESPACE = types.ModuleType("frozen_namespace")
NAMESPACE.zeros_like = lambda x: Frozen(np.zeros_like(x.a))
NAMESPACE.sqrt = lambda x: Frozen(np.sqrt(x.a))


def test_frozen_arrays_really_have_no_in_place_update():
    x = Frozen([1.0])
    y = x
    x += 1.0
    assert x is not y and y.a[0] == 1.0


@pytest.mark.parametrize("make", [lambda: SGD(lr=0.1), lambda: SGD(lr=0.1, momentum=0.9),
                                  lambda: SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
                                  lambda: Adam(lr=0.01), lambda: RMSProp(lr=0.01)],
                         ids=["sgd", "momentum", "nesterov", "adam", "rmsprop"])
def test_functional_updates_equal_in_place_updates(make, rng):
    w0 = rng.normal(size=(3, 4))
    grads = [rng.normal(size=(3, 4)) for _ in range(5)]
    in_place, functional = Parameter("w", w0.copy()), Parameter("w", Frozen(w0))
    ours, theirs = make(), make()
    for g in grads:
        in_place.grad, functional.grad = g, Frozen(g)
        ours.step([in_place])
        theirs.step([functional])
    np.testing.assert_allclose(functional.value.a, in_place.value, rtol=1e-12)
    assert not np.allclose(in_place.value, w0)


def test_parameters_without_item_assignment_keep_their_own_arrays():
    """No views into a flat buffer are possible: the buffer steps aside and the
    optimizers above update each parameter, with the same numbers."""
    from nnscratch.models.params import ParameterBuffer

    p = Parameter("w", Frozen(np.ones((2, 3))))
    original = p.value
    assert ParameterBuffer.adopt([p]) is None
    assert not p.bound and p.value is original
    p.grad = Frozen(np.ones((2, 3)))
    SGD(lr=0.5).step([p])
    np.testing.assert_allclose(p.value.a, 0.5)
