"""Learning-rate schedules, gradient clipping by global norm, ReduceLROnPlateau, exact resume."""

import math

import numpy as np
import pytest

from nnscratch import SGD, Adam, Network, ReduceLROnPlateau, get_optimizer
from nnscratch.optim.clip import clip_by_global_norm
from nnscratch.errors import ConfigError
from nnscratch.layers import Parameter
from nnscratch.optim.schedules import Constant, Cosine, Exponential, InverseTime, StepDecay, get_schedule

pytest.importorskip("array_api_strict")
from test_host_transfers import _calls_for, counting  # noqa: E402,F401  (the counting device1 backend)


def rates(schedule, n):
    return [schedule(t) for t in range(n)]


def test_step_and_exponential_by_hand():
    assert rates(StepDecay(1.0, step_size=2, gamma=0.5), 5) == [1.0, 1.0, 0.5, 0.5, 0.25]
    np.testing.assert_allclose(rates(Exponential(1.0, gamma=0.25, every=2), 3), [1.0, 0.5, 0.25])
    np.testing.assert_allclose(rates(InverseTime(1.0, decay=0.5), 3), [1.0, 2 / 3, 0.5])


def test_cosine_with_linear_warmup():
    s = Cosine(0.4, total=6, warmup=2, min_lr=0.0)
    # warm-up 0.2, 0.4; then cosine over 4 steps: 0.4 * (1 + cos(pi k / 4)) / 2, then min_lr
    expected = [0.2, 0.4] + [0.4 * (1 + math.cos(math.pi * k / 4)) / 2 for k in range(4)] + [0.0, 0.0]
    np.testing.assert_allclose(rates(s, 8), expected, atol=1e-12)


def test_optimizer_takes_a_schedule_and_decay_stays_its_shorthand(backend):
    p = Parameter("w", backend.asarray(np.zeros(1), dtype=backend.dtype))
    p.grad = backend.asarray(np.ones(1), dtype=backend.dtype)
    opt = SGD(lr=StepDecay(1.0, step_size=1, gamma=0.5))
    for _ in range(3):                  # w -= 1, 0.5, 0.25
        opt.step([p])
    np.testing.assert_allclose(backend.to_numpy(p.value), [-1.75], rtol=1e-6)
    assert opt.current_lr == 0.125
    assert SGD(lr=1.0, decay=0.5).schedule == InverseTime(1.0, 0.5)
    assert SGD(lr=1.0, decay=0.5).get_config()["lr"] == 1.0      # the old config, unchanged


def test_schedule_round_trips_through_the_optimizer_config():
    opt = get_optimizer("adam", lr=Cosine(0.01, total=100, warmup=10), clip_norm=2.0)
    clone = get_optimizer(opt.get_config())
    assert isinstance(clone, Adam) and clone.schedule == opt.schedule and clone.clip_norm == 2.0
    clone.t = opt.t = 37
    assert clone.current_lr == opt.current_lr


@pytest.mark.parametrize("bad", [
    lambda: Cosine(0.1, total=10, warmup=10),
    lambda: StepDecay(0.1, step_size=0),
    lambda: Exponential(-1.0, gamma=0.5),
    lambda: SGD(lr=Constant(0.1), decay=0.1),
    lambda: get_schedule("cosin", lr=0.1),
    lambda: get_optimizer("sgd", clip_norm=0),
])
def test_bad_settings_are_config_errors(bad):
    with pytest.raises(ConfigError):
        bad()


