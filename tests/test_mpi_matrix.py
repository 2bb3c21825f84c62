"""The MPI part of the combination matrix: every layer type and task (multilabel too), trained by 2 and 3
ranks, gives the model one process trains (float64, to 1e-12, relative to large values: weights, running statistics,
losses, accuracies), with identical
weights and running statistics on every rank; and a run interrupted and resumed under MPI ends as one process
trained straight through. Rows weighted by ``sample_weight`` (an MLP, streamed) and by ``class_weight`` (a CNN
with BatchNorm and Dropout) too.

One ``mpiexec`` launch runs every case (tests/mpi_scripts/matrix_cases.py); the
one-process reference runs in this process meanwhile. The helpers below the MPI test
check the pieces of a data-parallel step without MPI.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.distributed.sync import ShardContext
from nnscratch.layers import LAYERS, Dropout
from nnscratch.layers.dropout import keep_mask

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import SCRIPTS, _finish, _python, needs_mpi  # noqa: E402

sys.path.insert(0, str(SCRIPTS))
import matrix_cases  # noqa: E402


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """``(one process, {n: n ranks})`` results of every case, from one launch per n."""
    tmp = tmp_path_factory.mktemp("matrix")
    jobs = {n: _python(SCRIPTS / "matrix_cases.py", tmp / f"n{n}.npz", tmp, *_cases(n), n=n) for n in (2, 3)}
    matrix_cases.main(tmp / "one.npz", tmp)
    for job in jobs.values():
        _finish(job)
    return np.load(tmp / "one.npz"), {n: np.load(tmp / f"n{n}.npz") for n in jobs}


def _cases(n):
    return [name for name, case in matrix_cases.CASES.items() if n in case.get("ranks", (2, 3))]


@needs_mpi
@pytest.mark.parametrize("n, case", [(n, case) for n in (2, 3) for case in _cases(n)])
def test_n_ranks_train_the_one_process_model_with_every_layer(matrix, n, case):
    one, many = matrix[0], matrix[1][n]
    for where, results in (("one process", one), (f"{n} ranks", many)):
        assert f"error/{case}" not in results, f"{case} on {where}: {results[f'error/{case}']}"
    assert bool(many[f"same/{case}"]), f"{case}: the ranks ended with different weights or running statistics"
    logged = sorted(key for key in one.files if key.startswith(f"history/{case}/"))
    assert logged == sorted(key for key in many.files if key.startswith(f"history/{case}/")) and logged, case
    np.testing.assert_allclose(many[f"loss/{case}"], one[f"loss/{case}"], rtol=1e-12, atol=1e-14)
    for key in logged:  # the accuracy (subset accuracy for multilabel), the validation loss and accuracy:
        # evaluation reads BatchNorm's running mean, which carries the noise entries below (to 1e-8)
        np.testing.assert_allclose(many[key], one[key], rtol=1e-9, atol=1e-12, err_msg=key)
    task = str(one[f"task/{case}"])
    assert str(many[f"task/{case}"]) == task and matrix_cases.CASES[case].get("task", task) == task, case
    diff, noise = np.abs(many[f"w/{case}"] - one[f"w/{case}"]), one[f"noise/{case}"]
    # to 1e-12, relative where values are large: float64 rounding grows with training, and with the value (a running
    # variance near 300 differs by ~5e-12 on 2 ranks)
    np.testing.assert_allclose(many[f"w/{case}"][~noise], one[f"w/{case}"][~noise], rtol=1e-12, atol=1e-12,
                               err_msg=case)
    # Entries whose true gradient is zero (a bias just before a BatchNorm): rounding noise that
    # Adam divides by eps; see matrix_cases._zero_gradient_entries.
    assert np.max(diff[noise], initial=0.0) < 1e-8, case
    assert np.max(np.abs(one[f"w/{case}"])) > 0.1  # trained weights, not a degenerate zero


@pytest.mark.parametrize("case", ["mlp_sample_weight", "cnn_class_weight"])
def test_the_weighted_cases_train_another_model_than_without_their_weights(case, monkeypatch, tmp_path):
    """The matrix's weighted cases reach ``fit`` with their weights: without them, one process trains another model."""
    plain = {key: value for key, value in matrix_cases.CASES[case].items() if key not in ("sample_weight",
                                                                                         "class_weight")}
    monkeypatch.setitem(matrix_cases.CASES, "unweighted", plain)
    weighted, unweighted = (matrix_cases.run_case(name, None, tmp_path)[1].history for name in (case, "unweighted"))
    assert sorted(weighted) == sorted(unweighted)
    for key in ("loss", "val_loss"):
        assert np.min(np.abs(np.subtract(weighted[key], unweighted[key]))) > 1e-6, key


