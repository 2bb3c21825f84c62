"""SIGTERM (``timeout``, ``kill``, systemd, ``docker stop``, a scheduler's time limit) stops ``nnscratch`` as Ctrl-C does.

Before, Python's default ended the command on the spot: exit status 143 from the signal, no message, no word of
the checkpoint to resume from, and every folder the command had created for its outputs left behind, empty.
Now the command line raises it as Ctrl-C (``nnscratch.cli.stopping.Terminated``, a ``KeyboardInterrupt``):
training stops within the batch, says ``stopped by SIGTERM ...`` with the last checkpoint, how far behind it is
and the ``--resume`` that continues it, removes the folders it created, and exits 143 (130 stays Ctrl-C's).
Under ``mpiexec`` (MPICH's hydra passes SIGTERM on to every rank, silently) it is said once, the job ends 143.
Ctrl-C under mpiexec left the folders it had created (``MPI_Abort`` came before the cleanup): removed now too.
The library keeps Python's default: only the command installs the handler, and puts the default back.
"""

import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.cli import progress, resuming, stopping
from test_mpi import ROOT, _finish, _python, needs_mpi
from test_writers_kept import full_disk_in, kept_path, leftovers

TRAIN = ["train", "--dataset", "spirals", "--epochs", "100000", "--backend", "numpy", "--seed", "0"]
STOPPED = re.compile(r"stopped by SIGTERM \(a time limit, kill or timeout\) (?:during|after) epoch (\d+) of 100000; the last "
                     r"checkpoint is ck/run\.ckpt \((\d+) of 100000 epochs done(, [\w ]+ behind)?\)\. To continue, "
                     r"run the same command with --resume ck/run\.ckpt")
needs_default_sigterm = pytest.mark.skipif(signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL,
                                           reason="SIGTERM is not Python's default in this process")


def env():
    return {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}


