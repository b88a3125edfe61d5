"""Measure full-text search at registry scale: the index build (migration 0007's backfill) and query latency.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/search.py [--documents 10000] [--queries 200] [--database-url URL]

A fresh database (SQLite in a temporary directory unless ``--database-url`` names an empty PostgreSQL schema) is
migrated to 0005, the revision before search, and filled with ``documents`` published statements, each with its
own document: one of the examples' frameworks and system cards with a paragraph of words drawn from a shared
vocabulary appended, so that documents differ and common and rare words both exist. Rows are written directly
(the publishing path is measured by benchmarks/publish.py). Then the upgrade to head builds the index, timed, and
``queries`` searches run one after another through ``candor.store.search.search``: single common words, rare
words, two- and three-word queries, a developer's name, and filtered searches. p50 and p99 are printed per kind.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.store.search import SearchFilters, search
from candor.store.tables import Developer, DeveloperKey, Document, LogEntry, StatementRecord
from candor.testing import EXAMPLES as REPOSITORY_EXAMPLES

EXAMPLES = sorted(REPOSITORY_EXAMPLES.glob("*/s*.md"))
VOCABULARY = [f"term{index:05d}" for index in range(20_000)]
DEVELOPERS = 200


def _fill(session: Session, documents: int, rng: random.Random) -> None:
    developers = [
        Developer(slug=f"dev-{index}", legal_name=f"Developer Number{index} Ltd", website_domain=f"d{index}.example")
        for index in range(DEVELOPERS)
    ]
    session.add_all(developers)
    session.flush()
    keys = [DeveloperKey(developer_id=developer.id, public_key=rng.randbytes(32)) for developer in developers]
    session.add_all(keys)
    session.flush()
    texts = [path.read_bytes() for path in EXAMPLES]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for index in range(documents):
        # Zipf-like: a few vocabulary words are common, most are rare.
        words = " ".join(VOCABULARY[int(rng.paretovariate(1.0)) % len(VOCABULARY)] for _ in range(200))
        content = texts[index % len(texts)] + f"\n\n## Notes {index}\n\n{words}\n".encode()
        sha256 = hashlib.sha256(content).hexdigest()
        session.add(Document(sha256=sha256, size=len(content), media_type="text/markdown", content=content))
        session.add(LogEntry(log_index=index, leaf_hash=rng.randbytes(32), entry=b"entry"))
        developer = index % DEVELOPERS
        version = index // DEVELOPERS + 1
        session.add(
            StatementRecord(
                statement_sha256=hashlib.sha256(b"statement" + sha256.encode()).hexdigest(),
                developer_id=developers[developer].id,
                kind="secure-development-framework",
                series="",
                version=str(version),
                document_sha256=sha256,
                supersedes=str(version - 1) if version > 1 else None,
                issued_at=start + timedelta(hours=index),
                published_at=start + timedelta(hours=index),
                statement_bytes=b"{}",
                signature=bytes(64),
                key_id=keys[developer].id,
                log_index=index,
            )
        )
        if index % 500 == 499:
            session.flush()


def _queries(count: int, rng: random.Random) -> list[tuple[str, str, SearchFilters]]:
    kinds: list[tuple[str, Callable[[], str], Callable[[], SearchFilters]]] = [
        ("common word", lambda: "framework", lambda: SearchFilters()),
        ("rare word", lambda: rng.choice(VOCABULARY[30:300]), lambda: SearchFilters()),
        ("two words", lambda: f"model {rng.choice(VOCABULARY[:200])}", lambda: SearchFilters()),
        ("three words", lambda: "biosecurity evaluation threshold", lambda: SearchFilters()),
        ("developer name", lambda: f"Number{rng.randrange(DEVELOPERS)}", lambda: SearchFilters()),
        ("filtered", lambda: "framework", lambda: SearchFilters(developer="dev-7", current=True)),
    ]
    return [(name, query(), filters()) for name, query, filters in (kinds[i % len(kinds)] for i in range(count))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as work:
        url = args.database_url or f"sqlite:///{Path(work) / 'candor.sqlite3'}"
        engine = create_database_engine(url)
        upgrade_database(engine, "0005")
        started = time.perf_counter()
        with session_factory(engine).begin() as session:
            _fill(session, args.documents, rng)
        print(f"{engine.dialect.name}: {args.documents:,} documents written in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        upgrade_database(engine)  # migration 0007: create and backfill the index
        print(f"index build (migration 0007 backfill): {time.perf_counter() - started:.1f} s")
        timings: dict[str, list[float]] = {}
        results: dict[str, list[int]] = {}
        sessions = session_factory(engine)
        for name, query, filters in _queries(args.queries, rng):
            with sessions() as session:
                started = time.perf_counter()
                hits = search(session, query, filters)
                timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
                results.setdefault(name, []).append(len(hits))
        for name, values in timings.items():
            values.sort()
            p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
            print(
                f"{name:>15}: p50 {statistics.median(values):7.1f} ms  p99 {p99:7.1f} ms  "
                f"({len(values)} queries, {statistics.mean(results[name]):.0f} results each on average)"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