@pytest.mark.parametrize("case", [name for name, case in matrix_cases.CASES.items() if case.get("restore_best")])
def test_restore_best_cases_restore_a_middle_epoch(case, tmp_path):
    """A case with ``restore_best`` validates on rows of its training rule (``held_out``), so its best epoch is
    neither the first (validation rows of another rule: the first epoch was always the best, and restore_best
    put back the first epoch's weights) nor the last (restoring it would change nothing)."""
    val_loss = matrix_cases.run_case(case, None, tmp_path)[1].history["val_loss"]
    assert 0 < int(np.argmin(val_loss)) < len(val_loss) - 1, (case, val_loss)


@needs_mpi
def test_the_matrix_covers_every_layer_type(matrix):
    used = set()
    for case in matrix_cases.CASES:
        used |= {type(layer).__name__ for layer in matrix_cases.build(matrix_cases.CASES[case]).layers}
    assert used == set(LAYERS), f"no MPI case for {sorted(set(LAYERS) - used)}"


class GatherComm:
    """``allgather`` returning prepared per-rank values, with this rank's own in place ``rank``."""

    def __init__(self, others, rank=0):
        self.others, self.rank = others, rank

    def allgather(self, obj):
        return self.others[:self.rank] + [obj] + self.others[self.rank:]


class FakeParallel:
    def __init__(self, comm):
        self.comm = comm
        self.backend = nn.get_backend("numpy", dtype="float64")
        self.net = type("Net", (), {"xp": self.backend.xp})()


def test_synchronised_moments_are_those_of_the_global_batch():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(11, 4))
    parts = [x[:5], x[5:], x[11:]]  # the last rank has no rows
    stats = [(len(p), p.mean(axis=0) if len(p) else np.zeros(4), ((p - p.mean(axis=0)) ** 2).sum(axis=0)
              if len(p) else np.zeros(4)) for p in parts]
    others = [(c, np.concatenate([m, s])) for c, m, s in stats[1:]]
    context = ShardContext(FakeParallel(GatherComm(others)))
    mean, var, count = context.moments(*stats[0])
    assert count == 11
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(var, x.var(axis=0), rtol=1e-14)


def test_weighted_sum_counts_each_rank_by_its_share_of_the_batch():
    context = ShardContext(FakeParallel(GatherComm([np.array([10.0, 20.0]) * 0.25])))
    context.weight = 0.75
    np.testing.assert_allclose(context.weighted_sum(np.array([4.0, 8.0])), [5.5, 11.0])


def test_dropout_mask_of_a_shard_is_that_rows_mask_in_the_whole_batch():
    xp = nn.get_backend("numpy").xp
    whole = keep_mask(xp, (7, 3, 2, 2), [12345, 678], 0.4)
    for a, b in [(0, 3), (3, 5), (5, 7), (7, 7)]:
        np.testing.assert_array_equal(keep_mask(xp, (b - a, 3, 2, 2), [12345, 678], 0.4, first_row=a), whole[a:b])


def test_a_shard_context_is_a_true_training_flag():
    """A layer that needs nothing of the context trains as with ``training=True``."""
    context = ShardContext(FakeParallel(GatherComm([])))
    x = np.random.default_rng(1).normal(size=(6, 4))
    for make in (lambda: Dropout(0.5), lambda: nn.Dense(4, 3), nn.ReLU, nn.Sigmoid):
        a, b = (nn.Network([nn.Dense(4, 4), make()], seed=0, backend="numpy", dtype="float64").layers[1]
                for _ in range(2))
        np.testing.assert_array_equal(a.forward(x, training=True), b.forward(x, training=context))


def test_synchronised_layers_run_on_every_backend(backend):
    """The collectives of BatchNorm and Dropout on each backend (host copies in, device arrays
    out, on array-api-strict's device1 too), with a stand-in rank 0 whose twin holds the same shard."""
    from test_mpi import TwinComm

    X, y = matrix_cases.images(n=20)
    results = []
    for where in ("numpy", backend):
        net = nn.Network(matrix_cases.cnn(), seed=3, backend=where, dtype="float64")
        net.fit(X, y, epochs=2, batch_size=8, optimizer=nn.SGD(lr=0.1, momentum=0.9), comm=TwinComm())
        results.append(np.concatenate([w.reshape(-1) for w in net.get_weights()]
                                      + [b.reshape(-1) for b in net.get_buffers().values()]))
    np.testing.assert_allclose(results[1], results[0], rtol=0, atol=1e-12)
    assert np.max(np.abs(results[0])) > 0.1
