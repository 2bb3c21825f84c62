"""The backend fixture: every usable backend, with ids and skip reasons.

``NNSCRATCH_TEST_BACKENDS=numpy,torch`` narrows the set.
"""

import os

import numpy as np
import pytest

import nnscratch
from nnscratch.errors import BackendUnavailableError

# (spec, id); array_api_strict's device1 refuses host conversion (our stand-in
# for a GPU) and no_float64 stands in for GPUs without float64.
BACKENDS = [
    ("numpy", "numpy"),
    ("array_api_strict", "array_api_strict"),
    ("array_api_strict:device1", "strict-device1"),
    ("torch:cpu", "torch"),
    ("cupy", "cupy"),
]
FLOAT64_FREE = ("array_api_strict:no_float64", "strict-no_float64")


def _selected(specs):
    wanted = os.environ.get("NNSCRATCH_TEST_BACKENDS")
    if not wanted:
        return specs
    names = {w.strip() for w in wanted.split(",")}
    return [(s, i) for s, i in specs if s.split(":")[0] in names or i in names or s in names]


def _load(spec):
    try:
        return nnscratch.get_backend(spec)
    except BackendUnavailableError as exc:
        pytest.skip(f"{spec}: {exc}")


@pytest.fixture(params=[s for s, _ in _selected(BACKENDS)], ids=[i for _, i in _selected(BACKENDS)])
def backend(request):
    """Every usable backend (float32 default), skipped with the reason otherwise."""
    return _load(request.param)


@pytest.fixture(params=[s for s, _ in _selected(BACKENDS + [FLOAT64_FREE])],
                ids=[i for _, i in _selected(BACKENDS + [FLOAT64_FREE])])
def any_backend(request):
    """As ``backend``, plus array-api-strict's no_float64 device."""
    return _load(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
