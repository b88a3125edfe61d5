"""Measure what a pinned verifier adds: reading a log's entries from tiles to look for withdrawals, checking that
every entry is a canonical statement, and proving a new checkpoint consistent with the remembered one.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/verify_log.py [--entries N]

A log of N canonical Candor statements is tiled in a temporary directory and served over loopback HTTP by a
threaded static file server. Timed, each through the same code ``candor verify`` and ``candor log verify`` use:

- ``candor log verify --statements``'s check (every entry bundle fetched once, every entry checked against the
  authenticated level-0 tile and parsed as a canonical statement), from the directory and over HTTP;
- ``candor verify``'s withdrawal scan for entry 0, which reads the same bundles but parses only the entries that
  name its digest;
- the consistency proof from half the log to the whole, computed from the tiles and verified.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from candor.domain.statement import Statement, StatementKind, statement_digest
from candor.services.verification import VerifiedDocument, check_statement_entries, later_actions
from candor.tlog.checkpoint import Checkpoint
from candor.tlog.consistency import prove_extension
from candor.tlog.merkle import tree_hash
from candor.tlog.note import generate_key, parse_signer_key
from candor.tlog.tilereader import TileReader, open_fetcher
from candor.tlog.tiles import create_writer


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No request log."""


def statements(count: int) -> list[bytes]:
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Statement(
            developer="acme-ai",
            kind=StatementKind.SYSTEM_CARD,
            series="Acme-3",
            version=f"1.{index}",
            document_sha256=f"{index:064x}",
            issued_at=issued,
        ).canonical_bytes()
        for index in range(count)
    ]


def timed(label: str, count: int | None, action: Any) -> None:
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    rate = f"  {count / elapsed:>10,.0f} entries/s" if count else ""
    print(f"{label:<48} {elapsed * 1000:10.1f} ms{rate}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    arguments = parser.parse_args()
    count = arguments.entries
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {count:,} statements")
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        entries = statements(count)
        root = create_writer(directory, 0).append(entries)
        checkpoint = Checkpoint("bench.example/log", count, root)
        first = Statement.model_validate_json(entries[0])
        verified = VerifiedDocument(first, statement_digest(entries[0]), 0, checkpoint, "")
        log_verifier = parse_signer_key(generate_key(checkpoint.origin)[0]).verifier()
        handler = functools.partial(_Quiet, directory=str(directory))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            for location in (str(directory), f"http://127.0.0.1:{server.server_address[1]}"):
                where = "HTTP" if location.startswith("http") else "directory"
                fetcher = open_fetcher(location)
                try:
                    reader = TileReader(fetcher, count, root)
                    label = f"statement check, every entry parsed ({where})"
                    timed(label, count, functools.partial(check_statement_entries, reader, log_verifier))
                    scan = functools.partial(later_actions, TileReader(fetcher, count, root), 0, verified)
                    timed(f"withdrawal scan of entry 0 ({where})", count, scan)
                    half = count // 2
                    old = Checkpoint(checkpoint.origin, half, tree_hash(reader, half))
                    fresh = TileReader(fetcher, count, root)  # no tiles cached by the scan
                    label = f"consistency {half:,} -> {count:,} ({where})"
                    timed(label, None, functools.partial(prove_extension, fresh, old, checkpoint))
                finally:
                    fetcher.close()
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main()
