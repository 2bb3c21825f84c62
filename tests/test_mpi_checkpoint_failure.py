"""A checkpoint write refused mid-training (a full disk) under ``mpiexec -n 2``: rank 0 alone writes the
checkpoint, yet every rank must end as one process does, together and at once.

Before the fix rank 0 raised the error alone while the other rank had gone on into the next epoch's
all-reduce: the command line waited about 3 s for it, then said ``[rank 0 of 2] error: ...`` and MPICH's
``Abort(2)`` line; ``fit(comm=...)`` raised on rank 0 and left rank 1 waiting in the all-reduce forever.

Launched as tests/test_mpi.py launches its jobs (skipped without mpi4py or mpiexec); the one-process
reference runs as its own process too, so both see the same environment.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import _finish, _python, needs_mpi  # noqa: E402

FULL_DISK = """
import errno, json, os, sys
from nnscratch.saving import serialize
real, seen = os.replace, []
def replace(src, dst, *args, **options):  # run.ckpt is written once, then the disk is full
    if os.path.basename(os.fspath(dst)) == "run.ckpt":
        seen.append(dst)
        if len(seen) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
    return real(src, dst, *args, **options)
serialize.os.replace = replace
rank = os.environ.get("PMI_RANK", "alone")
"""

COMMAND_LINE = FULL_DISK + """
from nnscratch import cli, distributed
collective, report = [], distributed.report_error
def report_error(message, exc, *args, **options):  # the error as the command line reports it
    collective.append(getattr(exc, "collective", False))
    return report(message, exc, *args, **options)
distributed.report_error = report_error
status = cli.main(sys.argv[1:])
with open(f"status-{rank}.json", "w") as f:
    json.dump([status, collective], f)
sys.exit(status)
"""

FIT = FULL_DISK + """
import numpy as np, nnscratch as nn
from nnscratch import distributed
comm = distributed.from_environment()
rng = np.random.default_rng(0)
X = rng.random((64, 2)).astype(np.float32)
y = (X[:, 0] > X[:, 1]).astype(int)
net = nn.Network([nn.Dense(2, 8), nn.ReLU(), nn.Dense(8, 2), nn.Softmax()], seed=0, backend="numpy")
try:
    net.fit(X, y, epochs=4, batch_size=16, checkpoint="run.ckpt", comm=comm)
    raised = None
except Exception as exc:
    raised = [type(exc).__name__, exc.errno, exc.filename, getattr(exc, "collective", False)]
with open(f"raised-{rank}.json", "w") as f:
    json.dump(raised, f)
"""

TRAIN = ["train", "--dataset", "xor", "--epochs", "4", "--quiet", "--no-save", "--backend", "numpy",
         "--checkpoint", "run.ckpt"]


def _statuses(folder, name):
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob(f"{name}-*.json"))}


@needs_mpi
def test_a_checkpoint_refused_mid_training_is_one_line_and_every_rank_exits_2(tmp_path):
    alone_dir, job_dir = tmp_path / "alone", tmp_path / "job"
    alone_dir.mkdir(), job_dir.mkdir()
    _, alone = _finish(_python("-c", COMMAND_LINE, *TRAIN, cwd=alone_dir), status=2)
    _, err = _finish(_python("-c", COMMAND_LINE, *TRAIN, n=2, cwd=job_dir), status=2)
    assert alone == ("error: --checkpoint run.ckpt: cannot write it (No space left on device); free some space "
                     "there or choose another folder; the checkpoint written before is kept: pass --resume "
                     "run.ckpt to continue from it.\n"), alone
    assert err == alone, err  # once, without a rank's name or MPI's abort line
    assert _statuses(alone_dir, "status") == {"status-alone.json": [2, [False]]}
    # every rank exits 2, each with the error marked as raised together: rank 0 says it, and no rank
    # waits on the others' messages (which differ where rank 1 does not see rank 0's disk)
    assert _statuses(job_dir, "status") == {"status-0.json": [2, [True]], "status-1.json": [2, [True]]}
    from nnscratch.saving import checkpoint
    assert checkpoint.load(job_dir / "run.ckpt")[0]["epoch"] == 0  # the first epoch's checkpoint, resumable


@needs_mpi
def test_fit_raises_a_checkpoint_refused_mid_training_on_every_rank(tmp_path):
    alone_dir, job_dir = tmp_path / "alone", tmp_path / "job"
    alone_dir.mkdir(), job_dir.mkdir()
    _finish(_python("-c", FIT, cwd=alone_dir))
    _finish(_python("-c", FIT, n=2, cwd=job_dir))
    one = _statuses(alone_dir, "raised")["raised-alone.json"]
    assert one == ["OSError", 28, "run.ckpt", False], one
    assert _statuses(job_dir, "raised") == {"raised-0.json": [*one[:3], True], "raised-1.json": [*one[:3], True]}
