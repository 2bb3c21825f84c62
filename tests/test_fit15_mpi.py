"""Under ``mpiexec``, the epoch line (``fit(verbose=True)``'s, ``nnscratch train``'s) comes once per epoch,
from rank 0, after the callbacks: with the figure a callback adds to logs. Two validation rows shared by two
ranks (one each) have an R^2: the rows counted are the job's, not a rank's."""

import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_mpi import _finish, _python, needs_mpi  # noqa: E402

SCRIPT = textwrap.dedent("""
    import numpy as np
    import nnscratch as nn
    from nnscratch import distributed

    class Rate(nn.Callback):
        def on_epoch_end(self, epoch, logs, network):
            logs["lr"] = network.optimizer.current_lr

    comm = distributed.from_environment()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    net = nn.Network.from_sizes(3, 8, 1, output="identity", seed=0)
    history = net.fit(X, y, epochs=3, batch_size=16, loss="mse", optimizer=nn.SGD(lr=0.02), comm=comm,
                      callbacks=[Rate()], validation_data=(X[:2], y[:2]), verbose=True)
    with open(f"rank{comm.rank}.txt", "w") as f:  # not printed: two ranks' lines may interleave
        f.write(f"rank {comm.rank} epochs {len(history.epoch)}")
""")


@needs_mpi
def test_the_epoch_line_under_mpiexec_is_rank_0s_after_the_callbacks(tmp_path):
    (tmp_path / "fit.py").write_text(SCRIPT)
    out, err = _finish(_python("-W", "ignore", "fit.py", n=2, cwd=tmp_path))
    lines = out.splitlines()
    epochs = [line for line in lines if line.startswith("epoch")]
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"], out
    assert all("lr 0.0200" in line and "val_r2 " in line and "nan" not in line for line in epochs), out
    assert [(tmp_path / f"rank{r}.txt").read_text() for r in range(2)] == ["rank 0 epochs 3", "rank 1 epochs 3"]
