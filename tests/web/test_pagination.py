"""Paginated lists: a page past the last is a 404 (an HTML page on the site, the JSON error shape in the API),
the last page is served, and page 1 of an empty list is a 200 with its empty state."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from candor.config import load_settings
from candor.store.database import create_database_engine
from candor.store.schema import upgrade_database
from candor.web.app import create_app
from tests.web.conftest import Served

PAST_THE_END_PAGES = [
    "/?page=99",
    "/statements?page=99",
    "/developers/acme-ai?page=99",
    "/compare?page=99",
    "/feed.atom?page=99",
    "/developers/acme-ai/feed.atom?page=99",
]
PAST_THE_END_API = ["/api/v1/statements?page=99", "/api/v1/developers?page=99"]


@pytest.mark.parametrize("path", PAST_THE_END_PAGES)
def test_a_page_past_the_last_is_the_sites_404_page(served: Served, path: str) -> None:
    response = served.client.get(path)
    assert response.status_code == 404, path
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "page 99 does not exist" in response.text


@pytest.mark.parametrize("path", PAST_THE_END_API)
def test_a_page_past_the_last_is_the_apis_json_404(served: Served, path: str) -> None:
    response = served.client.get(path)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"].startswith("page 99 does not exist: the list has 1 page")


def test_the_last_page_is_served_and_the_next_is_not(served: Served) -> None:
    total = served.client.get("/api/v1/statements?per_page=5").json()["total"]
    last = -(-total // 5)
    assert served.client.get(f"/api/v1/statements?per_page=5&page={last}").status_code == 200
    assert served.client.get(f"/api/v1/statements?per_page=5&page={last + 1}").status_code == 404
    assert served.client.get(f"/statements?page={-(-total // 20)}").status_code == 200


def test_page_one_of_an_empty_list_is_its_empty_state(served: Served) -> None:
    # No correction was published: that filter makes an empty list, whose first page exists and second does not.
    empty = served.client.get("/api/v1/statements?kind=correction")
    assert empty.status_code == 200
    assert (empty.json()["items"], empty.json()["total"]) == ([], 0)
    assert served.client.get("/api/v1/statements?kind=correction&page=2").status_code == 404


def test_an_empty_registry_shows_its_first_pages(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    engine.dispose()
    app = create_app(settings)

    async def get(path: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry.test") as client:
            return await client.get(path)

    statements = asyncio.run(get("/statements"))
    assert statements.status_code == 200
    assert "Nothing has been published yet." in statements.text
    assert asyncio.run(get("/compare")).status_code == 200
    assert asyncio.run(get("/api/v1/developers")).json()["items"] == []
    assert asyncio.run(get("/statements?page=2")).status_code == 404


def _walk(client: httpx.Client, query: str) -> list[str]:
    """Every statement id, walking ``/api/v1/statements`` by ``before`` from the top until ``next_before`` is null."""
    ids: list[str] = []
    before: int | None = 2**63 - 1
    while before is not None:
        page = client.get(f"/api/v1/statements?per_page=2&before={before}{query}")
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 2
        ids += [item["id"] for item in body["items"]]
        before = body["next_before"]
    return ids


@pytest.mark.parametrize("query", ["", "&developer=acme-ai", "&kind=secure-development-framework"])
def test_walking_by_log_index_meets_every_statement_once_in_the_pages_order(served: Served, query: str) -> None:
    by_page = served.client.get(f"/api/v1/statements?per_page=100{query}").json()
    walked = _walk(served.client, query)
    assert walked == [item["id"] for item in by_page["items"]]
    assert len(walked) == by_page["total"] > 1


def test_a_walk_starting_mid_log_holds_only_what_came_before(served: Served) -> None:
    newest = served.client.get("/api/v1/statements?per_page=100").json()["items"]
    middle = newest[len(newest) // 2]["log_index"]
    page = served.client.get(f"/api/v1/statements?per_page=100&before={middle}").json()
    assert [item["log_index"] for item in page["items"]] == [i["log_index"] for i in newest if i["log_index"] < middle]
    assert page["next_before"] is None
    assert served.client.get("/api/v1/statements?before=0").json() == {
        "items": [],
        "per_page": 20,
        "before": 0,
        "next_before": None,
    }
    assert served.client.get("/api/v1/statements?before=-1").status_code == 422


def test_a_walk_by_log_index_neither_counts_nor_skips_rows(tmp_path: Path) -> None:
    """The SQL a keyset page runs, as the database sees it: a range on the index, no COUNT, and nothing skipped
    (SQLAlchemy writes ``OFFSET ?`` after every SQLite ``LIMIT``; what matters is that it is 0)."""
    from sqlalchemy import event

    from candor.services.integration import RegistryLog
    from candor.services.queries import RegistryQueries
    from candor.store.database import session_factory
    from candor.testing.registry import Registry
    from tests.web.registry import fill

    settings = load_settings(data_dir=tmp_path)
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    fill(Registry(sessions, RegistryLog(sessions, tmp_path, settings.log_origin), integrate_each=False))
    queries = RegistryQueries(sessions, tmp_path / "log", tmp_path / "facts")
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: object, *_: object) -> None:
        skipped = "OFFSET" in statement.upper() and isinstance(parameters, tuple) and parameters[-1] != 0
        seen.append(statement.upper() + (" SKIPS ROWS" if skipped else ""))

    event.listen(engine, "before_cursor_execute", record)
    try:
        queries.statements(number=2, size=2)  # control: numbered pages do both, so the listener sees them
        assert any("SKIPS ROWS" in sql for sql in seen)
        assert any("COUNT(" in sql for sql in seen)
        seen.clear()
        items, next_before = queries.statements_before(2**40, size=2)
        queries.statements_before(next_before or 0, size=2, developer="acme-ai")
    finally:
        event.remove(engine, "before_cursor_execute", record)
        engine.dispose()
    assert len(items) == 2
    assert seen
    assert not [sql for sql in seen if "SKIPS ROWS" in sql or "COUNT(" in sql]
