"""Where features meet: every layer type, in small networks, on every path a model travels.

Each part of nnscratch is tested on its own elsewhere; here the parts meet. Every layer
type (Dense, every activation, Conv2D, MaxPool2D, AvgPool2D, Flatten, Reshape, BatchNorm,
Dropout; convolutions and pools with strides, padding and windows that are not square; sample and class
weights) sits
in one of the small networks of ``NETWORKS``, and each network goes down
every path: fit on each backend against NumPy, kill and resume (with every callback,
schedule, clipping and plateau option) against the uninterrupted run, save and load on
another backend, ONNX export against ``predict_proba``, and gradients that leave the
model as it was. Then the layer-spec grammar (property-based: every spec it can
express survives ``spec -> model -> spec -> model``) and the edges of the data a layer
sees (one sample, a short last batch, one class). Tiny shapes and 1-3 steps per epoch:
the whole file runs in seconds. The data-parallel (MPI) half of the matrix is in
``tests/test_mpi_matrix.py`` and ``tests/test_mpi.py``.
"""

import functools

import hypothesis
import numpy as np
import pytest
from hypothesis import strategies as st

import nnscratch as nn
from nnscratch import EarlyStopping, Network, ReduceLROnPlateau
from nnscratch.errors import ConfigError, DataError, ShapeError
from nnscratch.models.spec import describe, layers_from_spec
from nnscratch.optim.schedules import Cosine
from test_checkpoint import _Kill as Kill  # noqa: E402  (stops the process as a SIGKILL would)

N, BATCH = 12, 5  # 3 steps per epoch, the last one shorter (2 rows)


def _dense():
    return [nn.Dense(4, 5), nn.ReLU(), nn.Dense(5, 3), nn.Softmax()], {}


def _activations():
    """Every activation once, the output one an Identity whose logits cross-entropy trains."""
    return [nn.Dense(4, 5), nn.LeakyReLU(0.1), nn.Dense(5, 5), nn.Tanh(), nn.Dense(5, 4), nn.Sigmoid(),
            nn.Dense(4, 3), nn.Identity()], {"loss": "cross_entropy"}


def _cnn():
    """Flat rows through Reshape into every image layer, BatchNorm and Dropout included."""
    return [nn.Reshape((1, 6, 6)), nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.BatchNorm(2), nn.MaxPool2D(2),
            nn.Conv2D(2, 3, 2), nn.AvgPool2D(2), nn.Flatten(), nn.Dropout(0.3), nn.Dense(3, 3), nn.Softmax()], {}


def _cnn_open():
    """Images of a size the data decides (no input_shape), as issue 20's item 1 (BatchNorm after the
    ReLU: a bias right before BatchNorm has a zero gradient up to rounding, which Adam magnifies
    into steps that differ between backends)."""
    return [nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.BatchNorm(2), nn.MaxPool2D((2, 3), stride=(2, 2)),
            nn.Flatten(), nn.Dropout(0.2), nn.Dense(2 * 3 * 3, 2), nn.Softmax()], {}


def _cnn_strided():
    """The convolution and pooling options: a 3x2 kernel at stride 2 with padding, an even kernel
    with 'same' padding, overlapping max-pooling on odd sizes, a non-square average pool whose
    stride is not its window."""
    return [nn.Reshape((1, 9, 9)), nn.Conv2D(1, 2, (3, 2), stride=2, padding=1), nn.LeakyReLU(0.1),
            nn.Conv2D(2, 3, (2, 3), padding="same"), nn.Tanh(), nn.BatchNorm(3), nn.MaxPool2D(3, stride=2),
            nn.AvgPool2D((2, 1), stride=(1, 2)), nn.Flatten(), nn.Dropout(0.2), nn.Dense(3, 3), nn.Softmax()], {}


def _binary():
    return [nn.Dense(4, 6), nn.Tanh(), nn.BatchNorm(6), nn.Dropout(0.25), nn.Dense(6, 1), nn.Sigmoid()], {}


def _binary_logit():
    return [nn.Dense(4, 3), nn.ReLU(), nn.Dense(3, 1), nn.Identity()], {"loss": "binary_cross_entropy"}


