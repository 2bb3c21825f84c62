"""``Network.fit`` and its callbacks as Keras and PyTorch users expect them:

- History runs after the user's callbacks (Keras's order): what a callback adds to ``logs`` is
  recorded, lined up with the epochs, kept in checkpoints and resumed bit for bit;
- a resume to more epochs stretches the checkpoint's cosine schedule as ``nnscratch train --resume``
  does (it trained the extra epochs at min_lr = 0), and says so once;
- a warm-up longer than the run is refused, as the command line refuses it;
- with ``fit(restore_best=True)`` and ``EarlyStopping(restore_best=True)``, ``params["best_epoch"]``
  names the epoch whose weights the network ends with;
- under ``mpiexec``, callbacks know rank 0 (``is_root``): ReduceLROnPlateau(verbose=True) prints once,
  and fit's memory-budget note counts one process's share of a batch.
"""

import argparse
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.errors import ConfigError
from nnscratch.optim.schedules import Constant, Cosine
from nnscratch.saving.checkpoint import load as load_checkpoint
sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import _finish, _python, needs_mpi  # noqa: E402


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)


def _net(seed=0):
    return nn.Network.from_sizes(5, 16, 3, seed=seed, backend="numpy")


class _Doubled(nn.Callback):
    """A user's metric, computed in on_epoch_end: twice the loss (every ``every`` epochs)."""

    def __init__(self, every=1):
        self.every = every

    def on_epoch_end(self, epoch, logs, network):
        if epoch % self.every == 0:
            logs["doubled"] = 2 * logs["loss"]


def _without_seconds(history):
    return {k: v for k, v in history.history.items() if k != "seconds"}


# ---------------------------------------------------------------- History after the callbacks


def test_history_records_what_a_callback_adds_and_a_later_callback_monitors_it():
    """Before: History ran first, so history["doubled"] was missing (Keras records it)."""
    stop = nn.EarlyStopping(monitor="doubled", patience=100)
    history = _net().fit(*_data(), epochs=3, batch_size=16, callbacks=[_Doubled(), stop])
    assert history["doubled"] == [2 * v for v in history["loss"]]
    assert stop.best_epoch == int(np.argmin(history["doubled"]))


def test_a_figure_logged_on_some_epochs_lines_up_with_the_epochs():
    history = _net().fit(*_data(), epochs=4, batch_size=16, callbacks=[_Doubled(every=2)])
    doubled = history["doubled"]
    assert len(doubled) == len(history.epoch) == 4
    assert doubled[0] == 2 * history["loss"][0] and doubled[2] == 2 * history["loss"][2]
    assert math.isnan(doubled[1]) and math.isnan(doubled[3])


def test_the_added_figures_are_checkpointed_and_resumed_bit_for_bit(tmp_path):
    X, y = _data()
    options = dict(batch_size=16, validation_data=_data(16, seed=1))
    whole = _net().fit(X, y, epochs=4, callbacks=[_Doubled(every=3)], optimizer=nn.SGD(lr=0.1, momentum=0.9),
                       **options)
    path = tmp_path / "run.ckpt"
    first = _net().fit(X, y, epochs=2, callbacks=[_Doubled(every=3)], checkpoint=path,
                       optimizer=nn.SGD(lr=0.1, momentum=0.9), **options)
    saved = load_checkpoint(path)[0]["history"]
    np.testing.assert_array_equal(saved["history"]["doubled"], first["doubled"])  # NaN where not logged
    assert saved["history"]["seconds"] == first["seconds"]
    again = _net(seed=3).fit(X, y, epochs=4, callbacks=[_Doubled(every=3)], resume=path, **options)  # its optimizer
    assert again.epoch == whole.epoch == [0, 1, 2, 3]
    assert sorted(_without_seconds(again)) == sorted(_without_seconds(whole))
    for key, values in _without_seconds(whole).items():
        np.testing.assert_array_equal(again[key], values, err_msg=key)


# ---------------------------------------------------------------- the schedule of a longer resumed run


