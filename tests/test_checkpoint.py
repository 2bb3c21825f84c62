"""Checkpoints: atomic, no pickle, exact resume (also after SIGKILL), across backends."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import nnscratch
from nnscratch import EarlyStopping, Network
from nnscratch.saving import checkpoint
from nnscratch.errors import ModelFileError, ModelNotFoundError


def _data(n=96):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    return X, (X[:, 0] - X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)


def _net(backend="numpy", seed=0):
    return Network.from_sizes(5, 16, 3, seed=seed, backend=backend)


FIT = dict(batch_size=16, optimizer="adam")


def _assert_same_weights(a, b, rtol=1e-5, atol=1e-6):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=rtol, atol=atol)


@pytest.mark.parametrize("optimizer", ["adam", "momentum", "rmsprop", "sgd"])
def test_resume_matches_uninterrupted(backend, tmp_path, optimizer):
    X, y = _data()
    path = tmp_path / "run.ckpt"
    reference = _net(backend)
    ref_history = reference.fit(X, y, epochs=6, batch_size=16, optimizer=optimizer, validation_data=(X, y))
    first = _net(backend)
    first.fit(X, y, epochs=3, batch_size=16, optimizer=optimizer, validation_data=(X, y), checkpoint=path)
    resumed = _net(backend, seed=99)  # the checkpoint brings weights and RNG state
    history = resumed.fit(X, y, epochs=6, batch_size=16, validation_data=(X, y), resume=path)
    _assert_same_weights(reference, resumed)
    assert history.epoch == list(range(6))
    np.testing.assert_allclose(history["val_loss"], ref_history["val_loss"], rtol=1e-5)
    assert resumed.optimizer.t == reference.optimizer.t and resumed.optimizer.name == optimizer.replace(
        "momentum", "sgd")


def test_checkpoint_contents(tmp_path):
    X, y = _data()
    net = _net()
    net.fit(X, y, epochs=2, checkpoint=tmp_path / "c.ckpt", **FIT)
    header, arrays = checkpoint.load(tmp_path / "c.ckpt")
    assert header["epoch"] == 1 and header["optimizer_t"] == 12 and header["optimizer"]["name"] == "adam"
    assert header["history"]["epoch"] == [0, 1] and header["rng"]["bit_generator"] == "PCG64"
    assert {"w/0.weight", "opt/0.weight/m", "opt/0.weight/v", "w/2.bias"} <= set(arrays)
    assert all(a.dtype != object for a in arrays.values())


def test_checkpoint_every(tmp_path, monkeypatch):
    written = []
    real = checkpoint.save
    monkeypatch.setattr(checkpoint, "save", lambda *a, **k: written.append(k["epoch"]) or real(*a, **k))
    X, y = _data()
    _net().fit(X, y, epochs=7, checkpoint=tmp_path / "c.ckpt", checkpoint_every=3, **FIT)
    assert written == [2, 5, 6]  # every 3 epochs, and the last one


def test_resume_across_backends(backend, tmp_path):
    X, y = _data()
    reference = _net("numpy")
    reference.fit(X, y, epochs=4, **FIT)
    _net("numpy").fit(X, y, epochs=2, checkpoint=tmp_path / "c.ckpt", **FIT)
    resumed = _net(backend)
    resumed.fit(X, y, epochs=4, resume=tmp_path / "c.ckpt", **FIT)
    _assert_same_weights(reference, resumed, rtol=1e-4, atol=1e-5)
    assert resumed.backend == backend


def test_resume_true_starts_fresh_without_a_file(tmp_path):
    X, y = _data()
    path = tmp_path / "run.ckpt"
    net = _net()
    assert net.fit(X, y, epochs=2, checkpoint=path, resume=True, **FIT).epoch == [0, 1]
    assert _net().fit(X, y, epochs=3, checkpoint=path, resume=True, **FIT).epoch == [0, 1, 2]
    with pytest.raises(ModelNotFoundError, match="No checkpoint at .*resume=True"):
        _net().fit(X, y, resume=tmp_path / "missing.ckpt")


def test_resume_with_another_network_or_a_model_file(tmp_path):
    X, y = _data()
    _net().fit(X, y, epochs=1, checkpoint=tmp_path / "c.ckpt", **FIT)
    other = Network.from_sizes(5, 8, 3, seed=0, backend="numpy")
    with pytest.raises(ModelFileError, match="another network.*build the same network"):
        other.fit(X, y, resume=tmp_path / "c.ckpt")
    _net().save(tmp_path / "model.npz")
    with pytest.raises(ModelFileError, match="not an nnscratch checkpoint file.*fit\\(checkpoint="):
        _net().fit(X, y, resume=tmp_path / "model.npz")


def test_checkpoint_keeps_early_stopping_and_best_state(tmp_path):
    X, y = _data()
    kwargs = dict(validation_data=(X[:32], y[:32]), restore_best=True, **FIT)
    reference, stop_ref = _net(), EarlyStopping(patience=3)
    reference.fit(X, y, epochs=8, callbacks=[stop_ref], **kwargs)
    _net().fit(X, y, epochs=4, checkpoint=tmp_path / "c.ckpt", callbacks=[EarlyStopping(patience=3)], **kwargs)
    resumed, stop = _net(), EarlyStopping(patience=3)
    resumed.fit(X, y, epochs=8, resume=tmp_path / "c.ckpt", callbacks=[stop], **kwargs)
    assert (stop.best_epoch, stop.wait) == (stop_ref.best_epoch, stop_ref.wait)
    _assert_same_weights(reference, resumed)


def test_a_resumed_run_restores_the_best_epochs_running_statistics(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    kwargs = dict(validation_data=(X[80:], y[80:]), restore_best=True, batch_size=8, optimizer=nnscratch.SGD(lr=0.5))

    def bn_net():
        return Network([nnscratch.Dense(4, 32), nnscratch.BatchNorm(32), nnscratch.ReLU(), nnscratch.Dense(32, 2),
                        nnscratch.Softmax()], seed=0)

    bn_net().fit(X[:80], y[:80], epochs=4, checkpoint=tmp_path / "c.ckpt", **kwargs)
    resumed = bn_net()
    history = resumed.fit(X[:80], y[:80], epochs=10, resume=tmp_path / "c.ckpt", **kwargs)
    best = history.params["best_epoch"]
    assert best < 4  # the best snapshot came from the checkpoint
    assert resumed.evaluate(X[80:], y[80:])["loss"] == pytest.approx(history["val_loss"][best], rel=1e-5)


def test_a_crash_while_writing_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    X, y = _data()
    path = tmp_path / "c.ckpt"
    _net().fit(X, y, epochs=1, checkpoint=path, **FIT)
    before = path.read_bytes()

    def crash(f, **arrays):
        f.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        _net().fit(X, y, epochs=1, checkpoint=path, **FIT)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.ckpt"]  # no temporary file left behind


SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    import nnscratch
    ckpt, out, mode, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    rng = np.random.default_rng(3)
    X = rng.normal(size=(256, 10)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)

    class Slow(nnscratch.Callback):
        def on_epoch_end(self, epoch, logs, network):
            time.sleep(delay)

    net = nnscratch.Network.from_sizes(10, 32, 16, 2, seed=7, backend="numpy")
    net.fit(X, y, epochs=12, batch_size=32, optimizer="adam", callbacks=[Slow()],
            checkpoint=None if mode == "plain" else ckpt, resume=ckpt if mode == "resume" else None)
    net.save(out)
""")


