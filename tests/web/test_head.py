"""HEAD is answered wherever GET is: the same status and headers, and no body."""

from __future__ import annotations

import asyncio

import httpx

from candor.config import load_settings
from candor.web.app import create_app
from tests.web.conftest import Served

#: Headers that may differ between two answers to the same GET.
_PER_RESPONSE = {"date"}


def _paths(served: Served) -> list[str]:
    size = served.filled.log_size
    return [
        "/",
        f"/statements/{served.filled.published['acme-sdf-1'].log_index}",
        "/developers/acme-ai",
        "/feed.atom",
        "/log/checkpoint",
        f"/log/tile/0/000.p/{size}",
        "/log/vkey",
        "/api/v1/statements",
        f"/api/v1/statements/{served.filled.published['acme-sdf-2'].statement_sha256}",
        "/static/candor.css",
    ]


def test_head_answers_like_get_without_a_body(served: Served) -> None:
    for path in _paths(served):
        got = served.client.get(path)
        head = served.client.head(path)
        assert got.status_code == 200, path
        assert head.status_code == 200, path
        assert head.content == b"", path
        assert {key: value for key, value in head.headers.items() if key not in _PER_RESPONSE} == {
            key: value for key, value in got.headers.items() if key not in _PER_RESPONSE
        }, path
        assert int(head.headers["content-length"]) == len(got.content), path


def test_head_of_a_missing_page_is_the_same_404(served: Served) -> None:
    for path in ("/statements/999999", "/api/v1/developers/no-such-developer"):
        head = served.client.head(path)
        assert head.status_code == 404, path
        assert head.content == b""
        assert head.headers["content-type"] == served.client.get(path).headers["content-type"]


def test_the_app_itself_sends_no_body_to_a_head(served: Served) -> None:
    """Over HTTP the server would drop a body anyway; in-process, only the app can leave it out."""
    settings = load_settings(data_dir=served.data_dir, database_url=served.database_url)
    app = create_app(settings)

    async def head_and_get(path: str) -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
            return await client.head(path), await client.get(path)

    for path in ("/", "/log/checkpoint", "/api/v1/statements"):
        head, got = asyncio.run(head_and_get(path))
        assert head.status_code == 200, path
        assert head.content == b"", path
        assert got.content != b"", path
