"""Every command keeps what the user owns, and says what went wrong once, as ``nnscratch train`` does.

- ``export`` on a full disk said "choose a folder you can write to" and left the folder it created.
- ``bench`` left the folders it created for ``--json``/``--plot`` when it failed, and lost the timings
  to a refused write; now they are kept as train keeps its model.
- ``train --json`` said ``"model": null`` for a model kept elsewhere after a refused ``--out``; Ctrl-C
  while the pictures were drawn after it said only "interrupted", not where the model was kept.
- ``nnscratch train | head -3`` ended at the first line it could not print: exit 0, no model.
- Under ``mpiexec -n 2``, ``evaluate`` and ``predict`` said everything (errors too) once per rank.
- Ctrl-C during training leaves none of the folders it created for its outputs.

Each test runs in its own empty folder (tests/conftest.py); the system's temporary folder is one of
the test's own, so nothing is kept in the real one.
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from test_mpi import MPIEXEC, ROOT, _finish, _launch, _python, needs_mpi
from test_writers_kept import error_line, full_disk_in, kept_path, leftovers

XOR = ["train", "--dataset", "xor", "--epochs", "3", "--backend", "numpy", "--quiet", "--seed", "0"]
TINY_BENCH = ["bench", "--backends", "numpy", "--layers", "4", "--batch-sizes", "16", "--samples", "32",
              "--features", "3", "--epochs", "1", "--warmup", "0", "--repeats", "1"]


@pytest.fixture(autouse=True)
def systmp(monkeypatch, tmp_path_factory):
    """The system's temporary folder, as tempfile.gettempdir() says: a folder of this test's."""
    folder = str(tmp_path_factory.mktemp("systmp"))
    monkeypatch.setattr(tempfile, "tempdir", folder)
    return folder


def env():
    """The tree under test; stdout buffered as a user's is (PYTHONUNBUFFERED hid the noise at exit)."""
    return {**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "PYTHONPATH": str(ROOT),
            "OPENBLAS_NUM_THREADS": "1"}


# 1. export

def test_export_on_a_full_disk_says_so_and_leaves_no_folder(capsys, monkeypatch):
    """Before: 'error: OUTPUT new/m.onnx: cannot write it (No space left on device); choose a folder you can
    write to.', and the folder new/ it had created stayed behind, empty."""
    pytest.importorskip("ndonnx")
    nn.Network.from_sizes(2, 4, 2, seed=0).save("m.npz")
    os.mkdir("disk")
    full_disk_in(monkeypatch, "disk")
    line = error_line(capsys, "export", "m.npz", "disk/new/m.onnx")
    assert line == ("error: OUTPUT disk/new/m.onnx: cannot write it (No space left on device); free some space there "
                    "or choose another folder.")
    assert os.listdir("disk") == [] and sorted(os.listdir(".")) == ["disk", "m.npz"]


# 2. bench

def test_bench_that_fails_leaves_no_folder_it_created(capsys):
    """Before: the folders created for --json and --plot stayed, empty, after the run failed."""
    line = error_line(capsys, *TINY_BENCH[:1], "--backends", "no-such-backend", "--json", "out/j/b.json",
                      "--plot", "pics/b.png")
    assert "Unknown backend" in line and os.listdir(".") == []


def test_bench_timings_refused_by_a_full_disk_are_kept(capsys, monkeypatch):
    """Before: 'error: --json full/b.json: cannot write it (No space left on device); ...' and the timings of
    the whole run were lost with it."""
    os.mkdir("full")
    full_disk_in(monkeypatch, "full")
    assert cli.main([*TINY_BENCH, "--json", "full/b.json"]) == 2
    line, = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    kept = kept_path(line, "the file of timings")
    assert line == (f"error: --json full/b.json: cannot write it (No space left on device); the file of timings is "
                    f"kept in {kept} instead: free some space there or choose another folder, then mv {kept} full/b.json.")
    assert [row["backend"] for row in json.load(open(kept))["rows"]] == ["numpy"] and os.listdir("full") == []


# 3. train --json

def test_train_json_names_the_model_kept_after_a_refused_out(capsys, monkeypatch):
    """Before: '"model": null' in the JSON, though the error line said where the model was kept."""
    os.mkdir("full")
    full_disk_in(monkeypatch, "full")
    assert cli.main([*XOR, "--json", "--out", "full/m.npz", "--history", "full/h.json"]) == 2
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    kept = kept_path(captured.err)
    history = os.path.join(os.path.dirname(kept), "h.json")
    assert result["model"] == kept and result["kept"] == {"--out": kept, "--history": history}
    assert nn.Network.load(result["model"]).n_inputs == 2