def _regression():
    return [nn.Dense(4, 5), nn.Sigmoid(), nn.Dense(5, 2)], {"loss": "mse"}


def _multilabel():
    """Several labels per sample: sigmoid units with binary cross-entropy on 0/1 rows."""
    return [nn.Dense(4, 5), nn.ReLU(), nn.Dropout(0.2), nn.Dense(5, 3), nn.Sigmoid()], {"loss": "binary_cross_entropy"}


def _weighted_cnn():
    """The CNN (BatchNorm, Dropout) trained with sample and class weights, which follow their rows through
    the shuffle, the threads and a resume (passed again, as X and y are)."""
    weights = np.linspace(0.25, 2.0, N)
    return _cnn()[0], {"sample_weight": weights, "class_weight": {0: 1.0, 1: 2.5, 2: 0.5}}


# name: (layers and fit options, per-sample input shape of the data)
NETWORKS = {"dense": (_dense, (4,)), "activations": (_activations, (4,)), "cnn": (_cnn, (36,)),
            "cnn-open": (_cnn_open, (1, 6, 7)),
            "cnn-strided": (_cnn_strided, (81,)), "binary": (_binary, (4,)),
            "binary-logit": (_binary_logit, (4,)), "regression": (_regression, (4,)),
            "multilabel": (_multilabel, (4,)), "weighted-cnn": (_weighted_cnn, (36,))}


def build(name, backend="numpy", seed=0):
    layers, options = NETWORKS[name][0]()
    return Network(layers, seed=seed, backend=backend), options


def data(name, n=N, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, *NETWORKS[name][1])).astype(np.float32)
    if name == "regression":
        return X, np.stack([X[:, 0] - X[:, 1], X[:, 2]], axis=1)
    if name == "multilabel":  # rows of 0/1 holding none, one or several labels
        return X, (X[:, :3] + 0.3 * rng.normal(size=(n, 3)) > 0.2).astype(np.float32)
    classes = 2 if name in ("cnn-open", "binary", "binary-logit") else 3
    return X, rng.integers(0, classes, n)


def host(net, a):
    return net.backend.to_numpy(a)


def state(net):
    """Everything a model is: weights, buffers, gradients, the RNG, what it predicts."""
    X, _ = data(_name_of(net), n=4, seed=9)
    return {"weights": net.get_weights(), "buffers": net.get_buffers(),
            "grads": [None if p.grad is None else host(net, p.grad).copy() for p in net.parameters()],
            "rng": net.rng.bit_generator.state, "proba": host(net, net.predict_proba(X))}


def _name_of(net):
    return net.metadata["case"]


def named(name, backend="numpy", seed=0):
    net, options = build(name, backend, seed)
    net.metadata["case"] = name
    return net, options


def assert_same_state(a, b, exact=True, grads=True):
    check = np.testing.assert_array_equal if exact else \
        functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-6)
    assert a["rng"] == b["rng"]
    for key in ("weights", "grads") if grads else ("weights",):
        for u, v in zip(a[key], b[key], strict=True):
            assert (u is None) == (v is None)
            if u is not None:
                check(u, v)
    assert a["buffers"].keys() == b["buffers"].keys()
    for key in a["buffers"]:
        check(a["buffers"][key], b["buffers"][key])
    check(a["proba"], b["proba"])


@functools.lru_cache(maxsize=None)
def numpy_run(name):
    """The NumPy reference: losses and weights after 2 epochs."""
    net, options = named(name)
    history = net.fit(*data(name), epochs=2, batch_size=BATCH, **options)
    return history["loss"], net.get_weights(), net.get_buffers()


