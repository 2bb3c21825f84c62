"""The work survives a file the system refuses to write after it, and nothing else is left behind.

- A full disk at the final ``--out`` write lost the trained model (unless ``--checkpoint`` was given):
  now it is kept in a new ``nnscratch-kept-*`` folder (the current one, else the system's temporary
  one) and the one error line says where, and how to move or use it; exit status 2 all the same.
- ``--live x.mp4`` was written by ffmpeg in place: a failed encode left a cut-off file where the
  last run's was. Now it goes to a temporary file that is renamed on success and removed on failure.
- A folder the command creates (``--out new/dir/m.npz``) is tried by writing in it before the work,
  as an existing one is, and removed again if the command ends without writing in it.

Each test runs in its own empty folder (tests/conftest.py); the system's temporary folder is a
folder of the test's own (``systmp``), so nothing is kept in the real one.
"""

import errno
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.errors import ConfigError
from nnscratch.saving import serialize

XOR = ["train", "--dataset", "xor", "--epochs", "3", "--backend", "numpy", "--quiet", "--seed", "0"]


@pytest.fixture(autouse=True)
def systmp(monkeypatch, tmp_path_factory):
    """The system's temporary folder, as tempfile.gettempdir() says: a folder of this test's."""
    folder = str(tmp_path_factory.mktemp("systmp"))
    monkeypatch.setattr(tempfile, "tempdir", folder)
    return folder


def error_line(capsys, *argv, status=2):
    """The exit status, and the one ``error:`` line on stderr (besides warnings and notes)."""
    assert cli.main([str(a) for a in argv]) == status
    err = [line for line in capsys.readouterr().err.strip().splitlines()
           if not line.startswith(("warning: ", "note: "))]
    assert len(err) == 1 and err[0].startswith("error: ") and ".tmp-" not in err[0], err
    return err[0]


def full_disk_in(monkeypatch, *folders):
    """Renaming a written file into one of ``folders`` or a folder in them fails with ENOSPC, as on a
    full disk (one that holds the current folder holds ``full/`` too, as one disk does)."""
    real, full = os.replace, [os.path.join(os.path.realpath(f), "") for f in folders]

    def replace(src, dst, *args, **options):
        if os.path.realpath(os.fspath(dst)).startswith(tuple(full)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, *args, **options)

    monkeypatch.setattr(serialize.os, "replace", replace)
    return real


def kept_path(line, what="the trained model"):
    return re.search(rf"{what} is kept in (\S+) instead", line).group(1)


def leftovers(*folders):
    """Temporary files and ``nnscratch-kept-*`` folders in ``folders``."""
    return [name for folder in folders for name in os.listdir(folder)
            if name.startswith((serialize.TEMPORARY, "nnscratch-kept-"))]


def same_weights(a, b):
    return all(np.array_equal(x, y) for x, y in zip(nn.Network.load(a).get_weights(), nn.Network.load(b).get_weights()))


def test_a_full_disk_at_out_keeps_the_trained_model_in_the_current_folder(capsys, monkeypatch):
    """Before: 'error: --out full/m.npz: cannot write it (No space left on device); free some space
    there or choose another folder.' and the trained model was gone."""
    assert cli.main([*XOR, "--out", "reference.npz"]) == 0
    os.mkdir("full")
    real = full_disk_in(monkeypatch, "full")
    line = error_line(capsys, *XOR, "--out", "full/m.npz")
    kept = kept_path(line)
    assert re.fullmatch(r"nnscratch-kept-[^/]+/m\.npz", kept), line
    assert line == (f"error: --out full/m.npz: cannot write it (No space left on device); the trained model is kept "
                    f"in {kept} instead: free some space there or choose another folder, then mv {kept} full/m.npz, "
                    f"or use it where it is: nnscratch evaluate {kept}.")
    assert same_weights(kept, "reference.npz") and os.listdir("full") == []
    capsys.readouterr()
    assert cli.main(["evaluate", kept]) == 0  # as the line says
    monkeypatch.setattr(serialize.os, "replace", real)  # space again: the move the line says
    os.replace(kept, "full/m.npz")
    assert same_weights("full/m.npz", "reference.npz")


def test_the_model_goes_to_the_temporary_folder_where_the_current_one_refuses_it(capsys, monkeypatch, systmp):
    full_disk_in(monkeypatch, ".")  # cwd holds m.npz: the current folder is not tried
    line = error_line(capsys, *XOR, "--out", "m.npz")
    kept = kept_path(line)
    assert os.path.dirname(os.path.dirname(kept)) == systmp and nn.Network.load(kept).n_inputs == 2
    assert leftovers(".") == [] and not os.path.exists("m.npz")


