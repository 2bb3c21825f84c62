"""The math modules import no array library: xp comes from the backend or the arrays."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "nnscratch"
MATH_FOLDERS = ("layers", "models", "optim", "training")
MATH_MODULES = sorted(str(p.relative_to(PACKAGE))
                      for folder in MATH_FOLDERS for p in (PACKAGE / folder).glob("*.py")) + ["losses.py", "metrics.py"]
FORBIDDEN = {"numpy", "cupy", "torch", "jax", "array_api_strict"}


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("module", MATH_MODULES)
def test_math_module_imports_no_array_library(module):
    found = set(imported_modules(PACKAGE / module)) & FORBIDDEN
    assert not found, f"{module} imports {sorted(found)}; take xp from the backend or array_namespace"


def test_the_walker_catches_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\nfrom torch import nn\n")
    assert set(imported_modules(bad)) == {"numpy", "torch"}
