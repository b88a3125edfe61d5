"""Strong ETags on every page and API answer, and 304 for a conditional GET, without rendering anything.

A registry's answers change only when something they show changes, and everything they show follows from a few
cheap facts, together the *registry version*:

- the database's revision (:meth:`RegistryQueries.revision`: log size, signed checkpoint size, developers), which
  moves with every publication, withdrawal, checkpoint and registration;
- the facts folder: its own mtime (a facts file renamed in) and the newest mtime of the files in it (one rewritten
  in place), which decide coverage, obligations and the standards a document is held to;
- today's date (UTC), for what is shown "as of today": coverage, obligations, certification standing, packs in
  force;
- on the pages that show it (``/log``, ``/api/v1/log/audit``), what the periodic audit last found.

An answer's ETag is a digest of that version and of everything in the request the answer depends on: scheme,
host (pages show the registry's own address), path and query. No answer varies with any other request header, so
none carries ``Vary``. The version is computed before the route runs, so an answer is never older than the ETag
it carries (at worst newer, which only costs the client one more download). A matching ``If-None-Match`` gets 304
straight from here; the route, its queries and its templates never run. Routes that set their own ETag
(content-addressed documents) keep it, and a match with it is answered 304 too.

Pages and API answers (HTML and JSON) are kept in the app's page cache under their ETag, so each is rendered once
per registry version and then served from here without running its route. The clock is ``app.state.today``
when set (tests move the date with it). The obligations API and calendar feed follow the hour (an incident's
reporting clock), so they get no ETag and are never kept.

The log's own files (``/log/checkpoint``, ``/log/tile/...``) and ``/static`` are left alone: they are served from
files with their own ``Cache-Control``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from anyio import to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from candor.services.audit import AuditStatus, PeriodicAudit
from candor.services.queries import RegistryQueries
from candor.services.registry_facts import FACTS_DIR_NAME
from candor.web.site.fragments import CachedAnswer, PageCache

#: Answers that show the periodic audit's last result, whose ETag also follows it.
AUDITED_PATHS = frozenset({"/log", "/api/v1/log/audit"})
#: Where answers are files with their own caching headers.
_LEFT_ALONE = ("/static/", "/log/")
#: Answers that follow the hour, not just the day (an incident's reporting clock, a calendar's DTSTAMP): they are
#: always rendered afresh.
_UNTAGGED_SUFFIXES = ("/obligations", "/obligations.ics", "/data/obligations.csv", "/data/obligations.jsonl")
#: What operators poll for the state of this moment (integrator lag, checkpoint age, counters): never a cached copy.
_OPERATIONS_PATHS = frozenset({"/healthz", "/metrics"})
#: What the page cache keeps: pages and API answers. Feeds and plain-text proofs are rendered each time.
_KEPT_TYPES = ("text/html", "application/json")
_STATE_KEY = "registry_version"
#: Headers a 304 repeats from the 200 it stands for (RFC 9110, section 15.4.5).
_KEPT_ON_304 = frozenset({b"etag", b"cache-control", b"vary", b"content-location", b"expires", b"date"})


def utc_today() -> date:
    return datetime.now(UTC).date()


def today(app_state: Any) -> date:
    """Today, by the app's clock: ``app_state.today`` when set (tests move the date with it), else the UTC date."""
    clock: Callable[[], date] = getattr(app_state, "today", utc_today)
    return clock()


def facts_folder_stamp(facts_dir: Path) -> tuple[int, int, int] | None:
    """The facts folder's mtime, its newest file's mtime and its number of files; None when there is no folder."""
    try:
        folder = facts_dir.stat().st_mtime_ns
        newest, count = 0, 0
        with os.scandir(facts_dir) as entries:
            for entry in entries:
                newest = max(newest, entry.stat().st_mtime_ns)
                count += 1
    except FileNotFoundError:
        return None
    return folder, newest, count


