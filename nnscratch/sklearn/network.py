"""The nnscratch Network an estimator trains, kept in step with ``coefs_`` /
``intercepts_``, and what a pickle keeps of it.

The estimator keeps the trained :class:`nnscratch.Network` (on its backend) and
host copies of its weights in ``coefs_`` / ``intercepts_``. A pickle holds the
host copies and the optimizer (its solver and settings, moments, velocities, step
count, rate), so ``partial_fit`` continues after a round trip exactly as before it,
also where the parameters were set anew in between; the network
is rebuilt from them on first use, on the ``backend`` the estimator names then (None: the
``use_backend`` block in force, else the block the estimator was cloned in, if any), and
whenever ``coefs_`` / ``intercepts_`` were set or edited since (scikit-learn reads them
at every call).
"""

import numpy as np

from ..backend.core import get_backend, selected_block
from ..layers import Dense, Identity, ReLU, Sigmoid, Softmax, Tanh
from ..models.network import Network
from .optimizers import optimizer_from_host

ACTIVATIONS = {"identity": Identity, "logistic": Sigmoid, "tanh": Tanh, "relu": ReLU, "softmax": Softmax}
_NOT_KEPT_IN_PICKLES = ("_network", "_network_built_for", "_network_weights", "_optimizer")  # host copies instead


class KeptNetwork:
    """The network half of :class:`~nnscratch.sklearn.base.BaseMLP` (a mixin, placed before
    ``BaseEstimator``): the network set, rebuilt when ``backend``, ``activation``, ``coefs_`` or
    ``intercepts_`` changed since, its weights stored as host copies, and the pickled state."""

    def _set_network(self, net):
        """Keep ``net``, built or rebuilt (after pickling: no targets to derive its task from), told the
        estimator's task where it has one (a multilabel classifier's); ``Network.fit`` then keeps a
        "multilabel" network so on rows that happen to be one-hot (:func:`~nnscratch.models.task.kept_task`)."""
        self._network, self._network_built_for = net, (self.backend, self.activation)
        if self._network_task() is not None:
            net.task = self._network_task()

    def _network_task(self):
        """The task the network is for where its output layer and targets may not say it, else None."""
        return None

    def _get_network(self):
        """The fitted network; rebuilt from ``coefs_`` / ``intercepts_`` (and the optimizer
        from its host copy) after unpickling, when ``backend`` or ``activation`` was set
        since, or when ``coefs_`` / ``intercepts_`` were set or edited in place since
        (scikit-learn's forward pass and its next warm-started fit read all three at every call)."""
        net = getattr(self, "_network", None)
        if net is not None and self._network_built_for == (self.backend, self.activation) and self._holds_coefs():
            return net
        saved = self._optimizer_on_host(net)
        self.__dict__.pop("_optimizer_state", None)
        layers = []
        for i, w in enumerate(self.coefs_):
            last = i == len(self.coefs_) - 1
            layers += [Dense(*w.shape), ACTIVATIONS[self.out_activation_ if last else self.activation]()]
        dtype = self._compute_dtype(self.coefs_[0].dtype).name
        net = Network(layers, seed=0, backend=self._backend_spec(), dtype=dtype)
        net.set_weights(self._given_weights())
        self._set_network(net)
        self._network_weights = [np.array(a, copy=True) for a in self._given_weights()]
        with net.backend.activate():  # its state on the network's device
            self._optimizer = None if saved is None else optimizer_from_host(
                saved, [layer.weight.name for layer in net.dense_layers],
                lambda a: net.backend.asarray(a, dtype=net.dtype),
                schedule={"lr_schedule": self.learning_rate, "power_t": self.power_t})
        return net

    def _compute_dtype(self, dtype):
        """The dtype the network computes in for data (or weights) of ``dtype``: that one, but float32
        on a device without float64 (torch:mps, ...), as scikit-learn's array API support does."""
        if np.dtype(dtype) == np.float64 and not get_backend(self._backend_spec()).has_float64:
            return np.dtype(np.float32)
        return np.dtype(dtype)

    def _backend_spec(self):
        """``backend`` for :func:`~nnscratch.backend.core.get_backend`; where it is None and no
        ``use_backend`` block is in force here, the block the estimator was cloned in, if any."""
        if self.backend is None and selected_block() is None:
            return getattr(self, "_cloned_in_block", None)
        return self.backend

    def __sklearn_clone__(self):
        """scikit-learn's ``clone``, which keeps the ``use_backend`` block it is made in (or the one the
        original kept) where ``backend`` is None. GridSearchCV, cross_val_score and the like clone the
        estimator where they are called and fit the clones in the processes or threads of ``n_jobs``,
        which do not see the caller's block (a ContextVar): the clones train on its backend all the same."""
        clone = super().__sklearn_clone__()
        block = selected_block() or getattr(self, "_cloned_in_block", None)
        if self.backend is None and block is not None:
            clone._cloned_in_block = block
        return clone

    def _optimizer_on_host(self, net=None):
        """The optimizer's state as host arrays (what a pickle keeps), or None."""
        if getattr(self, "_optimizer", None) is not None:
            net = net or self._network
            return self._optimizer.host_state(net.backend.to_numpy)
        return getattr(self, "_optimizer_state", None)

    def _store_weights(self, net):
        self._network_weights = net.get_weights()  # host copies: what the network holds
        weights = [np.array(w, copy=True) for w in self._network_weights]
        self.coefs_, self.intercepts_ = weights[0::2], weights[1::2]

    def _given_weights(self):
        """``coefs_`` and ``intercepts_`` as they are now, in the network's order (W0, b0, W1, ...)."""
        return [a for pair in zip(self.coefs_, self.intercepts_) for a in pair]

    def _holds_coefs(self):
        """Whether the network still holds ``coefs_`` / ``intercepts_`` (none set or edited since)."""
        held, given = getattr(self, "_network_weights", None), self._given_weights()
        return held is not None and len(held) == len(given) and all(
            np.shape(a) == b.shape and np.array_equal(a, b, equal_nan=True) for a, b in zip(given, held))

    def __getstate__(self):
        state = dict(super().__getstate__())  # object.__getstate__ returns __dict__ itself: never change it
        if getattr(self, "_optimizer", None) is not None:
            state["_optimizer_state"] = self._optimizer_on_host()
        for key in _NOT_KEPT_IN_PICKLES:
            state.pop(key, None)
        return state
