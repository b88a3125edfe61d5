"""Atom feeds parse as XML and list the registry's statements."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.web.conftest import Served

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(served: Served, path: str) -> tuple[ET.Element, list[ET.Element]]:
    response = served.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    return root, root.findall(f"{ATOM}entry")


def test_the_global_feed_lists_every_statement_newest_first(served: Served) -> None:
    _, entries = _entries(served, "/feed.atom")
    assert len(entries) == len(served.filled.published)
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    newest = max(served.filled.published.values(), key=lambda item: item.log_index)
    assert ids[0] == f"urn:sha256:{newest.statement_sha256}"
    for entry in entries:
        link = entry.find(f"{ATOM}link")
        assert link is not None
        assert link.get("href", "").startswith(f"{served.base_url}/statements/")
        assert entry.findtext(f"{ATOM}updated")


def test_a_developer_feed_lists_only_that_developer(served: Served) -> None:
    root, entries = _entries(served, "/developers/borealis/feed.atom")
    assert root.findtext(f"{ATOM}title") == "Candor registry: Borealis Research Ltd"
    assert len(entries) == 2
    assert all("Borealis" in (entry.findtext(f"{ATOM}title") or "") for entry in entries)


def test_a_withdrawn_statement_is_marked_in_the_feed(served: Served) -> None:
    _, entries = _entries(served, "/developers/acme-ai/feed.atom")
    titles = [entry.findtext(f"{ATOM}title") or "" for entry in entries]
    assert any(title.endswith("(withdrawn)") and "Acme-3.5" in title for title in titles)


def _alternate(root: ET.Element) -> str | None:
    links = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "alternate"]
    assert len(links) == 1
    return links[0].get("href")


def test_each_feed_links_the_page_that_lists_the_same_statements(served: Served) -> None:
    root, _ = _entries(served, "/developers/borealis/feed.atom")
    assert _alternate(root) == f"{served.base_url}/developers/borealis"
    root, _ = _entries(served, "/feed.atom")
    assert _alternate(root) == f"{served.base_url}/statements"
    # The links lead to pages that exist.
    assert served.client.get("/developers/borealis").status_code == 200
    assert served.client.get("/statements").status_code == 200