def registry_version(scope: Scope) -> str:
    """The registry version the answer to ``scope`` depends on (see the module's docstring); computed once.

    Blocking (one small database query and a few ``stat`` calls): call it from a worker thread.
    """
    state: dict[str, Any] = scope.setdefault("state", {})
    known = state.get(_STATE_KEY)
    if isinstance(known, str):
        return known
    app_state = scope["app"].state
    queries: RegistryQueries = app_state.queries
    parts: list[object] = [
        queries.revision(),
        facts_folder_stamp(app_state.settings.data_dir / FACTS_DIR_NAME),
        today(app_state).isoformat(),
    ]
    if scope["path"] in AUDITED_PATHS:
        auditor: PeriodicAudit | None = getattr(app_state, "audit", None)
        status = AuditStatus.disabled() if auditor is None else auditor.status
        parts.append(repr(status))
    version = repr(tuple(parts))
    state[_STATE_KEY] = version
    return version


def entity_tag(scope: Scope, version: str) -> str:
    """The strong ETag of the answer to ``scope`` at ``version``."""
    headers = Headers(scope=scope)
    digest = hashlib.sha256()
    for part in (
        version,
        scope.get("scheme", "http"),
        headers.get("host", ""),
        scope.get("root_path", ""),
        scope["path"],
    ):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(scope.get("query_string", b""))
    return f'"{digest.hexdigest()[:40]}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value names ``etag`` (the weak comparison RFC 9110 prescribes for it)."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


class ConditionalGetMiddleware:
    """Adds the ETag to GET and HEAD answers, answers a matching ``If-None-Match`` with 304, and serves a page or
    API answer already rendered at this registry version from the app's :class:`PageCache`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or path.startswith(_LEFT_ALONE)
            or path.endswith(_UNTAGGED_SUFFIXES)
            or path in _OPERATIONS_PATHS
        ):
            await self.app(scope, receive, send)
            return
        version = await to_thread.run_sync(registry_version, scope)
        etag = entity_tag(scope, version)
        if_none_match = Headers(scope=scope).get("if-none-match")
        # "*" matches only an answer that exists, which only the route knows: it is checked on the answer below.
        if (if_none_match or "").strip() != "*" and matches(if_none_match, etag):
            await _not_modified([(b"etag", etag.encode()), (b"cache-control", b"no-cache")], send)
            return
        pages: PageCache = scope["app"].state.page_cache
        kept = pages.get(etag)
        if kept is not None:
            await self._replay(kept, scope["method"] == "HEAD", if_none_match, send)
            return

        not_modified = False
        keep: list[tuple[bytes, bytes]] | None = None
        body: list[bytes] = []

        async def send_tagged(message: Message) -> None:
            nonlocal not_modified, keep
            if message["type"] == "http.response.start":
                if message["status"] != 200:
                    await send(message)
                    return
                headers = MutableHeaders(scope=message)
                _tag(headers, etag)
                if scope["method"] == "GET" and headers.get("content-type", "").startswith(_KEPT_TYPES):
                    keep = list(message["headers"])
                if matches(if_none_match, headers["etag"]):
                    not_modified = True
                    await _not_modified(_headers_of_304(message["headers"]), send)
                    return
            elif message["type"] == "http.response.body" and keep is not None:
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    pages.put(etag, CachedAnswer(tuple(keep), b"".join(body)))
            if not not_modified:
                await send(message)

        await self.app(scope, receive, send_tagged)

    @staticmethod
    async def _replay(answer: CachedAnswer, head: bool, if_none_match: str | None, send: Send) -> None:
        headers = list(answer.headers)
        own = MutableHeaders(raw=headers).get("etag", "")
        if matches(if_none_match, own):
            await _not_modified(_headers_of_304(headers), send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else answer.body, "more_body": False})


def _tag(headers: MutableHeaders, etag: str) -> None:
    """Give a 200 answer the ETag (unless its route set its own) and, unless it says otherwise, no-cache."""
    if "etag" not in headers:
        headers["ETag"] = etag
    if "cache-control" not in headers:
        # Stored, but asked about again each time: the 304 makes asking cheap.
        headers["Cache-Control"] = "no-cache"


def _headers_of_304(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in headers if name.lower() in _KEPT_ON_304]


async def _not_modified(headers: list[tuple[bytes, bytes]], send: Send) -> None:
    await send({"type": "http.response.start", "status": 304, "headers": headers})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
