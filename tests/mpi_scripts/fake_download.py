"""``nnscratch train`` with the MNIST download replaced by a fake one that writes small IDX files
into the cache and records which rank called it (tests/test_mpi.py; no network needed):

    mpiexec -n 2 python fake_download.py CALLS.txt ok|fail train --dataset mnist ...

``ok`` downloads after half a second (long enough for a rank that does not wait to start its
own); ``fail`` fails as an offline download does.
"""

import os
import pathlib
import sys
import time

import numpy as np

from nnscratch import cli
from nnscratch.datasets import download, fetch
from nnscratch.datasets.idx import write_idx

CALLS, MODE = pathlib.Path(sys.argv[1]), sys.argv[2]


def fake_fetch_all(name, source, target, base_url=None):
    rank = os.environ.get("PMI_RANK") or os.environ.get("OMPI_COMM_WORLD_RANK") or "0"
    with open(CALLS, "a") as log:
        log.write(f"{rank}\n")
    time.sleep(0.5)
    if MODE == "fail":
        return None, "the download failed (ossci-datasets.s3.amazonaws.com: no connection (offline?))"
    rng, target, paths = np.random.default_rng(0), pathlib.Path(target), []
    target.mkdir(parents=True, exist_ok=True)
    arrays = [rng.integers(0, 256, (120, 28, 28), dtype=np.uint8), np.arange(120, dtype=np.uint8) % 10,
              rng.integers(0, 256, (100, 28, 28), dtype=np.uint8), np.arange(100, dtype=np.uint8) % 10]
    for filename, array in zip(source.filenames, arrays):
        partial = target / f"partial-{filename}"  # written whole, then renamed, as pooch does
        write_idx(partial, array)
        os.replace(partial, target / filename)
        paths.append(target / filename)
    return paths, None


download.fetch_all = fake_fetch_all
fetch.SYSTEM_DIR = CALLS.parent / "no-system-datasets"  # not this machine's /usr/share/datasets
sys.exit(cli.main(sys.argv[3:]))
