"""The public API is typed: every public function and method is annotated, and mypy passes.

The names are those pinned in tests/public_api.txt; for a class, its ``__init__``,
``__call__`` and public methods and properties defined in nnscratch (inherited
ones included) count too.  ``self``/``cls`` need no annotation.
"""

import importlib
import inspect
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PINNED = ROOT / "tests" / "public_api.txt"


def pinned_names():
    lines = [line for line in PINNED.read_text().splitlines() if line and not line.startswith("#")]
    return [(module, name) for module, names in (line.split(":", 1) for line in lines) for name in names.split()]


def _ours(obj):
    return getattr(obj, "__module__", "").split(".")[0] == "nnscratch"


def _methods(cls):
    """``(qualified name, function)`` for the public callables a user reaches through ``cls``."""
    seen = set()
    for klass in cls.__mro__:
        if not _ours(klass):
            continue
        for attr, raw in vars(klass).items():
            if attr in seen or (attr.startswith("_") and attr not in ("__init__", "__call__")):
                continue
            seen.add(attr)
            if isinstance(raw, property):
                func = raw.fget
            elif isinstance(raw, (staticmethod, classmethod)):
                func = raw.__func__
            else:
                func = raw
            if inspect.isfunction(func):
                yield f"{cls.__name__}.{attr}", func, isinstance(raw, staticmethod)


def public_callables():
    """Every public function and method of the pinned API, once each."""
    found, seen = [], set()
    for module, name in pinned_names():
        obj = getattr(importlib.import_module(module), name)
        if inspect.isclass(obj) and _ours(obj):
            entries = list(_methods(obj))
        elif inspect.isfunction(obj) and _ours(obj):
            entries = [(name, obj, True)]
        else:  # a submodule or a constant
            continue
        for label, func, is_static in entries:
            if (label, func) not in seen:
                seen.add((label, func))
                found.append((f"{module}.{label}", func, is_static))
    return found


def missing_annotations(func, is_static):
    """The parameters (and ``return``) of ``func`` that carry no annotation."""
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    if not is_static and params and params[0].name in ("self", "cls"):
        params = params[1:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_the_walk_finds_the_api():
    labels = {label for label, _, _ in public_callables()}
    # a function, a method, an inherited method, a property and a constructor are all covered
    for expected in ("nnscratch.use_backend", "nnscratch.Network.fit", "nnscratch.Dense.backward",
                     "nnscratch.Network.__init__", "nnscratch.datasets.load_dataset",
                     "nnscratch.sklearn.MLPClassifier.predict_proba"):
        assert expected in labels
    assert len(labels) > 250  # 323 when written: every method of every public class


def test_the_check_sees_a_missing_annotation():
    def untyped(x, y: int = 1):
        return x

    def typed(x: int, *args: object, **kwargs: object) -> int:
        return x

    assert missing_annotations(untyped, True) == ["x", "return"]
    assert missing_annotations(typed, True) == []


def test_every_public_callable_is_annotated():
    missing = {}
    for label, func, is_static in public_callables():
        gaps = missing_annotations(func, is_static)
        if gaps:
            missing[label] = gaps
    assert not missing, (
        f"{len(missing)} public functions/methods lack annotations (parameter names, 'return'); "
        f"annotate them: {missing}")


def test_py_typed_marker_ships():
    assert (ROOT / "nnscratch" / "py.typed").is_file()


def test_mypy_passes_on_the_package():
    pytest.importorskip("mypy", reason="mypy is not installed (pip install 'nnscratch[test]')")
    result = subprocess.run([sys.executable, "-m", "mypy", "nnscratch"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"mypy nnscratch failed:\n{result.stdout}{result.stderr}"
