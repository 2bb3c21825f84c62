"""Every parameter of every callable the API reference names is described in its docstring.

mkdocstrings renders a docstring's ``Parameters`` section as a table; a parameter the section
lists without a description shows a blank cell, and one it leaves out is not documented at all.
This walks each ``::: name`` of docs/reference/*.md (functions, the constructors of classes and the
methods shown with them),
reads the numpydoc ``Parameters`` and ``Other Parameters`` sections of its docstring (a class
documents its ``__init__`` in the class docstring, as ``merge_init_into_class`` shows it; a
dataclass, its fields under ``Attributes``), and
fails for every parameter of ``inspect.signature`` that has no description there.
``self`` is skipped; ``*args`` and ``**kwargs`` count as described when the section lists them
(as ``*args``/``**kwargs`` or by bare name).

Those checks read the docstrings Python has; the site shows what mkdocstrings reads from the source
without running it (griffe, with the extensions mkdocs.yml names). A second test holds the two
equal for every name, so a docstring built at import time (``__doc__ = docstring(...)``) or a
method assigned from another module (``save = persistence.save``) is not a blank on the site.
"""
import ast
import dataclasses
import functools
import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIRECTIVE = re.compile(r"^::: (\S+)", re.MULTILINE)
SECTIONS = ("Parameters", "Other Parameters")
FIELDS = ("Attributes",)  # a dataclass's fields are its constructor's parameters
# Docstrings of files other helpers own this round whose parameter table the site shows wrong: skipped by
# the two table tests below, with the one-line fix; delete an entry once its docstring is fixed.
PENDING: dict[str, str] = {}


def referenced():
    """Every dotted name a ``::: name`` line of docs/reference/*.md renders, in page order, and after a
    class the methods the page shows with it: its own public ones that have a docstring (mkdocstrings
    leaves out inherited members and members without one)."""
    names = []
    for page in sorted((ROOT / "docs" / "reference").glob("*.md")):
        for m in DIRECTIVE.finditer(page.read_text()):
            names.append(m.group(1))
            obj = resolve(m.group(1))
            if inspect.isclass(obj):
                names += [f"{m.group(1)}.{name}" for name in shown_methods(obj)]
    return names


def shown_methods(cls):
    """The public methods ``cls`` itself defines with a docstring (what its reference entry lists)."""
    for name, member in vars(cls).items():
        function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
        if not name.startswith("_") and inspect.isfunction(function) and function.__doc__:
            yield name


@functools.lru_cache(maxsize=None)
def _docs_module(name):
    """A module of docs/ (``hooks``: its ``resolve`` finds what a ``::: name`` line renders)."""
    spec = importlib.util.spec_from_file_location(f"nnscratch_docs_{name}_params", ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


resolve = _docs_module("hooks").resolve


def described(docstring, sections=SECTIONS):
    """``{name: description}`` from the numpydoc ``Parameters`` sections of ``docstring``.

    An entry is a ``name : type`` line (or ``a, b : type``, each name sharing the description)
    at the section's indentation; its description is the more-indented lines under it.
    """
    lines = inspect.cleandoc(docstring or "").splitlines()
    found, names, section = {}, [], False
    for i, line in enumerate(lines):
        underline = i + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[i + 1].strip())
        if underline or re.fullmatch(r"-{3,}", line.strip()):
            section = (line.strip() in sections) if underline else section
            names = []
            continue
        if not section or not line.strip():
            continue
        if not line.startswith((" ", "\t")):
            names = [n.strip() for n in line.split(" : ")[0].split(",")]
            for name in names:
                found.setdefault(name, "")
        else:
            for name in names:
                found[name] = (found[name] + " " + line.strip()).strip()
    return found


def undescribed(obj):
    """The parameters of ``obj`` (a function, or a class's constructor) its docstring leaves blank."""
    if not callable(obj):
        return []
    target = obj.__init__ if inspect.isclass(obj) else obj
    if inspect.isclass(obj) and not inspect.isfunction(target):
        return []  # a constructor written in C (an exception's): nothing of ours to describe
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    docs = described(obj.__doc__)
    if dataclasses.is_dataclass(obj):  # documented as Attributes, its own and those of the dataclasses it extends
        for cls in reversed(obj.__mro__):
            if dataclasses.is_dataclass(cls):
                docs.update({k: v for k, v in described(cls.__doc__, SECTIONS + FIELDS).items() if v})
    if inspect.isclass(obj) and target.__doc__ and target.__doc__ != object.__init__.__doc__:
        docs.update({k: v for k, v in described(target.__doc__).items() if v})
    missing = []
    for name, param in signature.parameters.items():
        if name in ("self", "cls"):
            continue
        stars = {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}.get(param.kind, "")
        if not (docs.get(name) or docs.get(stars + name)):
            missing.append(name)
    return missing


NAMES = referenced()


