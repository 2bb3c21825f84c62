"""Resuming crossed with every optimizer, schedule and callback, and with another optimizer.

``tests/test_combinations.py`` resumes every layer type with one optimizer (momentum over a
warm-up cosine); here a CNN holding every stateful layer (BatchNorm's running statistics,
Dropout's masks from the RNG) resumes under every optimizer and every schedule, with and
without warm-up, augmentation, early stopping, ReduceLROnPlateau and ``restore_best``: N epochs,
then K more from the checkpoint, must be the run of N + K epochs bit for bit on NumPy. Then
what happens when a run is resumed with another kind of optimizer than the one it was
written with. Tiny shapes: the whole file runs in a few seconds.
"""

import warnings
import numpy as np
import pytest

import nnscratch as nn
from nnscratch import EarlyStopping, Network, ReduceLROnPlateau
from nnscratch.optim import schedules
from nnscratch.saving import checkpoint

OPTIMIZERS = ["sgd", "momentum", "nesterov", "adam", "rmsprop"]
SCHEDULES = {"constant": lambda w: schedules.Constant(0.05, warmup=w),
             "step": lambda w: schedules.StepDecay(0.05, 4, 0.5, warmup=w),
             "exponential": lambda w: schedules.Exponential(0.05, 0.9, warmup=w),
             "cosine": lambda w: schedules.Cosine(0.05, 30, warmup=w),
             "inverse_time": lambda w: schedules.InverseTime(0.05, 0.1, warmup=w)}


def _layers():
    return [nn.Reshape((1, 6, 6)), nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.BatchNorm(2), nn.MaxPool2D(2),
            nn.Conv2D(2, 3, 2), nn.AvgPool2D(2), nn.Flatten(), nn.Dropout(0.3), nn.Dense(3, 3), nn.Softmax()]


def _data(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 36)).astype(np.float32), rng.integers(0, 3, n)


X, Y = _data(14, 0)  # batches of 5: 3 steps per epoch, the last one short
VALIDATION = _data(6, 1)


def _noisy_copies(X, y, rng):
    """An augmentation that draws from the network's RNG: the images and a noisy copy of each."""
    return np.concatenate([X, X + 0.01 * rng.normal(size=X.shape).astype(X.dtype)]), np.concatenate([y, y])


# (optimizer, schedule, warm-up, early stopping, augmentation, restore_best, N, K): every optimizer
# with every schedule; the other options alternate so that each meets each optimizer and schedule
CASES = [(opt, sched, (i + j) % 2 == 0, i % 2 == 0, (i + j) % 2 == 1, j % 2 == 0, *((2, 3) if i % 2 else (3, 1)))
         for i, opt in enumerate(OPTIMIZERS) for j, sched in enumerate(SCHEDULES)]


def _fit(net, case, epochs, **more):
    opt, sched, warm, early, augment, restore_best = case[:6]
    callbacks = [ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)]
    if early:
        callbacks.append(EarlyStopping(patience=2, restore_best=True))
    optimizer = nn.get_optimizer(opt, lr=SCHEDULES[sched](2 if warm else 0), clip_norm=1.0 if opt == "sgd" else None)
    history = net.fit(X, Y, epochs=epochs, batch_size=5, optimizer=optimizer, validation_data=VALIDATION,
                      callbacks=callbacks, restore_best=restore_best, augment=_noisy_copies if augment else None,
                      **more)
    return history, callbacks


@pytest.mark.parametrize("case", CASES, ids=["-".join(str(v) for v in c[:2]) + "".join(
    f"-{name}" for name, on in zip(("warmup", "early", "augment", "best"), c[2:6]) if on) + f"-{c[6]}+{c[7]}"
    for c in CASES])
