"""Property: random shapes and values give a result or one of nnscratch's errors, never
anything else (no IndexError, no bare numpy/torch exception, no crash)."""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnscratch import SGD, Network
from nnscratch.errors import NNScratchError

NET = {}

arrays = st.one_of(
    hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_]),
               hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)),
    hnp.arrays(np.int64, st.integers(0, 6), elements=st.integers(-2, 12)),
    st.lists(st.one_of(st.floats(), st.integers(-5, 12)), max_size=6),
    st.sampled_from([None, "abc", [[1, 2], [3]], object(), np.array(["a", "b"])]),
)


def _build(n_in, n_out, output):
    """The network, or None where the architecture itself is refused (a 1-unit softmax)."""
    try:
        return Network.from_sizes(n_in, 4, n_out, output=output, seed=0, backend="numpy")
    except NNScratchError:
        assert output == "softmax" and n_out == 1
        return None


def _net(n_in, n_out, output):
    key = (n_in, n_out, output)
    if key not in NET:
        NET[key] = _build(n_in, n_out, output)
    return NET[key]


def _call(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except NNScratchError:
        pass


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(X=arrays, y=arrays, n_in=st.integers(1, 4), n_out=st.integers(1, 3),
       output=st.sampled_from(["auto", "softmax", "sigmoid", None]), loss=st.sampled_from([None, "mse", "bce",
                                                                                  "cross_entropy", "nope"]),
       batch=st.sampled_from([None, 1, 3, 0, -1]))
def test_fit_gives_a_result_or_our_error(X, y, n_in, n_out, output, loss, batch):
    net = _build(n_in, n_out, output)
    if net is not None:
        _call(lambda: net.fit(X, y, epochs=1, batch_size=batch, loss=loss))


@SETTINGS
@given(X=arrays, y=arrays, n_in=st.integers(1, 4), n_out=st.integers(1, 3),
       output=st.sampled_from(["auto", "softmax", "sigmoid", None]))
def test_predict_and_evaluate_give_a_result_or_our_error(X, y, n_in, n_out, output):
    net = _net(n_in, n_out, output)
    if net is None:
        return
    _call(lambda: net.predict(X))
    _call(lambda: net.evaluate(X, y))


@SETTINGS
@given(blob=st.binary(max_size=400), cut=st.integers(0, 4000), flip=st.integers(0, 4000))
def test_damaged_model_files_give_our_error(tmp_path_factory, blob, cut, flip):
    path = tmp_path_factory.mktemp("m") / "m.npz"
    _net(3, 2, "softmax").save(path)
    data = bytearray(path.read_bytes())
    if flip < len(data):
        data[flip] ^= 0xFF
    path.write_bytes(bytes(data[:cut]) + blob if cut < len(data) else bytes(data))
    _call(lambda: Network.load(path))


@st.composite
def matched(draw):
    """Shapes that usually fit the network, with any values: reaches training."""
    n, n_in, n_out = draw(st.integers(1, 8)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    X = draw(hnp.arrays(st.sampled_from([np.float32, np.float64, np.uint8]), (n, n_in)))
    y = draw(st.one_of(hnp.arrays(np.int64, (n,), elements=st.integers(-1, 4)),
                       hnp.arrays(np.float64, (n, n_out)),
                       hnp.arrays(np.float32, (n, n_out), elements=st.floats(0, 1, width=32))))
    return X, y, n_in, n_out


@SETTINGS
@given(case=matched(), output=st.sampled_from(["auto", "softmax", "sigmoid", None]),
       lr=st.sampled_from([1e-3, 10.0, 1e6]), batch=st.sampled_from([None, 1, 3]))
def test_training_on_matched_shapes_gives_a_result_or_our_error(case, output, lr, batch):
    X, y, n_in, n_out = case
    net = _build(n_in, n_out, output)
    if net is None:
        return
    _call(lambda: net.fit(X, y, epochs=2, batch_size=batch, optimizer=SGD(lr=lr),
                          validation_data=(X, y)))
    assert all(np.isfinite(w).all() for w in net.get_weights())  # divergence keeps finite weights