# ---------------------------------------------------------------- fit on every backend
@pytest.mark.parametrize("name", NETWORKS)
def test_fit_on_every_backend_trains_the_numpy_model(name, any_backend):  # array-api-strict's no_float64 device too
    backend = any_backend
    net, options = named(name, backend)
    history = net.fit(*data(name), epochs=2, batch_size=BATCH, **options)
    losses, weights, buffers = numpy_run(name)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-4)
    for a, b in zip(net.get_weights(), weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for key, value in buffers.items():
        np.testing.assert_allclose(net.get_buffers()[key], value, rtol=1e-4, atol=1e-5)


def test_the_weighted_case_weighs():
    """The weighted CNN is the CNN on the same data and seed but for its weights: its run must differ."""
    (weighted, w_weights, _), (plain, p_weights, _) = numpy_run("weighted-cnn"), numpy_run("cnn")
    assert not np.allclose(weighted, plain) and not np.allclose(w_weights[0], p_weights[0])


@functools.lru_cache(maxsize=None)
def numpy_run_float64(name):
    net = Network(NETWORKS[name][0]()[0], seed=0, backend="numpy", dtype="float64")
    net.fit(*data(name), epochs=2, batch_size=BATCH, optimizer=nn.SGD(lr=0.1, momentum=0.9), **NETWORKS[name][0]()[1])
    return net.get_weights(), net.get_buffers()


@pytest.mark.parametrize("name", NETWORKS)
def test_fit_in_float64_on_every_backend_is_the_numpy_model_to_rounding(name, backend):
    """In float64 the backends differ only by the order of their sums: the same model to ~1e-15."""
    layers, options = NETWORKS[name][0]()
    net = Network(layers, seed=0, backend=nn.get_backend(backend, dtype="float64"))
    net.fit(*data(name), epochs=2, batch_size=BATCH, optimizer=nn.SGD(lr=0.1, momentum=0.9), **options)
    weights, buffers = numpy_run_float64(name)
    assert net.get_weights()[0].dtype == np.float64
    for a, b in zip(net.get_weights() + list(net.get_buffers().values()), weights + list(buffers.values()),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


# ---------------------------------------------------------------- kill + resume


def callbacks(stop_early):
    """Early stopping with restore_best (stopping after the second epoch with ``stop_early``:
    nothing improves by 10) and a plateau that halves the rate from the second epoch on."""
    return [EarlyStopping(monitor="val_loss", patience=1 if stop_early else 100, min_delta=10.0 if stop_early else 0,
                          restore_best=True),
            ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0)]


def resumable_fit(net, options, callbacks, **more):
    """Every option a resume must carry: a warm-up cosine schedule, momentum, clipping, a plateau
    that reduces every epoch, early stopping with restore_best, and the guard's restore_best."""
    X, y = data(_name_of(net))
    optimizer = nn.get_optimizer("momentum", lr=Cosine(0.05, total=12, warmup=3), clip_norm=0.5)
    return net.fit(X, y, epochs=4, batch_size=BATCH, optimizer=optimizer, validation_data=data(_name_of(net),
                   n=6, seed=1), callbacks=callbacks, restore_best=True, **options, **more)


@pytest.mark.parametrize("kill_at", [2, None], ids=["mid-run", "after-the-last-checkpoint"])
@pytest.mark.parametrize("name", NETWORKS)
def test_killed_and_resumed_ends_as_the_uninterrupted_run(name, kill_at, tmp_path):
    stop_early = kill_at is None
    reference, options = named(name)
    ref_callbacks = callbacks(stop_early)
    ref_history = resumable_fit(reference, options, ref_callbacks)
    assert ref_history.epoch == ([0, 1] if stop_early else [0, 1, 2, 3])
    path = tmp_path / "run.ckpt"
    killed, _ = named(name)
    with pytest.raises(KeyboardInterrupt):
        resumable_fit(killed, options, callbacks(stop_early) + [Kill(kill_at)], checkpoint=path)
    resumed, _ = named(name, seed=1)  # the checkpoint brings everything
    res_callbacks = callbacks(stop_early)
    history = resumable_fit(resumed, options, res_callbacks, resume=path)
    assert history.epoch == ref_history.epoch
    np.testing.assert_allclose(history["val_loss"], ref_history["val_loss"], rtol=1e-6)
    assert_same_state(state(resumed), state(reference), grads=False)  # bitwise on NumPy; gradients are not kept
    assert resumed.optimizer.current_lr == reference.optimizer.current_lr
    for ours, theirs in zip(res_callbacks, ref_callbacks):
        assert ours.get_state() == theirs.get_state()


# ---------------------------------------------------------------- moved mid-run with to()
@pytest.mark.parametrize("name", NETWORKS)
def test_moved_to_another_backend_mid_run_ends_as_the_unmoved_run(name, any_backend):  # array-api-strict's no_float64 device too
    backend = any_backend
    """``to()`` carries the optimizer and its state (momentum, the schedule's step): a ``fit`` after
    the move continues the same run."""
    def fit(net, epochs, optimizer=None):
        return net.fit(*data(name), epochs=epochs, batch_size=BATCH, optimizer=optimizer, **options)
    make = lambda: nn.get_optimizer("momentum", lr=Cosine(0.05, total=12, warmup=3), clip_norm=0.5)  # noqa: E731
    reference, options = named(name)
    fit(reference, 4, make())
    moved, _ = named(name)
    fit(moved, 2, make())
    moved = moved.to(backend)
    assert moved.optimizer is not None and moved.optimizer.t == 6
    fit(moved, 2)
    assert moved.optimizer.t == reference.optimizer.t
    assert_same_state(state(moved), state(reference), exact=False)


# ---------------------------------------------------------------- save, load elsewhere
@pytest.mark.parametrize("name", NETWORKS)
def test_saved_then_loaded_on_another_backend_predicts_the_same(name, any_backend, tmp_path):  # array-api-strict's no_float64 device too
    backend = any_backend
    net, options = named(name)
    X, y = data(name)
    net.fit(X, y, epochs=1, batch_size=BATCH, **options)
    assert (net.task == "multilabel") == (name == "multilabel")  # 0/1 rows of several labels make that task
    loaded = Network.load(net.save(tmp_path / "m.npz"), backend=backend)
    assert loaded.get_config() == net.get_config() and loaded.task == net.task
    for a, b in zip(loaded.get_weights(), net.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(host(loaded, loaded.predict_proba(X)), net.predict_proba(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(host(loaded, loaded.predict(X)), net.predict(X), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- ONNX export
@pytest.mark.parametrize("name", [name for name in NETWORKS if name != "dense"])  # "activations" has its layers
def test_onnx_export_gives_predict_proba(name):
    pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    from test_export import run_onnx
    net, options = named(name)
    X, y = data(name)
    net.fit(X, y, epochs=1, batch_size=BATCH, **options)
    if None in net.input_shape:  # sizes the data decides: the graph is made for the data's
        with pytest.raises(ConfigError, match=r"input_shape=\(1, 28, 28\)"):
            net.export_onnx()
        model = net.export_onnx(input_shape=X.shape[1:])
    else:
        model = net.export_onnx()
    got = run_onnx(model, X)
    np.testing.assert_allclose(got, net.predict_proba(X), rtol=1e-5, atol=1e-6)
    if net.task != "regression":
        assert ((got >= 0) & (got <= 1)).all()


# ---------------------------------------------------------------- gradients leave no trace
@pytest.mark.parametrize("name", NETWORKS)
def test_compute_and_check_gradients_leave_the_model_as_it_was(name):
    net, options = named(name, seed=3)
    X, y = data(name)
    net.fit(X, y, epochs=1, batch_size=BATCH, **options)
    before = state(net)
    loss, grads = net.compute_gradients(X, y)
    assert len(grads) == len(net.parameters()) and np.isfinite(loss)
    assert_same_state(state(net), before)
    assert net.check_gradients(X[:6], y[:6], max_entries=6) < 1e-4
    assert_same_state(state(net), before)
    again, _ = net.compute_gradients(X, y)  # the same RNG, the same masks: the same loss
    assert again == loss


# ---------------------------------------------------------------- the layer-spec grammar


def _hw(low, high):
    """``n`` or ``hxw`` of digits in [low, high]."""
    return st.one_of(st.integers(low, high).map(str),
                     st.tuples(st.integers(low, high), st.integers(low, high)).map(lambda p: f"{p[0]}x{p[1]}"))


def _rate():
    return st.sampled_from(["0", "0.5", ".25", "0.00001", "0.3333333333333333", "0.0"])


IMAGE_TOKENS = st.one_of(
    st.builds(lambda f, k, s, p: f"conv{f}x{k}{s}{p}", st.integers(1, 3), _hw(1, 3),
              st.one_of(st.just(""), _hw(1, 2).map("s{}".format)),
              st.one_of(st.just(""), _hw(0, 1).map("p{}".format), st.just("psame"))),
    st.builds(lambda kind, k, s: f"{kind}pool{k}{s}", st.sampled_from(["max", "avg"]), _hw(1, 3),
              st.one_of(st.just(""), _hw(1, 2).map("s{}".format))))
ANY_TOKENS = st.one_of(
    st.sampled_from(["relu", "tanh", "sigmoid", "softmax", "identity", "linear", "leaky_relu", "leaky-relu",
                     "leakyrelu", "leaky_relu0.2", "bn", "batchnorm", "flatten"]),
    _rate().map("dropout{}".format), st.integers(1, 4).map("dense{}".format))


@hypothesis.settings(max_examples=150, deadline=None, derandomize=True)
@hypothesis.given(images=st.lists(IMAGE_TOKENS, max_size=3), rest=st.lists(ANY_TOKENS, max_size=4),
                  end=st.sampled_from(["", ",dense3", ",dense3,softmax", ",dense3,leaky_relu"]))
def test_every_spec_survives_spec_model_spec_model(images, rest, end):
    """Whatever the grammar builds, describe() writes back, and that text builds the same layers
    (and networks with the same weights); whatever it refuses, it refuses with one clear error."""
    spec = ",".join(images + rest) + end
    try:
        first = layers_from_spec(spec, 49, 3)
    except (ConfigError, ShapeError):
        return
    text = describe(first)
    second = layers_from_spec(text, 49, 3)
    assert [layer.get_config() for layer in second] == [layer.get_config() for layer in first], text
    assert describe(second) == text
    a, b = Network(first, seed=0), Network(second, seed=0)
    assert a.get_config() == b.get_config()
    for u, v in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


@hypothesis.settings(max_examples=40, deadline=None, derandomize=True)
@hypothesis.given(images=st.lists(IMAGE_TOKENS, min_size=1, max_size=3), rest=st.lists(ANY_TOKENS, max_size=3))
def test_every_network_the_grammar_builds_saves_and_loads_without_an_input_shape(images, rest, tmp_path_factory):
    """Issue 20, item 1, over the grammar: the image layers take the images themselves (no Reshape,
    no input_shape: sizes the data decides), the file loads and predicts the same."""
    try:
        layers = layers_from_spec(",".join(images + rest + ["dense3"]), 49, 3)[1:]  # without the Reshape
        net = Network(layers, seed=0)
    except (ConfigError, ShapeError):
        return
    assert None in net.input_shape
    path = net.save(tmp_path_factory.mktemp("m") / "m.npz")
    X = np.random.default_rng(0).normal(size=(2, 1, 7, 7))
    np.testing.assert_array_equal(Network.load(path).predict_proba(X), net.predict_proba(X))


def test_leaky_relu_and_a_2x3_window_survive_the_round_trip():
    """Issue 20, item 4: ``leaky_relu`` was written back as ``leakyrelu`` (refused), ``maxpool2x3`` as
    ``maxpool2`` (a 2x2 window, silently)."""
    layers = layers_from_spec("conv2x3p1,leaky_relu,maxpool2x3,avgpool1x2s1,flatten,dense3", 49, 3)
    pool = layers[3]
    assert isinstance(layers[2], nn.LeakyReLU) and (pool.kernel_size, pool.stride) == ((2, 3), (2, 3))
    assert layers[4].kernel_size == (1, 2) and layers[4].stride == (1, 1)
    text = describe(layers)
    assert text == "conv2x3p1,leaky_relu,maxpool2x3,avgpool1x2s1,flatten,dense3,softmax"
    again = layers_from_spec(text, 49, 3)
    assert [layer.get_config() for layer in again] == [layer.get_config() for layer in layers]


def test_a_layer_the_grammar_cannot_write_is_refused_not_rebuilt_differently():
    text = describe([nn.Reshape((1, 7, 7)), nn.BatchNorm(1, momentum=0.5), nn.Flatten(), nn.Dense(49, 3)])
    assert text.startswith("BatchNorm(n_features=1, momentum=0.5")
    with pytest.raises(ConfigError, match="unknown layer 'batchnorm\\(n_features=1'"):
        layers_from_spec(text, 49, 3)


# ---------------------------------------------------------------- edges of the data
def test_batchnorm_refuses_one_value_per_channel_as_pytorch_does():
    net, options = named("binary")
    X, y = data("binary", n=11)
    before = state(net)
    with pytest.raises(DataError, match=r"last batch of 1 sample.*batch_size=6"):
        net.fit(X, y, batch_size=5, **options)  # 5 + 5 + 1
    with pytest.raises(DataError, match=r"the data has 1 sample.*Expected more than 1 value per channel"):
        net.fit(X[:1], y[:1], **options)
    for gradients in (net.compute_gradients, net.check_gradients):
        with pytest.raises(DataError, match="the data has 1 sample"):
            gradients(X[:1], y[:1])
    assert_same_state(state(net), before)  # refused before anything moved
    net.predict_proba(X[:1])  # inference on one sample uses the running statistics: fine


def test_one_sample_is_fine_when_each_channel_has_pixels():
    """After a convolution a channel holds H*W values per sample: one sample, or a last batch of
    one, trains (PyTorch does too)."""
    net, options = named("cnn")
    X, y = data("cnn", n=11)
    net.fit(X, y, batch_size=5, **options)
    net.fit(X[:1], y[:1], **options)
    assert (net.get_buffers()["3.running_var"] > 0).all()


@pytest.mark.parametrize("name", ["dense", "activations", "binary-logit", "regression"])
def test_a_short_last_batch_is_the_mean_over_its_own_rows(name):
    """As PyTorch's DataLoader without drop_last: batches of 5, 5 and 2 rows, each step the
    gradient of its own batch's mean loss (checked against compute_gradients, step by step)."""
    X, y = data(name)
    net, options = named(name)
    by_hand, _ = named(name)
    net.fit(X, y, epochs=1, batch_size=BATCH, shuffle=False, optimizer=nn.SGD(lr=0.1), **options)
    if options.get("loss"):
        by_hand._fit_loss = by_hand.resolve_loss(options["loss"])
    for start in range(0, N, BATCH):
        _, grads = by_hand.compute_gradients(X[start:start + BATCH], y[start:start + BATCH])
        by_hand.set_weights([w - 0.1 * g for w, g in zip(by_hand.get_weights(), grads)])
    for a, b in zip(net.get_weights(), by_hand.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["dense", "binary", "cnn"])
def test_batches_of_one_class_train_and_are_scored(name):
    """Rows sorted by class, not shuffled: every batch holds one class (BatchNorm included); and a
    training set of one class trains and is scored like any other."""
    X, y = data(name)
    order = np.argsort(y, kind="stable")
    net, options = named(name)
    history = net.fit(X[order], y[order], epochs=2, batch_size=4, shuffle=False, **options)
    assert np.isfinite(history["loss"]).all()
    assert all(np.isfinite(w).all() for w in net.get_weights())
    only = np.zeros_like(y)
    scores = named(name)[0].fit(X, only, epochs=1, batch_size=4, **options)
    assert np.isfinite(scores["loss"][0]) and 0 <= scores["accuracy"][0] <= 1
    assert net.evaluate(X, only)["accuracy"] == pytest.approx(np.mean(net.predict(X) == 0))


def test_a_network_of_convolutions_only_runs_and_exports(monkeypatch):
    """No Dense at the end, no input_shape: the output size follows the images' (a feature
    extractor). forward and predict_proba ran into 'a classifier needs a fixed count', and so
    did export for a given input shape; on a device too small for the data it runs in pieces."""
    net = Network([nn.Conv2D(1, 2, (3, 2), stride=2, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten()], seed=0)
    X = np.random.default_rng(0).normal(size=(5, 1, 9, 8)).astype(np.float32)
    out = net.forward(X)
    assert out.shape == (5, 2 * 2 * 2)
    np.testing.assert_array_equal(net.predict_proba(X), out)
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", "1K")
    np.testing.assert_array_equal(net.forward(X), out)
    pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    from test_export import run_onnx
    np.testing.assert_allclose(run_onnx(net.export_onnx(input_shape=(1, 9, 8)), X), out, rtol=1e-5, atol=1e-6)