def _run(tmp_path, *args):
    return subprocess.Popen([sys.executable, str(tmp_path / "train.py"), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigkill_mid_run_then_resume_matches_uninterrupted(tmp_path):
    (tmp_path / "train.py").write_text(SCRIPT)
    ckpt = tmp_path / "run.ckpt"
    child = _run(tmp_path, ckpt, tmp_path / "killed.npz", "checkpoint", 0.3)
    deadline = time.time() + 60
    while not ckpt.exists() and child.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.4)  # let it get into a later epoch
    assert child.poll() is None, child.stderr.read().decode()
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    reached = checkpoint.load(ckpt)[0]["epoch"]
    assert 0 <= reached < 11 and not (tmp_path / "killed.npz").exists()

    resumed = _run(tmp_path, ckpt, tmp_path / "resumed.npz", "resume", 0)
    plain = _run(tmp_path, ckpt.with_suffix(".unused"), tmp_path / "plain.npz", "plain", 0)
    for proc in (resumed, plain):
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    _assert_same_weights(Network.load(tmp_path / "resumed.npz"), Network.load(tmp_path / "plain.npz"),
                         rtol=1e-6, atol=1e-7)


def test_loading_never_unpickles(tmp_path):
    X, y = _data()
    _net().fit(X, y, epochs=1, checkpoint=tmp_path / "c.ckpt", **FIT)
    with np.load(tmp_path / "c.ckpt") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["a/w/0.weight"] = np.array([object()], dtype=object)
    with open(tmp_path / "c.ckpt", "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ModelFileError, match="not a readable.*allow_pickle=False"):
        _net().fit(X, y, resume=tmp_path / "c.ckpt")
    assert nnscratch.saving.checkpoint.KIND == "nnscratch-checkpoint"


class _Kill(nnscratch.Callback):
    """Ends the process as SIGKILL would: at the start of epoch ``at`` (after the checkpoint of the
    epoch before), or with ``at=None`` after the last checkpoint, before fit returns."""

    def __init__(self, at=None):
        self.at = at

    def on_epoch_begin(self, epoch, network):
        if epoch == self.at:
            raise KeyboardInterrupt

    def on_train_end(self, network):
        if self.at is None:
            raise KeyboardInterrupt


def _overfitting_run(net, callbacks, **options):
    """Validation labels shifted by one class: val_loss is lowest at epoch 2 and rises after it."""
    X, y = _data()
    return net.fit(X, y, epochs=6, validation_data=(X[:24], (y[:24] + 1) % 3), callbacks=callbacks, **FIT, **options)


def test_early_stopping_restores_the_best_weights_after_a_resume(tmp_path):
    """Issue 20, item 6: killed after the best epoch and resumed, the run ended on the last
    epoch's weights; the best weights now travel in the checkpoint."""
    reference, stop_ref = _net(), EarlyStopping(patience=100, restore_best=True)
    ref = _overfitting_run(reference, [stop_ref])
    assert stop_ref.best_epoch == np.argmin(ref["val_loss"]) == 2
    with pytest.raises(KeyboardInterrupt):
        _overfitting_run(_net(), [EarlyStopping(patience=100, restore_best=True), _Kill(4)], checkpoint=tmp_path / "c")
    resumed, stop = _net(), EarlyStopping(patience=100, restore_best=True)
    _overfitting_run(resumed, [stop], resume=tmp_path / "c")
    _assert_same_weights(reference, resumed, rtol=0, atol=0)
    assert stop.get_state() == stop_ref.get_state()


def test_a_run_stopped_early_and_resumed_trains_no_further(tmp_path):
    """Killed after the checkpoint of the epoch EarlyStopping stopped at: the run was over."""
    reference, stop_ref = _net(), EarlyStopping(patience=2, restore_best=True)
    ref = _overfitting_run(reference, [stop_ref])
    assert stop_ref.stopped_epoch == 4 and ref.epoch == [0, 1, 2, 3, 4]
    with pytest.raises(KeyboardInterrupt):
        _overfitting_run(_net(), [EarlyStopping(patience=2, restore_best=True), _Kill()], checkpoint=tmp_path / "c")
    assert checkpoint.load(tmp_path / "c")[0]["stopped"] is True
    resumed, stop = _net(), EarlyStopping(patience=2, restore_best=True)
    history = _overfitting_run(resumed, [stop], resume=tmp_path / "c")
    assert history.epoch == ref.epoch and stop.get_state() == stop_ref.get_state()
    _assert_same_weights(reference, resumed, rtol=0, atol=0)


def test_two_callbacks_of_one_class_keep_their_own_state(tmp_path):
    def both():
        return [EarlyStopping(patience=100, monitor="val_loss", restore_best=True),
                EarlyStopping(patience=100, monitor="loss")]
    reference = both()
    _overfitting_run(_net(), reference)
    with pytest.raises(KeyboardInterrupt):
        _overfitting_run(_net(), both() + [_Kill(4)], checkpoint=tmp_path / "c")
    resumed = both()
    _overfitting_run(_net(), resumed, resume=tmp_path / "c")
    assert [c.get_state() for c in resumed] == [c.get_state() for c in reference]
    assert reference[0].best_epoch != reference[1].best_epoch


@pytest.mark.parametrize("loss, n_out", [("cross_entropy", 3), ("binary_cross_entropy", 1), ("sse", 3)])
def test_a_resumed_run_keeps_the_checkpoints_loss(tmp_path, loss, n_out):
    """The checkpoint brings the loss as it brings the optimizer: resumed without ``loss=``, logits
    trained with cross-entropy went on with mean squared error (the one-output model becoming a
    regression whose predict gave values, not labels)."""
    X, y = _data()
    y = y if n_out == 3 else (y > 0).astype(int)
    net = lambda: Network.from_sizes(5, 8, n_out, output="identity", seed=0)  # noqa: E731
    reference = net()
    reference.fit(X, y, epochs=4, loss=loss, **FIT)
    net().fit(X, y, epochs=2, loss=loss, checkpoint=tmp_path / "c.ckpt", **FIT)
    resumed = net()
    history = resumed.fit(X, y, epochs=4, resume=tmp_path / "c.ckpt", batch_size=16)
    assert history.params["loss"] == loss and resumed.task == reference.task
    _assert_same_weights(reference, resumed, rtol=0, atol=0)
    np.testing.assert_array_equal(resumed.predict(X), reference.predict(X))