def _cosine_run(path, epochs, total_epochs=None, batches=3):
    """A run of ``epochs`` whose cosine spans ``total_epochs`` (default: the run), checkpointed."""
    opt = nn.SGD(lr=Cosine(0.1, total=(total_epochs or epochs) * batches, warmup=1))
    _net().fit(*_data(), epochs=epochs, batch_size=16, optimizer=opt, checkpoint=path)


def test_a_resume_to_more_epochs_stretches_the_cosine_as_the_command_line_does(tmp_path):
    """Before: the extra epochs trained at min_lr (0), silently."""
    from nnscratch.cli.schedules import schedule_for
    path = tmp_path / "run.ckpt"
    _cosine_run(path, 2)
    net = _net()
    with pytest.warns(UserWarning) as said:
        net.fit(*_data(), epochs=4, batch_size=16, resume=path)
    assert len(said) == 1 and "stretched to the 12 steps of 4 epochs" in str(said[0].message), said[0].message
    assert "\n" not in str(said[0].message) and said[0].filename == __file__
    flags = argparse.Namespace(schedule="cosine", warmup=1 / 3, step_size=None, gamma=None, min_lr=0.0)
    assert net.optimizer.schedule == schedule_for(flags, 0.1, 0.0, 4, 3)  # nnscratch train --resume --epochs 4's
    assert net.optimizer.t == 12 and net.optimizer.schedule(8) > 0.01  # trained, not at 0


def test_a_schedule_for_the_whole_run_resumes_silently_and_one_that_ends_early_is_said(tmp_path):
    path = tmp_path / "run.ckpt"
    _cosine_run(path, 2, total_epochs=4)  # the docs' way to stop half-way: the schedule spans all 4 epochs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = _net()
        net.fit(*_data(), epochs=4, batch_size=16, resume=path)
    assert net.optimizer.schedule.total == 12
    _cosine_run(path, 2, total_epochs=3)  # ends one epoch (3 steps) before a resumed run of 4 does
    with pytest.warns(UserWarning, match=r"ends after 9 steps, 3 steps before this run does: those train at "
                                         r"min_lr=0; pass optimizer="):
        _net().fit(*_data(), epochs=4, batch_size=16, resume=path)


# ---------------------------------------------------------------- a warm-up longer than the run


def test_a_warmup_longer_than_the_run_is_said_once():
    """Before: fit trained the whole run on a rising rate without a word. Said, not refused: a loop of
    one-epoch fits sharing one optimizer may warm up over several of them."""
    net = _net()
    with pytest.warns(UserWarning) as caught:
        net.fit(*_data(), epochs=2, batch_size=16, optimizer=nn.SGD(lr=Constant(0.1, warmup=7)))
    said = [str(w.message) for w in caught if "warms up" in str(w.message)]
    assert said == ["The learning-rate schedule warms up over 7 steps, longer than this run (6 steps: 2 epochs "
                    "of 3 batches), so the rate rises for the whole run and does not reach lr=0.1; lower "
                    "warmup (it counts optimizer steps, one per batch) or raise epochs, unless a later fit goes "
                    "on with this optimizer."], said
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.fit(*_data(), epochs=1, batch_size=16)  # the same optimizer, 6 steps taken: its warm-up ends here
        net.fit(*_data(), epochs=2, batch_size=16, optimizer=nn.SGD(lr=Constant(0.1, warmup=6)))  # on the last step
        same = lambda X, y, rng: (X, y)  # noqa: E731  augmented epochs: their steps are not known beforehand
        net.fit(*_data(), epochs=1, batch_size=16, optimizer=nn.SGD(lr=Constant(0.1, warmup=7)), augment=same)


# ---------------------------------------------------------------- both best-epoch restores


class _Weights(nn.Callback):
    def __init__(self):
        self.seen = []

    def on_epoch_end(self, epoch, logs, network):
        self.seen.append(network.get_weights())


