"""Signals under ``mpiexec`` outside training: every rank acts on its own. A rank other than 0 relays a signal to
rank 0 while training lasts alone (rank 0 looks for one after each gradient sum, nowhere else): relayed and
ignored after the epochs, SIGTERM sent to ``mpiexec`` while rank 0 drew the pictures ended rank 0 alone (143) and
left rank 1 waiting for it forever.
"""

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_sigterm14 import default_signals  # noqa: E402
from test_mpi import _finish, _python, needs_mpi  # noqa: E402

DRAWING = """
import sys, time
from nnscratch import cli
from nnscratch.cli import pictures
def drawing(*args, **options):  # rank 0 draws for a minute, after training: long enough for a signal
    sys.stderr.write("drawing\\n")
    sys.stderr.flush()
    time.sleep(60)
    return []
pictures.save_model_plots = drawing
sys.exit(cli.main(sys.argv[1:]))
"""


_default_signals = default_signals  # Ctrl-C, SIGTERM and SIGHUP as a user's terminal leaves them


@needs_mpi
@pytest.mark.parametrize("signum, said", [(signal.SIGTERM, "nnscratch: stopped by SIGTERM"),
                                          (signal.SIGINT, "nnscratch: interrupted")], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_sent_to_mpiexec_after_training_ends_every_rank(tmp_path, signum, said):
    pytest.importorskip("matplotlib")
    job = _python("-c", DRAWING, "train", "--dataset", "xor", "--epochs", "3", "--backend", "numpy", "--quiet",
                  "--out", "m.npz", "--plot", "pics", n=2, cwd=tmp_path, preexec_fn=_default_signals)
    for line in job.stderr:
        if line == "drawing\n":
            break
    job.send_signal(signum)  # to mpiexec, which passes it on to every rank
    _, err = _finish(job, status=128 + signum)
    assert err.count(said) == 1 and "Traceback" not in err, err
    assert (tmp_path / "m.npz").exists()  # written before the pictures
