"""The package's shape: the public names pinned, the command line a leaf, no import circles.

These read the source (``ast``), so they hold for lazy imports inside functions too.
"""

import ast
import importlib
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "nnscratch"
PINNED = pathlib.Path(__file__).with_name("public_api.txt")


def pinned_names():
    lines = [line for line in PINNED.read_text().splitlines() if line and not line.startswith("#")]
    return {module: sorted(names.split()) for module, names in (line.split(":", 1) for line in lines)}


def modules():
    """``{dotted name: (path, is_package)}`` for every module of nnscratch."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def type_checking_only(tree):
    """The nodes inside ``if TYPE_CHECKING:`` blocks: seen by the type checker, never run."""
    return {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If)
            and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING"
            for stmt in node.body for inner in ast.walk(stmt)}


def imports(name, path, is_package, known):
    """The nnscratch modules that ``name`` imports anywhere in its source (lazy imports too)."""
    found = set()
    tree = ast.parse(path.read_text())
    skip = type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            base = name.split(".") if is_package else name.split(".")[:-1]
            if node.level:
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known}


@pytest.mark.parametrize("module", sorted(pinned_names()))
def test_public_names_are_pinned(module):
    assert sorted(importlib.import_module(module).__all__) == pinned_names()[module], (
        f"{module}.__all__ differs from tests/public_api.txt: a public name was added or dropped")


@pytest.mark.parametrize("module", sorted(pinned_names()))
def test_every_public_name_resolves(module):
    mod = importlib.import_module(module)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"{module}.__all__ names what it does not define: {missing}"


def test_the_command_line_is_a_leaf():
    known = modules()
    leaks = sorted(name for name, (path, pkg) in known.items()
                   if not name.startswith("nnscratch.cli") and name != "nnscratch.__main__"
                   and any(m.startswith("nnscratch.cli") for m in imports(name, path, pkg, known)))
    assert not leaks, f"library modules import the command line: {leaks}"


def test_no_import_circles_between_modules():
    known = modules()
    graph = {name: {m for m in imports(name, path, pkg, known) if not known[m][1]}
             for name, (path, pkg) in known.items() if not pkg}
    state, circles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_says_what_it_is_for(name):
    path, _ = modules()[name]
    docstring = ast.get_docstring(ast.parse(path.read_text()))
    assert docstring and docstring.strip(), f"{path.relative_to(PACKAGE.parent)} has no module docstring"


def test_the_package_is_typed():
    assert (PACKAGE / "py.typed").is_file()
