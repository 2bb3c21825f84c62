"""The documentation runs.

* Every ``python`` and ``bash`` block of README.md and docs/ is executed (sybil), in order,
  one test per page, in a fresh temporary folder (never the repository or the current one).
  A ``text`` block right after a ``bash`` block is its output: it must match what the block
  prints (``...`` for any text).
  A block that cannot run here (a GPU, many MPI ranks, the network, a long run, installing
  packages) follows ``<!-- skip: next "the reason" -->``; the test names what it skipped.
* ``mkdocs build --strict`` builds the site (no broken link or reference), and the API
  reference really shows every public name.
* Every public name has a docstring and a place in docs/reference/.
* Every ``nnscratch COMMAND --option`` the docs mention is one the real parser accepts.

The sybil and mkdocs tests need the ``docs`` extra (``pip install -e ".[docs]"``) and skip
cleanly without it; CI installs it (ci/test.sh).
"""
import doctest
import functools
import importlib
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from unittest import SkipTest

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PAGE_IDS = [p.relative_to(ROOT).as_posix() for p in PAGES]
REFERENCED = ("nnscratch", "nnscratch.datasets", "nnscratch.sklearn", "nnscratch.distributed",
              "nnscratch.testing", "nnscratch.errors", "nnscratch.viz", "nnscratch.layers", "nnscratch.bench")
