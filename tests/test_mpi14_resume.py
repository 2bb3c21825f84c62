"""Resuming a data-parallel run on another number of ranks, with the layers and callbacks that keep state
across ranks and epochs: BatchNorm (synchronised statistics, running buffers) and Dropout (masks keyed by the
global row) in a CNN interrupted on 2 ranks and resumed on 3, interrupted on 3 and resumed in one process;
ReduceLROnPlateau and EarlyStopping(restore_best=True) interrupted and resumed on 2 ranks. Each ends as one
process trained straight through (float64). And a rank that is slow but alive (longer than a rank following
a failed one waits for it, ``comm.FOLLOW_WAIT``) is waited for: the job trains to its end.

This file is also the script the ranks run::

    mpiexec -n N python test_mpi14_resume.py first CASE CKPT EPOCH   # interrupted at the start of EPOCH
    mpiexec -n N python test_mpi14_resume.py resume CASE CKPT OUT    # rank 0 writes the results to OUT
    mpiexec -n 2 python test_mpi14_resume.py slow CASE SECONDS OUT   # rank 0 sleeps SECONDS after epoch 0
"""

import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import distributed
from nnscratch.distributed.comm import FOLLOW_WAIT
from nnscratch.layers import BatchNorm, Dense, Dropout, ReLU, Softmax

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "mpi_scripts"))
import matrix_cases  # noqa: E402
from test_mpi import _finish, _python, needs_mpi  # noqa: E402


def _callbacks_data():
    X, y = matrix_cases.flat(n=150)
    return (X[:120], y[:120]), (X[120:], y[120:])


CASES = {
    "cnn": dict(layers=matrix_cases.cnn, data=lambda: (matrix_cases.images(n=42), matrix_cases.images(seed=1, n=12)),
                optimizer=lambda: nn.Adam(lr=0.01), callbacks=list, epochs=5),
    # Plateaus from epoch 3: the rate is halved four times, and the run stops after epoch 6 with the best weights.
    "callbacks": dict(layers=lambda: [Dense(6, 8), BatchNorm(8), ReLU(), Dropout(0.3), Dense(8, 3), Softmax()],
                      data=_callbacks_data, optimizer=lambda: nn.SGD(lr=0.05, momentum=0.9), epochs=30,
                      callbacks=lambda: [nn.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
                                         nn.EarlyStopping(monitor="val_loss", patience=4, restore_best=True)]),
}


Interrupt = matrix_cases.Interrupt  # stops the run at the start of an epoch, after the checkpoint before it


class Slow(nn.Callback):
    """Rank 0 alone sleeps ``seconds`` after the first epoch (a slow node), while the others wait for it."""

    def __init__(self, seconds, comm):
        self.seconds, self.comm = float(seconds), comm

    def on_epoch_end(self, epoch, logs, network):
        if epoch == 0 and self.comm is not None and self.comm.rank == 0:
            time.sleep(self.seconds)


def run(phase, name, path, extra=None, comm=None):
    """One phase of case ``name`` (see the module's docstring); the network and history where it trains on."""
    case = CASES[name]
    (X, y), validation = case["data"]()
    net = nn.Network(case["layers"](), seed=3, backend="numpy", dtype="float64")
    options = dict(epochs=case["epochs"], batch_size=8, validation_data=validation, comm=comm, verbose=0)
    if phase == "first":
        try:
            net.fit(X, y, optimizer=case["optimizer"](), checkpoint=path,
                    callbacks=case["callbacks"]() + [Interrupt(int(extra))], **options)
        except KeyboardInterrupt:
            return None
        raise AssertionError(f"{name} was not interrupted at epoch {extra}")
    if phase == "resume":
        return net, net.fit(X, y, checkpoint=path, resume=path, callbacks=case["callbacks"](), **options)
    slow = [Slow(extra, comm)] if phase == "slow" else []
    return net, net.fit(X, y, optimizer=case["optimizer"](), callbacks=case["callbacks"]() + slow, **options)


