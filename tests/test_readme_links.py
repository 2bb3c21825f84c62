"""README.md's links lead somewhere.

The site's pages are checked by ``mkdocs build --strict`` (tests/test_docs.py), but README.md is
not one of them: it is read on the repository's front page, where a link to a moved page or a
renamed heading (``docs/guides/backends.md#proving-the-gpu-path``) breaks without a word. Every
relative link and picture of README.md must name a file of the repository, and every ``#anchor``
a heading of the page it points into, slugged as the site slugs it.
"""
import re
from pathlib import Path

import pytest

from test_docs import fences

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def links(text):
    """``[(line, target)]`` of the Markdown links and pictures outside code blocks."""
    lines = text.split("\n")
    for start, _, body in fences(text):
        for i in range(start - 1, start + body.count("\n") + 2):
            lines[i] = ""
    return [(n, m.group(1)) for n, row in enumerate(lines, 1) for m in LINK.finditer(row)]


def anchors(page):
    """The ids the site gives the headings of a Markdown page (Python-Markdown's toc slugify)."""
    slugify = pytest.importorskip("markdown.extensions.toc", reason="the docs extra (markdown) is not installed").slugify
    text = page.read_text()
    for start, _, body in fences(text):
        text = text.replace(body, "")
    return {slugify(m.group(1).strip(), "-") for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", text, re.MULTILINE)}


def broken(page):
    wrong = []
    for line, target in links(page.read_text()):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            wrong.append(f"line {line}: {target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            wrong.append(f"line {line}: {target}: {dest.name} has no heading #{anchor}")
    return wrong


def test_readme_links_and_pictures_resolve():
    wrong = broken(ROOT / "README.md")
    assert not wrong, "README.md links to what is not there:\n  " + "\n  ".join(wrong)


def test_a_broken_link_or_anchor_is_found(tmp_path):
    (tmp_path / "guide.md").write_text("# Guide\n\n## Proving the GPU path\n\n```text\n# not a heading\n```\n")
    page = tmp_path / "README.md"
    page.write_text("[ok](guide.md#proving-the-gpu-path) [gone](gone.md) [moved](guide.md#not-a-heading)\n"
                    "![picture](missing.png) [web](https://example.org/x)\n\n```bash\n[in code](nowhere.md)\n```\n")
    assert broken(page) == ["line 1: gone.md: no such file",
                            "line 1: guide.md#not-a-heading: guide.md has no heading #not-a-heading",
                            "line 2: missing.png: no such file"]
