"""The one HTTP client of Candor's verifiers and publisher, bounded so that no server can hold or flood them.

A verifier talks to servers it does not trust: the whole point of verifying is that the registry might lie.
So every request made here

* reads the body as a stream and stops at the limit of the resource it asked for (a tile is 8 KiB, so a
  100 MB "tile" is refused after 8 KiB, not downloaded first);
* has an overall deadline besides the per-read timeout, so a server trickling a byte every few seconds
  cannot hold the client forever;
* follows at most a few redirects, and only within the same origin (scheme, host and port): a redirect to
  another host could hand the verifier someone else's log;
* turns every failure (unreachable, non-2xx, wrong content type, too large, too slow) into one
  :class:`HttpError` with a one-line message naming the URL.

The registry's watcher, which fetches pages of developers' sites that anyone may have named, uses the same client
with three more bounds: a ``connect_guard`` that resolves each host once and refuses private, loopback, link-local
and metadata addresses (:mod:`candor.netguard`); the request then goes to that address, with the name only in the
Host header and TLS SNI, so a second DNS answer cannot send it elsewhere (DNS rebinding). Redirects to other
origins may be allowed (a site may move a page to its CDN), each hop passing the guard again. And conditional
requests: the caller sends ``If-None-Match`` / ``If-Modified-Since`` and reads the answer's headers.

It lives at the package top, beside :mod:`candor.errors`, because both the log reader (:mod:`candor.tlog`) and
the registry client (:mod:`candor.registry_client`) use it, and neither layer may import the other's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from candor.errors import CandorError

#: Seconds a whole request (connect, redirects, headers and body) may take, whatever the per-read timeout.
DEADLINE_SECONDS = 120.0
#: Seconds any single connect or read may wait.
READ_TIMEOUT_SECONDS = 30.0
#: Same-origin redirects followed before giving up.
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: How much of an error answer is read, to quote its first line.
_ERROR_BODY_LIMIT = 64 * 1024


class HttpError(CandorError):
    """A request that failed: unreachable, refused, redirected elsewhere, too large, too slow, or the wrong type."""


class UnreachableError(HttpError):
    """No answer at all: the name does not resolve, or the connection is refused, fails or times out."""


#: Resolves ``(host, port)`` to the one address to connect to, or raises :class:`HttpError` (see candor.netguard).
ConnectGuard = Callable[[str, int], str]


@dataclass(frozen=True)
class Resource:
    """What is being fetched: its name in messages, its size limit, and the content types it may come as.

    ``content_types`` lists the accepted media types (without parameters); ``None`` accepts any type but
    HTML, which is what an error page or a captive portal answers with instead of a log's file.
    """

    name: str
    max_bytes: int
    content_types: tuple[str, ...] | None = None

    def check_content_type(self, url: str, content_type: str) -> None:
        media_type = content_type.split(";", 1)[0].strip().lower()
        if self.content_types is None:
            if media_type == "text/html":
                raise HttpError(f"{url}: answered an HTML page, not a {self.name}")
            return
        if media_type not in self.content_types:
            shown = media_type or "no content type"
            raise HttpError(f"{url}: answered {shown}, not a {self.name} ({', '.join(self.content_types)})")


#: The registry API's JSON answers.
JSON_ANSWER = Resource("JSON answer", 8 * 1024 * 1024, ("application/json",))


@dataclass(frozen=True)
class Answer:
    """A complete, bounded HTTP answer."""

    url: str
    method: str
    status: int
    content_type: str
    body: bytes
    #: The answer's headers (names in lower case), for ETags, Last-Modified and the like.
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is an :class:`HttpError`, never a traceback."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HttpError(f"{self.url}: the answer is not JSON ({exc})") from None

    def first_line(self) -> str:
        """The answer's first line, for one-line error messages."""
        text = self.text().strip()
        return text.splitlines()[0][:200] if text else ""


def _parse_url(text: str) -> httpx.URL:
    """``text`` as a URL, or an :class:`HttpError` naming it."""
    try:
        return httpx.URL(text)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise HttpError(f"{text!r} is not a valid URL ({exc})") from None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port if url.port is not None else default


