"""Full-text search at /search and /api/v1/search, over real HTTP on SQLite and PostgreSQL.

Each test is an attempt to get something out of search it must not give: redacted text, markup from a document,
a 500 from hostile query syntax, or results the filters should have removed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Served
from tests.web.htmlcheck import check_html

#: In the body (and front matter) of every framework the test registry holds, and in no system card.
FRAMEWORK_WORD = "distilled"
FRAMEWORKS = {"acme-sdf-1", "borealis-sdf-1", "acme-sdf-2", "borealis-sdf-2-weakened", "corvid-sdf-hostile"}
SUPERSEDED = {"acme-sdf-1", "borealis-sdf-1"}


def _api(served: Served, **params: str) -> dict[str, Any]:
    response = served.client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _found(served: Served, **params: str) -> set[str]:
    by_index = {published.log_index: name for name, published in served.filled.published.items()}
    return {by_index[hit["log_index"]] for hit in _api(served, **params)["results"]}


def test_a_word_in_a_body_finds_every_document_version_holding_it(served: Served) -> None:
    assert _found(served, q=FRAMEWORK_WORD) == FRAMEWORKS


def test_each_result_links_to_its_exact_document_version(served: Served) -> None:
    for hit in _api(served, q=FRAMEWORK_WORD)["results"]:
        assert hit["url"] == f"/statements/{hit['log_index']}"
        assert served.client.get(hit["url"]).status_code == 200
    page = served.client.get("/search", params={"q": FRAMEWORK_WORD}).text
    assert f'href="/statements/{served.filled.published["acme-sdf-1"].log_index}"' in page


def test_a_developer_is_found_by_a_word_only_its_legal_name_holds(served: Served) -> None:
    # "Research" is in "Borealis Research Ltd", not in the example documents re-attributed to borealis.
    assert _found(served, q="Borealis Research") == {"borealis-sdf-1", "borealis-sdf-2-weakened"}
    # "Ltd" likewise; and a plural in a name is found as the query's words are read (stemmed alike).
    assert _found(served, q="Ltd") == {"borealis-sdf-1", "borealis-sdf-2-weakened"}
    assert "corvid-sdf-hostile" in _found(served, q="Corvid Labs")


def test_filters_narrow_the_results(served: Served) -> None:
    assert _found(served, q=FRAMEWORK_WORD, developer="acme-ai") == {"acme-sdf-1", "acme-sdf-2"}
    assert _found(served, q=FRAMEWORK_WORD, kind="system-card") == set()
    assert _found(served, q=FRAMEWORK_WORD, kind="secure-development-framework") == FRAMEWORKS
    # The test registry's clock starts at 2026-01-01 00:00 UTC and moves an hour per statement.
    assert _found(served, q=FRAMEWORK_WORD, issued_to="2025-12-31") == set()
    assert _found(served, q=FRAMEWORK_WORD, issued_from="2026-01-01", issued_to="2026-01-01") == FRAMEWORKS
    assert _found(served, q=FRAMEWORK_WORD, issued_from="2026-01-02") == set()


def test_superseded_versions_are_left_out_when_asked(served: Served) -> None:
    assert _found(served, q=FRAMEWORK_WORD, current="true") == FRAMEWORKS - SUPERSEDED
    assert _found(served, q=FRAMEWORK_WORD, current="false") == SUPERSEDED
    flags = {hit["log_index"]: hit["superseded"] for hit in _api(served, q=FRAMEWORK_WORD)["results"]}
    assert flags[served.filled.published["acme-sdf-1"].log_index] is True
    assert flags[served.filled.published["acme-sdf-2"].log_index] is False


def test_markup_in_a_document_comes_back_escaped_with_only_mark_added(served: Served) -> None:
    hits = _api(served, q="alert owned")["results"]
    assert [hit["log_index"] for hit in hits] == [served.filled.published["corvid-sdf-hostile"].log_index]
    snippet = hits[0]["snippet_html"]
    assert "<mark>" in snippet
    assert "<script" not in snippet
    assert "&#34;" in snippet  # escaped (PostgreSQL's ts_headline also drops the tags themselves)
    assert set(snippet.replace("<mark>", "").replace("</mark>", "")).isdisjoint("<>")
    page = served.client.get("/search", params={"q": "alert owned"})
    assert page.status_code == 200
    assert "<script" not in page.text
    assert "<mark>" in page.text
    assert not check_html(page.text).errors


def test_redacted_text_is_not_found(served: Served) -> None:
    # The hostile document redacts "The vendor is Secret Evals Inc." and "4e26 FLOP": only placeholders are public.
    assert _found(served, q="Secret Evals") == set()
    assert _found(served, q="Evals") == set()


HOSTILE_QUERIES = [
    '"',
    '"unbalanced',
    "NEAR(",
    "NEAR(a b",
    "*",
    "distill*",
    "-",
    "-distilled",
    "((",
    "distilled)",
    "a OR",
    "AND",
    "body:distilled",
    "{developer body}: x",
    "^distilled",
    "distilled\x00",
    "\x00",
    "x" * 10_240,
    "distilled " * 1_000,
    "   ",
    "!!&&||<->:*",
    "'; DROP TABLE statements; --",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries_give_a_4xx_or_results_never_a_500(served: Served, query: str) -> None:
    response = served.client.get("/api/v1/search", params={"q": query})
    assert response.status_code in {200, 400, 422}, response.text
    if response.status_code != 200:
        assert set(response.json()["error"]) == {"code", "message", "detail"}
    page = served.client.get("/search", params={"q": query})
    assert page.status_code in {200, 400, 422}, page.text[:500]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x", "issued_from": "2026-13-01"},
        {"q": "x", "issued_to": "yesterday"},
        {"q": "x", "issued_from": "2026-02-01", "issued_to": "2026-01-01"},
        {"q": "x", "issued_to": "9999-12-31"},
        {"q": "x", "developer": "Acme\x00"},
        {"q": "x", "kind": "novel"},
        {"q": "x", "current": "maybe"},
        {"q": "x", "page": "0"},
        {},
    ],
)
def test_bad_filters_get_a_4xx_in_the_error_shape(served: Served, params: dict[str, str]) -> None:
    response = served.client.get("/api/v1/search", params=params)
    if params.get("issued_to") == "9999-12-31":
        assert response.status_code == 200  # the last representable day is a valid, if empty, range end
        return
    assert response.status_code in {400, 422}, response.text
    assert set(response.json()["error"]) == {"code", "message", "detail"}


def test_the_search_form_is_in_every_page_header_and_needs_no_script(served: Served) -> None:
    home = served.client.get("/").text
    assert 'action="/search"' in home
    page = served.client.get("/search", params={"q": FRAMEWORK_WORD})
    assert page.status_code == 200
    assert "<script" not in page.text
    assert (
        "script-src" not in page.headers["content-security-policy"]
        or "'unsafe" not in page.headers["content-security-policy"]
    )


def test_search_is_in_the_openapi_document(served: Served) -> None:
    paths = served.client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/search" in paths


def test_each_query_is_cached_under_its_own_etag(served: Served) -> None:
    # The page cache keys answers by path and query at one registry version: another query must never get the
    # first query's cached answer, and the same query is answered 304 when the client already has it.
    first = served.client.get("/search", params={"q": FRAMEWORK_WORD})
    other = served.client.get("/search", params={"q": "Borealis Research"})
    assert first.headers["etag"] != other.headers["etag"]
    assert FRAMEWORK_WORD in first.text
    assert "Borealis Research" in other.text
    assert FRAMEWORK_WORD not in other.text.split("<main", 1)[1].split("</form>", 1)[0]
    again = served.client.get("/search", params={"q": FRAMEWORK_WORD}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    api = served.client.get("/api/v1/search", params={"q": FRAMEWORK_WORD})
    assert api.headers["etag"] not in {first.headers["etag"], other.headers["etag"]}


def test_the_page_form_as_submitted_with_empty_filters_searches(served: Served) -> None:
    # A browser sends every field of the form, the empty ones as "": they mean "any", not a malformed filter.
    empty = {"developer": "", "kind": "", "issued_from": "", "issued_to": "", "current": ""}
    page = served.client.get("/search", params={"q": FRAMEWORK_WORD, **empty})
    assert page.status_code == 200
    assert _found(served, q=FRAMEWORK_WORD, **empty) == FRAMEWORKS
    assert _found(served, q=FRAMEWORK_WORD, **{**empty, "developer": "acme-ai"}) == {"acme-sdf-1", "acme-sdf-2"}


def test_result_pages_link_to_the_next_with_the_same_filters(served: Served) -> None:
    # "acme" is in every acme-ai document: fewer than a page, so no next link; page 2 of it is empty.
    first = served.client.get("/search", params={"q": "acme", "developer": "acme-ai"})
    assert first.status_code == 200
    assert 'rel="next"' not in first.text
    second = served.client.get("/search", params={"q": "acme", "developer": "acme-ai", "page": "2"})
    assert 'rel="prev" href="/search?q=acme&amp;developer=acme-ai&amp;page=1"' in second.text
    assert "No published document holds all of these words." in second.text


def test_the_search_page_without_words_shows_the_empty_form_not_an_error(served: Served) -> None:
    for params in ({}, {"q": ""}, {"q": "", "developer": "", "kind": ""}):
        page = served.client.get("/search", params=params)
        assert page.status_code == 200, page.text[:300]
        assert 'name="q"' in page.text
        assert "search-results" not in page.text
        assert "No published document holds" not in page.text
        assert not check_html(page.text).errors
    # The control: words still search, and bad filters are still refused.
    assert "search-results" in served.client.get("/search", params={"q": FRAMEWORK_WORD}).text
    assert served.client.get("/search", params={"kind": "novel"}).status_code == 422


def test_the_api_still_refuses_a_search_without_words(served: Served) -> None:
    response = served.client.get("/api/v1/search")
    assert response.status_code == 400, response.text
    assert set(response.json()["error"]) == {"code", "message", "detail"}
