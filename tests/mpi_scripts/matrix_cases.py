"""Every layer type in small float64 networks, trained by one process or by N ranks
(run by tests/test_mpi_matrix.py; one launch runs every case):

    python matrix_cases.py OUT.npz TMPDIR [CASE ...]               # one process: the reference
    mpiexec -n 3 python matrix_cases.py OUT.npz TMPDIR [CASE ...]  # data-parallel: must give the same

Rank 0 writes ``OUT.npz``: per case the final weights and buffers (BatchNorm's running
statistics) as one vector, the loss history, and ``same/<case>``: 1 when every rank
ended with bit-identical weights and buffers. The ``resume`` case is interrupted
after two epochs under MPI and resumed from its checkpoint (in TMPDIR); one process
trains it straight through.
"""

import os
import sys

import numpy as np

import nnscratch as nn
from nnscratch import distributed
from nnscratch.optim.schedules import Cosine
from nnscratch.layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, Identity, LeakyReLU,
                              MaxPool2D, ReLU, Reshape, Sigmoid, Softmax, Tanh)

ROWS = 42  # batches of 8: shards of 4+4 (2 ranks) or 3+3+2 (3 ranks); the last batch of 2 rows leaves a rank idle (3 ranks)


def flat(seed=0, n=ROWS, outputs=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 6))
    return X, np.argmax(X @ rng.standard_normal((6, outputs)), axis=1)


def held_out(seed=1, n=12):
    """Validation rows for :func:`flat`'s training rows, labelled by their rule (``flat(seed=1)`` draws
    another rule, which training moves away from: the best validation loss was the first epoch's)."""
    rule = np.random.default_rng(0)
    rule.standard_normal((ROWS, 6))  # flat()'s rows, then its rule
    X = np.random.default_rng(seed).standard_normal((n, 6))
    return X, np.argmax(X @ rule.standard_normal((6, 3)), axis=1)


def images(seed=0, n=ROWS, size=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 1, size, size))
    return X, (X[:, 0, :3].sum(axis=(1, 2)) > 0).astype(int) + (X[:, 0, :, :3].sum(axis=(1, 2)) > 0)


def colour(seed=0, n=ROWS):
    """Non-square colour images ``(n, 3, 5, 7)``, labelled by the brightness of two channels."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3, 5, 7))
    return X, (X[:, 0].sum(axis=(1, 2)) > 0).astype(int) + (X[:, 2, :, :3].sum(axis=(1, 2)) > 0)


def mnist(rows=2000):
    """The README's data-parallel example, on its first ``rows`` training images."""
    from nnscratch.datasets import load_mnist_sample
    data = load_mnist_sample()
    return data.X_train[:rows].astype(np.float64), data.y_train[:rows]


def cnn():
    return [Conv2D(1, 3, 3, padding=1), BatchNorm(3), ReLU(), MaxPool2D(2), Dropout(0.2), Flatten(),
            Dense(27, 3), Softmax()]


