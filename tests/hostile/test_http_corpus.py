"""Every HTTP case of the hostile-input corpus, against the real app over loopback HTTP: a 4xx, never a 5xx.

Under ``/api/`` and ``/log/`` the refusal is the one JSON error shape (``{"error": {"code", "message", "detail"}}``)
with a one-line message; elsewhere it is the website's HTML error page. One registry serves every case: acme-ai and
rival-ai are registered with the corpus's committed test keys, so that the signed bodies in the corpus verify.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from candor.config import load_settings, sqlite_url
from candor.domain.developer_keys import load_private_key
from candor.store.database import create_database_engine, session_factory
from candor.store.developers import Developers
from candor.store.schema import upgrade_database
from candor.store.tokens import ApiTokens
from candor.store.vocabulary import TokenScope
from candor.web.app import create_app
from tests.hostile.corpus import CORPUS, REGISTRY_ORIGIN, REPO, cases_for, expand
from tests.web.conftest import serve_app


@dataclass(frozen=True)
class Registry:
    base_url: str
    client: httpx.Client
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    data_dir = tmp_path_factory.mktemp("hostile-http")
    database_url = sqlite_url(data_dir / "candor.sqlite3")
    engine = create_database_engine(database_url)
    tokens = {}
    try:
        upgrade_database(engine)
        with session_factory(engine).begin() as session:
            developers = Developers(session)
            for slug in ("acme-ai", "rival-ai"):
                key = load_private_key(slug, (CORPUS / "keys" / f"{slug}.key").read_bytes())
                developer = developers.add(slug, legal_name=f"{slug} Inc.", website_domain=f"{slug}.example")
                developers.add_key(developer, key.public_key())
                tokens[slug.removesuffix("-ai")], _ = ApiTokens(session).issue(TokenScope.PUBLISH, developer)
    finally:
        engine.dispose()
    settings = load_settings(data_dir=data_dir, database_url=database_url, log_origin=REGISTRY_ORIGIN)
    with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield Registry(base_url, client, tokens)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def _authorization(token: str | None, tokens: dict[str, str]) -> dict[str, str]:
    """The Authorization header for a manifest token: a developer's alias, "none", "header:<raw>", or a literal."""
    if token is None or token == "none":
        return {}
    if token.startswith("header:"):
        return {"Authorization": token.removeprefix("header:")}
    return {"Authorization": f"Bearer {tokens.get(token, token)}"}


def _body(request: dict[str, Any], where: dict[str, str]) -> bytes | None:
    if "body" in request:
        return Path(expand(request["body"], where)).read_bytes()
    if "json" in request:
        return json.dumps(request["json"]).encode()
    return None


def send(registry: Registry, request: dict[str, Any], where: dict[str, str]) -> Answer:
    headers = {**_authorization(request.get("token"), registry.tokens), **request.get("headers", {})}
    body = _body(request, where)
    if body is not None:
        headers.setdefault("Content-Type", "application/json")
    if request.get("raw"):
        return _send_raw(registry.base_url, request["method"], request["path"], headers, body)
    response = registry.client.request(request["method"], request["path"], headers=headers, content=body)
    return Answer(response.status_code, response.headers.get("content-type", ""), response.content)


def _send_raw(base_url: str, method: str, path: str, headers: dict[str, str], body: bytes | None) -> Answer:
    """One request written byte for byte: a path no client would normalise, a Content-Length no client would send."""
    address = urlsplit(base_url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {address.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
    with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=30) as connection:
        connection.sendall(payload)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, content = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in header_lines if ": " in line)
    return Answer(
        int(status_line.split(" ")[1]), {k.lower(): v for k, v in fields.items()}.get("content-type", ""), content
    )


def assert_refused(answer: Answer, request: dict[str, Any], expect: dict[str, Any]) -> None:
    assert answer.status < 500, f"the registry failed: {answer.status} {answer.body[:500]!r}"
    assert answer.status == expect["status"], f"{answer.status} {answer.body[:500]!r}"
    if request["method"] == "HEAD":
        assert answer.body == b""
        return
    path = request["path"]
    if expect.get("code") == "server":
        # Refused by the HTTP server's own parser, before the app (and its error shape) is reached.
        assert answer.content_type.startswith("text/plain"), answer.content_type
    elif path.startswith(("/api/", "/log/")):
        assert answer.content_type.startswith("application/json"), answer.content_type
        error = json.loads(answer.body)["error"]
        assert set(error) == {"code", "message", "detail"}, error
        assert isinstance(error["message"], str), error
        assert error["message"], error
        assert "\n" not in error["message"], error["message"]
        assert "Traceback" not in error["message"]
        if "code" in expect:
            assert error["code"] == expect["code"], error
    else:
        assert answer.content_type.startswith("text/html"), answer.content_type
        assert b"Traceback" not in answer.body


@pytest.mark.parametrize("case", cases_for("http"))
def test_registry_refuses_hostile_request_with_a_4xx(case: dict[str, Any], registry: Registry) -> None:
    where = {"corpus": str(CORPUS), "examples": str(REPO / "examples")}
    request = case["request"]
    assert_refused(send(registry, request, where), request, case["expect"])
