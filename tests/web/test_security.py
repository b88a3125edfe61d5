"""Security headers on every response, a strict CSP, hostile Markdown rendered harmless, and body limits."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request

from candor.config import load_settings
from candor.web.app import create_app
from tests.web.conftest import Served, serve_app
from tests.web.htmlcheck import check_html

EVERY_KIND_OF_RESPONSE = [
    ("GET", "/"),
    ("GET", "/statements/3"),  # the first statement, after the three developers' key-registrations
    ("GET", "/static/candor.css"),
    ("GET", "/feed.atom"),
    ("GET", "/api/v1/statements"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/log/checkpoint"),
    ("GET", "/log/tile/0/000.p/12"),
    ("GET", "/no/such/page"),
    ("GET", "/api/v1/no-such-thing"),
    ("DELETE", "/api/v1/statements"),
    ("GET", "/api/v1/statements?per_page=0"),
]


@pytest.mark.parametrize(("method", "path"), EVERY_KIND_OF_RESPONSE)
def test_every_response_carries_the_security_headers(served: Served, method: str, path: str) -> None:
    response = served.client.request(method, path)
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    policy = headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert "script-src" not in directives  # falls back to default-src 'none': no script runs at all
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_a_hostile_document_renders_sanitised(served: Served) -> None:
    published = served.filled.published["corvid-sdf-hostile"]
    text = served.client.get(f"/statements/{published.log_index}").text
    body = text.split('<article class="document-body">')[1].split("</article>")[0]
    page = check_html(body)
    assert page.count("script") == 0
    assert page.count("iframe") == 0
    assert page.count("img") == 0
    assert not [name for name, attrs in page.tags if any(key.startswith("on") for key in attrs)]
    hrefs = [attrs.get("href") or "" for name, attrs in page.tags if name == "a"]
    assert hrefs, "the document's ordinary links survive"
    assert not [href for href in hrefs if href.strip().lower().startswith("javascript:")]
    assert all(attrs.get("rel") == "noopener noreferrer nofollow" for name, attrs in page.tags if name == "a")
    assert "alert(" not in body.replace("javascript:alert('owned')", "")  # only as inert text of a non-link
    # Redactions appear as placeholders; the redacted words never do.
    assert "[redacted: national-security; justification: export controls]" in body
    assert "4e26 FLOP" not in body
    assert "Redacted passage</strong> — trade-secret" in body
    assert "Secret Evals Inc." not in body


@pytest.fixture(scope="module")
def echo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app plus one route that reads its body, standing in for the publishing endpoint."""
    data_dir = tmp_path_factory.mktemp("limits")
    settings = load_settings(data_dir=data_dir, max_request_bytes=1024)
    app: FastAPI = create_app(settings)

    @app.post("/api/v1/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.get("/api/v1/crash")
    async def crash() -> None:
        raise RuntimeError("a bug, not a user error")

    with serve_app(app) as base_url:
        yield base_url


def _raw_request(base_url: str, request: bytes) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_a_body_under_the_limit_is_accepted(echo_server: str) -> None:
    response = httpx.post(f"{echo_server}/api/v1/echo", content=b"x" * 1024)
    assert response.status_code == 200
    assert response.json() == {"received": 1024}


def test_a_declared_content_length_over_the_limit_is_refused_with_413(echo_server: str) -> None:
    response = httpx.post(f"{echo_server}/api/v1/echo", content=b"x" * 1025)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_chunked_body_over_the_limit_is_refused_while_streaming(echo_server: str) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(8):
            yield b"y" * 512

    response = httpx.post(f"{echo_server}/api/v1/echo", content=chunks())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_non_numeric_content_length_is_refused(echo_server: str) -> None:
    raw = _raw_request(
        echo_server, b"POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\nConnection: close\r\n\r\n"
    )
    assert raw.startswith(b"HTTP/1.1 400")


def test_the_publishing_endpoint_refuses_a_streamed_body_over_the_limit(served: Served, publish_token: str) -> None:
    limit = load_settings().max_request_bytes

    def chunks() -> Iterator[bytes]:
        sent = 0
        while sent <= limit:
            yield b"{" * 65536
            sent += 65536

    # Without a token, the body is never read: the refusal is a 401. With one, reading stops at the limit.
    for authorization, status, code in ((None, 401, "unauthorized"), (publish_token, 413, "request_too_large")):
        headers = {"Content-Type": "application/json"}
        if authorization is not None:
            headers["Authorization"] = f"Bearer {authorization}"
        response = served.client.post("/api/v1/statements", content=chunks(), headers=headers)
        assert response.status_code == status
        assert response.json()["error"]["code"] == code


def test_a_crash_answers_500_in_the_error_shape_with_the_security_headers(echo_server: str) -> None:
    response = httpx.get(f"{echo_server}/api/v1/crash")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "the registry failed to answer this request", "detail": None}
    }
    assert "a bug" not in response.text  # no internals leak
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["x-content-type-options"] == "nosniff"