CASES = {
    "activations": dict(layers=lambda: [Dense(6, 8), ReLU(), Dense(8, 8), LeakyReLU(0.1), Dense(8, 8), Tanh(),
                                        Dense(8, 8), Sigmoid(), Dense(8, 8), Identity(), Dense(8, 3), Softmax()],
                        optimizer=lambda: nn.Adam(lr=0.01)),
    "binary": dict(layers=lambda: [Dense(6, 5), Tanh(), Dense(5, 1), Sigmoid()],
                   data=lambda: (flat()[0], flat()[1] == 1), optimizer=lambda: nn.SGD(lr=0.3)),
    # Sigmoid units with binary cross-entropy on 0/1 indicator rows (no, one or several 1s): the multilabel task.
    "multilabel": dict(layers=lambda: [Dense(6, 8), ReLU(), Dropout(0.3), Dense(8, 3), Sigmoid()],
                       data=lambda seed=0, n=ROWS: (flat(seed, n)[0], (flat(seed, n)[0][:, :3] > 0).astype(int)),
                       loss="bce", optimizer=lambda: nn.Adam(lr=0.01), validation=True, task="multilabel"),
    "regression": dict(layers=lambda: [Dense(6, 5), ReLU(), Dropout(0.25), Dense(5, 2), Identity()],
                       data=lambda: (flat()[0], flat()[0][:, :2] * 2 - 1), loss="mse",
                       optimizer=lambda: nn.RMSProp(lr=0.01)),
    "batchnorm_dense": dict(layers=lambda: [Dense(6, 8), BatchNorm(8, momentum=0.3), ReLU(), Dense(8, 3),
                                            Softmax()],
                            optimizer=lambda: nn.SGD(lr=0.1, momentum=0.9), validation=held_out, restore_best=True),
    "dropout_dense": dict(layers=lambda: [Dense(6, 8), ReLU(), Dropout(0.3), Dense(8, 8), Tanh(), Dropout(0.5),
                                          Dense(8, 3), Softmax()], optimizer=lambda: nn.Adam(lr=0.01)),
    "cnn_max": dict(layers=cnn, data=images, optimizer=lambda: nn.Adam(lr=0.01)),
    "cnn_max_streamed": dict(layers=cnn, data=images, optimizer=lambda: nn.Adam(lr=0.01), stream=True,
                             validation=True),
    "cnn_avg": dict(layers=lambda: [Conv2D(1, 2, 3, stride=1), Tanh(), AvgPool2D(2), Flatten(), Dense(8, 3),
                                    Softmax()], data=images, optimizer=lambda: nn.SGD(lr=0.2, momentum=0.5)),
    # A 3x2 kernel at stride 2 with padding, an even kernel with 'same' padding, overlapping max-pooling
    # on odd sizes, a non-square average pool whose stride is not its window; a warm-up cosine
    # schedule, clipping (of the summed gradient) and a plateau callback, interrupted and resumed.
    "cnn_strided": dict(layers=lambda: [Conv2D(1, 2, (3, 2), stride=2, padding=1), LeakyReLU(0.1),
                                        Conv2D(2, 3, (2, 3), padding="same"), Tanh(), BatchNorm(3),
                                        MaxPool2D(3, stride=2), AvgPool2D((2, 1), stride=(1, 2)), Flatten(),
                                        Dropout(0.2), Dense(3, 3), Softmax()],
                        data=lambda seed=0, n=ROWS: images(seed, n, size=9), validation=True, epochs=4, resume=True,
                        optimizer=lambda: nn.get_optimizer("momentum", lr=Cosine(0.2, total=12, warmup=3), clip_norm=0.5),
                        callbacks=lambda: [nn.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)]),
    # Colour, non-square images: a 1x1 convolution, a strided one straight into the dense layer (no pooling).
    "cnn_colour": dict(layers=lambda: [Conv2D(3, 4, 1), ReLU(), Conv2D(4, 2, (2, 3), stride=2), BatchNorm(2), Tanh(),
                                       Flatten(), Dense(2 * 2 * 3, 3), Softmax()],
                       data=colour, optimizer=lambda: nn.SGD(lr=0.2, momentum=0.5)),
    "reshape": dict(layers=lambda: [Dense(6, 16), ReLU(), Reshape((1, 4, 4)), Conv2D(1, 2, 3, padding=1),
                                    BatchNorm(2), Sigmoid(), MaxPool2D(2, stride=1), Flatten(), Dropout(0.1),
                                    Dense(18, 3), Softmax()], optimizer=lambda: nn.Adam(lr=0.01)),
    "full_batch": dict(layers=lambda: [Dense(6, 8), BatchNorm(8), Tanh(), Dropout(0.3), Dense(8, 3), Softmax()],
                       optimizer=lambda: nn.SGD(lr=0.5), batch_size=None),
    # The README's example (784-256-128-10, default Adam, batch 128, 10 epochs): float32 runs drift
    # apart (rounding amplified by training); in float64 N ranks agree with one process to ~1e-14.
    "readme": dict(network=lambda: nn.Network.from_sizes(784, 256, 128, 10, seed=0, backend="numpy",
                                                         dtype="float64"),
                   data=mnist, optimizer=lambda: None, epochs=10, batch_size=128, ranks=(2,)),
    "resume": dict(layers=cnn, data=images, optimizer=lambda: nn.Adam(lr=0.01), epochs=4, resume=True),
    # fit(sample_weight=, class_weight=): each rank weighs its shard's rows, and the batch's loss is the weighted
    # sum over the global batch's rows (Keras' sum_over_batch_size); validation rows weighted too (a 3-tuple),
    # the rows and their weights streamed to the device batch by batch.
    "mlp_sample_weight": dict(layers=lambda: [Dense(6, 8), Tanh(), Dense(8, 8), ReLU(), Dense(8, 3), Softmax()],
                              optimizer=lambda: nn.SGD(lr=0.1, momentum=0.9), validation=held_out,
                              restore_best=True, sample_weight=lambda n: np.random.default_rng(7).uniform(0.1, 3.0, n),
                              stream=True, epochs=4, resume=True),
    "cnn_class_weight": dict(layers=cnn, data=images, optimizer=lambda: nn.Adam(lr=0.01), validation=True,
                             class_weight={0: 0.5, 1: 2.0, 2: 1.25}, epochs=4, resume=True),
}