def test_where_no_folder_takes_the_model_the_line_says_each_refusal(capsys, monkeypatch, systmp):
    os.mkdir("full")
    full_disk_in(monkeypatch, ".", systmp)
    line = error_line(capsys, *XOR, "--out", "full/m.npz")
    assert line == ("error: --out full/m.npz: cannot write it (No space left on device); free some space there or "
                    "choose another folder; keeping the trained model elsewhere failed too, in . (No space left on "
                    f"device), in {systmp} (No space left on device): it is lost; --checkpoint PATH keeps each "
                    "epoch's state on disk as it trains.")
    assert leftovers(".", "full", systmp) == []


def test_a_refused_history_is_kept_and_the_model_still_written(capsys, monkeypatch):
    """Before: the model was written, then the history lost with an error line."""
    os.mkdir("full")
    full_disk_in(monkeypatch, "full")
    line = error_line(capsys, *XOR, "--out", "m.npz", "--history", "full/h.json")
    kept = kept_path(line, "the history")
    assert line.startswith("error: --history full/h.json: cannot write it (No space left on device); the history is "
                           f"kept in {kept} instead: free some space there or choose another folder, then mv {kept} "
                           "full/h.json.")
    assert nn.History.from_json(kept).epoch == [0, 1, 2] and nn.Network.load("m.npz").n_inputs == 2


def test_a_refused_model_and_history_are_both_kept_and_said(capsys, monkeypatch):
    os.mkdir("full")
    full_disk_in(monkeypatch, "full")
    line = error_line(capsys, *XOR, "--out", "full/m.npz", "--history", "full/h.json")
    kept = kept_path(line)
    history = os.path.join(os.path.dirname(kept), "h.json")  # one folder keeps both
    assert line == (f"error: --out full/m.npz: cannot write it (No space left on device); the trained model is kept "
                    f"in {kept} instead: free some space there or choose another folder, then mv {kept} full/m.npz, "
                    f"or use it where it is: nnscratch evaluate {kept}; the history is kept in {history} too: mv "
                    f"{history} full/h.json.")
    assert nn.Network.load(kept).n_inputs == 2 and nn.History.from_json(history).epoch == [0, 1, 2]


def test_the_score_is_still_reported_when_the_model_is_kept(capsys, monkeypatch):
    os.mkdir("full")
    full_disk_in(monkeypatch, "full")
    assert cli.main([*XOR, "--out", "full/m.npz"]) == 2
    assert "test samples; trained in" in capsys.readouterr().out


