"""The watcher's fetches: one bounded, polite GET of a developer's page, whatever the server does.

Every fetch goes through :class:`~candor.httpclient.HttpClient` with the watcher's bounds (size, total deadline,
redirects, accepted media types) and an :class:`~candor.netguard.AddressGuard` (no private addresses, one DNS
answer per connection). On top of that, politeness: a User-Agent that names Candor and where to learn about it,
robots.txt read once per host and round, a minimum interval between two requests to one host, and conditional
requests so that an unchanged page costs the site a 304.

Whatever goes wrong becomes a :class:`Fetched` with a reason, never an exception: one bad site must not stop the
watcher from looking at the others.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from candor import __version__
from candor.domain.extraction import WATCHED_TYPES, ExtractionError, extract_text, media_type_of
from candor.domain.watch_findings import Looked
from candor.httpclient import HttpClient, HttpError, Resource, UnreachableError
from candor.netguard import AddressGuard, Resolver, system_resolver

#: robots.txt is read up to this size (RFC 9309 asks crawlers to read at least 500 KiB).
ROBOTS_MAX_BYTES = 512 * 1024
_ROBOTS = Resource("robots.txt", ROBOTS_MAX_BYTES, ("text/plain",))
_AGENT_NAME = "CandorWatcher"


@dataclass(frozen=True)
class WatchLimits:
    """The bounds of every fetch, from the settings."""

    max_bytes: int = 20 * 1024 * 1024
    deadline: float = 60.0
    read_timeout: float = 30.0
    max_redirects: int = 5
    host_interval: float = 1.0
    contact_url: str = "https://candor.example/watcher"
    allow_hosts: tuple[str, ...] = ()

    @property
    def user_agent(self) -> str:
        return f"{_AGENT_NAME}/{__version__} (Candor transparency registry; +{self.contact_url})"


@dataclass(frozen=True)
class Fetched:
    """One fetch's outcome: what :mod:`candor.domain.watch_findings` judges, the bytes and text, and the validators
    to send next time."""

    looked: Looked
    content: bytes | None = None
    text: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    #: The server answered 304: the version archived last is still what the URL serves.
    not_modified: bool = False

    @property
    def failed(self) -> bool:
        return self.looked.unreachable is not None or self.looked.refused is not None


@dataclass
class _HostPacer:
    """At most one request per ``interval`` seconds to each host, across the watcher's threads."""

    interval: float
    sleep: Callable[[float], None] = time.sleep
    _next: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, host: str) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(host, now))
            self._next[host] = at + self.interval
        if at > now:
            self.sleep(at - now)


class Fetcher:
    """Fetches watched URLs within :class:`WatchLimits`; one per watcher round (robots.txt is cached per round)."""

    def __init__(
        self,
        limits: WatchLimits,
        *,
        transport: httpx.BaseTransport | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.limits = limits
        self.resource = Resource("watched page", limits.max_bytes, tuple(sorted(WATCHED_TYPES)))
        self._client = HttpClient(
            "",
            timeout=limits.read_timeout,
            deadline=limits.deadline,
            transport=transport,
            user_agent=limits.user_agent,
            connect_guard=AddressGuard.allowing(limits.allow_hosts, resolver),
            cross_origin_redirects=True,
            max_redirects=limits.max_redirects,
        )
        self._pacer = _HostPacer(limits.host_interval)
        self._robots: dict[str, RobotFileParser | Looked] = {}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET ``url`` (conditionally, given the validators of the version archived last)."""
        refusal = self._robots_refusal(url)
        if refusal is not None:
            return Fetched(refusal)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self._pacer.wait(_host(url))
        try:
            answer = self._client.request("GET", url, self.resource, headers=headers, allow_error=True)
        except UnreachableError as exc:
            return Fetched(Looked(unreachable=exc.diagnostics()))
        except HttpError as exc:
            return Fetched(Looked(refused=exc.diagnostics()))
        if answer.status == 304:
            return Fetched(Looked(status=304), etag=etag, last_modified=last_modified, not_modified=True)
        if not answer.ok:
            return Fetched(Looked(status=answer.status))
        media_type = media_type_of(answer.content_type)
        try:
            text = extract_text(answer.body, media_type)
        except ExtractionError as exc:
            return Fetched(Looked(status=answer.status, refused=f"{url}: {exc.message}"))
        looked = Looked(
            status=answer.status,
            media_type=media_type,
            content_sha256=hashlib.sha256(answer.body).hexdigest(),
            text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )
        return Fetched(
            looked, answer.body, text, etag=answer.header("etag"), last_modified=answer.header("last-modified")
        )

    def _robots_refusal(self, url: str) -> Looked | None:
        """Why robots.txt forbids fetching ``url`` (or cannot be read), or None."""
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        rules = self._robots.get(root)
        if rules is None:
            rules = self._read_robots(root)
            self._robots[root] = rules
        if isinstance(rules, Looked):
            return rules
        if not rules.can_fetch(_AGENT_NAME, url):
            return Looked(refused=f"{root}/robots.txt disallows {parts.path or '/'} for {_AGENT_NAME}")
        return None

    def _read_robots(self, root: str) -> RobotFileParser | Looked:
        """The site's robots.txt rules; RFC 9309: none (4xx) allows all, an unreachable or failing one (5xx) none."""
        self._pacer.wait(_host(root))
        rules = RobotFileParser()
        try:
            answer = self._client.request("GET", f"{root}/robots.txt", _ROBOTS, allow_error=True)
        except UnreachableError as exc:
            return Looked(unreachable=exc.diagnostics())
        except HttpError as exc:
            # A robots.txt served as HTML or too large: read as none, as crawlers do.
            if "robots.txt" in exc.message and "answered" in exc.message:
                rules.parse([])
                return rules
            return Looked(refused=exc.diagnostics())
        if answer.status >= 500:
            return Looked(
                refused=f"{root}/robots.txt answers HTTP {answer.status}; the watcher waits until it can read it"
            )
        rules.parse([] if answer.status >= 400 else answer.text().splitlines())
        return rules


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()
