"""Every file nnscratch writes, where the system refuses the write.

Root passes access() everywhere, so a folder like /sys looked writable to the checks before
training, and the write failed after it with the OSError of a hidden temporary file
('/sys/.tmp-hhi6ayf2m.npz'). Now a command tries each output folder before the work, a write
refused later (a full disk, a folder removed meanwhile) is one line naming the option, no
temporary file is left, and what was there is kept. Each test runs in its own empty folder
(tests/conftest.py).
"""

import errno
import os

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.saving import checkpoint as checkpoints, serialize

XOR = ["train", "--dataset", "xor", "--epochs", "3", "--backend", "numpy", "--quiet"]


def one_error_line(capsys, *argv):
    """Exit status 2, one ``error:`` line on stderr (besides warnings) and no traceback; the line."""
    status = cli.main([str(a) for a in argv])
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("warning: ")]
    assert status == 2 and len(err) == 1 and err[0].startswith("error: "), err
    assert "Traceback" not in err[0] and ".tmp-" not in err[0], err[0]
    return err[0]


def no_temporary_files(folder="."):
    return not [name for name in os.listdir(folder) if name.startswith(serialize.TEMPORARY)]


def refuse_writes_in(monkeypatch, folder, number=errno.EACCES):
    """mkstemp in ``folder`` fails as in /sys as root (access() says yes, the system no)."""
    real = serialize.tempfile.mkstemp

    def mkstemp(*args, dir=None, **options):
        if dir is not None and os.path.abspath(dir) == os.path.abspath(folder):
            raise OSError(number, os.strerror(number), os.path.join(dir, ".tmp-x1y2z3m.npz"))
        return real(*args, dir=dir, **options)

    monkeypatch.setattr(serialize.tempfile, "mkstemp", mkstemp)


@pytest.mark.parametrize("option,name", [("--out", "m.npz"), ("--checkpoint", "r.ckpt"),
                                         ("--history", "h.json")])
def test_a_folder_the_system_refuses_is_said_before_training(capsys, monkeypatch, option, name):
    """Before: training ran, then 'error: PermissionError: [Errno 13] Permission denied:
    '/sys/.tmp-hhi6ayf2m.npz' (run with --debug ...)', the trained model lost."""
    os.mkdir("locked")
    refuse_writes_in(monkeypatch, "locked")
    trained = []
    monkeypatch.setattr(nn.Network, "fit", lambda *a, **k: trained.append(1))
    line = one_error_line(capsys, *XOR, option, os.path.join("locked", name))
    assert line == (f"error: {option} {os.path.join('locked', name)}: cannot write it (Permission denied); "
                    "choose a folder you can write to.")
    assert trained == []


@pytest.mark.skipif(not os.path.isdir("/sys/kernel") or os.geteuid() != 0, reason="needs root and /sys")
def test_sys_as_root_is_refused_before_training(capsys):
    line = one_error_line(capsys, *XOR, "--out", "/sys/m.npz")
    assert line.startswith("error: --out /sys/m.npz: cannot write it (")


def test_a_name_too_long_is_said_before_training_and_a_long_one_that_fits_is_written(capsys):
    """Before: a 300-byte name failed after training ('File name too long: .tmp-...'), and a 250-byte
    name the file system takes failed too, the temporary file's name being 13 bytes longer."""
    line = one_error_line(capsys, *XOR, "--out", "new/" + "a" * 300 + ".npz")
    assert "the file name is 304 bytes long" in line and "choose a shorter name" in line
    assert not os.path.exists("new")
    fits = "b" * 246 + ".npz"
    assert cli.main([*XOR, "--out", fits]) == 0
    assert nn.Network.load(fits).n_inputs == 2
    assert no_temporary_files()


def test_network_save_names_the_file_not_the_temporary_one(monkeypatch, tmp_path):
    net = nn.Network.from_sizes(2, 3, 2, seed=0)
    refuse_writes_in(monkeypatch, tmp_path)
    with pytest.raises(PermissionError) as caught:
        net.save(tmp_path / "m.npz")
    assert caught.value.filename == str(tmp_path / "m.npz")
    assert ".tmp-" not in str(caught.value)