def test_a_gif_refused_by_a_full_disk_is_kept(capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")
    os.mkdir("full")
    full_disk_in(monkeypatch, "full")
    line = error_line(capsys, *XOR, "--no-save", "--live", "full/run.gif")
    kept = kept_path(line, "the animation")
    assert open(kept, "rb").read(6) == b"GIF89a" and leftovers("full") == []


# --live x.mp4 through ffmpeg (not installed here: a fake ffmpeg that writes its last argument)

MOVIE = b"\0\0\0\x18ftypisom"  # how an MP4 file starts
FAKE_FFMPEG = """#!{python}
import sys
out = sys.argv[-1]
sys.stdin.buffer.read()  # every frame matplotlib sends
with open(out, "wb") as f:
    f.write(b"\\0\\0\\0\\x18ftypisom" + (b"cut-off" if "{fail}" and "{fail}" in out else b"a whole movie"))
if "{fail}" and "{fail}" in out:
    sys.stderr.write(f"[out#0/mp4] Error writing trailer: No space left on device\\n")
    sys.exit(1)
"""


def fake_ffmpeg(monkeypatch, fail=""):
    """An ``ffmpeg`` on PATH that writes the file it is given; one whose path holds ``fail`` is cut off
    and the program fails, as ffmpeg does on a full disk."""
    os.makedirs("bin", exist_ok=True)
    Path("bin/ffmpeg").write_text(FAKE_FFMPEG.format(python=sys.executable, fail=fail))
    os.chmod("bin/ffmpeg", os.stat("bin/ffmpeg").st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", os.path.abspath("bin") + os.pathsep + os.environ["PATH"])


def test_an_mp4_is_written_to_a_temporary_file_and_renamed(capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    fake_ffmpeg(monkeypatch)
    Path("run.mp4").write_bytes(MOVIE + b"last run's movie")
    assert cli.main([*XOR, "--no-save", "--live", "run.mp4", "--force"]) == 0
    assert open("run.mp4", "rb").read() == MOVIE + b"a whole movie" and leftovers(".") == []


def test_a_failed_mp4_encode_keeps_the_last_runs_movie(capsys, monkeypatch):
    """Before: ffmpeg wrote run.mp4 in place, so the last run's movie was left cut off, and the error was
    'error: CalledProcessError: Command ... returned non-zero exit status 1'."""
    pytest.importorskip("matplotlib")
    fake_ffmpeg(monkeypatch, fail="movies")
    os.mkdir("movies")
    Path("movies/run.mp4").write_bytes(MOVIE + b"last run's movie")
    line = error_line(capsys, *XOR, "--no-save", "--live", "movies/run.mp4", "--force")
    kept = kept_path(line, "the animation")
    assert line.startswith("error: --live movies/run.mp4: cannot write it (ffmpeg failed: [out#0/mp4] Error writing "
                           "trailer: No space left on device); the animation is kept in "), line
    assert open("movies/run.mp4", "rb").read() == MOVIE + b"last run's movie" and leftovers("movies") == []
    assert open(kept, "rb").read() == MOVIE + b"a whole movie"


def test_render_training_raises_an_os_error_naming_the_mp4(monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    from nnscratch.viz.live import render_training
    fake_ffmpeg(monkeypatch, fail="x.mp4")
    frames = [(0, [np.zeros((2, 3))]), (1, [np.ones((2, 3))])]
    with pytest.raises(OSError) as caught:
        render_training(frames, [1.0], tmp_path / "x.mp4")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(tmp_path / "x.mp4")
    assert os.listdir(tmp_path) == []


# folders the command creates

def refuse_writes_in(monkeypatch, folder):
    """mkstemp in ``folder`` fails as in /sys as root (access() says yes, the system no)."""
    real = serialize.tempfile.mkstemp

    def mkstemp(*args, dir=None, **options):
        if dir is not None and os.path.abspath(dir) == os.path.abspath(folder):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), os.path.join(dir, ".tmp-x1y2z3m.npz"))
        return real(*args, dir=dir, **options)

    monkeypatch.setattr(serialize.tempfile, "mkstemp", mkstemp)


def test_a_created_folder_the_system_refuses_is_said_before_training_and_removed(capsys, monkeypatch):
    """Before: new/dir was created and not tried; training ran, then the write failed after it, and the
    empty new/dir was left behind."""
    refuse_writes_in(monkeypatch, "new/dir")
    trained = []
    monkeypatch.setattr(nn.Network, "fit", lambda *a, **k: trained.append(1))
    line = error_line(capsys, *XOR, "--out", "new/dir/m.npz")
    assert line == (f"error: --out: cannot write in the folder {os.path.join('new', 'dir', '')} created for it "
                    "(Permission denied); choose a folder you can write to.")
    assert trained == [] and not os.path.exists("new")


@pytest.mark.parametrize("failure,status", [(ConfigError("the data went wrong"), 2), (KeyboardInterrupt(), 130)])
def test_a_folder_created_for_a_run_that_fails_is_removed_and_one_that_was_there_kept(capsys, monkeypatch,
                                                                                      failure, status):
    os.mkdir("mine")

    def fit(*args, **options):
        raise failure

    monkeypatch.setattr(nn.Network, "fit", fit)
    assert cli.main([*XOR, "--out", "new/deep/m.npz", "--history", "mine/h.json", "--live", "pics/run.gif"]) == status
    assert os.listdir(".") == ["mine"] and os.listdir("mine") == []


def test_a_created_folder_holding_a_checkpoint_stays(capsys, monkeypatch):
    real = nn.Network.fit

    def fit(self, *args, **options):
        real(self, *args, **options)  # writes runs/r.ckpt
        raise ConfigError("something went wrong after training")

    monkeypatch.setattr(nn.Network, "fit", fit)
    assert cli.main([*XOR, "--checkpoint", "runs/r.ckpt", "--out", "models/m.npz"]) == 2
    assert os.listdir("runs") == ["r.ckpt"] and not os.path.exists("models")


# under mpiexec: rank 0 alone writes, and keeps, the model; the line is said once

FULL_DISK = """
import errno, os, sys
from nnscratch import cli
from nnscratch.saving import serialize
real, full = os.replace, os.path.join(os.path.realpath("full"), "")
def replace(src, dst, *args, **options):
    if os.path.realpath(os.fspath(dst)).startswith(full):
        raise OSError(errno.ENOSPC, "No space left on device")
    return real(src, dst, *args, **options)
serialize.os.replace = replace
sys.exit(cli.main(sys.argv[1:]))
"""


def test_under_mpiexec_rank_0_keeps_the_model_and_says_it_once(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_mpi import HAVE_MPI4PY, MPIEXEC, _finish, _python
    if not (HAVE_MPI4PY and MPIEXEC):
        pytest.skip('needs mpi4py and mpiexec: pip install "nnscratch[mpi]"')
    (tmp_path / "full").mkdir()
    _, err = _finish(_python("-c", FULL_DISK, *XOR, "--out", "full/m.npz", n=2, cwd=tmp_path), status=2)
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and lines[0].startswith("error: --out full/m.npz: cannot write it (No space left on "
                                                   "device); the trained model is kept in nnscratch-kept-"), err
    kept = [p for p in tmp_path.glob("nnscratch-kept-*/m.npz")]
    assert len(kept) == 1 and nn.Network.load(kept[0]).n_inputs == 2  # one rank wrote it


@pytest.mark.parametrize("in_the_way,reason", [
    (lambda: os.rmdir("out"), "the folder out does not exist any more"),
    (lambda: Path("out/m.npz").write_text("my notes\n"), "a file that is not an nnscratch model has taken its place"),
    (lambda: os.mkdir("out/m.npz"), "a folder has taken its place")])
def test_a_model_whose_place_was_taken_during_training_is_kept(capsys, monkeypatch, in_the_way, reason):
    """Before: 'error: Cannot write 'out/m.npz': the folder '/.../out' does not exist; create it first
    (os.makedirs) or choose another path.' (or 'exists and is not an nnscratch model'), the model lost."""
    os.mkdir("out")
    real = nn.Network.fit

    def fit(self, *args, **options):
        history = real(self, *args, **options)
        in_the_way()
        return history

    monkeypatch.setattr(nn.Network, "fit", fit)
    line = error_line(capsys, *XOR, "--out", "out/m.npz")
    assert line.startswith(f"error: --out out/m.npz: cannot write it ({reason}); the trained model is kept in "), line
    assert nn.Network.load(kept_path(line)).n_inputs == 2
    if os.path.isfile("out/m.npz"):
        assert open("out/m.npz").read() == "my notes\n"  # never replaced


def test_the_animation_is_still_written_and_a_created_folder_stays_for_the_move(capsys, monkeypatch):
    """Before: a refused --out ended the run there: no --live, no --plot; now both are written (or kept),
    and the folder created for --out stays, as the line says to move the model there."""
    pytest.importorskip("matplotlib")
    os.mkdir("full")
    full_disk_in(monkeypatch, "full")
    line = error_line(capsys, *XOR, "--out", "full/new/m.npz", "--live", "full/run.gif", "--plot", "pics")
    kept = kept_path(line)
    assert line.startswith("error: --out full/new/m.npz: cannot write it (No space left on device); the trained "
                           f"model is kept in {kept} instead: ")
    assert f" --live full/run.gif: cannot write it (No space left on device); the animation is kept in " in line
    assert os.listdir("full/new") == [] and os.path.isfile("pics/curves.png")
    assert open(kept_path(line, "the animation"), "rb").read(6) == b"GIF89a"


@pytest.mark.parametrize("option", ["--out", "--history", "--checkpoint"])
def test_an_output_path_ending_in_a_separator_is_refused_before_training(option, capsys, monkeypatch, systmp):
    """Before: --out newdir/ (no such folder yet) trained, then failed naming a kept folder in the system's
    temporary one ("'/tmp/nnscratch-kept-x/' is a folder"): the model was lost and an empty
    nnscratch-kept-* folder stayed behind, at every run."""
    trained = []
    monkeypatch.setattr(nn.Network, "fit", lambda *a, **k: trained.append(1))
    line = error_line(capsys, *XOR, option, "newdir/")
    assert line.startswith(f"error: {option} newdir/ names a folder; give a file path, e.g. {option} newdir/"), line
    assert trained == [] and os.listdir(".") == [] and leftovers(systmp) == []