def test_train_json_of_a_model_written_where_asked_says_nothing_kept(capsys):
    assert cli.main([*XOR, "--json", "--out", "m.npz"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "m.npz" and "kept" not in result


# 4. Ctrl-C after a refused --out

def test_ctrl_c_while_the_pictures_are_drawn_still_says_where_the_model_is(capsys, monkeypatch):
    """Before: only 'nnscratch: interrupted'; the line saying where the model was kept was never shown."""
    pytest.importorskip("matplotlib")
    from nnscratch.cli import pictures

    def pressed(*args, **options):  # Ctrl-C while the first picture is drawn
        raise KeyboardInterrupt

    monkeypatch.setattr(pictures, "save_model_plots", pressed)
    os.mkdir("full")
    full_disk_in(monkeypatch, "full")
    assert cli.main([*XOR, "--out", "full/m.npz", "--plot", "pics"]) == 130
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith(("warning: ", "note: "))]
    assert len(err) == 2 and err[0].startswith("error: --out full/m.npz: cannot write it (No space left on device)")
    assert err[1] == "nnscratch: interrupted" and nn.Network.load(kept_path(err[0])).n_inputs == 2


def test_ctrl_c_while_the_pictures_are_drawn_says_every_file_kept_before(capsys, monkeypatch):
    """--out and --live both refused and kept, then Ctrl-C in --plot: both said, in the order refused."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")
    from nnscratch.cli import pictures

    def pressed(*args, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr(pictures, "save_model_plots", pressed)
    os.mkdir("full")
    full_disk_in(monkeypatch, "full")
    assert cli.main([*XOR, "--out", "full/m.npz", "--live", "full/run.gif", "--plot", "pics"]) == 130
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith(("warning: ", "note: "))]
    assert len(err) == 2 and err[1] == "nnscratch: interrupted", err
    assert err[0].index("--out full/m.npz") < err[0].index("--live full/run.gif")
    assert open(kept_path(err[0], "the animation"), "rb").read(6) == b"GIF89a"


# 5. a reader that goes away

def closed_reader(*argv, both=False):
    """Run ``python -m nnscratch ARGV`` with stdout (``both``: and stderr) a pipe whose reader has gone
    before the first line (as `| head -0`, or quitting `less` at once); its exit status and stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "nnscratch", *map(str, argv)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT if both else subprocess.PIPE, text=True, env=env())
    proc.stdout.close()
    err = "" if both else proc.stderr.read()
    return proc.wait(timeout=120), err


@pytest.mark.parametrize("both", [False, True], ids=["stdout", "stdout-and-stderr"])
def test_train_piped_into_a_reader_that_is_gone_still_trains_and_writes_the_model(both):
    """Before: exit status 0 at the first line printed, and no model written."""
    status, err = closed_reader(*XOR[:-3], "--out", "m.npz", "--history", "h.json", both=both)
    assert status == 0 and "Traceback" not in err and "Exception ignored" not in err, err
    assert nn.Network.load("m.npz").n_inputs == 2 and nn.History.from_json("h.json").epoch == [0, 1, 2]