def test_n_epochs_then_k_resumed_is_the_run_of_n_plus_k_bit_for_bit(case, tmp_path):
    n, k = case[6:]
    reference = Network(_layers(), seed=0)
    ref_history, ref_callbacks = _fit(reference, case, n + k)
    path = tmp_path / "run.ckpt"
    _fit(Network(_layers(), seed=0), case, n, checkpoint=path)
    resumed = Network(_layers(), seed=5)  # the checkpoint brings weights, statistics, RNG and optimizer
    history, callbacks = _fit(resumed, case, n + k, resume=path, checkpoint=path)
    for a, b in zip(resumed.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for key, value in reference.get_buffers().items():
        np.testing.assert_array_equal(resumed.get_buffers()[key], value)
    assert history.epoch == ref_history.epoch
    for key in ref_history.history.keys() - {"seconds"}:
        assert history.history[key] == ref_history.history[key], key
    assert resumed.rng.bit_generator.state == reference.rng.bit_generator.state
    assert resumed.optimizer.t == reference.optimizer.t
    assert resumed.optimizer.current_lr == reference.optimizer.current_lr
    assert history.params.get("best_epoch") == ref_history.params.get("best_epoch")
    assert [c.get_state() for c in callbacks] == [c.get_state() for c in ref_callbacks]


# ---------------------------------------------------------------- another optimizer on resume
def _small(seed=0):
    return Network.from_sizes(4, 6, 3, seed=seed)


SMALL = _data(20, 2)[0][:, :4], _data(20, 2)[1]
KINDS = [("adam", "momentum"), ("adam", "nesterov"), ("adam", "rmsprop"), ("momentum", "adam"),
         ("momentum", "rmsprop"), ("rmsprop", "adam"), ("momentum", "sgd"), ("sgd", "momentum")]


@pytest.mark.parametrize("saved, given", KINDS, ids=[f"{a}-then-{b}" for a, b in KINDS])
def test_resuming_with_another_kind_of_optimizer_starts_its_own_state(saved, given, tmp_path):
    """The checkpoint's moments belong to its optimizer: another kind given on resume (the CLI's
    ``--resume run.ckpt --optimizer sgd``, which it warns about) starts its own state from zeros,
    as a new optimizer in PyTorch or Keras does, and the step count carries on. It was a KeyError
    from inside the step ('momentum', 'm', 'v') or, Adam's ``v`` taken for RMSProp's, a silent mix.
    The reference trains the same epochs, then a second ``fit`` with a new optimizer of that kind."""
    path = tmp_path / "run.ckpt"
    _small().fit(*SMALL, epochs=2, batch_size=8, optimizer=saved, checkpoint=path)
    resumed = _small(seed=9)
    resumed.fit(*SMALL, epochs=4, batch_size=8, optimizer=nn.get_optimizer(given, lr=0.05), resume=path)
    reference = _small()
    reference.fit(*SMALL, epochs=2, batch_size=8, optimizer=saved)
    steps = reference.optimizer.t
    assert resumed.optimizer.t == 2 * steps  # the schedule's step count carries on
    reference.fit(*SMALL, epochs=2, batch_size=8, optimizer=nn.get_optimizer(given, lr=0.05))
    for a, b in zip(resumed.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("optimizer", ["adam", nn.Adam(lr=0.2), "momentum", nn.SGD(lr=0.3, momentum=0.5)],
                         ids=["adam", "adam-lr", "momentum", "momentum-lr"])
def test_resuming_with_the_same_kind_keeps_the_moments(optimizer, tmp_path):
    """The same kind with other settings (a new rate, another momentum) continues the saved moments."""
    path = tmp_path / "run.ckpt"
    name = optimizer if isinstance(optimizer, str) else optimizer.name
    _small().fit(*SMALL, epochs=2, batch_size=8, optimizer=name.replace("sgd", "momentum"), checkpoint=path)
    resumed = _small()
    resumed.fit(*SMALL, epochs=2, batch_size=8, optimizer=optimizer, resume=path)  # nothing left to train
    saved = checkpoint.load(path)[1]
    state = resumed.optimizer.state_dict()["state"]
    assert state and all(np.array_equal(saved[f"opt/{p}/{slot}"], resumed.backend.to_numpy(v))
                         for p, slots in state.items() for slot, v in slots.items())


def test_adam_started_on_a_resumed_sgd_run_takes_a_first_step_of_lr(tmp_path):
    path = tmp_path / "run.ckpt"
    _small().fit(*SMALL, epochs=100, batch_size=1, optimizer="sgd", checkpoint=path)  # 2,000 steps
    resumed = _small()
    resumed.fit(*SMALL, epochs=100, resume=path)  # loads the weights; nothing left to train
    before = resumed.get_weights()
    resumed.fit(*SMALL, epochs=101, batch_size=None, optimizer=nn.Adam(lr=1e-3), resume=path)
    largest = max(np.abs(a - b).max() for a, b in zip(resumed.get_weights(), before))
    assert largest <= 1e-3 * 1.01  # Adam's first step moves each weight by at most lr


# ---------------------------------------------------------------- the command line
def _cli(capsys, *argv):
    from nnscratch.cli import app
    status = app.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


COMMON = ["train", "--dataset", "spirals", "--backend", "numpy", "--no-save", "--quiet"]


def test_cli_resume_without_repeating_the_optimizer_trains_on_with_a_warning(capsys):
    """``train --optimizer momentum --checkpoint run.ckpt``, then ``train --resume run.ckpt`` (the
    default --optimizer adam): the warning said 'the epochs left train with it', then a KeyError
    traceback came from inside Adam's step."""
    assert _cli(capsys, *COMMON, "--epochs", "1", "--optimizer", "momentum", "--checkpoint", "run.ckpt")[0] == 0
    status, out, err = _cli(capsys, *COMMON, "--epochs", "2", "--resume", "run.ckpt")
    assert status == 0 and "Traceback" not in err
    assert "--optimizer adam differs from the run it continues" in err
    assert checkpoint.load("run.ckpt")[0]["epoch"] == 1


def test_cli_resume_of_a_momentum_run_with_plain_sgd_says_so(capsys):
    assert _cli(capsys, *COMMON, "--epochs", "1", "--optimizer", "momentum", "--checkpoint", "run.ckpt")[0] == 0
    status, out, err = _cli(capsys, *COMMON, "--epochs", "2", "--resume", "run.ckpt", "--optimizer", "sgd")
    assert status == 0 and "--optimizer sgd differs from the run it continues (--optimizer momentum)" in err


def test_cli_resume_writing_to_another_existing_checkpoint_names_the_resume(capsys):
    """``--resume a.ckpt --checkpoint b.ckpt`` with b.ckpt there said "pass --resume", which was given."""
    for name in ("a.ckpt", "b.ckpt"):
        assert _cli(capsys, *COMMON, "--epochs", "1", "--checkpoint", name)[0] == 0
    before = open("b.ckpt", "rb").read()
    status, out, err = _cli(capsys, *COMMON, "--epochs", "2", "--resume", "a.ckpt", "--checkpoint", "b.ckpt")
    assert status != 0 and "pass --resume" not in err and len(err.strip().splitlines()) == 1
    assert "another run than --resume a.ckpt" in err and "leave --checkpoint out" in err and "--force" in err
    assert open("b.ckpt", "rb").read() == before


def test_resuming_a_run_longer_than_epochs_warns_that_nothing_trains(tmp_path):
    """fit(epochs=1, resume=<2 epochs>) trains nothing, as Keras; it says so (it was silent)."""
    path = tmp_path / "run.ckpt"
    _small().fit(*SMALL, epochs=2, batch_size=8, checkpoint=path)
    resumed = _small(seed=3)
    with pytest.warns(UserWarning, match=r"fit\(epochs=1\) resumes .* trained 2 epochs.*epochs above 2"):
        resumed.fit(*SMALL, epochs=1, batch_size=8, resume=path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _small(seed=3).fit(*SMALL, epochs=2, batch_size=8, resume=path)  # a finished run resumed: nothing to say
