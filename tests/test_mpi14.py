"""What every rank of a data-parallel fit must agree on (nnscratch/distributed/agree.py): ranks on
different backends, dtypes, networks or optimizers are refused at the start of fit, on every rank, in one
line that names what differs and between which ranks."""

import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from nnscratch.distributed.agree import backend_kind, differs

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import MPIEXEC, _finish, _launch, _python, needs_mpi  # noqa: E402

TRAIN = [sys.executable, "-m", "nnscratch", "train", "--dataset", "blobs", "--epochs", "2", "--no-save", "--quiet"]

# Each rank builds its network from its own options (argv[1:] of rank 1 differ); every rank prints
# what fit raised, or "trained".
PER_RANK = """
import sys
import numpy as np
import nnscratch as nn
from nnscratch import distributed

comm = distributed.from_environment()
backend, dtype, hidden, lr = "numpy", "float32", "ReLU", 0.01
if comm.rank == 1:
    backend, dtype, hidden, lr = sys.argv[1:]
    lr = float(lr)
rng = np.random.default_rng(0)
X, y = rng.standard_normal((40, 6)), rng.integers(0, 3, 40)
net = nn.Network([nn.Dense(6, 8), getattr(nn, hidden)(), nn.Dropout(0.2), nn.Dense(8, 3), nn.Softmax()],
                 seed=0, backend=backend, dtype=dtype)
try:
    net.fit(X, y, epochs=2, batch_size=8, optimizer=nn.Adam(lr=lr), comm=comm)
    said = "trained"
except nn.errors.ConfigError as exc:
    said = str(exc)
sys.stdout.write(f"rank {comm.rank}: {said}\\n")  # one write: the ranks' lines never interleave
sys.stdout.flush()
"""


@needs_mpi
@pytest.mark.parametrize("rank1, said", [
    (["torch:cpu", "float32", "ReLU", "0.01"], "the same backend on every rank; rank 0 has 'numpy' but rank 1 has "
                                               "'torch:cpu'. Select the same backend on every rank"),
    (["numpy", "float64", "ReLU", "0.01"], "the same dtype on every rank; rank 0 has 'float32' but rank 1 has "
                                           "'float64'. Use the same dtype on every rank"),
    (["numpy", "float32", "Tanh", "0.01"], "the same network on every rank; type of layer 1 differs: rank 0 has "
                                           "'ReLU' but rank 1 has 'Tanh'."),
    (["numpy", "float32", "ReLU", "0.02"], "the same optimizer on every rank; lr differs: rank 0 has 0.01 but "
                                           "rank 1 has 0.02."),
])
def test_ranks_that_differ_are_refused_on_every_rank_naming_what_differs(tmp_path, rank1, said):
    pytest.importorskip("torch")
    script = tmp_path / "per_rank.py"
    script.write_text(textwrap.dedent(PER_RANK))
    out, _ = _finish(_python(script, *rank1, n=2, cwd=tmp_path))
    lines = sorted(out.splitlines())
    assert len(lines) == 2 and all(said in line for line in lines), out
    assert [line.split(":")[0] for line in lines] == ["rank 0", "rank 1"]


@needs_mpi
def test_nnscratch_backend_set_per_rank_is_refused_in_one_line(tmp_path):
    """``NNSCRATCH_BACKEND`` set differently per rank (``-env``): numpy and torch:cpu round apart; before,
    the job trained on, each rank with its own kernels."""
    pytest.importorskip("torch")
    job = _launch([MPIEXEC, "-n", "1", "-env", "NNSCRATCH_BACKEND", "numpy", *TRAIN, ":",
                   "-n", "1", "-env", "NNSCRATCH_BACKEND", "torch:cpu", *TRAIN], cwd=tmp_path)
    _, err = _finish(job, status=2)
    assert err.count("error:") == 1, err  # said once, by rank 0
    assert ("error: Data-parallel training needs the same backend on every rank; rank 0 has 'numpy' but rank 1 "
            "has 'torch:cpu'. Select the same backend on every rank (--backend or $NNSCRATCH_BACKEND") in err


def test_the_backend_compared_is_the_library_and_kind_of_device_not_the_gpu_index():
    kinds = [backend_kind(SimpleNamespace(name=name, device_name=device)) for name, device in [
        ("numpy", None), ("torch", "cpu"), ("torch", "cuda:0"), ("torch", "cuda:3"), ("cupy", "0"), ("cupy", "1"),
        ("array_api_strict", "device1")]]
    assert kinds == ["numpy", "torch:cpu", "torch:cuda", "torch:cuda", "cupy", "cupy", "array_api_strict:device1"]


def test_the_refusal_names_the_first_entry_that_differs():
    layers = [{"type": "Dense", "n_in": 6, "n_out": 8}, {"type": "ReLU"}]
    wider = [{"type": "Dense", "n_in": 6, "n_out": 16}, {"type": "ReLU"}]
    assert "network on every rank; n_out of layer 0 differs: rank 0 has 8 but rank 2 has 16." in \
        differs("network", layers, wider, 2)
    assert "network on every rank; layer 1 differs: rank 0 has {'type': 'ReLU'} but rank 1 has nothing." in \
        differs("network", layers, layers[:1], 1)
    dropout = layers[:1] + [{"type": "Dropout", "rate": 0.2}] + layers[1:]  # put in: the first entry that differs
    assert "layer 1 differs: rank 0 has {'type': 'ReLU'} but rank 1 has {'type': 'Dropout', 'rate': 0.2}." in \
        differs("network", layers, dropout, 1)
    assert "rank 0 has [1, 2] but rank 1 has (1, 2)." in differs("x", [1, 2], (1, 2), 1)
    data = [{"shape": (9, 2), "checksum": 1}, {"shape": (9,), "checksum": 5}]
    assert "validation on every rank; checksum of targets differs: rank 0 has 5 but rank 1 has 7." in \
        differs("validation", data, [data[0], {"shape": (9,), "checksum": 7}], 1)
    assert "batch_size on every rank; rank 0 has 32 but rank 1 has 64. Launch every rank with the same" in \
        differs("batch_size", 32, 64, 1)
