"""The bounded HTTP client against a loopback server that misbehaves on purpose, each case beside its control."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from candor.httpclient import JSON_ANSWER, HttpClient, HttpError, Resource

SMALL = Resource("small thing", 16)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/small":
            return self._send(200, b"0123456789", {"Content-Length": "10"})
        if self.path == "/declared-huge":
            # Declares a gigabyte and sends nothing more: refused on the header alone.
            return self._send(200, b"", {"Content-Length": str(1 << 30)})
        if self.path.startswith("/loop/"):
            step = int(self.path.rsplit("/", 1)[1])
            return self._send(302, b"", {"Location": f"/loop/{step + 1}", "Content-Length": "0"})
        if self.path == "/json":
            return self._send(200, b"{}", {"Content-Type": "application/json", "Content-Length": "2"})
        if self.path == "/not-json":
            return self._send(200, b"{nope", {"Content-Type": "application/json", "Content-Length": "5"})
        return self._send(404, b"no such thing\nsecond line", {"Content-Length": "25"})

    def do_POST(self) -> None:
        self._send(307, b"", {"Location": "/small", "Content-Length": "0"})


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_declared_size_over_the_limit_is_refused_before_the_body(server: str) -> None:
    with HttpClient(server) as client:
        assert client.get("/small", SMALL).body == b"0123456789"
        with pytest.raises(HttpError, match=r"a small thing of 1,073,741,824 bytes is over the limit of 16$"):
            client.get("/declared-huge", SMALL)


def test_a_redirect_loop_stops_after_a_few_hops(server: str) -> None:
    with HttpClient(server) as client, pytest.raises(HttpError, match="more than 3 redirects"):
        client.get("/loop/0", SMALL)


def test_a_redirected_post_is_not_replayed(server: str) -> None:
    with HttpClient(server) as client, pytest.raises(HttpError, match=r"^POST .*/publish answered HTTP 307"):
        client.request("POST", "/publish", JSON_ANSWER, json={"statement": "..."})


def test_errors_and_bad_json_are_one_line(server: str) -> None:
    with HttpClient(server) as client:
        assert client.get("/json", JSON_ANSWER).json() == {}
        with pytest.raises(HttpError, match=r"answered HTTP 404: no such thing$"):
            client.get("/missing", SMALL)
        assert client.get("/missing", SMALL, allow_error=True).status == 404
        with pytest.raises(HttpError, match="the answer is not JSON") as raised:
            client.get("/not-json", JSON_ANSWER).json()
        assert "\n" not in raised.value.diagnostics()
