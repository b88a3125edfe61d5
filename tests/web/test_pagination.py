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