class Interrupt(nn.Callback):
    """Stop the run at the start of epoch ``at`` (as a kill would), after the checkpoint of the one before."""

    def __init__(self, at):
        self.at = at

    def on_epoch_begin(self, epoch, network):
        if epoch == self.at:
            raise KeyboardInterrupt


def build(case):
    if "network" in case:
        return case["network"]()
    return nn.Network(case["layers"](), seed=3, backend="numpy", dtype="float64")


def run_case(name, comm, tmp):
    case = CASES[name]
    X, y = case.get("data", flat)()
    val, weigh = None, case.get("sample_weight")
    if case.get("validation"):  # True: the case's data of another seed; or a function drawing them
        draw = case["validation"] if callable(case["validation"]) else case.get("data", flat)
        X_val, y_val = draw(seed=1, n=12)
        val = (X_val, y_val) if weigh is None else (X_val, y_val, weigh(len(X_val))[::-1].copy())
    options = dict(epochs=case.get("epochs", 3), batch_size=case.get("batch_size", 8), loss=case.get("loss"),
                   validation_data=val, restore_best=case.get("restore_best", False), stream=case.get("stream"),
                   comm=comm, callbacks=case.get("callbacks", list)(), class_weight=case.get("class_weight"),
                   sample_weight=None if weigh is None else weigh(len(X)))
    net = build(case)
    if case.get("resume") and comm is not None:
        ckpt = os.path.join(tmp, f"{name}-{comm.size}.ckpt")
        try:
            net.fit(X, y, optimizer=case["optimizer"](), checkpoint=ckpt,
                    **dict(options, callbacks=options["callbacks"] + [Interrupt(2)]))
        except KeyboardInterrupt:
            pass
        net = build(case)  # a fresh process would start from scratch, then resume
        history = net.fit(X, y, checkpoint=ckpt, resume=ckpt, **options)
    else:
        history = net.fit(X, y, optimizer=case["optimizer"](), **options)
    return net, history


def _zero_gradient_entries(net):
    """True for the entries of ``state`` whose true gradient is zero: the bias of a layer
    followed by a BatchNorm (normalising removes it), and that BatchNorm's running mean (which
    carries it). Their gradient is rounding noise (~1e-17), which Adam and RMSProp divide by
    ``eps`` (1e-8): they move by ~lr * 1e-9 a step, differently in one process and in N ranks."""
    fed = {layer.bias.name for layer, after in zip(net.layers, net.layers[1:])
           if isinstance(after, BatchNorm) and getattr(layer, "bias", None) is not None}
    fed |= {f"{i}.running_mean" for i, layer in enumerate(net.layers) if isinstance(layer, BatchNorm)}
    names = [p.name for p in net.parameters()] + list(net.get_buffers())
    sizes = [w.size for w in net.get_weights()] + [b.size for b in net.get_buffers().values()]
    return np.concatenate([np.full(size, name in fed) for name, size in zip(names, sizes)])


def main(out, tmp, names=()):
    comm = distributed.from_environment()
    results = {}
    for name in names or CASES:
        try:
            net, history = run_case(name, comm, tmp)
        except nn.errors.DivergenceError as exc:  # raised by every rank together: report it, go on
            results[f"error/{name}"] = np.asarray(str(exc))
            continue
        state = np.concatenate([w.reshape(-1) for w in net.get_weights()]
                               + [b.reshape(-1) for b in net.get_buffers().values()])
        everyone = [state] if comm is None else comm.allgather(state)
        results[f"w/{name}"] = state
        results[f"loss/{name}"] = np.asarray(history.history["loss"])
        results.update({f"history/{name}/{key}": np.asarray(values) for key, values in history.history.items()
                        if key != "seconds"})
        results[f"task/{name}"] = np.asarray(net.task)
        results[f"same/{name}"] = np.asarray(all(np.array_equal(s, state) for s in everyone))
        results[f"noise/{name}"] = _zero_gradient_entries(net)
    if comm is None or comm.rank == 0:
        np.savez(out, **results)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
