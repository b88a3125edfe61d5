"""Measure what integrity checking costs: re-hashing a document before serving it, and a whole registry audit.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/audit.py [--statements 5000] [--postgres URL]

1. SHA-256 of a document body of 1 KiB to 5 MiB (the document limit): the time the server adds to every
   ``/api/v1/documents/<sha>`` answer (and to the first rendering of each document page) by checking the bytes
   against the requested hash before sending them.
2. A registry of ``statements`` signed statements (each with its own small document), integrated into tiles with
   a checkpoint every 1,000 entries, then audited by ``candor audit``'s service: statements per second, and the
   process's peak resident memory before and after (the audit streams rows in chunks, so it should barely move).
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from candor.config import sqlite_url
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.services.audit import RegistryAudit
from candor.services.integration import RegistryLog
from candor.services.registration import Registration
from candor.store.database import create_database_engine, session_factory
from candor.store.developers import Developers
from candor.store.documents import Documents
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.schema import upgrade_database
from candor.store.statements import Statements

BODY_SIZES = (1 << 10, 64 << 10, 1 << 20, 5 << 20)
BATCH = 1000


def hashing_cost() -> None:
    for size in BODY_SIZES:
        body = secrets.token_bytes(size)
        rounds = max(5, (64 << 20) // size)
        started = time.perf_counter()
        for _ in range(rounds):
            hashlib.sha256(body).hexdigest()
        each = (time.perf_counter() - started) / rounds
        print(f"sha256 of a {size >> 10:>5} KiB body: {each * 1e6:9.1f} us ({size / each / 1e6:6.0f} MB/s)")


def fill(database_url: str, data_dir: Path, count: int) -> None:
    engine = create_database_engine(database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    private_key = Ed25519PrivateKey.generate()
    log = RegistryLog(sessions, data_dir, "bench.example/log")
    Registration.of_log(sessions, log).register(
        "bench-ai", legal_name="Bench AI", website_domain="bench.example", public_key=private_key.public_key()
    )
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    for first in range(0, count, BATCH):
        with sessions.begin() as session, log_append_lock(session):
            developer = Developers(session).get("bench-ai")
            for number in range(first, min(first + BATCH, count)):
                document = Documents(session).put(f"---\nkind: system-card\n---\n# Card {number}\n".encode() * 8)
                statement = Statement(
                    developer="bench-ai",
                    kind=StatementKind.SYSTEM_CARD,
                    series=f"model-{number}",
                    version="1.0",
                    document_sha256=document.sha256,
                    issued_at=issued + timedelta(seconds=number),
                )
                Statements(session).add(
                    statement,
                    signature=sign_statement(statement, private_key),
                    developer=developer,
                    key=developer.keys[0],
                    log_entry=append_log_entry(session, statement.canonical_bytes()),
                    document=document,
                )
        log.integrate()
    engine.dispose()


def audit(label: str, database_url: str, data_dir: Path, count: int) -> None:
    started = time.perf_counter()
    fill(database_url, data_dir, count)
    print(f"{label}: filled {count} statements in {time.perf_counter() - started:.1f} s")
    engine = create_database_engine(database_url)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_before = time.process_time()
    started = time.perf_counter()
    report = RegistryAudit(session_factory(engine), data_dir).run()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine.dispose()
    verdict = "clean" if report.clean else f"{report.finding_count} findings"
    print(
        f"{label}: audit of {report.summary()}: {verdict}, {elapsed:.2f} s wall, {cpu:.2f} s CPU, "
        f"{report.statements / elapsed:,.0f} statements/s, peak RSS {rss_before >> 10} -> {rss_after >> 10} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--statements", type=int, default=5000)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL (a scratch schema is made and dropped)")
    arguments = parser.parse_args()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"python {sys.version.split()[0]}; load average {load}")
    hashing_cost()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        audit("sqlite", sqlite_url(directory / "sqlite" / "candor.sqlite3"), directory / "sqlite", arguments.statements)
        if arguments.postgres:
            schema = f"candor_bench_{secrets.token_hex(4)}"
            admin = create_engine(arguments.postgres)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = make_url(arguments.postgres).update_query_dict({"options": f"-csearch_path={schema}"})
            try:
                audit("postgresql", url.render_as_string(hide_password=False), directory / "pg", arguments.statements)
            finally:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