def test_clip_by_global_norm_on_the_device(backend):
    grads = [backend.asarray(np.array([3.0, 0.0]), dtype=backend.dtype),
             backend.asarray(np.array([[4.0]]), dtype=backend.dtype)]     # global norm 5
    out = clip_by_global_norm(grads, 1.0)
    np.testing.assert_allclose(backend.to_numpy(out[0]), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(backend.to_numpy(out[1]), [[0.8]], rtol=1e-5)
    small = clip_by_global_norm([backend.asarray(np.array([0.3, 0.4]), dtype=backend.dtype)], 1.0)
    np.testing.assert_allclose(backend.to_numpy(small[0]), [0.3, 0.4], rtol=1e-5)


def _data(n=96):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    return X, (X[:, 0] - X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)


def test_clipping_bounds_every_step_and_plain_sgd_folds_it_right():
    X, y = _data(32)
    nets = [Network.from_sizes(5, 8, 3, seed=1) for _ in range(3)]
    before = nets[0].get_weights()
    nets[0].fit(X, y, epochs=1, batch_size=None, optimizer=get_optimizer("sgd", lr=1.0, clip_norm=0.01))
    moved = math.sqrt(sum(float(np.sum((a - b) ** 2)) for a, b in zip(nets[0].get_weights(), before)))
    assert moved == pytest.approx(0.01, rel=1e-3)         # one step of lr 1 with |g| clipped to 0.01
    # momentum (not folded) with momentum=0 behaviour equals folded plain SGD under clipping
    nets[1].fit(X, y, epochs=1, batch_size=None, optimizer=get_optimizer("sgd", lr=1.0, weight_decay=0.0,
                                                                          clip_norm=0.01))
    for a, b in zip(nets[0].get_weights(), nets[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_reduce_lr_on_plateau_scales_the_rate():
    class Net:
        optimizer = SGD(lr=0.1)

    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_lr=0.03)
    cb.on_train_begin(Net)
    for epoch, loss in enumerate([1.0, 0.9, 0.95, 0.95, 0.95, 0.95]):
        cb.on_epoch_end(epoch, {"loss": loss}, Net)
    assert cb.reductions == [3, 5] and Net.optimizer.current_lr == pytest.approx(0.03)    # 0.1 -> 0.05 -> 0.03 (min_lr)


def test_reduce_lr_on_plateau_says_the_figure_it_watched(capsys):
    """Without validation data "val_loss" falls back to "loss": the message names what was watched."""
    class Net:
        optimizer = SGD(lr=0.1)

    cb = ReduceLROnPlateau(factor=0.5, patience=1, verbose=True)  # monitor="val_loss"
    cb.on_train_begin(Net)
    for epoch, loss in enumerate([1.0, 1.0]):
        cb.on_epoch_end(epoch, {"loss": loss}, Net)
    assert capsys.readouterr().out == "epoch 2: loss has not improved for 1 epoch; learning rate 0.1 -> 0.05\n"


def _fit(net, X, y, epochs, **options):
    opt = get_optimizer("momentum", lr=Cosine(0.2, total=36, warmup=6), clip_norm=0.5)
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=0.1)
    return net.fit(X, y, epochs=epochs, batch_size=16, optimizer=opt, callbacks=[plateau], **options), plateau


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path):
    X, y = _data()
    reference = Network.from_sizes(5, 16, 3, seed=0)
    ref_history, ref_plateau = _fit(reference, X, y, 6)
    first = Network.from_sizes(5, 16, 3, seed=0)
    _fit(first, X, y, 3, checkpoint=tmp_path / "run.ckpt")
    resumed = Network.from_sizes(5, 16, 3, seed=5)
    history, plateau = _fit(resumed, X, y, 6, resume=tmp_path / "run.ckpt")
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history["loss"], ref_history["loss"], rtol=1e-5)
    assert resumed.optimizer.lr_scale == reference.optimizer.lr_scale
    assert resumed.optimizer.current_lr == reference.optimizer.current_lr
    assert plateau.reductions == ref_plateau.reductions and ref_plateau.reductions   # it did reduce
    # without an optimizer, fit rebuilds it (schedule and clip_norm included) from the checkpoint
    again = Network.from_sizes(5, 16, 3, seed=7)
    again.fit(X, y, epochs=6, batch_size=16, callbacks=[ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1,
                                                                          min_delta=0.1)],
              resume=tmp_path / "run.ckpt")
    assert again.optimizer.schedule == reference.optimizer.schedule and again.optimizer.clip_norm == 0.5
    for a, b in zip(reference.get_weights(), again.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)



def test_schedule_and_clipping_read_nothing_per_batch(counting):
    """On array-api-strict's device1 (a stand-in GPU), counting every host door and implicit read:
    transfers per fit do not grow with the number of batches."""
    backend, calls = counting
    optimizer = lambda: get_optimizer("momentum", lr=Cosine(0.1, total=48, warmup=4), clip_norm=0.5)  # noqa: E731
    per_fit = {b: _calls_for(backend, calls, 2, b, optimizer()) for b in (96, 32, 4)}
    assert per_fit[96] == per_fit[32] == per_fit[4], per_fit


@pytest.mark.parametrize("schedule, words", [
    (Cosine(0.003, total=3580, warmup=90), "linear warm-up to 0.003 over 90 steps, then cosine down to 0 over "
                                           "the remaining 3490 steps"),
    (Cosine(0.1, total=100, min_lr=0.01), "cosine from 0.1 down to 0.01 over 100 steps"),
    (StepDecay(0.1, step_size=1, gamma=0.5), "0.1, multiplied by 0.5 every 1 step"),
    (Exponential(0.1, gamma=0.9, every=50, warmup=3), "linear warm-up to 0.1 over 3 steps, then multiplied by 0.9 "
                                                      "every 50 steps, a little each step"),
    (InverseTime(0.1, decay=1e-3), "0.1 / (1 + 0.001 x step)"),
    (Constant(0.1, warmup=5), "linear warm-up to 0.1 over 5 steps, then constant"),
])
def test_describe_says_the_schedule_in_words(schedule, words):
    """What the training header prints: the warm-up's length and what follows it, counted in steps."""
    assert schedule.describe() == words


def test_training_header_describes_the_cosine_after_its_warm_up(tmp_path):
    """The header counts the cosine's own steps after the warm-up, not the run's total."""
    from nnscratch.cli import main
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["train", "--dataset", "moons", "--epochs", "4", "--batch-size", "50", "--schedule", "cosine",
              "--warmup", "1", "--no-save"])
    line = next(line for line in out.getvalue().splitlines() if "learning rate" in line)
    batches = int(line.split("over ")[1].split(" step")[0])
    assert line.strip() == (f"learning rate: linear warm-up to 0.01 over {batches} steps, then cosine down to 0 "
                            f"over the remaining {3 * batches} steps")
