"""Time the gradient sum's waited all-reduce through nnscratch's MPIComm (the wait loop, its look for a failed rank).

    OPENBLAS_NUM_THREADS=1 mpiexec -n 2 python benchmarks/mpi_wait.py

(an argument sets N, for a quick check that it runs).
Each round: a barrier, then N waited all-reduces of one 0.94 MB float32 buffer (235,146 values: the
784-256-128-10 MLP's gradient) through ``MPIComm.sum_gradients`` (numpy backend: the host path every
step takes). Rank 0 prints the tree under test, then per round the mean time per all-reduce, and the
best and median round. Run it on a quiet machine; to compare two versions, alternate them (PYTHONPATH=tree).
"""

import statistics
import sys
import time

import numpy as np

import nnscratch
from nnscratch import distributed
from nnscratch.backend.core import get_backend

N, ROUNDS, WARMUP, VALUES = int(sys.argv[1]) if len(sys.argv) > 1 else 2000, 7, 200, 235_146


def main():
    comm = distributed.from_environment()
    if comm is None or comm.size != 2:
        sys.exit("run it under mpiexec -n 2")
    backend = get_backend("numpy")
    flat = np.ones(VALUES, dtype=np.float32)
    for _ in range(WARMUP):
        flat = comm.sum_gradients(flat * 0.5, backend)
    means = []
    for _ in range(ROUNDS):
        comm.barrier()
        start = time.perf_counter()
        for _ in range(N):
            flat = comm.sum_gradients(flat, backend, 0.5)  # 0.5 * (a + a) = a: the values stay put
        means.append((time.perf_counter() - start) / N)
    everyone = comm.allgather(means)
    if comm.rank == 0:
        print(f"nnscratch from {nnscratch.__file__}; {N} all-reduces of {flat.nbytes / 1e6:.2f} MB on 2 ranks")
        for r, (a, b) in enumerate(zip(*everyone)):
            print(f"round {r + 1}: {a * 1e3:.4f} ms (rank 0)  {b * 1e3:.4f} ms (rank 1)")
        print(f"best {min(everyone[0]) * 1e3:.4f} ms, median {statistics.median(everyone[0]) * 1e3:.4f} ms "
              "per all-reduce (rank 0)")


if __name__ == "__main__":
    main()
