"""The demo's watched site: Acme AI serves its framework and a signed manifest, then edits the framework silently.

A real HTTP server on loopback plays ``acme-ai.example`` (the watcher resolves that name to 127.0.0.1, which the
demo allows, and connects there as it would to any site). The watcher looks twice, on two dates after the demo's
history: first the site serves exactly the bytes of Acme AI's published framework 2.0, listed in a manifest signed
with Acme AI's key; then the same URL serves a copy in which one commitment was weakened from *must* to *should*
with no new statement. The second look is logged as a silent edit, and the developer page, feed and API show it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import load_private_key, public_key_raw
from candor.domain.manifest import MANIFEST_PATH, sign_manifest
from candor.domain.parse import parse_bytes
from candor.services.integration import RegistryLog
from candor.services.manifests import PublishedDocument, document_url, manifest_content
from candor.services.publishing import PublishedEntry, series_of
from candor.services.watch_fetch import WatchLimits
from candor.services.watcher import RoundReport, Watcher

DEMO_SITE_DEVELOPER = "acme-ai"
DEMO_SITE_HOST = "acme-ai.example"
#: When the watcher looks: after the demo's history, once before and once after the silent edit.
LOOKS = (datetime(2026, 8, 3, 9, 0, tzinfo=UTC), datetime(2026, 9, 14, 9, 0, tzinfo=UTC))


@dataclass(frozen=True)
class WatchedDemo:
    """What the demo's watcher did: the manifest's URL, the document's, and each look's report."""

    manifest_url: str
    document_url: str
    reports: list[RoundReport]


class _Pages:
    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}


@contextmanager
def _serve(pages: _Pages) -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            content_type, body = pages.pages.get(self.path, ("text/plain", b"not found"))
            self.send_response(200 if self.path in pages.pages else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def watch_demo_site(
    sessions: sessionmaker[Session],
    registry_log: RegistryLog,
    key_path: Path,
    published: list[tuple[PublishedEntry, bytes]],
    edited: PublishedEntry,
) -> WatchedDemo:
    """Serve Acme AI's site on loopback with every document it ``published`` (entry and bytes) and a manifest
    listing them, watch it twice, and edit the document of ``edited`` silently in between."""
    key = load_private_key(str(key_path), key_path.read_bytes())
    pages = _Pages()
    with _serve(pages) as port:
        root = f"http://{DEMO_SITE_HOST}:{port}"
        documents = []
        for entry, raw in published:
            series = series_of(parse_bytes(entry.version, raw).model)
            document = PublishedDocument(
                entry.kind,
                series,
                entry.version,
                hashlib.sha256(raw).hexdigest(),
                entry.statement_sha256,
                entry.log_index,
            )
            documents.append(document)
            pages.pages["/" + document.file_name()] = ("text/markdown; charset=utf-8", raw)
            if entry == edited:
                target, original = document, raw
        manifest = manifest_content(
            developer=DEMO_SITE_DEVELOPER,
            legal_name="Acme AI, Inc.",
            registries=["http://127.0.0.1:8000"],
            keys=[(public_key_raw(key.public_key()), LOOKS[0], None)],
            documents=documents,
            site_url=root,
            issued_at=LOOKS[0],
        )
        pages.pages[MANIFEST_PATH] = ("application/json", sign_manifest(manifest, key).file_bytes())
        clock = _Clock(LOOKS[0])
        watcher = Watcher(
            sessions,
            registry_log,
            WatchLimits(allow_hosts=(DEMO_SITE_HOST,), host_interval=0.0),
            clock=clock,
            resolver=lambda host, _port: ["127.0.0.1"] if host == DEMO_SITE_HOST else [],
        )
        watcher.add(DEMO_SITE_DEVELOPER, root + MANIFEST_PATH)
        reports = [watcher.run_once()]
        # The silent edit: one commitment weakened, on the site only; no statement says so.
        pages.pages["/" + target.file_name()] = (
            "text/markdown; charset=utf-8",
            original.replace(b"strength: must", b"strength: should", 1),
        )
        clock.moment = LOOKS[1]
        reports.append(watcher.run_once(force=True))
    return WatchedDemo(root + MANIFEST_PATH, document_url(root, target), reports)


@dataclass
class _Clock:
    moment: datetime

    def __call__(self) -> datetime:
        return self.moment
