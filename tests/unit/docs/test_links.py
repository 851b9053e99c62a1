"""The README leads to every page of ``docs/``, and no relative link of the documentation is
dead: each names an existing file and, with a ``#fragment``, one of its headings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .pages import README, ROOT, doc_pages, documentation

FENCED = re.compile(r"^```.*?^```", re.S | re.M)
CODE = re.compile(FENCED.pattern + r"|`[^`\n]*`", re.S | re.M)  # links in code are not links
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.M)


def links(path: Path) -> list[str]:
    return LINK.findall(CODE.sub("", path.read_text(encoding="utf-8")))


def relative_links(path: Path) -> list[str]:
    return [link for link in links(path) if not re.match(r"[a-z][a-z0-9+.-]*:", link)]


def anchors(path: Path) -> Iterator[str]:
    """The fragments a heading of ``path`` answers to, as GitHub renders them."""
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCED.sub("", path.read_text(encoding="utf-8"))):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        yield slug if count == 0 else f"{slug}-{count}"


def dead_links(path: Path) -> list[str]:
    dead = []
    for link in relative_links(path):
        target, _, fragment = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.is_file() or (fragment and fragment not in set(anchors(file))):
            dead.append(link)
    return dead


def test_the_readme_links_every_docs_page():
    linked = {(README.parent / link.split("#")[0]).resolve() for link in relative_links(README)}
    unlinked = [page.name for page in doc_pages() if page.resolve() not in linked]
    assert doc_pages() and not unlinked, f"docs/ pages the README does not link: {unlinked}"


@pytest.mark.parametrize("path", documentation(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(path):
    assert path.exists()
    assert not dead_links(path), f"{path.relative_to(ROOT)}: dead links {dead_links(path)}"


def test_a_dead_link_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n[ok](#title) [gone](missing.md) [no heading](#nowhere) "
                    "`[code](missing.md)` [web](https://example.org/x.md)\n", encoding="utf-8")
    assert relative_links(page) == ["#title", "missing.md", "#nowhere"]
    assert dead_links(page) == ["missing.md", "#nowhere"]


def test_anchors_are_as_github_renders_them(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# The `vigie` command\n## A replicated, secured cluster\n## Notes\n## Notes\n"
                    "```sh\n# a comment, not a heading\n```\n", encoding="utf-8")
    assert list(anchors(page)) == ["the-vigie-command", "a-replicated-secured-cluster",
                                   "notes", "notes-1"]
