"""The tutorials read as one course: the index starts it, each tutorial ends with a link to the
next one in the site's navigation, and the last one sends the reader on to the guides. A
tutorial added, removed or moved in mkdocs.yml without its neighbours' links fails here."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "docs" / "tutorials"


def course(mkdocs_yml):
    """The tutorial pages in the order of the navigation: ``["xor.md", "spirals.md", ...]``."""
    return re.findall(r"^\s+- \d+\.[^:]*: tutorials/([\w-]+\.md)\s*$", mkdocs_yml, re.MULTILINE)


def last_paragraph(text):
    return text.rstrip().split("\n\n")[-1]


def missing_links(pages, read):
    """What the course lacks: ``[(page, what)]``; ``read(name)`` gives a page's text."""
    wrong = []
    if pages and f"]({pages[0]})" not in read("index.md"):
        wrong.append(("index.md", f"a link to the first tutorial, {pages[0]}"))
    for page, after in zip(pages, pages[1:]):
        if f"]({after})" not in last_paragraph(read(page)):
            wrong.append((page, f"a closing 'Next: [...]({after})'"))
    if pages and "](../guides/" not in last_paragraph(read(pages[-1])):
        wrong.append((pages[-1], "a closing link to the guides"))
    return wrong


def test_each_tutorial_leads_to_the_next():
    pages = course((ROOT / "mkdocs.yml").read_text())
    assert len(pages) >= 6, f"mkdocs.yml lists {pages} as tutorials"
    wrong = missing_links(pages, lambda name: (TUTORIALS / name).read_text())
    assert not wrong, "; ".join(f"docs/tutorials/{page} needs {what}" for page, what in wrong)


def test_a_broken_chain_is_found():
    nav = "  - Tutorials:\n      - tutorials/index.md\n      - 1. One: tutorials/one.md\n      - 2. Two: tutorials/two.md\n"
    pages = {"index.md": "Start with [one](one.md).", "one.md": "# One\n\nNext: [2](two.md).",
             "two.md": "# Two\n\nThe end."}
    assert course(nav) == ["one.md", "two.md"]
    assert missing_links(course(nav), pages.get) == [("two.md", "a closing link to the guides")]
    pages["one.md"] = "# One\n\nSee [two](two.md).\n\nThe end."
    assert missing_links(course(nav), pages.get) == [("one.md", "a closing 'Next: [...](two.md)'"),
                                                     ("two.md", "a closing link to the guides")]
