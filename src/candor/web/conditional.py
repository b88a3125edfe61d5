"""Strong ETags on every page and API answer, 304 for a conditional GET, and the page cache in front of the app.

A registry's answers change only when something they show changes, and everything they show follows from a few
cheap facts, together the *registry version*:

- the database's revision (:meth:`RegistryQueries.revision`: log size, signed checkpoint size, developers), which
  moves with every publication, withdrawal, checkpoint and registration. It is asked again only when the database
  may have changed (:class:`~candor.store.data_version.DataVersion`: on SQLite, ``PRAGMA data_version`` moves with
  every commit of any process; on PostgreSQL, every request asks unless ``revision_poll_interval`` says otherwise);
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

This middleware is the app's outermost: pages and API answers (HTML and JSON) are kept in the app's page cache
under their ETag exactly as they left the app (security headers included), so each is rendered once per registry
version and then answered from here with a dictionary lookup, without FastAPI's routing or any other middleware.
Answers marked ``immutable`` (full tiles, documents by digest) are kept under their path and query alone, and
answered before the version is even computed: what is immutable must not depend on the host. The metric
``candor_page_cache_answers`` counts what was answered from here. The clock is ``app.state.today`` when set (tests
move the date with it). The obligations API and calendar feed follow the hour (an incident's reporting clock), so
they get no ETag and are never kept.

The rest of the log's files (``/log/checkpoint``, partial tiles) and ``/static`` keep their own ``Cache-Control``
and get no ETag from here. ``/log/checkpoint`` is never kept: with witnesses configured it carries the cosignature
lines collected in the database, and a cosignature arriving moves no part of the registry version. For the same
reason, with witnesses configured, the log page (which shows their cosignatures and answers) is rendered afresh.

The confidential channel (:data:`candor.logs.PRIVATE_PATHS`: ``/report``, ``/api/v1/reports``) passes straight
through, whatever its method: none of its answers is kept, tagged or answered from here.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from anyio import to_thread
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from candor.logs import PRIVATE_PATHS
from candor.services.audit import AuditStatus, PeriodicAudit
from candor.services.queries import RegistryQueries
from candor.store.data_version import DataVersion
from candor.web.security import SECURITY_HEADERS
from candor.web.site.fragments import CachedAnswer, PageCache

#: Answers that show the periodic audit's last result, whose ETag also follows it.
AUDITED_PATHS = frozenset({"/log", "/api/v1/log/audit"})
#: Where answers are files with their own caching headers: no ETag from here.
_LEFT_ALONE = ("/static/", "/log/")
#: Of those, where an answer marked immutable (a full tile) is still kept.
_IMMUTABLE_KEPT = "/log/"
#: Answers that follow the hour, not just the day (an incident's reporting clock, a calendar's DTSTAMP): they are
#: always rendered afresh.
_UNTAGGED_SUFFIXES = ("/obligations", "/obligations.ics", "/data/obligations.csv", "/data/obligations.jsonl")
#: What operators poll for the state of this moment (integrator lag, checkpoint age, counters), and the checkpoint,
#: whose witness cosignatures arrive without moving the registry version: never a cached copy.
_FRESH_PATHS = frozenset({"/healthz", "/metrics", "/log/checkpoint"})
#: Pages that show what the witnesses answered and cosigned, which no part of the registry version follows: with
#: witnesses configured, rendered afresh.
WITNESSED_PATHS = frozenset({"/log"})
#: What the page cache keeps under an ETag: pages and API answers. Feeds and plain-text proofs are rendered each time.
_KEPT_TYPES = ("text/html", "application/json")
#: The security headers, which this middleware (outside :class:`SecurityHeadersMiddleware`) adds to its own 304s.
_SECURITY = tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS)
#: Headers a 304 repeats from the 200 it stands for (RFC 9110, section 15.4.5), and the security headers.
_KEPT_ON_304 = frozenset(
    {b"etag", b"cache-control", b"vary", b"content-location", b"expires", b"date"} | {name for name, _ in _SECURITY}
)


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


class RegistryVersion:
    """The registry version (see the module), with the database asked only when its :class:`DataVersion` moved.

    Used from the event loop; the database query itself runs in a worker thread. The revision kept is always one
    read *after* the token kept beside it, so a commit that the revision missed has moved the token since, and the
    next request asks again.
    """

    def __init__(self, queries: RegistryQueries, data_version: DataVersion, facts_dir: Path) -> None:
        self._queries = queries
        self._data_version = data_version
        self._facts_dir = facts_dir
        self._known: tuple[object, tuple[int, int, int]] | None = None

    async def revision(self) -> tuple[int, int, int]:
        """The database's revision: from memory while the token stands still, else asked again."""
        token = self._data_version.token()
        known = self._known
        if known is not None and known[0] == token:
            return known[1]
        revision = await to_thread.run_sync(self._queries.revision)
        self._known = (token, revision)
        return revision

    async def of(self, app_state: Any, path: str) -> str:
        """The registry version the answer at ``path`` depends on."""
        parts: list[object] = [
            await self.revision(),
            facts_folder_stamp(self._facts_dir),
            today(app_state).isoformat(),
        ]
        if path in AUDITED_PATHS:
            auditor: PeriodicAudit | None = getattr(app_state, "audit", None)
            status = AuditStatus.disabled() if auditor is None else auditor.status
            parts.append(repr(status))
        return repr(tuple(parts))


