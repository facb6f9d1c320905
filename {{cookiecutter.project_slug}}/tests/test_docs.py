"""The README and the docs link only to files and headings that exist."""

import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PAGES = sorted([PROJECT / "README.md", *(PROJECT / "docs").rglob("*.md")])
# [text](target): a link to a file of the project, maybe with a #heading.
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#+ (.+)$", re.M)


def anchor(heading):
    """The anchor GitHub gives a heading: lowercase, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def local_links(page):
    for target in LINK.findall(page.read_text()):
        if not re.match(r"[a-z]+:", target):
            yield target


@pytest.mark.parametrize(
    "page", PAGES, ids=[str(page.relative_to(PROJECT)) for page in PAGES]
)
def test_every_link_leads_somewhere(page):
    for target in local_links(page):
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page

        assert linked.exists(), target
        if fragment:
            headings = HEADING.findall(linked.read_text())
            assert fragment in {anchor(h) for h in headings}, target
