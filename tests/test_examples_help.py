"""What a newcomer reads about the examples is true: ``--help`` says what every option does, and
every ``python examples/X.py --option`` written in README.md or docs/ is an option X.py takes
(the blocks that are skipped, the full runs, are never run, so nothing else would notice)."""
import argparse
import os
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


class _Parsed(Exception):
    def __init__(self, parser):
        self.parser = parser


def example_parser(script, monkeypatch):
    """The ``argparse`` parser that ``examples/script``'s ``main`` builds (caught as it parses)."""
    def catch(parser, *args, **kwargs):
        raise _Parsed(parser)

    main = runpy.run_path(os.fspath(EXAMPLES / script), run_name="example")["main"]
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", catch)
    with pytest.raises(_Parsed) as caught:
        main([])
    monkeypatch.undo()
    return caught.value.parser


def mentions(text):
    """``(line, script, [--option, ...])`` of every ``python examples/x.py ...`` in a text (``NAME.py``,
    in capitals, is a placeholder)."""
    for number, row in enumerate(text.split("\n"), 1):
        for m in re.finditer(r"python examples/([a-z][a-z0-9_]*\.py)([^#`|;&\n]*)", row):
            yield number, m.group(1), re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", m.group(2))


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_option_says_what_it_does(script, monkeypatch):
    parser = example_parser(script, monkeypatch)
    silent = [a.option_strings[-1] for a in parser._actions if a.option_strings and not (a.help or "").strip()]
    assert not silent, f"{script} --help says nothing about {silent}: give each a help= (and its default)"


def test_documented_example_options_exist(monkeypatch):
    options = {s: {o for a in example_parser(s, monkeypatch)._actions for o in a.option_strings} for s in SCRIPTS}
    wrong = []
    for page in PAGES:
        for line, script, given in mentions(page.read_text()):
            where = f"{page.relative_to(ROOT)}:{line}"
            if script not in options:
                wrong.append(f"{where}: examples/{script} does not exist")
                continue
            wrong += [f"{where}: examples/{script} {o}" for o in given if o not in options[script]]
    assert not wrong, "the docs name what the examples do not take:\n  " + "\n  ".join(wrong)


def test_the_mention_finder_sees_options_and_missing_scripts():
    text = ("run `python examples/seed004_xor.py --epochs 5 --no-plots`  # --ignored\n"
            "python examples/nope.py\n`python examples/NAME.py --backend numpy`")
    assert list(mentions(text)) == [(1, "seed004_xor.py", ["--epochs", "--no-plots"]), (2, "nope.py", [])]


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_mistake_is_one_line_not_a_traceback(script, tmp_path):
    """``--backend nope`` (or any error nnscratch raises for what the user gave) ends a script as
    it ends ``nnscratch``: one line on stderr naming the script, exit status 2."""
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (os.fspath(ROOT), os.environ.get("PYTHONPATH")) if p))
    argv = ["--backend", "nope"] + ([] if script == "cpu_vs_gpu.py" else ["--no-plots"])
    done = subprocess.run([sys.executable, os.fspath(EXAMPLES / script), *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"{script}: ") and "nope" in done.stderr, done.stderr
