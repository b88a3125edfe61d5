"""Measure log appends through the store: one writer, and several processes contending for the append lock.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/store_log.py [--postgres URL] [--entries N] [--workers W]

Each append is its own transaction (lock, allocate the next index, insert, commit), as a publication is.
"""

from __future__ import annotations

import argparse
import multiprocessing
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from candor.config import sqlite_url
from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import append_log_entry, log_append_lock, log_size
from candor.store.schema import upgrade_database
from candor.store.tables import LogEntry

ENTRY = b'{"developer":"bench","kind":"system-card","padding":"' + b"x" * 300 + b'"}'


def append_many(database_url: str, count: int) -> list[float]:
    """Append ``count`` entries, one transaction each; return each transaction's latency in seconds."""
    engine = create_database_engine(database_url)
    sessions = session_factory(engine)
    latencies = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            with sessions.begin() as session, log_append_lock(session):
                append_log_entry(session, ENTRY)
            latencies.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    return latencies


def measure(label: str, database_url: str, entries: int, workers: int) -> None:
    engine = create_database_engine(database_url)
    upgrade_database(engine)
    for processes in (1, workers):
        each = entries // processes
        started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            results = pool.starmap(append_many, [(database_url, each)] * processes)
        elapsed = time.perf_counter() - started
        latencies = sorted(latency for result in results for latency in result)
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(
            f"{label:10} {processes} process(es): {len(latencies):5} appends, {len(latencies) / elapsed:7.0f}/s "
            f"(incl. process start), p50 {p50:6.2f} ms, p99 {p99:6.2f} ms"
        )
    with session_factory(engine)() as session:
        size = log_size(session)
        rows = session.scalar(select(func.count()).select_from(LogEntry))
    engine.dispose()
    # max index + 1 equal to the row count, with the index as primary key, means indexes 0..size-1, no gaps.
    print(f"{label:10} log size {size}, {rows} rows: indexes unique and dense = {size == rows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        measure("sqlite", sqlite_url(Path(directory) / "bench.sqlite3"), args.entries, args.workers)

    schema = f"candor_bench_{secrets.token_hex(4)}"
    admin = create_engine(args.postgres)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(args.postgres).update_query_dict({"options": f"-csearch_path={schema}"})
        measure("postgresql", url.render_as_string(hide_password=False), args.entries, args.workers)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
