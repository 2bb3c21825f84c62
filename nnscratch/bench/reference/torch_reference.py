"""The same training loop written the ordinary PyTorch way, as the second yardstick.

``nn.Sequential`` of ``nn.Linear``/``nn.ReLU``, ``nn.CrossEntropyLoss`` on
logits, ``torch.optim.SGD``, a fresh ``randperm`` each epoch and the batch
gathered by indexing: what a PyTorch user would write. No loss or accuracy
is read back per batch (that would synchronise a GPU).

``nnscratch bench --reference`` times it next to nnscratch, alternating
epochs. Run it alone with::

    python -m nnscratch.bench.reference.torch_reference --batch-size 128 --epochs 5 --threads 2
"""

import argparse
import time

import numpy as np
import torch
from torch import nn


class TorchReference:
    """One epoch at a time of plain SGD with ``torch.nn`` and ``torch.optim``."""

    name = "torch-reference"

    def __init__(self, X, y, sizes, batch_size, lr=0.01, seed=0, device="cpu"):
        torch.manual_seed(seed)
        self.device = torch.device(device)
        self.X = torch.as_tensor(np.asarray(X, dtype=np.float32), device=self.device)
        self.y = torch.as_tensor(np.asarray(y, dtype=np.int64), device=self.device)
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.model = nn.Sequential(*layers[:-1]).to(self.device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.loss = nn.CrossEntropyLoss()
        self.batch_size = batch_size

    def epoch(self):
        n = self.X.shape[0]
        order = torch.randperm(n, device=self.device)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            self.optimizer.zero_grad(set_to_none=True)
            self.loss(self.model(self.X[idx]), self.y[idx]).backward()
            self.optimizer.step()

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    X = rng.random((args.samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    ref = TorchReference(X, y, (784, 256, 128, 10), args.batch_size, device=args.device)
    for epoch in range(args.epochs):
        start = time.perf_counter()
        ref.epoch()
        ref.sync()
        print(f"epoch {epoch + 1}: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
