"""The backend fixture, a fresh working folder per test, and one line per group of skipped tests.

- ``backend``: every usable backend, with ids and skip reasons;
  ``NNSCRATCH_TEST_BACKENDS=numpy,torch`` narrows the set.
- Every test runs in a new empty temporary folder (its current directory), so a
  ``model.npz`` or ``nnscratch-pictures/`` left where ``pytest`` was started is
  neither read nor written; at the end the folder pytest started in and the
  repository are checked to be as they were.
- Skips are summed up by reason, once per group ("skipped 97 tests: cupy is not
  installed (test_backend.py, ...)"), instead of one line per test.
"""

import collections
import os
import pathlib

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
    ("torch:cuda", "torch-cuda"),
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


# ---------------------------------------------------------------- the user's folder is left alone

ROOT = pathlib.Path(__file__).resolve().parents[1]
_UNTOUCHED = {}


@pytest.fixture(autouse=True)
def _fresh_working_folder(tmp_path_factory, monkeypatch):
    """Each test starts in its own empty folder (not ``tmp_path``, which stays the test's own)."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


def _listing(folder):
    """``{name: (size, mtime)}`` of a folder's entries (not recursive); caches are left out."""
    skip = ("__pycache__", ".pytest_cache", ".hypothesis", ".git", ".mypy_cache", ".coverage")
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return {}
    return {e.name: (e.stat().st_size if e.is_file() else -1, e.stat().st_mtime_ns)
            for e in entries if not e.name.startswith(skip)}


def pytest_sessionstart(session):
    for folder in {pathlib.Path.cwd(), ROOT, ROOT / "tests", ROOT / "examples"}:
        _UNTOUCHED[folder] = _listing(folder)


def pytest_sessionfinish(session, exitstatus):
    """Fail the run when a test wrote into the folder pytest started in or into the repository."""
    if hasattr(session.config, "workerinput"):
        return  # pytest-xdist: the controller checks once
    changed = []
    for folder, before in _UNTOUCHED.items():
        after = _listing(folder)
        changed += [f"{folder / name}" for name in sorted(set(before) ^ set(after))]
        changed += [f"{folder / name} (modified)" for name in sorted(set(before) & set(after))
                    if before[name] != after[name] and before[name][0] != -1]
    if changed:
        session.config._nnscratch_changed = changed
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# ---------------------------------------------------------------- skips: one line per reason

def skip_groups(reports):
    """``[(reason, count, files)]`` of skipped test reports, most frequent first."""
    groups = collections.defaultdict(lambda: [0, set()])
    for report in reports:
        if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
            path, _, reason = report.longrepr
        else:
            path, reason = report.nodeid.split("::")[0], str(report.longrepr)
        reason = reason.removeprefix("Skipped: ").strip()
        groups[reason][0] += 1
        groups[reason][1].add(os.path.basename(str(path)))
    return sorted(((r, n, sorted(f)) for r, (n, f) in groups.items()), key=lambda g: (-g[1], g[0]))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = [r for r in terminalreporter.stats.get("skipped", ()) if r.when in ("setup", "call")]
    if skipped:
        terminalreporter.section(f"{len(skipped)} skipped, by reason", sep="-")
        for reason, count, files in skip_groups(skipped):
            where = ", ".join(files[:4]) + (f" and {len(files) - 4} more" if len(files) > 4 else "")
            terminalreporter.write_line(f"skipped {count} test{'s' * (count != 1)}: {reason} ({where})")
    changed = getattr(config, "_nnscratch_changed", None)
    if changed:
        terminalreporter.section("the tests changed folders they must leave alone", sep="!", red=True)
        for line in changed:
            terminalreporter.write_line(f"written by a test: {line}", red=True)
