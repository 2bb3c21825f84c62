"""Training features where they meet: a callback that stops a run from ``on_batch_end`` (Keras 3 stops
after the batch in progress), and a regression's per-epoch R^2 of targets far from 0 in float32."""

import numpy as np
import pytest

import nnscratch as nn


def _data(n=70, regression=False):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 4))
    y = X @ np.array([[1.0], [-2.0], [0.5], [0.0]]) if regression else (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X, y


def _weights(net):
    return [net.backend.to_numpy(w) for w in net.get_weights()]


class StopAfter(nn.Callback):
    """Sets ``network.stop_training`` after batch ``batch`` of epoch ``epoch``; records every batch it saw."""

    def __init__(self, epoch, batch):
        self.at, self.seen = (epoch, batch), []

    def on_epoch_begin(self, epoch, network):
        self.epoch = epoch

    def on_batch_end(self, batch, network):
        self.seen.append((self.epoch, batch))
        if (self.epoch, batch) == self.at:
            network.stop_training = True


@pytest.mark.parametrize("stream", [False, True], ids=["device", "streamed"])
@pytest.mark.parametrize("regression", [False, True], ids=["classifier", "regression"])
def test_stop_training_in_on_batch_end_stops_after_that_batch(backend, stream, regression):
    """As Keras 3: the epoch ends after the batch whose hook set the flag, its figures are those of the
    rows trained, validation and ``on_epoch_end`` still run, and no further epoch starts. Before, the
    epoch ran to its end (3 batches more here) and the flag was read only then."""
    X, y = _data(regression=regression)
    val = (X[:20], y[:20])
    out = "identity" if regression else "auto"
    stopper = StopAfter(epoch=1, batch=1)
    net = nn.Network.from_sizes(4, 8, 1 if regression else 2, output=out, seed=0, backend=backend)
    history = net.fit(X, y, epochs=4, batch_size=16, shuffle=False, stream=stream, optimizer=nn.SGD(lr=0.1),
                      validation_data=val, callbacks=[stopper])
    assert stopper.seen == [(0, b) for b in range(5)] + [(1, 0), (1, 1)]
    assert history.epoch == [0, 1] and "val_loss" in history.history
    # the same two epochs by hand: a whole one, then the first 32 rows (two batches of 16)
    ref = nn.Network.from_sizes(4, 8, 1 if regression else 2, output=out, seed=0, backend=backend)
    ref.fit(X, y, epochs=1, batch_size=16, shuffle=False, optimizer=nn.SGD(lr=0.1))
    part = ref.fit(X[:32], y[:32], epochs=1, batch_size=16, shuffle=False, validation_data=val)
    for got, want in zip(_weights(net), _weights(ref)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for key in part.history:
        if key != "seconds":
            np.testing.assert_allclose(history.history[key][-1], part.history[key][-1], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("regression", [False, True], ids=["classifier", "regression"])
def test_a_shuffled_epoch_cut_short_scores_the_rows_it_trained(regression):
    """With shuffling, the cut epoch's figures pair each output with its own row's target: resident data
    takes the first rows of the epoch's order, streamed data keeps the targets it handed out; both agree."""
    X, y = _data(regression=regression)
    histories = []
    for stream in (False, True):
        net = nn.Network.from_sizes(4, 8, 1 if regression else 2, output="identity" if regression else "auto",
                                    seed=0)
        histories.append(net.fit(X, y, epochs=3, batch_size=16, stream=stream, callbacks=[StopAfter(1, 2)]))
    assert histories[0].epoch == [0, 1]
    for key in histories[0].history:
        if key != "seconds":
            np.testing.assert_allclose(histories[0].history[key], histories[1].history[key], rtol=1e-6)


def test_a_run_stopped_mid_epoch_resumes_as_stopped(tmp_path):
    """The checkpoint of a run stopped after a batch says it stopped: resuming trains nothing more."""
    X, y = _data()
    path = tmp_path / "run.ckpt"
    net = nn.Network.from_sizes(4, 8, 2, seed=0)
    net.fit(X, y, epochs=3, batch_size=16, checkpoint=path, callbacks=[StopAfter(epoch=0, batch=2)])
    again = nn.Network.from_sizes(4, 8, 2, seed=0)
    history = again.fit(X, y, epochs=3, batch_size=16, checkpoint=path, resume=True,
                        callbacks=[StopAfter(epoch=0, batch=2)])
    assert history.epoch == [0]
    for got, want in zip(_weights(again), _weights(net)):
        np.testing.assert_array_equal(got, want)


def test_per_epoch_r2_of_targets_far_from_zero_is_scikit_learns(backend):
    """A float32 network fitting y = 10000 + x w (+- 0.1): ``val_r2`` is summed in float32 on the device,
    about the first target (not about 0, where sum(y**2) = n 1e8 would swallow the variance), and matches
    scikit-learn's float64 ``r2_score`` of ``predict`` to 5e-4; the targets' rounding to float32 (an ulp of
    1e4 is 1e-3) is all that parts them."""
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 4))
    w = np.array([[0.05], [-0.02], [0.03], [0.0]])
    y = 1e4 + X @ w + 0.01 * rng.normal(size=(400, 1))
    net = nn.Network.from_sizes(4, 1, output="identity", seed=0, backend=backend)
    net.set_weights([net.backend.asarray(a, dtype=net.dtype) for a in (w, np.array([1e4]))])
    history = net.fit(X[:300], y[:300], epochs=1, batch_size=100, optimizer=nn.SGD(lr=1e-30),
                      validation_data=(X[300:], y[300:]))
    want = r2_score(y[300:], net.backend.to_numpy(net.predict(X[300:])).astype(np.float64))
    assert 0.9 < want < 0.99
    assert abs(history.history["val_r2"][-1] - want) < 5e-4  # 5e-5 here; summed about 0: 0.018
    assert abs(net.evaluate(X[300:], y[300:])["r2"] - want) < 1e-9


@pytest.mark.parametrize("augment, said", [
    (lambda X, y, rng: (X[:0], y[:0]), "X is empty"),
    (lambda X, y, rng: (X[:, :3], y), "3 features"),
    (lambda X, y, rng: (X, y[:-1]), "y"),
], ids=["no rows", "features dropped", "rows apart"])
def test_augmented_data_fit_refuses_names_augment(augment, said):
    """X and y that fit(augment=f) returned and fit cannot train on: the one-line error says they are
    f's pair, not only "X is empty ... check that the data loaded correctly" of data the caller passed well."""
    X, y = _data()
    net = nn.Network.from_sizes(4, 8, 2, seed=0)
    with pytest.raises(nn.errors.DataError) as caught:
        net.fit(X, y, epochs=1, augment=augment)
    text = str(caught.value)
    assert said in text and "fit(augment=<lambda>) returned" in text and "\n" not in text


@pytest.mark.parametrize("cls", [nn.SGD, nn.Adam, nn.RMSProp])
def test_each_optimizer_takes_clip_norm_as_its_config_names_it(cls):
    """``get_config()`` names ``clip_norm`` beside ``lr``; the constructor takes it too (it answered
    "unexpected keyword argument 'clip_norm'"), checks it, and fit clips with it as with get_optimizer's."""
    opt = cls(lr=0.05, clip_norm=0.01)
    config = opt.get_config()
    assert config["clip_norm"] == 0.01
    assert cls(**{k: v for k, v in config.items() if k != "name"}).get_config() == config
    with pytest.raises(nn.errors.ConfigError, match="clip_norm"):
        cls(clip_norm=0)
    X, y = _data()
    runs = []
    for optimizer in (opt, nn.get_optimizer(cls.name if cls is not nn.SGD else "sgd", lr=0.05, clip_norm=0.01)):
        net = nn.Network.from_sizes(4, 8, 2, seed=0)
        net.fit(X, y, epochs=2, batch_size=16, optimizer=optimizer)
        runs.append(_weights(net))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_predict_on_data_that_fits_runs_in_batches(backend, monkeypatch):
    """predict, predict_proba and forward hold one batch of activations at a time (what the memory
    arithmetic counts) when the inputs fit on the device too: they ran all rows at once, so predicting
    16384 small images with a 16-channel convolution peaked at 386 MB, four times 4096 rows' 97 MB."""
    from nnscratch.training import streaming

    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 1, 6, 6))
    net = nn.Network([nn.Conv2D(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(36, 3),
                      nn.Softmax()], seed=0, backend=backend)
    whole = [net.backend.to_numpy(a) for a in (net.predict_proba(X), net.predict(X))]
    layers = [net.backend.to_numpy(a) for a in net.forward(X, return_all=True)]
    monkeypatch.setattr(streaming, "INFERENCE_BATCH", 64)
    seen, first = [], net.layers[0].forward

    def spy(x, *args, **kwargs):
        seen.append(x.shape[0])
        return first(x, *args, **kwargs)

    monkeypatch.setattr(net.layers[0], "forward", spy)
    got = [net.backend.to_numpy(a) for a in (net.predict_proba(X), net.predict(X))]
    assert seen == [64, 64, 22] * 2
    np.testing.assert_allclose(got[0], whole[0], rtol=1e-5, atol=1e-6)
    top = np.sort(whole[0], axis=1)
    clear = top[:, -1] - top[:, -2] > 1e-5  # a near tie may round either way
    np.testing.assert_array_equal(got[1][clear], whole[1][clear])
    for a, b in zip(net.forward(X, return_all=True), layers):
        np.testing.assert_allclose(net.backend.to_numpy(a), b, rtol=1e-5, atol=1e-6)


def test_a_cnns_memory_estimate_counts_its_feature_maps(monkeypatch):
    """What a CNN's forward pass and training step hold on the device counts their feature maps and
    convolution columns (the arithmetic counted Dense widths only: 5.5 MB for a pass that peaks at 97 MB),
    so a budget below one batch of them is said, and an MLP's count is as it was."""
    import tracemalloc
    import warnings

    from nnscratch.training import memory

    X = np.random.default_rng(0).normal(size=(4096, 1, 12, 12)).astype(np.float32)
    net = nn.Network([nn.Conv2D(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(576, 10),
                      nn.Softmax()], seed=0)
    need = memory.inference_bytes(net, X)
    assert need >= 4096 * 16 * 12 * 12 * 4 * 2  # the convolution's map and its ReLU's, at least
    tracemalloc.start()
    try:
        net.predict(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 1.5 * need
    assert memory.training_bytes(net, X, batch_size=512) >= 512 * 16 * 12 * 12 * 4 * 4  # maps and gradients
    mlp = nn.Network.from_sizes(784, 128, 10, seed=0)  # flat samples: no maps, the Dense widths as before
    assert memory._map_floats(mlp, np.zeros((10, 784), np.float32), 2) == 0
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", "32M")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.predict(X)
    assert any("holds less than one batch" in str(w.message) for w in caught)