def entity_tag(scope: Scope, version: str, host: bytes) -> str:
    """The strong ETag of the answer to ``scope`` at ``version``, asked for with this ``Host`` header."""
    digest = hashlib.sha256()
    for part in (version, scope.get("scheme", "http"), scope.get("root_path", ""), scope["path"]):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(host)
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


def _request_headers(scope: Scope) -> tuple[bytes, str | None, bool]:
    """The request's ``Host``, its ``If-None-Match``, and whether it carries a body (which the app must see)."""
    host, if_none_match, body = b"", None, False
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
        elif name == b"if-none-match":
            if_none_match = value.decode("latin-1")
        elif (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
            body = True
    return host, if_none_match, body


def _immutable_key(scope: Scope) -> tuple[str, str, bytes]:
    return ("immutable", scope["path"], scope.get("query_string", b""))


class ConditionalGetMiddleware:
    """Adds the ETag to GET and HEAD answers, answers a matching ``If-None-Match`` with 304, and answers from the
    app's :class:`PageCache` what was already rendered at this registry version (or is immutable)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        host, if_none_match, has_body = _request_headers(scope)
        path: str = scope["path"]
        app_state = scope["app"].state
        if (
            has_body
            or path.startswith(("/static/", *PRIVATE_PATHS))
            or path.endswith(_UNTAGGED_SUFFIXES)
            or path in _FRESH_PATHS
            or (path in WITNESSED_PATHS and getattr(app_state, "witnessing", None) is not None)
        ):
            await self.app(scope, receive, send)
            return
        pages: PageCache = app_state.page_cache
        head = scope["method"] == "HEAD"
        kept = pages.get(_immutable_key(scope))
        if kept is not None:
            app_state.metrics.page_cache_hits.inc()
            await _replay(kept, head, if_none_match, send)
            return
        if path.startswith(_LEFT_ALONE):
            await self.app(scope, receive, self._keeping(scope, pages, None, None, send))
            return
        registry_version: RegistryVersion = app_state.registry_version
        etag = entity_tag(scope, await registry_version.of(app_state, path), host)
        # "*" matches only an answer that exists, which only the route knows: it is checked on the answer below.
        if (if_none_match or "").strip() != "*" and matches(if_none_match, etag):
            app_state.metrics.page_cache_revalidated.inc()
            await _not_modified([(b"etag", etag.encode()), (b"cache-control", b"no-cache"), *_SECURITY], send)
            return
        kept = pages.get(etag)
        if kept is not None:
            app_state.metrics.page_cache_hits.inc()
            await _replay(kept, head, if_none_match, send)
            return
        await self.app(scope, receive, self._keeping(scope, pages, etag, if_none_match, send))

    @staticmethod
    def _keeping(scope: Scope, pages: PageCache, etag: str | None, if_none_match: str | None, send: Send) -> Send:
        """A ``send`` that tags a 200 answer with ``etag`` (none for the log's files), answers 304 when the tag it
        ends up with matches, and keeps the answer: under its path when immutable, else under ``etag``."""
        not_modified = False
        key: object = None
        keep: tuple[tuple[bytes, bytes], ...] = ()
        body: list[bytes] = []
        get = scope["method"] == "GET"

        async def send_tagged(message: Message) -> None:
            nonlocal not_modified, key, keep
            if message["type"] == "http.response.start":
                if message["status"] != 200:
                    await send(message)
                    return
                headers = MutableHeaders(scope=message)
                if etag is not None:
                    _tag(headers, etag)
                if get and "immutable" in headers.get("cache-control", ""):
                    key = _immutable_key(scope)
                elif get and etag is not None and headers.get("content-type", "").startswith(_KEPT_TYPES):
                    key = etag
                if etag is not None and matches(if_none_match, headers["etag"]):
                    not_modified = True
                    await _not_modified(_headers_of_304(message["headers"]), send)
                    return
                if key is not None:
                    keep = tuple(message["headers"])
            elif message["type"] == "http.response.body" and key is not None:
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    pages.put(key, CachedAnswer(keep, b"".join(body)))
            if not not_modified:
                await send(message)

        return send_tagged


async def _replay(answer: CachedAnswer, head: bool, if_none_match: str | None, send: Send) -> None:
    headers = list(answer.headers)
    own = next((value.decode("latin-1") for name, value in headers if name == b"etag"), None)
    if own is not None and matches(if_none_match, own):
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


def _headers_of_304(headers: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...]) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in headers if name.lower() in _KEPT_ON_304]


async def _not_modified(headers: list[tuple[bytes, bytes]], send: Send) -> None:
    await send({"type": "http.response.start", "status": 304, "headers": headers})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
