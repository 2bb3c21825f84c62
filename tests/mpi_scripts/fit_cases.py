"""Train a set of small cases and save what they end with (run by tests/test_mpi.py).

    python fit_cases.py OUT.npz [CASE ...]               # one process: the reference
    mpiexec -n 3 python fit_cases.py OUT.npz [CASE ...]  # data-parallel: must give the same

Rank 0 writes ``OUT.npz``: per case the final weights, the loss history and the
number of epochs run; and ``same/<case>``, 1 when every rank ended with
bit-identical weights.
"""

import sys

import numpy as np

import nnscratch as nn
from nnscratch import distributed
from nnscratch.training.callbacks import EarlyStopping, ReduceLROnPlateau


def data(seed=0, n=301, features=5, classes=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features)).astype(np.float32)
    y = np.argmax(X @ rng.standard_normal((features, classes)), axis=1)
    return X, y


def jitter(X, y, rng):
    """An augmentation drawing from the network's RNG: the rows plus one noisy copy."""
    noisy = X + 0.1 * rng.standard_normal(X.shape).astype(np.float32)
    return np.concatenate([X, noisy]), np.concatenate([y, y])


CASES = {
    "sgd": dict(optimizer=lambda: nn.SGD(lr=0.1), batch_size=16),
    "sgd_uneven": dict(optimizer=lambda: nn.SGD(lr=0.1), batch_size=10),  # last batch: 1 row
    "momentum": dict(optimizer=lambda: nn.SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3), batch_size=16),
    "adam_val": dict(optimizer=lambda: nn.Adam(lr=0.01), batch_size=16, validation=True, restore_best=True),
    "rmsprop": dict(optimizer=lambda: nn.RMSProp(lr=0.005, decay=1e-3), batch_size=32),
    "augment": dict(optimizer=lambda: nn.Adam(lr=0.01), batch_size=16, augment=jitter),
    "streamed": dict(optimizer=lambda: nn.Adam(lr=0.01), batch_size=16, stream=True, validation=True),
    "full_batch_mse": dict(optimizer=lambda: nn.SGD(lr=0.5), batch_size=None, loss="mse", shuffle=False),
    "diverge": dict(optimizer=lambda: nn.SGD(lr=1e30), batch_size=16),  # DivergenceError, last finite weights
    "early_stop": dict(optimizer=lambda: nn.SGD(lr=2.0), batch_size=16, validation=True, early=True, epochs=30),
    "one_rank_stops": dict(optimizer=lambda: nn.Adam(lr=0.01), batch_size=16, stop_on_last_rank=True),
    # a second fit continues with the rate ReduceLROnPlateau lowered in the first (on every rank)
    "plateau_refit": dict(optimizer=lambda: nn.SGD(lr=0.5), batch_size=16, epochs=3, plateau=True, refit=2),
}


class StopOnLastRank(nn.Callback):
    """Stops training after the second epoch on the last rank alone (as a per-process time budget may)."""

    def __init__(self, comm):
        self.last = comm is None or comm.rank == comm.size - 1

    def on_epoch_end(self, epoch, logs, network):
        if self.last and epoch == 1:
            network.stop_training = True


def run_case(options, comm):
    options = dict(options, optimizer=options["optimizer"]())  # a fresh optimizer every run
    X, y = data()
    val = data(seed=1, n=50) if options.pop("validation", False) else None
    callbacks = [EarlyStopping(patience=1)] if options.pop("early", False) else []
    callbacks += [StopOnLastRank(comm)] if options.pop("stop_on_last_rank", False) else []
    callbacks += [ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_delta=10.0)] \
        if options.pop("plateau", False) else []
    refit = options.pop("refit", 0)
    net = nn.Network.from_sizes(5, 16, 3, seed=0)
    try:
        history = net.fit(X, y, epochs=options.pop("epochs", 6), validation_data=val, callbacks=callbacks,
                          comm=comm, **options)
    except nn.errors.DivergenceError as exc:  # raised on every rank in the same epoch
        history = exc.history
    if refit:
        history = net.fit(X, y, epochs=refit, batch_size=options["batch_size"], comm=comm)
    return net, history


def main(out, names=()):
    comm = distributed.from_environment()
    results = {}
    for name in names or CASES:
        net, history = run_case(CASES[name], comm)
        weights = np.concatenate([w.reshape(-1) for w in net.get_weights()])
        everyone = [weights] if comm is None else comm.allgather(weights)
        results[f"w/{name}"] = weights
        results[f"loss/{name}"] = np.asarray(history.history["loss"])
        results[f"same/{name}"] = np.asarray(all(np.array_equal(w, weights) for w in everyone))
    if comm is None or comm.rank == 0:
        np.savez(out, **results)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