def test_the_reference_names_callables():
    assert len(NAMES) > 100 and "nnscratch.Conv2D" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_is_described(name):
    missing = undescribed(resolve(name))
    assert not missing, (f"{name}: the docstring's Parameters section does not describe "
                         f"{', '.join(missing)}; add one line each (what it is, its unit or shape, "
                         f"what its default means).")


@functools.lru_cache(maxsize=None)
def shown():
    """The package as mkdocstrings reads it: griffe's static analysis with mkdocs.yml's extensions."""
    griffe = pytest.importorskip("griffe", reason="the docs extra (mkdocstrings, griffe) is not installed")
    specs = re.findall(r"^\s+- (docs/\S+\.py:\w+)\s*$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE)
    assert specs, "mkdocs.yml names no griffe extension under the python handler's options"
    loader = griffe.GriffeLoader(extensions=griffe.load_extensions(*(str(ROOT / s) for s in specs)),
                                 search_paths=[str(ROOT)], docstring_parser=griffe.Parser.numpy)
    loader.load("nnscratch")
    loader.resolve_aliases(implicit=False, external=None)
    return loader.modules_collection


DOCUMENTED = [name for name in NAMES if inspect.ismodule(obj := resolve(name)) or inspect.isclass(obj)
              or inspect.isroutine(obj)]  # a constant's docstring is the string after it, read as text by both


@pytest.mark.parametrize("name", DOCUMENTED)
def test_the_site_shows_the_docstring_python_has(name):
    try:
        member = shown()[name]
    except KeyError:
        pytest.fail(f"{name}: mkdocstrings does not find it in the source; the reference leaves it out")
    on_site = member.docstring.value if member.docstring else ""
    in_python = _docs_module("griffe_roles").plain(inspect.cleandoc(resolve(name).__doc__ or ""))
    assert on_site == in_python, (f"{name}: the reference shows {on_site[:80]!r}, Python's docstring is "
                                  f"{in_python[:80]!r}; a docstring made when the module runs needs a "
                                  "griffe extension in docs/ (docs/griffe_runtime.py) or static text")


def table(name):
    """``[(parameter, type, default)]``: the rows of the parameter tables the site shows for ``name``
    (a class's with its ``__init__``'s, as ``merge_init_into_class`` shows them), and the signature
    they describe."""
    member = shown()[name]
    function = member if member.is_function else member.members.get("__init__")
    owners = [member] if function is None or function is member else [member, function]
    docstrings = [owner.docstring for owner in owners if owner.docstring is not None]
    rows = [row for docstring in docstrings for section in docstring.parsed if section.kind.value in
            ("parameters", "other parameters") for row in section.value]
    return [(row.name, row.annotation, row.default) for row in rows], function


def literal(text):
    """``text`` as the Python value it writes (``1e-4`` is ``0.0001``), else as it is."""
    try:
        return ast.literal_eval(str(text))
    except (ValueError, SyntaxError):
        return str(text)


def same_default(shown, signature):
    """Whether the default a table shows is the signature's (``1e-4`` and ``0.0001``; ``float32`` and
    ``np.float32``)."""
    return literal(shown) == literal(signature) or str(signature).rpartition(".")[2] == str(shown)


@pytest.mark.parametrize("name", DOCUMENTED)
def test_the_site_shows_the_signature_s_defaults(name):
    """A type in braces is numpydoc's list of choices, the default first; griffe shows that first one
    as the default, whatever the signature says."""
    if name in PENDING:
        pytest.skip(f"pending in another helper's file: {PENDING[name]}")
    rows, function = table(name)
    signature = {p.name: p.default for p in function.parameters} if function is not None else {}
    wrong = []
    for param, _, default in rows:
        if param not in signature or default is None or same_default(default, signature[param]):
            continue
        has = f"has {signature[param]}" if signature[param] is not None else "none: it is required"
        wrong.append(f"{param} shows the default {default}, the signature {has}")
    assert not wrong, (f"{name}: " + "; ".join(wrong) + '. Write the type {None, "a", "b"} where the default '
                       'is None, and "a" or "b" (no braces) where the parameter is required.')


@pytest.mark.parametrize("name", DOCUMENTED)
def test_the_site_shows_the_types_as_written(name):
    """griffe reads a type that is valid Python as an expression: ``array-like`` is a subtraction,
    shown as ``array - like``."""
    if name in PENDING:
        pytest.skip(f"pending in another helper's file: {PENDING[name]}")
    split = [f"{param}: {annotation}" for param, annotation, _ in table(name)[0]
             if not isinstance(annotation, str) and " - " in str(annotation)]
    assert not split, (f"{name}: the site shows the types {split}; write array_like or "
                       "array-like of shape (n_samples, n_features), which griffe keeps as text.")


def test_the_parser_reads_numpydoc():
    doc = """Summary.

    Parameters
    ----------
    a, b : int
        Shared line.
    c : str
    **options
        Passed on.

    Returns
    -------
    d : int
        Not a parameter.
    """
    assert described(doc) == {"a": "Shared line.", "b": "Shared line.", "c": "", "**options": "Passed on."}
