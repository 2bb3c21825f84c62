"""A pytest plugin for ``ci/gpu_check.py``'s test step (loaded through ``PYTEST_PLUGINS``).

Two jobs, both driven by environment variables the check sets:

* ``NNSCRATCH_GPU_CHECK_EXTRA_BACKENDS="torch:cuda=torch-cuda"``: adds these ``spec=id``
  pairs to the ``backend`` and ``any_backend`` fixtures of ``tests/conftest.py`` where that
  file does not list them yet (it lists ``cupy`` but not ``torch:cuda``), so the whole suite
  runs on both GPU backends. A spec the conftest already has is left alone.
* ``NNSCRATCH_GPU_CHECK_PROGRESS=FILE``: one JSON line per test outcome (with the backend
  the test ran on), written as the tests run, so a run cut by its time budget still says
  what passed, what failed and which test was running.
"""

import json
import os
import time

import pytest

FIXTURES = ("backend", "any_backend")
_extended = set()
_progress = []  # the progress file, in the process that reports (not in pytest-xdist's workers)


def _extra():
    pairs = [p.strip() for p in os.environ.get("NNSCRATCH_GPU_CHECK_EXTRA_BACKENDS", "").split(",") if p.strip()]
    return [tuple(p.split("=", 1)) if "=" in p else (p, p.replace(":", "-")) for p in pairs]


def extend(fixturedef, extra):
    """Append the ``(spec, id)`` pairs of ``extra`` that ``fixturedef`` lacks to its params and ids
    (a fixture that is not parametrized, or that names its ids by a function, is left alone)."""
    if fixturedef.params is None or callable(fixturedef.ids) or id(fixturedef) in _extended:
        return
    _extended.add(id(fixturedef))
    params, ids = list(fixturedef.params), fixturedef.ids
    missing = [(spec, name) for spec, name in extra if spec not in params]
    if missing:
        fixturedef.params = tuple(params) + tuple(spec for spec, _ in missing)
        fixturedef.ids = None if ids is None else tuple(ids) + tuple(name for _, name in missing)


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc):
    extra = _extra()
    if not extra:
        return
    defs = getattr(metafunc, "_arg2fixturedefs", {})  # pytest's own map; absent: leave the suite as it is
    for name in FIXTURES:
        for fixturedef in defs.get(name, ()):
            extend(fixturedef, extra)


def pytest_configure(config):
    path = os.environ.get("NNSCRATCH_GPU_CHECK_PROGRESS")
    if path and not hasattr(config, "workerinput"):  # pytest-xdist's workers report to the controller
        _progress.append(path)
        _write({"event": "session", "time": time.time()})


def pytest_collection_modifyitems(items):
    """Tag each test with the backend its fixture runs on (reports carry it, also from xdist workers)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        backends = [params[name] for name in FIXTURES if name in params]
        if backends:
            item.user_properties.append(("backend", str(backends[0])))


def pytest_runtest_logstart(nodeid, location):
    _write({"event": "start", "test": nodeid})


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        outcome = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
        _write({"event": report.when, "test": report.nodeid, "outcome": outcome,
                "backend": dict(report.user_properties).get("backend"), "seconds": round(report.duration, 3),
                "message": "" if report.passed else _message(report)})


def _message(report):
    """A skip's reason, or the ``E`` lines of a failure (the assertion or exception), joined."""
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2])[:1000]
    text = str(getattr(report, "longreprtext", "") or report.longrepr or "")
    lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")] or text.splitlines()[-1:]
    return " | ".join(lines[:6])[:1000]


def _write(record):
    if _progress:
        with open(_progress[0], "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
