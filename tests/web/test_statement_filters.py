"""Filters and orders on /statements and /api/v1/statements, and the /developers index, over real HTTP.

The site and the API read the same parameters, so every check asks both and expects the same statements; each
filter is also asked in a form that should match nothing, so that a filter that quietly does nothing fails.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import Served
from tests.web.htmlcheck import check_html


def _api(served: Served, **params: str) -> list[int]:
    response = served.client.get("/api/v1/statements", params={"per_page": "100", **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return [item["log_index"] for item in body["items"]]


def _page(served: Served, **params: str) -> list[int]:
    response = served.client.get("/statements", params=params)
    assert response.status_code == 200, response.text[:500]
    assert not check_html(response.text).errors
    table = response.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [int(index) for index in re.findall(r'<td class="num">(\d+)</td>', table)]


def _both(served: Served, **params: str) -> list[int]:
    from_api = _api(served, **params)
    assert _page(served, **params) == from_api, params
    return from_api


def _indexes(served: Served, *names: str) -> set[int]:
    return {served.filled.published[name].log_index for name in names}


def test_no_filter_lists_everything_newest_first(served: Served) -> None:
    everything = sorted((p.log_index for p in served.filled.published.values()), reverse=True)
    assert _both(served) == everything
    assert _both(served, developer="", kind="", issued_from="", issued_to="", sort="") == everything


def test_developer_and_kind_filters_narrow_to_exactly_the_matching_statements(served: Served) -> None:
    assert set(_both(served, developer="borealis")) == _indexes(served, "borealis-sdf-1", "borealis-sdf-2-weakened")
    assert set(_both(served, kind="system-card")) == _indexes(served, "acme-card-3", "acme-card-3-5")
    assert set(_both(served, developer="acme-ai", kind="withdrawal")) == _indexes(served, "acme-withdrawal")
    assert _both(served, developer="corvid-labs", kind="certification") == []


def test_the_issue_day_range_includes_both_ends(served: Served) -> None:
    # The test registry's clock issues every statement on 2026-01-01, one hour apart.
    everything = _both(served)
    assert _both(served, issued_from="2026-01-01", issued_to="2026-01-01") == everything
    assert _both(served, issued_from="2026-01-02") == []
    assert _both(served, issued_to="2025-12-31") == []


def test_sorting_reverses_and_orders_by_issue_date(served: Served) -> None:
    newest = _both(served)
    assert _both(served, sort="oldest") == list(reversed(newest))
    assert _both(served, sort="issued-newest") == newest  # issued in log order here
    assert _both(served, sort="issued-oldest") == list(reversed(newest))


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"developer": "Acme"}, 422),
        ({"kind": "novel"}, 422),
        ({"issued_from": "2026-13-01"}, 400),
        ({"issued_to": "yesterday"}, 422),
        ({"issued_from": "2026-02-01", "issued_to": "2026-01-01"}, 400),
        ({"sort": "random"}, 422),
        ({"developer": "nobody-here"}, 404),
    ],
)
def test_bad_filters_are_refused_alike_by_the_api_and_the_page(
    served: Served, params: dict[str, str], status: int
) -> None:
    response = served.client.get("/api/v1/statements", params=params)
    assert response.status_code == status, response.text
    assert set(response.json()["error"]) == {"code", "message", "detail"}
    assert served.client.get("/statements", params=params).status_code == status


def test_page_links_keep_the_filters(served: Served) -> None:
    response = served.client.get("/statements", params={"developer": "acme-ai", "sort": "oldest"})
    # Fewer than a page: no pagination, but the JSON link carries the same filters.
    assert "/api/v1/statements?developer=acme-ai&amp;sort=oldest" in response.text
    assert '<option value="acme-ai" selected>' in response.text
    assert '<option value="oldest" selected>' in response.text


def test_the_developers_index_lists_every_developer_with_a_link_to_its_statements(served: Served) -> None:
    response = served.client.get("/developers")
    assert response.status_code == 200
    assert not check_html(response.text).errors
    for slug, count in (("acme-ai", 6), ("borealis", 2), ("corvid-labs", 1)):
        assert f'href="/developers/{slug}"' in response.text
        assert f'href="/statements?developer={slug}"' in response.text
        assert len(_api(served, developer=slug)) == count
    assert served.client.get("/developers", params={"page": "2"}).status_code == 404
