"""``nnscratch train --resume`` reads the checkpoint whole once, in ``fit``: the command line's checks before it
(the checkpoint's dtype, network, epochs, run options, the ``resuming from epoch N`` line) read its header alone.
Before, rank 0 read the whole file three times (the header's look, the resume line, ``fit``), its arrays too:
a large model's weights and optimizer moments, decompressed and dropped twice.
"""

import sys
from pathlib import Path

import pytest

from nnscratch import cli
from nnscratch.errors import ModelFileError
from nnscratch.saving import checkpoint, serialize

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import SCRIPTS, _finish, _python, needs_mpi  # noqa: E402

TRAIN = ["train", "--dataset", "xor", "--batch-size", "2", "--backend", "numpy", "--quiet", "--no-save"]


@pytest.fixture
def reads(monkeypatch):
    """The paths of every checkpoint read whole (its arrays too)."""
    seen, load = [], serialize.load_arrays

    def counted(path, kind=serialize.FORMAT):
        if kind == checkpoint.KIND:
            seen.append(str(path))
        return load(path, kind)

    monkeypatch.setattr(serialize, "load_arrays", counted)
    return seen


@pytest.mark.parametrize("how", [["--checkpoint", "{ck}", "--resume"], ["--resume", "{ck}"]], ids=["alone", "path"])
def test_train_resume_reads_the_checkpoint_whole_once(tmp_path, reads, capsys, how):
    ck = str(tmp_path / "run.ckpt")
    assert cli.main([*TRAIN, "--epochs", "2", "--checkpoint", ck]) == 0
    assert reads == []
    assert cli.main([*TRAIN[:-2], "--no-save", "--epochs", "4", *(arg.format(ck=ck) for arg in how)]) == 0
    assert "resuming from epoch 3 of 4" in capsys.readouterr().out
    assert reads == [ck]


def test_the_header_alone_is_what_load_reads_and_a_bad_file_is_loads_error(tmp_path):
    ck = tmp_path / "run.ckpt"
    assert cli.main([*TRAIN, "--epochs", "2", "--checkpoint", str(ck)]) == 0
    assert checkpoint.load_header(ck) == checkpoint.load(ck)[0]
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"PK\x03\x04 not a zip")
    for path in (bad, tmp_path / "none.ckpt"):
        with pytest.raises(Exception) as header_error:
            checkpoint.load_header(path)
        with pytest.raises(Exception) as load_error:
            checkpoint.load(path)
        assert type(header_error.value) is type(load_error.value) and str(header_error.value) == str(load_error.value)
    with pytest.raises(ModelFileError):
        checkpoint.load_header(bad)


@needs_mpi
def test_under_mpiexec_rank_0_reads_the_checkpoint_whole_once_and_rank_1_never(tmp_path):
    """On a cluster whose scratch space is each node's own (tests/mpi_scripts/node_local.py): rank 0 reads the whole
    file once, in fit, and every other rank receives it."""
    scratch = tmp_path / "scratch"
    train = [*TRAIN, "--checkpoint", "ck/run.ckpt"]
    _finish(_python(SCRIPTS / "node_local.py", scratch, "counting", *train, "--epochs", "2", n=2, cwd=tmp_path))
    assert [(scratch / f"reads{rank}").read_text() for rank in (0, 1)] == ["0", "0"]
    (scratch / "rank1").rmdir()  # empty: rank 1 wrote nothing on its node
    _finish(_python(SCRIPTS / "node_local.py", scratch, "counting", *train, "--epochs", "4", "--resume", n=2,
                    cwd=tmp_path))
    assert [(scratch / f"reads{rank}").read_text() for rank in (0, 1)] == ["1", "0"]