class HttpClient:
    """Bounded requests under one base URL, e.g. ``HttpClient("https://registry.example")``."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        transport: httpx.BaseTransport | None = None,
        user_agent: str | None = None,
        connect_guard: ConnectGuard | None = None,
        cross_origin_redirects: bool = False,
        max_redirects: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Parsed once here, so that a URL httpx cannot read (an unclosed IPv6 bracket, a port that is not a number)
        # is one line naming it, not an exception from deep inside the first request.
        if self.base_url:
            _parse_url(self.base_url)
        self.connect_guard = connect_guard
        self.cross_origin_redirects = cross_origin_redirects
        self.max_redirects = MAX_REDIRECTS if max_redirects is None else max_redirects
        default_headers = {"Accept-Encoding": "identity"}
        if user_agent:
            default_headers["User-Agent"] = user_agent
        # Read at construction, not import, so that a caller (or a test) can change the module's defaults.
        self.deadline = DEADLINE_SECONDS if deadline is None else deadline
        self.read_timeout = READ_TIMEOUT_SECONDS if timeout is None else timeout
        self._http = httpx.Client(
            timeout=self.read_timeout,
            follow_redirects=False,
            transport=transport,
            # Compressed answers could expand far beyond the limit between two checks.
            headers=default_headers,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        """``path`` under the base URL; an absolute http(s) URL is taken as it is."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def get(self, path: str, resource: Resource, *, allow_error: bool = False) -> Answer:
        return self.request("GET", path, resource, allow_error=allow_error)

    def request(
        self,
        method: str,
        path: str,
        resource: Resource,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        allow_error: bool = False,
    ) -> Answer:
        """Send one request and read its answer within the limits.

        A non-2xx answer is an :class:`HttpError`, unless ``allow_error``: then it is returned (its body cut
        at 64 KiB) so that the caller can read an API's error code. A 2xx answer must have the resource's
        content type and fit its size limit.
        """
        url = _parse_url(self.url(path))
        start = time.monotonic()
        origin = _origin(url)
        for _ in range(self.max_redirects + 1):
            answer = self._exchange(method, url, resource, json=json, content=content, headers=headers, start=start)
            if isinstance(answer, Answer):
                if not answer.ok and not allow_error:
                    reason = answer.first_line()
                    raise HttpError(f"{method} {url} answered HTTP {answer.status}" + (f": {reason}" if reason else ""))
                return answer
            if answer.scheme not in ("http", "https"):
                raise HttpError(f"{method} {url} redirects to a {answer.scheme or 'relative'} URL")
            if _origin(answer) != origin and not self.cross_origin_redirects:
                raise HttpError(
                    f"{method} {url} redirects to another origin ({answer.scheme}://{answer.netloc.decode()})"
                )
            url = answer
        raise HttpError(f"{method} {self.url(path)}: more than {self.max_redirects} redirects")

    def _exchange(
        self,
        method: str,
        url: httpx.URL,
        resource: Resource,
        *,
        json: Any,
        content: bytes | None = None,
        headers: dict[str, str] | None,
        start: float,
    ) -> Answer | httpx.URL:
        """One request: its bounded answer, or the URL it redirects to."""
        try:
            # No single wait may outlast what is left of the deadline.
            remaining = max(0.01, self.deadline - (time.monotonic() - start))
            timeout = min(self.read_timeout, remaining)
            target, headers, extensions = self._pinned(url, headers)
            request = self._http.build_request(
                method, target, json=json, content=content, headers=headers, timeout=timeout, extensions=extensions
            )
            response = self._http.send(request, stream=True)
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    if method != "GET":
                        raise HttpError(f"{method} {url} answered HTTP {response.status_code}, a redirect")
                    return url.join(response.headers["location"])
                limit = resource.max_bytes if response.is_success else _ERROR_BODY_LIMIT
                body = self._read(response, url, resource, limit, start, cut=not response.is_success)
            finally:
                response.close()
        except (httpx.ConnectTimeout, httpx.ConnectError):
            raise UnreachableError(f"{method} {url}: cannot connect to the server") from None
        except httpx.TimeoutException:
            raise HttpError(f"{method} {url}: timed out waiting for the server") from None
        except httpx.HTTPError as exc:
            raise UnreachableError(f"{method} {url}: cannot reach the server ({exc})") from None
        content_type = response.headers.get("content-type", "")
        if response.is_success:
            resource.check_content_type(str(url), content_type)
        headers_read = tuple((key.lower(), value) for key, value in response.headers.items())
        return Answer(str(url), method, response.status_code, content_type, body, headers_read)

    def _pinned(
        self, url: httpx.URL, headers: dict[str, str] | None
    ) -> tuple[httpx.URL, dict[str, str] | None, dict[str, Any]]:
        """Where to connect for ``url``: the address the guard resolved once, the name kept in Host and SNI."""
        if self.connect_guard is None:
            return url, headers, {}
        port = url.port if url.port is not None else {"http": 80, "https": 443}.get(url.scheme, 0)
        address = self.connect_guard(url.host, port)
        pinned = dict(headers or {})
        pinned["Host"] = url.netloc.decode("ascii")
        extensions: dict[str, Any] = {"sni_hostname": url.host} if url.scheme == "https" else {}
        return url.copy_with(host=address), pinned, extensions

    def _read(
        self, response: httpx.Response, url: httpx.URL, resource: Resource, limit: int, start: float, *, cut: bool
    ) -> bytes:
        declared = response.headers.get("content-length", "")
        if not cut and declared.isdigit() and int(declared) > limit:
            raise HttpError(f"{url}: a {resource.name} of {int(declared):,} bytes is over the limit of {limit:,}")
        chunks: list[bytes] = []
        received = 0
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > limit:
                if cut:
                    chunks.append(chunk[: limit - received + len(chunk)])
                    break
                raise HttpError(f"{url}: the {resource.name} is over the limit of {limit:,} bytes")
            chunks.append(chunk)
            if time.monotonic() - start > self.deadline:
                raise HttpError(f"{url}: the {resource.name} took longer than {self.deadline:g} s to arrive")
        return b"".join(chunks)
