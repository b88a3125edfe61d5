"""Every relative link in the README and docs/ leads somewhere: to a file in the repository, and to a heading there.

A reader following a dead link loses the thread; documentation moved or renamed in one place and not another is
caught here rather than by them.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

from tests.conftest import REPO

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def links(markdown: str) -> list[str]:
    """The targets of every link and image in ``markdown`` (not text inside code spans or blocks)."""
    found = []
    for token in MarkdownIt().parse(markdown):
        for child in token.children or ():
            target = child.attrs.get("href") or child.attrs.get("src")
            if isinstance(target, str):
                found.append(target)
    return found


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of ``markdown``: lowercased, punctuation dropped, spaces as hyphens,
    and ``-1``, ``-2``... after a repeated heading."""
    found: set[str] = set()
    repeats: dict[str, int] = {}
    tokens = MarkdownIt().parse(markdown)
    for opening, inline in pairwise(tokens):
        if opening.type != "heading_open":
            continue
        text = "".join(child.content for child in inline.children or () if child.type in {"text", "code_inline"})
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        count = repeats.get(slug, 0)
        found.add(slug if count == 0 else f"{slug}-{count}")
        repeats[slug] = count + 1
    return found


def broken_links(document: Path, root: Path) -> list[str]:
    """Each relative link of ``document`` that leads to no file under ``root``, or to no heading of that file."""
    broken = []
    for target in links(document.read_text(encoding="utf-8")):
        parts = urlsplit(target)
        if parts.scheme:
            continue
        path = (document.parent / unquote(parts.path)).resolve() if parts.path else document
        if not path.is_relative_to(root) or not path.is_file():
            broken.append(f"{target}: no such file")
        elif parts.fragment and parts.fragment not in anchors(path.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading with anchor #{parts.fragment}")
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(REPO).as_posix())
def test_every_relative_link_resolves(document: Path) -> None:
    assert broken_links(document, REPO) == []


def test_the_readme_links_into_docs_and_not_outside_the_repository() -> None:
    readme = REPO / "README.md"
    targets = links(readme.read_text(encoding="utf-8"))
    assert "docs/architecture.md" in targets
    assert "docs/formats.md" in targets
    assert [target for target in targets if urlsplit(target).scheme] == []
    assert "DESIGN.md" not in readme.read_text(encoding="utf-8")


def test_a_dead_link_a_missing_anchor_and_a_link_out_of_the_tree_are_caught(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "other.md").write_text("# Other\n\n## Part\n\n## Part\n", encoding="utf-8")
    (tmp_path / "outside.md").write_text("# Outside\n", encoding="utf-8")
    document = root / "README.md"
    document.write_text(
        "# Heading one\n\n[a](#heading-one) [b](other.md#part-1) [c](https://example.org/x)\n"
        "[d](#nowhere) [e](missing.md) [f](other.md#gone) [g](../outside.md) `[code](not-a-link.md)`\n",
        encoding="utf-8",
    )
    assert broken_links(document, root.resolve()) == [
        "#nowhere: no heading with anchor #nowhere",
        "missing.md: no such file",
        "other.md#gone: no heading with anchor #gone",
        "../outside.md: no such file",
    ]