RUN = {"python", "bash"}                           # executed
SHOWN = {"text", "toml", "yaml", "json", "csv"}  # shown only (output, configuration)
SHELL_TIMEOUT = 600
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)(?P<info>[^\n`]*)$", re.MULTILINE)
SKIP = re.compile(r"<!--\s*skip:\s*(?P<action>\w+)(?P<reason>[^>]*?)\s*-->")


def public_names():
    """``{module: [names]}`` from tests/public_api.txt, for the modules the reference covers."""
    names = {}
    for line in (ROOT / "tests" / "public_api.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            module, listed = line.split(":", 1)
            if module.strip() in REFERENCED:
                names[module.strip()] = listed.split()
    return names


def documented_as(module, name):
    """The names under which ``module.name`` may be documented: itself, or ``nnscratch.name`` when
    the package exports the same object (``nnscratch.layers.Dense`` is ``nnscratch.Dense``)."""
    obj, top = getattr(importlib.import_module(module), name), importlib.import_module("nnscratch")
    return {f"{module}.{name}"} | ({f"nnscratch.{name}"} if getattr(top, name, None) is obj else set())


def fences(text):
    """``[(line, info, body)]`` of every fenced block of a Markdown text."""
    blocks, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start = m.group("fence"), i
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            i += 1
        blocks.append((start + 1, m.group("info").strip(), "\n".join(lines[start + 1:i])))
        i += 1
    return blocks


# -- every public name is documented ------------------------------------------------------

@pytest.mark.parametrize("module", REFERENCED)
def test_public_names_have_docstrings(module):
    mod = importlib.import_module(module)
    missing = []
    for name in public_names()[module]:
        obj = getattr(mod, name)
        if callable(obj) or inspect.ismodule(obj):
            doc = obj.__doc__
        else:  # a constant: its docstring is the string literal after the assignment
            doc = _attribute_docstring(obj, name, mod)
        if not (doc or "").strip():
            missing.append(name)
    assert not missing, f"{module}: public names without a docstring: {', '.join(missing)}"


def _attribute_docstring(value, name, module):
    """The string literal right after ``name = ...`` in the module that defines ``name``."""
    import ast
    for candidate in [module, *(sys.modules[m] for m in list(sys.modules) if m.startswith(module.__name__ + "."))]:
        if getattr(candidate, name, None) is not value or not getattr(candidate, "__file__", None):
            continue
        body = ast.parse(Path(candidate.__file__).read_text()).body
        for node, after in zip(body, body[1:]):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                if isinstance(after, ast.Expr) and isinstance(getattr(after, "value", None), ast.Constant) \
                        and isinstance(after.value.value, str):
                    return after.value.value
    return None


def test_reference_lists_every_public_name():
    text = "\n".join(p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md"))
    shown = set(re.findall(r"^::: ([\w.]+)", text, re.MULTILINE))
    missing = [f"{m}.{n}" for m, names in public_names().items() for n in names if not documented_as(m, n) & shown]
    assert not missing, f"public names missing from docs/reference/*.md (add a '::: NAME' line): {missing}"


# -- the blocks: their languages and skip markers --------------------------------------------

@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_blocks_are_run_or_plainly_shown(page):
    """A block is ``python``/``bash`` (run) or ``text``/``toml``/... (shown): no spelling such
    as ``sh`` or ``py`` lets a command escape the test; every skip says why."""
    text = page.read_text()
    for line, info, _ in fences(text):
        language = info.split()[0] if info else ""
        assert language in RUN | SHOWN, f"{page.name}:{line}: block language {info!r}; use one of {sorted(RUN | SHOWN)}"
        if language in RUN:
            assert info == language, f"{page.name}:{line}: an executed block takes no options ({info!r})"
    skipped_lines = {text[:m.end()].count("\n") + 2 for m in SKIP.finditer(text) if m.group("action") == "next"}
    for line, info, body in fences(text):
        if info == "bash" and re.search(r"\bpip install\b", body):
            assert line in skipped_lines, f"{page.name}:{line}: a block that installs packages must be skipped"
    for m in SKIP.finditer(text):
        line = text[:m.start()].count("\n") + 1
        assert m.group("action") in ("next", "start", "end"), f"{page.name}:{line}: skip: {m.group('action')}?"
        if m.group("action") != "end":
            assert m.group("reason").strip().strip("\"'"), f"{page.name}:{line}: a skip needs a reason"


# -- running them ---------------------------------------------------------------------------

def _sybil():
    sybil = pytest.importorskip("sybil", reason="the docs extra (sybil) is not installed")
    from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser
    return sybil.Sybil(parsers=[PythonCodeBlockParser(), CodeBlockParser("bash", _run_shell),
                                CodeBlockParser("text", _check_output), SkipParser()], patterns=["*.md"])


def _check_output(example):
    """A ``text`` block right after a ``bash`` block that ran shows its output: each line as printed,
    ``...`` standing for any text (doctest's ELLIPSIS, lines included). Other ``text`` blocks are shown only."""
    end, printed = example.namespace.get("__output__", (None, ""))
    if end is None or example.document.text[end:example.start].strip():
        return
    if not doctest.OutputChecker().check_output(example.parsed, printed, doctest.ELLIPSIS):
        raise AssertionError(f"{example.path}, line {example.line}: the output shown is not what the block above "
                             f"prints today\n--- shown\n{example.parsed}--- printed\n{printed[-3000:]}")


def _run_shell(example):
    """Run a ``bash`` block in the page's temporary folder; fail with its output."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    # the interpreter running the tests comes first, so `python` and `nnscratch` are this environment's
    env["PATH"] = _path()
    try:
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", example.parsed], cwd=example.namespace["__tmp__"],
                              env=env, capture_output=True, text=True, timeout=SHELL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{example.path}, line {example.line}: the block ran past {SHELL_TIMEOUT} s")
    example.namespace["__output__"] = (example.end, done.stdout)  # for a text block right after (_check_output)
    if done.returncode:
        raise AssertionError(f"{example.path}, line {example.line}: the block exited {done.returncode}\n"
                             f"--- block\n{example.parsed}--- stdout (end)\n{done.stdout[-3000:]}\n"
                             f"--- stderr (end)\n{done.stderr[-3000:]}")


def _path():
    """``$PATH`` with the running interpreter's folder first: ``python``, ``nnscratch`` and
    ``mpiexec`` (the mpich wheel's) are this environment's."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def _page_folder(tmp_path):
    """A fresh folder for one page's blocks, with copies of the example scripts they call."""
    folder = tmp_path / "run"
    (folder / "examples").mkdir(parents=True)
    for script in (ROOT / "examples").glob("*.py"):
        shutil.copy(script, folder / "examples" / script.name)
    return folder


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_code_blocks_run(page, tmp_path, monkeypatch):
    document = _sybil().parse(page)
    folder = _page_folder(tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # what a skip condition may ask: <!-- skip: next if(not available("torch"), reason="...") -->
    document.namespace.update(__tmp__=str(folder), __name__="__docs__",
                              on_path=lambda name: shutil.which(name, path=_path()),
                              available=lambda *names: all(importlib.util.find_spec(n) for n in names))
    before = set(os.listdir(ROOT))
    ran, skipped = [], []
    for example in document.examples():
        start = time.perf_counter()
        try:
            example.evaluate()  # a code block, or a skip directive (parsed as a tuple)
        except SkipTest as reason:
            skipped.append(f"line {example.line}: skipped: {reason}")
        else:
            if isinstance(example.parsed, str):
                ran.append(f"line {example.line}: ran in {time.perf_counter() - start:.1f} s")
    assert set(os.listdir(ROOT)) == before, "a block wrote into the repository"
    print(f"\n{page.relative_to(ROOT)}: {len(ran)} blocks ran, {len(skipped)} skipped"
          + "".join(f"\n  {s}" for s in ran + skipped))


# -- the site -----------------------------------------------------------------------------------

def test_site_builds_strict_and_shows_every_public_name(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra (mkdocs) is not installed")
    pytest.importorskip("mkdocstrings", reason="the docs extra (mkdocstrings) is not installed")
    pytest.importorskip("material", reason="the docs extra (mkdocs-material) is not installed")
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    env.pop("NNSCRATCH_SITE_URL", None)  # the site as built without a site_url (mkdocs.yml)
    # not --quiet: mkdocs 1.6 then ends with status 0 even where --strict found a warning
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    html = "\n".join(p.read_text() for p in (site / "reference").rglob("*.html"))
    missing = [f"{m}.{n}" for m, names in public_names().items() for n in names
               if not any(f'id="{name}"' in html for name in documented_as(m, n))]
    assert not missing, f"the built reference shows no entry for: {missing}"
    # ``x`` left in the text is numpydoc the parser did not take, e.g. prose after "name :" (read as a type).
    raw = sorted({m.group(0) for m in re.finditer(r"[^<>\n]{0,40}``[^<>\n]{0,40}", re.sub(r"(?s)<pre.*?</pre>", "", html))})
    assert not raw, f"the built reference shows raw numpydoc (put the description on the next line): {raw}"
    cli = (site / "guides" / "cli" / "index.html").read_text()
    for name in _hooks().commands()[1]:
        assert f"nnscratch {name} --help" in cli, f"the command-line reference lacks {name}"
    assert "katex" in (site / "tutorials" / "xor" / "index.html").read_text()
    # With no site_url, the 404 page's links and assets are relative to it (docs/hooks.py), so they
    # resolve opened from files or under a sub-path; MkDocs's default '/assets/...' needs the server's root.
    notfound = (site / "404.html").read_text()
    links = re.findall(r'(?:href|src)="([^"#]+)"', notfound)
    assert not [u for u in links if u.startswith("/")], "404.html links from the server's root: " \
        + ", ".join(sorted({u for u in links if u.startswith("/")})[:5])
    local = [u for u in links if "://" not in u]
    broken = [u for u in local if not ((site / u).is_file() or (site / u / "index.html").is_file())]
    assert local and not broken, f"404.html links to what the site does not have: {broken}"
    # Python-Markdown does not split a table row on a | inside backticks, so a \| there is shown as is.
    escaped = [f"{p.relative_to(site)}: {c}" for p in site.rglob("*.html")
               for c in re.findall(r"<code>([^<]*\\\|[^<]*)</code>", p.read_text())]
    assert not escaped, f"inline code shows a backslash before |: write a plain | inside backticks: {escaped}"


# -- the command lines the docs show exist ----------------------------------------------------

@functools.lru_cache(maxsize=None)
def _hooks():
    """docs/hooks.py, the module mkdocs runs (it lists the commands and quotes the code)."""
    spec = importlib.util.spec_from_file_location("nnscratch_docs_hooks", ROOT / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=None)
def _parser_options():
    """``{command: {--option, ...}}`` of the real parser."""
    _, subs = _hooks().commands()
    return {name: {o for a in sub._actions for o in a.option_strings} for name, sub in subs.items()}


def _mentions(text):
    """``(line, command, options)`` of every ``nnscratch COMMAND ...`` in a code block or inline code."""
    code = [(line + i, row) for line, info, body in fences(text) if info == "bash"
            for i, row in enumerate(body.split("\n"), 1)]
    code += [(text[:m.start()].count("\n") + 1, m.group(1)) for m in re.finditer(r"`([^`\n]*nnscratch [^`\n]*)`", text)]
    for line, row in code:
        if "import nnscratch" in row or row.lstrip().startswith("from nnscratch"):  # Python in a heredoc
            continue
        for m in re.finditer(r"(?:^|\s)nnscratch ([a-z]+)([^#|;&`]*)", row):
            yield line, m.group(1), re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", m.group(2))


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_documented_commands_and_options_exist(page):
    options = _parser_options()
    wrong = []
    for line, command, given in _mentions(page.read_text()):
        if command not in options:
            wrong.append(f"line {line}: nnscratch {command} (commands: {', '.join(options)})")
            continue
        for option in given:
            if option not in options[command]:
                wrong.append(f"line {line}: nnscratch {command} {option}")
    assert not wrong, f"{page.name} mentions what the command line does not accept:\n  " + "\n  ".join(wrong)