def test_train_piped_into_head_writes_the_model():
    proc = subprocess.Popen(f"{sys.executable} -m nnscratch {' '.join(XOR[:-3])} --epochs 40 --out m.npz | head -1",
                            shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
    out, err = proc.communicate(timeout=120)
    assert out.startswith("training 2-") and out.count("\n") == 1 and "Traceback" not in err, err
    assert nn.Network.load("m.npz").n_inputs == 2


def test_bench_piped_into_a_reader_that_is_gone_still_writes_its_timings():
    """Before: the table printed first met the closed pipe: exit 0, and no --json written."""
    status, err = closed_reader(*TINY_BENCH, "--json", "b.json")
    assert status == 0 and "Traceback" not in err, err
    assert [row["backend"] for row in json.load(open("b.json"))["rows"]] == ["numpy"]


@pytest.mark.parametrize("command", [["info"], ["evaluate", "m.npz", "--dataset", "xor"],
                                     ["predict", "m.npz", "rows.csv"], ["predict", "m.npz", "rows.csv", "--json"]])
def test_a_quick_command_ends_quietly_when_its_reader_is_gone(command):
    nn.Network.from_sizes(2, 4, 2, seed=0).save("m.npz")
    np.savetxt("rows.csv", np.random.default_rng(0).random((5000, 2)), delimiter=",")
    status, err = closed_reader(*command)
    assert status == 0 and "Traceback" not in err and "Exception ignored" not in err, err


# 6. evaluate and predict under mpiexec

@needs_mpi
@pytest.mark.parametrize("command", [["evaluate", "m.npz", "--dataset", "moons"], ["predict", "m.npz", "rows.csv"]])
def test_under_mpiexec_a_command_run_whole_on_each_rank_says_it_once(tmp_path, command):
    """Before: every line twice, one per rank."""
    nn.Network.from_sizes(2, 4, 2, seed=0).save(tmp_path / "m.npz")
    np.savetxt(tmp_path / "rows.csv", [[0.1, 0.2], [0.3, 0.4]], delimiter=",")
    alone, _ = _finish(_python("-m", "nnscratch", *command, cwd=tmp_path))
    out, _ = _finish(_python("-m", "nnscratch", *command, n=2, cwd=tmp_path))
    assert out == alone and out.strip(), out


@needs_mpi
@pytest.mark.parametrize("command", [["evaluate", "missing.npz"], ["predict", "m.npz", "missing.csv"]])
def test_under_mpiexec_an_error_of_every_rank_is_said_once_and_every_rank_fails(tmp_path, command):
    nn.Network.from_sizes(2, 4, 2, seed=0).save(tmp_path / "m.npz")
    _, alone = _finish(_python("-m", "nnscratch", *command, cwd=tmp_path), status=2)
    _, err = _finish(_python("-m", "nnscratch", *command, n=2, cwd=tmp_path), status=2)
    assert err == alone and err.count("error:") == 1, err
    args = [sys.executable, "-m", "nnscratch", *command]  # rank 0 ends well, rank 1 fails: the job fails
    _finish(_launch([MPIEXEC, "-n", "1", sys.executable, "-m", "nnscratch", "info", ":", "-n", "1", *args],
                    cwd=tmp_path), status=2)


# 7. Ctrl-C during training

def test_ctrl_c_during_training_leaves_no_folder_it_created():
    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")
    argv = ["train", "--dataset", "moons", "--epochs", "100000", "--backend", "numpy", "--out", "sub/m.npz",
            "--plot", "pics", "--history", "hist/h.json", "--live", "live/l.gif"]
    proc = subprocess.Popen([sys.executable, "-m", "nnscratch", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # a background job ignores it
    for line in proc.stdout:
        if line.startswith("epoch"):
            break
    assert sorted(os.listdir(".")) == ["hist", "live", "pics", "sub"]  # created before training
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and re.search(r"interrupted during epoch \d+", err), err
    assert os.listdir(".") == [] and leftovers(".") == []


CTRL_C_WHILE_DRAWING = """
import errno, os, sys, time
from nnscratch import cli
from nnscratch.cli import pictures
real = os.replace
def replace(src, dst, *args, **options):  # full/ is a full disk
    if os.path.basename(os.path.dirname(os.path.abspath(os.fspath(dst)))) == "full":
        raise OSError(errno.ENOSPC, "No space left on device")
    return real(src, dst, *args, **options)
os.replace = replace
def drawing(*args, **options):  # rank 0 draws for a minute: long enough for Ctrl-C
    sys.stderr.write("drawing\\n")
    sys.stderr.flush()
    time.sleep(60)
    return []
pictures.save_model_plots = drawing
sys.exit(cli.main(sys.argv[1:]))
"""


@needs_mpi
def test_under_mpiexec_ctrl_c_while_drawing_says_once_where_the_model_is(tmp_path):
    pytest.importorskip("matplotlib")
    (tmp_path / "full").mkdir()
    job = _python("-c", CTRL_C_WHILE_DRAWING, *XOR, "--out", "full/m.npz", "--plot", "pics", n=2, cwd=tmp_path,
                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in job.stderr:
        if line == "drawing\n":
            break
    job.send_signal(signal.SIGINT)  # to mpiexec, as Ctrl-C in a terminal
    _, err = _finish(job, status=130)
    assert err.count("error: --out full/m.npz: cannot write it") == 1 and err.count("interrupted") == 1, err
    assert nn.Network.load(tmp_path / kept_path(err)).n_inputs == 2
