"""Today's command-line features under ``mpiexec -n 2``, where N ranks behave as one process and rank 0
alone prints and writes: a write refused after training, a CNN's batches under several BLAS threads,
the memory-budget note and the channels-last refusal.

Launched as tests/test_mpi.py launches its jobs (skipped without mpi4py or mpiexec); the one-process
reference runs as its own process too, so both see the same environment.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import MPIEXEC, _env, _finish, _python, needs_mpi  # noqa: E402

FULL_DISK = """
import errno, os, sys
from nnscratch import cli
real = os.replace
def replace(src, dst, *args, **options):  # writing m.npz fails as on a full disk
    if os.path.basename(os.fspath(dst)) == "m.npz":
        raise OSError(errno.ENOSPC, "No space left on device")
    return real(src, dst, *args, **options)
os.replace = replace
sys.exit(cli.main(sys.argv[1:]))
"""


@needs_mpi
def test_a_write_refused_after_training_is_one_line_and_every_rank_ends_as_one_process_does(tmp_path):
    """Before: rank 0 alone met the error after the others had ended, waited 3 s for them, then said
    '[rank 0 of 2] error: ...' and MPI_Abort's own line ('Abort(2) on node 0 ...')."""
    args = ["-c", FULL_DISK, "train", "--dataset", "xor", "--epochs", "2", "--quiet", "--out", "m.npz",
            "--history", "h.json"]
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    _, alone = _finish(_python(*args, cwd=tmp_path / "one"), status=2)
    _, err = _finish(_python(*args, n=2, cwd=tmp_path / "two"), status=2)
    errors = [line for line in alone.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: --out m.npz: cannot write it (No space left on "
                                                     "device); free some space there"), alone
    assert "keeping the trained model elsewhere failed too" in errors[0]  # every m.npz is refused here
    assert err == alone, err
    for folder in ("one", "two"):  # the history after it is still written, once
        assert sorted(os.listdir(tmp_path / folder)) == ["h.json"]


CNN_FIT = """
import sys, numpy as np, nnscratch as nn
from nnscratch import distributed
from nnscratch.training import threaded
split = []
whole = threaded.ThreadedStep.backward
threaded.ThreadedStep.backward = lambda self, *a, **k: split.append(1) or whole(self, *a, **k)
comm = distributed.from_environment()
rng = np.random.default_rng(0)
X = rng.random((128, 1, 8, 8)).astype(np.float32)
y = (X[:, 0, :4].mean(axis=(1, 2)) > X[:, 0, 4:].mean(axis=(1, 2))).astype(int)
net = nn.Network([nn.Conv2D(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(64, 2)],
                 seed=0, backend="numpy")
net.fit(X, y, epochs=2, batch_size=64, optimizer=nn.Adam(lr=0.01), comm=comm)
weights = np.concatenate([w.reshape(-1) for w in net.get_weights()])
rank = 0 if comm is None else comm.rank
np.savez(f"{sys.argv[1]}-{rank}.npz", w=weights, split=len(split), threads=threaded.thread_count(net, comm))
"""


def _with_blas_threads(proc_args, n, tmp_path, threads="2"):
    """``[mpiexec -n N] python ARGS`` with ``threads`` BLAS threads on every rank (_env() sets one)."""
    env = dict(_env(), OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads)
    launcher = [] if n is None else [MPIEXEC, "-n", str(n)]
    return subprocess.Popen([*launcher, sys.executable, *map(str, proc_args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, cwd=tmp_path)


@needs_mpi
def test_a_cnn_under_mpiexec_with_two_blas_threads_does_not_split_its_batches(tmp_path):
    """Each rank is one process already: its 32 rows a step train whole (one process splits them)."""
    _finish(_with_blas_threads(["-c", CNN_FIT, "one"], None, tmp_path))
    _finish(_with_blas_threads(["-c", CNN_FIT, "two"], 2, tmp_path))
    one, ranks = np.load(tmp_path / "one-0.npz"), [np.load(tmp_path / f"two-{r}.npz") for r in (0, 1)]
    assert int(one["threads"]) == 2 and int(one["split"]) > 0  # the reference does split: the check can fail
    for rank in ranks:
        assert int(rank["threads"]) == 1 and int(rank["split"]) == 0
        assert np.max(np.abs(rank["w"] - one["w"])) < 1e-5
    assert np.max(np.abs(one["w"])) > 0.05
    args = ["-m", "nnscratch", "train", "--dataset", "npy:X.npy,y.npy", "--layers", "conv4x3p1,relu,maxpool2,dense2",
            "--epochs", "1", "--batch-size", "64", "--no-save", "--backend", "numpy"]
    np.save(tmp_path / "X.npy", np.random.default_rng(1).random((160, 1, 8, 8)).astype(np.float32))
    np.save(tmp_path / "y.npy", np.arange(160) % 2)
    alone, _ = _finish(_with_blas_threads(args, None, tmp_path))
    out, _ = _finish(_with_blas_threads(args, 2, tmp_path))
    assert "batches split over 2 threads" in alone.splitlines()[0], alone
    assert out.startswith("training ") and "batches split" not in out.splitlines()[0], out


@needs_mpi
def test_the_memory_budget_note_and_the_channels_last_refusal_are_said_once(tmp_path, monkeypatch):
    budget = ["-m", "nnscratch", "train", "--dataset", "moons", "--epochs", "1", "--no-save", "--quiet"]
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", "1K")  # _env() passes it on to every rank
    _, err = _finish(_python(*budget, n=2, cwd=tmp_path))
    monkeypatch.delenv("NNSCRATCH_DEVICE_MEMORY")
    assert err.count("warning: NNSCRATCH_DEVICE_MEMORY=1K holds less than one batch") == 1, err
    X = np.random.default_rng(2).random((40, 4, 8, 8)).astype(np.float32)
    np.save(tmp_path / "rgba.npy", X.transpose(0, 2, 3, 1))
    np.save(tmp_path / "y.npy", np.arange(40) % 2)
    refused = ["-m", "nnscratch", "train", "--dataset", "npy:rgba.npy,y.npy", "--layers", "conv2x3,dense2",
               "--epochs", "1", "--no-save"]
    _, alone = _finish(_python(*refused, cwd=tmp_path), status=2)
    _, err = _finish(_python(*refused, n=2, cwd=tmp_path), status=2)
    assert err == alone and alone.count("\n") == 1 and "holds channels-last images (n, 8, 8, 4)" in alone, err