def test_best_epoch_names_the_weights_kept_when_fit_and_early_stopping_both_restore():
    """Before: params["best_epoch"] named the guard's (lowest val_loss) epoch while EarlyStopping's
    (lowest loss) weights were the ones kept."""
    X, y = _data()
    seen, stop = _Weights(), nn.EarlyStopping(monitor="loss", patience=100, restore_best=True)
    net = _net()
    history = net.fit(X, y, epochs=6, batch_size=16, optimizer=nn.Adam(lr=0.02),
                      validation_data=(X[:24], (y[:24] + 1) % 3), callbacks=[seen, stop], restore_best=True)
    assert int(np.argmin(history["val_loss"])) != stop.best_epoch  # the two restores disagree
    assert history.params["best_epoch"] == stop.best_epoch
    for kept, then in zip(net.get_weights(), seen.seen[stop.best_epoch]):
        np.testing.assert_array_equal(kept, then)


def test_callbacks_get_the_runs_params_and_know_they_speak_for_it():
    class Reads(nn.Callback):
        def on_train_begin(self, network):
            self.read = dict(self.params), self.is_root
    reads = Reads()
    history = _net().fit(*_data(), epochs=1, batch_size=16, callbacks=[reads])
    params, root = reads.read
    assert root and params["epochs"] == 1 and params["batch_size"] == 16 and params["rank"] == 0
    assert reads.params is history.params and params["processes"] == 1


# ---------------------------------------------------------------- under mpiexec

_MPI_FIT = """
import warnings, numpy as np, nnscratch as nn
from nnscratch import distributed
comm = distributed.from_environment()
class Says(nn.Callback):
    def on_train_end(self, network):
        print("root" if self.is_root else "not root", flush=True)
rng = np.random.default_rng(0)
X = rng.standard_normal((64, 2)).astype(np.float32)
y = (X[:, 0] > 0).astype(np.int64)
net = nn.Network.from_sizes(2, 16, 2, seed=0, backend="numpy")
plateau = nn.ReduceLROnPlateau(monitor="loss", patience=1, min_delta=10.0, factor=0.5, verbose=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    net.fit(X, y, epochs=3, batch_size=64, stream=True, comm=comm, callbacks=[plateau, Says()])
for w in caught:
    print("warning:", w.message, flush=True)
"""


def _mpi_fit(tmp_path, monkeypatch, budget, n=None):
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", str(budget))  # _env() passes it on to every rank
    return _finish(_python("-c", _MPI_FIT, n=n, cwd=tmp_path))[0]


@needs_mpi
def test_under_mpiexec_callbacks_print_once_and_the_budget_note_counts_a_share(tmp_path, monkeypatch):
    from nnscratch.training import memory
    net = nn.Network.from_sizes(2, 16, 2, seed=0, backend="numpy")
    X = np.zeros((64, 2), dtype=np.float32)
    whole, half = memory.training_bytes(net, X, batch_size=64), memory.training_bytes(net, X[:32], batch_size=32)
    mixed = memory.training_bytes(net, X, batch_size=32)  # what fit counted: 64 rows of inputs, 32 of activations
    fits_half = int((mixed + half) / 2 / 0.8)  # holds one process's 32 rows, not the whole batch of 64
    alone = _mpi_fit(tmp_path, monkeypatch, fits_half)
    assert f"a training step on 64 samples needs about {memory.size(whole)}" in alone, alone
    out = _mpi_fit(tmp_path, monkeypatch, fits_half, n=2)
    assert "NNSCRATCH_DEVICE_MEMORY" not in out, out  # before: the note about 64 samples, from rank 0
    assert out.count("learning rate 0.001 -> 0.0005") == 1 and out.count("has not improved") == 2, out
    assert out.count("root") == 2 and out.count("not root") == 1, out  # the ranks' lines may interleave
    out = _mpi_fit(tmp_path, monkeypatch, "1K", n=2)
    assert out.count("NNSCRATCH_DEVICE_MEMORY") == 1, out
    assert f"a training step on 32 samples needs about {memory.size(half)}" in out, out
    assert "(each of the 2 processes trains on up to 32 of each batch's 64 rows)" in out, out


def test_the_warmup_warning_counts_one_epoch_in_the_singular():
    with pytest.warns(UserWarning, match=r"\(3 steps: 1 epoch of 3 batches\)"):
        _net().fit(*_data(), epochs=1, batch_size=16, optimizer=nn.SGD(lr=Constant(0.1, warmup=7)))