def default_signals():
    """In the child: Ctrl-C, SIGTERM and SIGHUP as a user's terminal leaves them (a background job ignores SIGINT,
    and a test run started under nohup ignores SIGHUP, which the command then leaves ignored)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


RUNNING = []  # the commands a test started with start(): none outlives its test, passed or failed


@pytest.fixture(autouse=True)
def no_command_left():
    """Kill what a test started with :func:`start` and left running (a failed test's 100,000-epoch run would
    otherwise take a core for the rest of the test run)."""
    yield
    while RUNNING:
        proc = RUNNING.pop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def start(argv, **popen):
    """``python -m nnscratch ARGV`` started with the signals of a user's terminal, its output read as text."""
    proc = subprocess.Popen([sys.executable, "-m", "nnscratch", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env(), preexec_fn=default_signals, **popen)
    RUNNING.append(proc)
    return proc


def terminated_after(proc, lines=2):
    """Send ``proc`` SIGTERM once it has printed ``lines`` epoch lines (the checkpoint of the first is written
    before the second is printed); its epoch lines, stdout's rest and stderr."""
    epochs = []
    for line in proc.stdout:
        if line.startswith("epoch"):
            epochs.append(line)
            if len(epochs) == lines:
                break
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    return epochs + [line for line in out.splitlines() if line.startswith("epoch")], err


def test_sigterm_in_training_says_the_checkpoint_removes_created_folders_and_resume_continues():
    """Before: status 143 from the signal, nothing on stderr but the notes, and sub/ and hist/ left empty."""
    argv = [*TRAIN, "--checkpoint", "ck/run.ckpt", "--out", "sub/m.npz", "--history", "hist/h.json"]
    proc = start(argv)
    epochs, err = terminated_after(proc)
    assert proc.returncode == 143, err
    said = [line for line in err.splitlines() if not line.startswith(("note: ", "warning: "))]
    assert len(said) == 1 and STOPPED.fullmatch(said[0]), err  # one line, no traceback
    stopped, done = map(int, STOPPED.fullmatch(said[0]).groups()[:2])
    assert stopped in (len(epochs), len(epochs) + 1)  # no epoch line after it stopped: the epoch was not finished
    assert done in (stopped - 1, stopped)  # the checkpoint of the epoch before, or of that one if it was being written
    assert sorted(os.listdir(".")) == ["ck"] and os.listdir("ck") == ["run.ckpt"] and leftovers("ck") == []
    resumed = subprocess.run([sys.executable, "-m", "nnscratch", *TRAIN[:3], "--epochs", str(done + 1),
                              *TRAIN[5:], "--resume", "ck/run.ckpt", "--out", "sub/m.npz"],
                             capture_output=True, text=True, env=env(), timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from epoch {done + 1} of {done + 1} (ck/run.ckpt)" in resumed.stdout
    assert nn.Network.load("sub/m.npz").n_inputs == 2


AT_BATCH = """
import os, signal, sys
from nnscratch import cli
from nnscratch.cli import progress
epoch, batch = int(sys.argv.pop(1)), int(sys.argv.pop(1))
made = progress.progress
def bar(*args):  # SIGTERM as the batch given ends (1-based numbers)
    bar = made(*args)
    ended = bar.on_batch_end
    def on_batch_end(number, network):
        ended(number, network)
        if (bar.epoch + 1, bar.batches) == (epoch, batch):
            os.kill(os.getpid(), signal.SIGTERM)
    bar.on_batch_end = on_batch_end
    return bar
progress.progress = bar
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("epoch,batch,said", [
    (1, 3, "nothing was saved (no model; --checkpoint ck/run.ckpt is first written at the end of epoch 1)"),
    (3, 5, "the last checkpoint is ck/run.ckpt (2 of 100000 epochs done, 5 batches behind)")])
def test_sigterm_in_a_batch_stops_there_and_says_how_far_behind_the_checkpoint_is(epoch, batch, said):
    proc = subprocess.run([sys.executable, "-c", AT_BATCH, str(epoch), str(batch), *TRAIN, "--checkpoint",
                           "ck/run.ckpt", "--no-save"], capture_output=True, text=True, env=env(), timeout=120,
                          preexec_fn=default_signals)
    assert proc.returncode == 143, proc.stderr
    assert f"stopped by SIGTERM (a time limit, kill or timeout) during epoch {epoch} of 100000; {said}" in proc.stderr
    assert len([line for line in proc.stdout.splitlines() if line.startswith("epoch")]) == epoch - 1  # not finished
    assert os.listdir(".") == (["ck"] if epoch > 1 else [])  # ck/, created for the checkpoint, gone if still empty


BEFORE_TRAINING = """
import os, signal, sys
from nnscratch import cli
from nnscratch.cli import train
said = train.describe
def describe(*args):  # SIGTERM after the output folders are made, before training starts
    os.kill(os.getpid(), signal.SIGTERM)
    return said(*args)
train.describe = describe
status = cli.main(sys.argv[1:])
print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)  # the library's default, back after the command
sys.exit(status)
"""


def test_sigterm_outside_training_is_one_line_and_status_143():
    """Before: killed by the signal (status -15 here), sub/ left behind."""
    proc = subprocess.run([sys.executable, "-c", BEFORE_TRAINING, *TRAIN[:3], "--epochs", "2", *TRAIN[5:],
                           "--out", "sub/m.npz"], capture_output=True, text=True, env=env(), timeout=120,
                          preexec_fn=default_signals)
    assert proc.returncode == 143, proc.stderr
    said = [line for line in proc.stderr.splitlines() if not line.startswith(("note: ", "warning: "))]
    assert said == ["nnscratch: stopped by SIGTERM (a time limit, kill or timeout)"]
    assert proc.stdout.splitlines()[-1] == "True" and os.listdir(".") == []


def test_sigterm_while_the_pictures_are_drawn_still_says_where_the_model_is(capsys, monkeypatch):
    """As Ctrl-C there (tests/test_writers4.py): the kept model said first, then the SIGTERM line; status 143."""
    pytest.importorskip("matplotlib")
    from nnscratch.cli import pictures

    def terminated(*args, **options):
        raise stopping.Terminated

    monkeypatch.setattr(pictures, "save_model_plots", terminated)
    os.mkdir("full")
    full_disk_in(monkeypatch, "full")
    xor = ["train", "--dataset", "xor", "--epochs", "3", "--backend", "numpy", "--quiet", "--seed", "0"]
    assert cli.main([*xor, "--out", "full/m.npz", "--plot", "pics"]) == 143
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith(("warning: ", "note: "))]
    assert len(err) == 2 and err[0].startswith("error: --out full/m.npz: cannot write it (No space left on device)")
    assert err[1] == "nnscratch: stopped by SIGTERM (a time limit, kill or timeout)"
    assert nn.Network.load(kept_path(err[0])).n_inputs == 2 and not os.path.exists("pics")


@needs_default_sigterm
def test_the_command_puts_pythons_sigterm_back_and_the_library_never_touches_it(capsys):
    assert cli.main(["info"]) == 0
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with stopping.sigterm_as_ctrl_c():
        assert signal.getsignal(signal.SIGTERM) is stopping.raise_stop
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@needs_default_sigterm
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed one, on purpose
def test_sigterm_inside_a_finaliser_still_stops_training_and_a_second_one_is_ignored():
    """As Ctrl-C (tests/test_cli.py): raised in a ``__del__``, Python drops it; the bar raises it again. A second
    SIGTERM (a scheduler signals every process, and mpiexec passes its own on) is ignored: the cleanup goes on."""
    import gc

    class Finaliser:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGTERM)

    bar = progress.progress(10, 1, show=False)
    with stopping.sigterm_as_ctrl_c():
        with progress.ctrl_c(bar):
            Finaliser()
            gc.collect()
            bar.on_epoch_begin(0, None)
            with pytest.raises(stopping.Terminated):
                bar.on_batch_end(0, None)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGTERM)  # ignored
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_the_message_says_how_far_behind_the_checkpoint_is(tmp_path):
    """Stopped in epoch 4 after 12 of its 26 batches, the last checkpoint written after epoch 2: 1 epoch and 12
    batches behind; all 26 done (in its figures, or as its checkpoint was being written): 2 epochs behind."""
    ckpt = str(tmp_path / "run.ckpt")
    net = nn.Network.from_sizes(2, 4, 2, seed=0)
    net.fit(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1]), epochs=2, checkpoint=ckpt)
    how = stopping.Terminated.words
    said = resuming.interrupted(ckpt, 3, 20, how, (12, 26))
    assert said.startswith(f"{how} during epoch 4 of 20; the last checkpoint is {ckpt} (2 of 20 epochs done, "
                           "1 epoch and 12 batches behind). To continue")
    assert "(2 of 20 epochs done, 2 epochs behind)" in resuming.interrupted(ckpt, 3, 20, how, (26, 26))
    assert "(2 of 20 epochs done, 1 batch behind)" in resuming.interrupted(ckpt, 2, 20, how, (1, 26))
    assert "(2 of 20 epochs done)" in resuming.interrupted(ckpt, 2, 20)  # Ctrl-C as the epoch began
    assert resuming.interrupted(ckpt, 1, 20).startswith("interrupted after epoch 2 of 20")  # in its checkpoint's write


@needs_mpi
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_under_mpiexec_sigterm_is_said_once_status_143_and_no_created_folder_is_left(signum):
    """hydra's mpiexec passes SIGTERM on to every rank (as it does Ctrl-C); rank 0 alone says it and ends the job
    with 143. Before, for both: the folder created for --out stayed (MPI_Abort came before the cleanup)."""
    args = ["-m", "nnscratch", *TRAIN[:3], "--epochs", "100000", *TRAIN[5:], "--checkpoint", "run.ckpt",
            "--out", "sub/m.npz"]
    job = _python(*args, n=2, cwd=".", preexec_fn=default_signals)
    epochs = 0
    for line in job.stdout:
        epochs += line.startswith("epoch")
        if epochs == 2:
            break
    job.send_signal(signum)  # to mpiexec, as `kill`, `timeout` or a scheduler does
    _, err = _finish(job, status=128 + signum)
    words = "stopped by SIGTERM (a time limit, kill or timeout)" if signum == signal.SIGTERM else "interrupted"
    assert len(re.findall(rf"{re.escape(words)} (during|after) epoch", err)) == 1, err  # after: in its checkpoint
    assert err.count("--resume run.ckpt") == 1, err
    assert "Abort(" not in err and "Traceback" not in err, err
    assert sorted(os.listdir(".")) == ["run.ckpt"]


@needs_mpi
def test_under_mpiexec_a_checkpoint_in_a_folder_to_create_is_written():
    """Before: '[rank 1 of 2] error: Cannot write 'ck/run.ckpt': the folder '.../ck' does not exist; create it
    first ...', status 2: rank 1's fit looked for the folder before rank 0 had created it."""
    args = ["-m", "nnscratch", "train", "--dataset", "xor", "--epochs", "2", "--backend", "numpy", "--quiet",
            "--checkpoint", "ck/run.ckpt", "--out", "sub/m.npz"]
    _finish(_python(*args, n=2, cwd="."))
    assert os.listdir("ck") == ["run.ckpt"] and os.listdir("sub") == ["m.npz"]


def test_a_run_started_over_does_not_name_the_earlier_runs_checkpoint_as_its_own(tmp_path):
    """`train --checkpoint run.ckpt --force` over a 5-epoch run's checkpoint, stopped in its epoch 1 (before its
    first write). Before: 'after epoch 5 of 20; the last checkpoint is run.ckpt (5 of 20 epochs done). To continue,
    run the same command with --resume run.ckpt': the run that --force had started over."""
    ckpt = str(tmp_path / "run.ckpt")
    net = nn.Network.from_sizes(2, 4, 2, seed=0)
    net.fit(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1]), epochs=5, checkpoint=ckpt)
    said = resuming.interrupted(ckpt, 0, 20, stopping.Terminated.words, (3, 26))
    assert said == (f"{stopping.Terminated.words} during epoch 1 of 20; nothing was saved (no model; --checkpoint "
                    f"{ckpt} is first written at the end of epoch 1; it still holds the 5 epochs of an earlier run). "
                    "Run the same command again to start over.")
    assert "the last checkpoint is" in resuming.interrupted(ckpt, 5, 20)  # resumed from it: this run's


def _own_pid_namespace():
    """Whether this process may start one in a PID namespace of its own (as a container's process 1)."""
    import shutil
    if shutil.which("unshare") is None or shutil.which("pgrep") is None:
        return False
    return subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _own_pid_namespace(), reason="needs unshare --pid (root, or user namespaces)")
def test_sigterm_stops_the_command_as_a_containers_process_1():
    """Process 1 of a PID namespace gets no signal it has no handler for: `docker stop` on `nnscratch train`
    (Python's default for SIGTERM) waited its 10 s and then killed it with SIGKILL, nothing said."""
    proc = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", sys.executable, "-m", "nnscratch", *TRAIN,
                             "--no-save"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(),
                            preexec_fn=default_signals)
    try:
        for line in proc.stdout:
            if line.startswith("epoch"):
                break
        first = int(subprocess.check_output(["pgrep", "-P", str(proc.pid)]).split()[0])  # process 1 in there
        os.kill(first, signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143 and "stopped by SIGTERM (a time limit, kill or timeout) during epoch" in err, err
