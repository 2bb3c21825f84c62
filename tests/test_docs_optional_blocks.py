"""A block that runs only where a package is installed leaves nothing the page needs later.

``<!-- skip: next if(not available("torch"), reason=...) -->`` runs the next block where PyTorch
is installed and skips it elsewhere. The page's later blocks run everywhere, so a name they use
must come from a block that runs everywhere too: data loaded inside the PyTorch block would
work on a machine with PyTorch and end in a ``NameError`` on one without (as CI, which installs
PyTorch, would never see). Checked statically, from the Python blocks' syntax trees.
"""
import ast
import builtins

import pytest

from test_docs import PAGE_IDS, PAGES, SKIP, fences


def _python_blocks(text):
    """``[(line, how, tree)]`` of a page's Python blocks; ``how`` is ``"always"``, ``"if"`` (a
    conditional skip before it) or ``"never"`` (a plain skip)."""
    marks = {text[:m.end()].count("\n") + 2: "if" if m.group("reason").lstrip().startswith("if(") else "never"
             for m in SKIP.finditer(text) if m.group("action") == "next"}
    return [(line, marks.get(line, "always"), ast.parse(body))
            for line, info, body in fences(text) if info == "python"]


def _defined(tree):
    """Names a block binds anywhere in it (assignments, imports, defs, loop targets, ...)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _used(tree):
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def missing_without_optional(text):
    """``[(line, name, defined_at)]``: names a block that always runs takes from a block that runs
    only where a package is installed, and from no block that always runs before it."""
    always, optional, wrong = set(dir(builtins)) | {"__tmp__", "__name__"}, {}, []
    for line, how, tree in _python_blocks(text):
        if how == "if":
            optional.update({name: line for name in _defined(tree) - always})
        elif how == "always":
            wrong += [(line, name, optional[name]) for name in sorted(_used(tree) - always) if name in optional]
            always |= _defined(tree)
    return wrong


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_blocks_after_an_optional_one_run_without_it(page):
    wrong = missing_without_optional(page.read_text())
    assert not wrong, f"{page.name}: " + "; ".join(
        f"line {line} uses {name}, defined only by the block at line {at}, which runs only where a package is "
        f"installed: define it in a block that always runs" for line, name, at in wrong)


def test_the_check_sees_a_name_from_an_optional_block():
    page = ('<!-- skip: next if(not available("torch"), reason="needs PyTorch") -->\n'
            "```python\nX = 1\nimport numpy as np\n```\n\n```python\nprint(X, np)\n```\n")
    assert [(name, at) for _, name, at in missing_without_optional(page)] == [("X", 2), ("np", 2)]
    fixed = "```python\nX = 1\n```\n\n" + page.replace("print(X, np)", "print(X)")
    assert missing_without_optional(fixed) == []