def results(net, history, comm=None):
    """The final weights and buffers, the rate, the history, and whether every rank ended with the same bits."""
    state = np.concatenate([w.reshape(-1) for w in net.get_weights()]
                           + [b.reshape(-1) for b in net.get_buffers().values()])
    everyone = [state] if comm is None else comm.allgather(state)
    return dict(w=state, lr=net.optimizer.current_lr, same=all(np.array_equal(s, state) for s in everyone),
                noise=matrix_cases._zero_gradient_entries(net),
                **{f"history/{key}": np.asarray(values) for key, values in history.history.items() if key != "seconds"})


def main(phase, name, path, extra):
    comm = distributed.from_environment()
    trained = run(phase, name, path if phase != "slow" else None, extra, comm)
    if trained is not None:
        found = results(*trained, comm)
        if comm is None or comm.rank == 0:
            np.savez(extra if phase == "resume" else sys.argv[5], **found)


def _same_model(found, expected):
    assert bool(found["same"]), "the ranks ended with different weights or running statistics"
    assert float(found["lr"]) == float(expected["lr"])
    keys = sorted(k for k in expected if k.startswith("history/"))
    assert keys == sorted(k for k in found.keys() if k.startswith("history/"))
    assert len(found["history/loss"]) == len(expected["history/loss"]), "stopped at another epoch"
    np.testing.assert_allclose(found["history/loss"], expected["history/loss"], rtol=1e-12, atol=1e-14)
    for key in keys:  # validation goes through BatchNorm's running mean, which carries the noise entries
        np.testing.assert_allclose(found[key], expected[key], rtol=1e-9, atol=1e-12, err_msg=key)
    diff, noise = np.abs(found["w"] - expected["w"]), expected["noise"]
    assert np.max(diff[~noise]) < 1e-12, np.max(diff[~noise])
    assert np.max(diff[noise], initial=0.0) < 1e-8  # see matrix_cases._zero_gradient_entries
    assert np.max(np.abs(expected["w"])) > 0.1


def _phase(tmp_path, n, *args):
    """``run(*args)`` under ``mpiexec -n n`` (in this process for n = 1); rank 0's results, if any."""
    if n == 1:
        trained = run(*args[:2], str(args[2]), args[3])
        return None if trained is None else results(*trained)
    out = tmp_path / f"{args[0]}-{n}.npz"
    extra = [out] if args[0] == "resume" else [args[3], out]
    _finish(_python(__file__, *args[:3], *extra, n=n, cwd=tmp_path))
    return np.load(out) if out.exists() else None


@pytest.fixture(scope="module")
def straight():
    """Each case trained straight through by one process."""
    return {name: results(*run("straight", name, None)) for name in CASES}


@needs_mpi
@pytest.mark.parametrize("name, first, then, at", [("cnn", 2, 3, 2), ("cnn", 3, 1, 3), ("callbacks", 2, 2, 4),
                                                   ("callbacks", 2, 1, 2)])
def test_a_run_resumed_on_another_number_of_ranks_ends_as_one_process_trained_straight(
        tmp_path, straight, name, first, then, at):
    ckpt = tmp_path / f"{name}.ckpt"
    assert _phase(tmp_path, first, "first", name, ckpt, at) is None
    found = _phase(tmp_path, then, "resume", name, ckpt, None)
    _same_model(found, straight[name])
    if name == "callbacks":  # what the test is about: the rate was cut before and after the interruption,
        assert float(straight[name]["lr"]) < 0.05 / 8 and len(straight[name]["history/loss"]) < 30  # and it stopped


@needs_mpi
def test_a_rank_slower_than_the_follow_wait_is_waited_for(tmp_path, straight):
    """The wait for a failed rank (``FOLLOW_WAIT`` s, then the job ends) begins only on a failure's notice: a
    healthy rank that keeps the others waiting longer (a slow node, a big dataset to read) is waited for."""
    out = tmp_path / "slow.npz"
    _finish(_python(__file__, "slow", "callbacks", "-", FOLLOW_WAIT + 1, out, n=2, cwd=tmp_path))
    _same_model(np.load(out), straight["callbacks"])


if __name__ == "__main__":
    main(*sys.argv[1:5])
