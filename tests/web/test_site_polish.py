"""The API reference page, the developer page's weakened-commitment notice and the scrollable tables, over HTTP."""

from __future__ import annotations

import html
import re

from tests.web.conftest import Served

#: A wide table's wrapper: a focusable region with a name, so keyboard and screen reader users can scroll it.
# Named by a label of its own, or by its table's caption (where a label would repeat its section's name).
SCROLL_REGION = re.compile(
    r'<div class="table-scroll" role="region" tabindex="0" '
    r'aria-(?:label="[^"]+"|labelledby="[a-z-]+-caption")>\s*<table'
)


def test_the_api_reference_lists_every_operation_of_the_openapi_document(served: Served) -> None:
    document = served.client.get("/api/v1/openapi.json").json()
    response = served.client.get("/api")
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert "<script" not in page
    assert '<a href="/api/v1/openapi.json">' in page
    operations = [(method.upper(), path) for path, item in document["paths"].items() for method in item]
    assert len(operations) > 10
    for method, path in operations:
        assert f'{method}</span> <code class="path">{path}</code>' in page, (method, path)
        summary = document["paths"][path][method.lower()]["summary"]
        assert summary in page
    for tag in ("Developers", "Statements", "Documents", "Log"):
        assert f">{tag}</h2>" in page
    publish = page.split('POST</span> <code class="path">/api/v1/statements</code>')[1].split("</article>")[0]
    assert "<code>authorization</code>" in publish
    for status in ("201", "401", "403", "409"):
        assert f"<dd><code>{status}</code>" in publish


def test_the_blank_interactive_docs_are_gone_and_every_footer_links_the_reference(served: Served) -> None:
    for path in ("/api/v1/docs", "/api/v1/redoc", "/docs"):
        assert served.client.get(path).status_code == 404, path
    for path in ("/", "/log", "/api"):
        assert '<a href="/api">JSON API</a>' in served.client.get(path).text, path


def test_the_developer_page_flags_a_weakened_commitment_of_the_current_framework(served: Served) -> None:
    weakened = served.filled.published["borealis-sdf-2-weakened"]
    page = served.client.get("/developers/borealis").text
    notice = page.split('<div class="notice notice-warning" role="note">')[1].split("</div>")[0]
    # The fill turns the chemical risk domain from must into may; the example's own 2.0 also lowers one more,
    # narrows its scope without saying so in its changelog: four weakenings, by candor diff.
    assert "<h3>Version 2.0 weakens 4 things</h3>" in notice
    assert "Compared with version 1.0" in notice
    lowered = '<code class="change-kind">commitment_strength_lowered</code>: cbrn.chemical went from must to may.'
    assert lowered in notice
    assert f'href="/statements/{weakened.log_index}#semantic-diff-heading"' in notice


def test_a_developer_with_a_single_framework_version_has_no_notice(served: Served) -> None:
    page = served.client.get("/developers/corvid-labs").text
    assert "Secure Development Framework, version 1.0" in page
    assert re.search(r"Version \S+ weakens", page) is None


def test_every_table_scrolls_in_a_labelled_focusable_region(served: Served) -> None:
    document_pages = [f"/statements/{item.log_index}" for item in served.filled.published.values()]
    for path in ["/", "/statements", "/compare", "/standards", "/developers/acme-ai", "/api", *document_pages]:
        page = served.client.get(path).text
        tables = page.count("<table")
        assert tables == len(SCROLL_REGION.findall(page)), path
