"""Training that diverges stops at the end of that epoch with the last finite weights;
restore_best and EarlyStopping keep the best epoch."""

import warnings

import numpy as np
import pytest

import nnscratch
from nnscratch import EarlyStopping, Network
from nnscratch.errors import DivergenceError
from nnscratch.training.guard import nonfinite_flag


def _regression(n=64, scale=100.0):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4))
    return X, X @ rng.normal(size=(4, 1)) * scale


def _weights(net):
    return [np.array(w, copy=True) for w in net.get_weights()]  # to_numpy may return a view


def _finite(net):
    return all(np.isfinite(w).all() for w in net.get_weights())


def test_divergence_stops_with_last_finite_weights(backend):
    X, y = _regression()
    net = Network.from_sizes(4, 16, 1, output=None, seed=0, backend=backend)
    before = _weights(net)
    with warnings.catch_warnings(), pytest.raises(DivergenceError) as info:
        warnings.simplefilter("ignore", RuntimeWarning)
        net.fit(X, y, epochs=20, batch_size=16, optimizer=nnscratch.SGD(lr=1.0))
    err = info.value
    message = str(err)
    assert f"epoch {err.epoch + 1}/20" in message and "smaller learning rate" in message
    assert "lr=0.1 instead of 1" in message
    assert isinstance(err, FloatingPointError)
    assert _finite(net)
    assert len(err.history.epoch) == err.epoch + 1  # the bad epoch is in the history
    if err.epoch == 0:
        for a, b in zip(before, net.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_divergence_keeps_weights_of_the_last_good_epoch():
    X, y = _regression(scale=1.0)
    net = Network.from_sizes(4, 8, 1, output=None, seed=0, backend="numpy")
    net.fit(X, y, epochs=2, optimizer="sgd")
    good = _weights(net)

    class Poison(nnscratch.Callback):
        def on_batch_end(self, batch, network):
            network.parameters()[0].value[0, 0] = np.inf

    with pytest.raises(DivergenceError, match=r"epoch 1/3: .*weights became NaN or infinite.*start of this run"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            net.fit(X, y, epochs=3, optimizer="sgd", callbacks=[Poison()])
    for a, b in zip(good, net.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nonfinite_flag_is_a_device_scalar(backend):
    net = Network.from_sizes(3, 4, 2, seed=0, backend=backend)
    flag = nonfinite_flag(net)
    assert flag.shape == () and float(backend.to_numpy(flag)) == 0.0
    net.parameters()[1].value = backend.xp.full_like(net.parameters()[1].value, float("inf"))
    assert np.isnan(float(backend.to_numpy(nonfinite_flag(net))))


def _classification():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    return X[:80], y[:80], X[80:], y[80:]


def test_restore_best_keeps_the_best_validation_epoch(backend):
    X, y, Xv, yv = _classification()
    net = Network.from_sizes(4, 32, 2, seed=0, backend=backend)
    history = net.fit(X, y, epochs=25, batch_size=8, optimizer=nnscratch.SGD(lr=0.5),
                      validation_data=(Xv, yv), restore_best=True)
    best = history.params["best_epoch"]
    assert history["val_loss"][best] == min(history["val_loss"])
    assert net.evaluate(Xv, yv)["loss"] == pytest.approx(history["val_loss"][best], rel=1e-4)


def test_early_stopping(backend):
    X, y, Xv, yv = _classification()
    stop = EarlyStopping(patience=2, restore_best=True)
    net = Network.from_sizes(4, 32, 2, seed=0, backend=backend)
    history = net.fit(X, y, epochs=200, batch_size=8, optimizer=nnscratch.SGD(lr=0.5),
                      validation_data=(Xv, yv), callbacks=[stop])
    assert stop.stopped_epoch is not None and len(history.epoch) == stop.stopped_epoch + 1 < 200
    assert stop.stopped_epoch - stop.best_epoch == 2
    assert net.evaluate(Xv, yv)["loss"] == pytest.approx(history["val_loss"][stop.best_epoch], rel=1e-4)


def _batchnorm_net(backend):
    return Network([nnscratch.Dense(4, 32), nnscratch.BatchNorm(32), nnscratch.ReLU(), nnscratch.Dense(32, 2),
                    nnscratch.Softmax()], seed=0, backend=backend)


def test_restore_best_restores_batchnorm_running_statistics(backend):
    """The restored model predicts as it did at the best epoch: weights and running statistics."""
    X, y, Xv, yv = _classification()
    net = _batchnorm_net(backend)
    history = net.fit(X, y, epochs=25, batch_size=8, optimizer=nnscratch.SGD(lr=0.5),
                      validation_data=(Xv, yv), restore_best=True)
    best = history.params["best_epoch"]
    assert best < len(history.epoch) - 1  # later epochs moved the statistics on
    assert net.evaluate(Xv, yv)["loss"] == pytest.approx(history["val_loss"][best], rel=1e-5)


def test_early_stopping_restores_batchnorm_running_statistics(backend):
    X, y, Xv, yv = _classification()
    stop = EarlyStopping(patience=3, restore_best=True)
    net = _batchnorm_net(backend)
    history = net.fit(X, y, epochs=200, batch_size=8, optimizer=nnscratch.SGD(lr=0.5),
                      validation_data=(Xv, yv), callbacks=[stop])
    assert stop.stopped_epoch - stop.best_epoch == 3
    assert net.evaluate(Xv, yv)["loss"] == pytest.approx(history["val_loss"][stop.best_epoch], rel=1e-5)


def test_early_stopping_options():
    X, y, _, _ = _classification()
    net = Network.from_sizes(4, 8, 2, seed=0, backend="numpy")
    stop = EarlyStopping(patience=1, monitor="val_loss")  # no validation data: falls back to loss
    net.fit(X, y, epochs=3, callbacks=[stop])
    with pytest.raises(nnscratch.errors.ConfigError, match="val_recall"):
        net.fit(X, y, epochs=1, callbacks=[EarlyStopping(monitor="val_recall")])
    with pytest.raises(nnscratch.errors.ConfigError, match="patience"):
        EarlyStopping(patience=0)


def test_cli_prints_divergence_as_one_line_with_status_2(tmp_path, capsys, monkeypatch):
    from nnscratch import cli
    monkeypatch.chdir(tmp_path)
    status = cli.main(["train", "--dataset", "spirals", "--activation", "relu", "--optimizer", "sgd", "--lr", "1e30",
                       "--epochs", "3", "--backend", "numpy"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and "\n" not in err
    assert err.startswith("error: Training diverged in epoch") and "smaller learning rate" in err
    with pytest.raises(DivergenceError):
        cli.main(["--debug", "train", "--dataset", "spirals", "--activation", "relu", "--optimizer", "sgd", "--lr", "1e30",
                  "--epochs", "3", "--backend", "numpy"])
