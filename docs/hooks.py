"""MkDocs hooks: what the docs show is taken from the code at build time, so it cannot drift.

* ``<!-- source: nnscratch.layers.dense.Dense.backward -->`` on a line of its own
  becomes a code block with that object's current source and where it lives.
* ``<!-- skip: next "reason" -->`` (a block the docs tests do not run) becomes a small note
  saying so, so a reader knows which blocks need a GPU or minutes of training.
* ``<!-- cli-reference -->`` becomes ``nnscratch --help`` and ``nnscratch COMMAND --help``
  for every command the real parser registers.
* The pictures in ``examples/images/`` are published as ``images/NAME`` (the README shows
  the same files) and ``benchmarks/latest.png`` as ``images/bench_latest.png``, so the docs
  keep no copies that could go stale.
* Without a ``site_url``, the 404 page links relative to itself, so it keeps its styles and
  links when the site is opened from files or served under a sub-path.

``mkdocs.yml`` names this file under ``hooks:``; ``tests/test_docs.py`` uses the same
functions.
"""

import contextlib
import html
import importlib
import inspect
import os
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "examples" / "images"
SOURCE = re.compile(r"^<!-- source: (?P<name>[\w.]+) -->[ \t]*$", re.MULTILINE)
CLI = re.compile(r"^<!-- cli-reference -->[ \t]*$", re.MULTILINE)
SKIP = re.compile(r'^<!-- skip: next (?:"(?P<plain>[^"]*)"|if\(.*reason="(?P<when>[^"]*)"\)) -->[ \t]*$', re.MULTILINE)
HELP_WIDTH = "88"


def resolve(dotted):
    """The object named ``package.module.Class.method``: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"cannot import any part of {dotted!r}")


def source_block(dotted):
    """A fenced Python block with the current source of ``dotted`` and a line saying where it is."""
    obj = inspect.unwrap(resolve(dotted))
    lines, first = inspect.getsourcelines(obj)
    path = Path(inspect.getsourcefile(obj)).resolve().relative_to(ROOT).as_posix()
    code = textwrap.dedent("".join(lines)).rstrip("\n")
    where = f"`{path}`, lines {first}-{first + len(lines) - 1}"
    return f'```python title="{dotted}"\n{code}\n```\n<small>{where}</small>\n'


def commands():
    """``{"train": parser, ...}`` of the real ``nnscratch`` command line, and the top parser."""
    from nnscratch.cli.app import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return parser, dict(sub.choices)


def cli_reference():
    """Markdown: the top-level help, then one section per command with its ``--help``."""
    with _columns(HELP_WIDTH):
        parser, subs = commands()
        parts = ["```text\n$ nnscratch --help\n" + parser.format_help().rstrip() + "\n```\n"]
        for name, sub in subs.items():
            parts.append(f"### nnscratch {name}\n\n```text\n$ nnscratch {name} --help\n"
                         + sub.format_help().rstrip() + "\n```\n")
    return "\n".join(parts)


@contextlib.contextmanager
def _columns(width):
    """argparse wraps help to ``$COLUMNS``: fix it so the page does not depend on the terminal."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = width
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def skip_note(match):
    """A visible note for a block the docs tests skip, with their reason (``tests/test_docs.py``)."""
    reason = html.escape(match.group("plain") or match.group("when"))
    when = " where it is missing" if match.group("when") else ""
    return f'<p class="skip-note">Not run when the docs are tested{when}: {reason}.</p>'


def expand(markdown):
    """The page with every ``source:``, ``cli-reference`` and ``skip:`` marker replaced."""
    markdown = SOURCE.sub(lambda m: source_block(m.group("name")), markdown)
    markdown = SKIP.sub(skip_note, markdown)
    return CLI.sub(lambda m: cli_reference(), markdown)


def on_page_markdown(markdown, page, config, files):
    return expand(markdown)


def pictures():
    """``{published name: file}``: the examples' pictures and the latest benchmark plot."""
    found = {f"images/{p.name}": p for p in sorted(IMAGES.iterdir()) if p.suffix in (".png", ".gif", ".svg")}
    bench = ROOT / "benchmarks" / "latest.png"
    if bench.exists():
        found["images/bench_latest.png"] = bench
    return found


def on_files(files, config):
    from mkdocs.structure.files import File
    for name, path in pictures().items():
        files.append(File.generated(config, name, abs_src_path=str(path)))
    return files


def on_template_context(context, template_name, config):
    """The 404 page links relative to itself when ``site_url`` is not set.

    MkDocs writes the 404 page's links from the server's root (``/assets/...``), since a server
    shows it for a missing page at any depth; without ``site_url`` it assumes the site *is* the
    server's root, and the page loses its styles and links when the site is opened from files or
    served under a sub-path (``/nnscratch/``). Relative links (``./assets/...``) work in both,
    for the page itself and for a missing page one level down; with ``site_url`` set, MkDocs's
    links from that address work at any depth, and are kept."""
    if template_name == "404.html" and not config.site_url:
        context["base_url"] = "."
    return context