def full_disk_on(monkeypatch, name, after=0):
    """Writing ``name`` fails with ENOSPC from the ``after``-th write on (as a full disk does)."""
    real, seen = os.replace, []

    def replace(src, dst, *args, **options):
        if os.path.basename(os.fspath(dst)) == name:
            seen.append(dst)
            if len(seen) > after:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, *args, **options)

    monkeypatch.setattr(serialize.os, "replace", replace)


def test_a_full_disk_after_training_is_one_line_and_keeps_the_old_model(capsys, monkeypatch):
    """Before: 'error: OSError: [Errno 28] No space left on device (run with --debug ...)', naming nothing."""
    assert cli.main([*XOR, "--out", "m.npz"]) == 0
    before = open("m.npz", "rb").read()
    full_disk_on(monkeypatch, "m.npz")
    line = one_error_line(capsys, *XOR, "--out", "m.npz", "--force")
    assert line.startswith("error: --out m.npz: cannot write it (No space left on device); free some space there or "
                           "choose another folder")  # and where the model was kept: tests/test_writers_kept.py
    assert open("m.npz", "rb").read() == before and no_temporary_files()


def test_a_full_disk_mid_training_keeps_the_last_checkpoint_resumable(capsys, monkeypatch):
    real = os.replace
    full_disk_on(monkeypatch, "run.ckpt", after=1)  # the first epoch's checkpoint is written, the second not
    line = one_error_line(capsys, *XOR, "--checkpoint", "run.ckpt", "--no-save")
    assert line == ("error: --checkpoint run.ckpt: cannot write it (No space left on device); free some space there "
                    "or choose another folder; the checkpoint written before is kept: pass --resume run.ckpt to "
                    "continue from it.")
    assert checkpoints.load("run.ckpt")[0]["epoch"] == 0 and no_temporary_files()
    monkeypatch.setattr(os, "replace", real)  # space again
    assert cli.main([*XOR, "--checkpoint", "run.ckpt", "--resume", "--no-save"]) == 0
    assert checkpoints.load("run.ckpt")[0]["epoch"] == 2


def test_a_folder_removed_during_training_is_one_line(capsys, monkeypatch):
    os.mkdir("out")
    real = nn.Network.fit

    def fit(self, *args, **options):
        history = real(self, *args, **options)
        os.rmdir("out")
        return history

    monkeypatch.setattr(nn.Network, "fit", fit)
    line = one_error_line(capsys, *XOR, "--no-save", "--history", "out/h.json")
    assert "out/h.json" in line and "does not exist" in line
    assert no_temporary_files()


def test_a_picture_is_written_whole_or_not_at_all(capsys, monkeypatch):
    """Before: pictures were written in place (savefig, Pillow), so a full disk left a truncated
    curves.png where the last run's was, and the error named no option. Now they go through the
    same atomic write: the old picture stays and the line names --plot."""
    pytest.importorskip("matplotlib")
    assert cli.main([*XOR, "--no-save", "--plot", "pics"]) == 0
    capsys.readouterr()
    before = open("pics/curves.png", "rb").read()
    full_disk_on(monkeypatch, "curves.png")
    line = one_error_line(capsys, *XOR, "--no-save", "--plot", "pics", "--force")
    assert line.startswith(f"error: --plot {os.path.join('pics', 'curves.png')}: cannot write it (No space left")
    assert open("pics/curves.png", "rb").read() == before and no_temporary_files("pics")


def test_bench_results_are_written_whole_or_not_at_all(monkeypatch):
    """Before: write_json opened --json in place, so a full disk truncated the results of an earlier run."""
    from nnscratch.bench.report import write_json
    write_json({"rows": [1, 2]}, "bench.json")
    before = open("bench.json", "rb").read()
    full_disk_on(monkeypatch, "bench.json")
    with pytest.raises(OSError, match="No space left"):
        write_json({"rows": [3] * 1000}, "bench.json")
    assert open("bench.json", "rb").read() == before and no_temporary_files()
