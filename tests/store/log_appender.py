"""A log-appending worker, run in separate processes by the concurrency test."""

from __future__ import annotations

from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import append_log_entry, log_append_lock


def append_entries(database_url: str, worker: int, count: int) -> list[int]:
    """Append ``count`` entries, one transaction each, and return the indexes this worker was given."""
    engine = create_database_engine(database_url)
    sessions = session_factory(engine)
    indexes = []
    try:
        for number in range(count):
            with sessions.begin() as session, log_append_lock(session):
                entry = append_log_entry(session, f"worker {worker} entry {number}".encode())
                indexes.append(entry.log_index)
    finally:
        engine.dispose()
    return indexes
