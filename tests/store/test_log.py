"""Log rows: dense indexes under the append lock, across processes; checkpoints that never fork or shrink."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from candor.config import sqlite_url
from candor.errors import ConflictError
from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import (
    LogLockError,
    append_log_entry,
    integrated_size,
    latest_checkpoint,
    log_append_lock,
    log_entries,
    log_size,
    next_log_index,
    record_checkpoint,
)
from candor.store.schema import upgrade_database
from candor.tlog.merkle import leaf_hash
from tests.store.log_appender import append_entries

WORKERS = 4
ENTRIES_EACH = 15


def test_entries_get_dense_indexes_and_rfc6962_leaf_hashes(sessions: sessionmaker[Session]) -> None:
    for number in range(3):
        with sessions.begin() as session, log_append_lock(session):
            assert next_log_index(session) == number
            append_log_entry(session, b"entry %d" % number)
    with sessions() as session:
        entries = log_entries(session, 0, 10)
        assert [entry.log_index for entry in entries] == [0, 1, 2]
        assert [entry.leaf_hash for entry in entries] == [leaf_hash(b"entry %d" % n) for n in range(3)]
        assert log_size(session) == 3


def test_appending_without_the_lock_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(LogLockError):
        append_log_entry(session, b"sneaked in")


def test_a_lock_from_an_earlier_transaction_does_not_count(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        with session.begin(), log_append_lock(session):
            append_log_entry(session, b"first")
        with session.begin(), pytest.raises(LogLockError):
            append_log_entry(session, b"second, without the lock")


def test_a_failed_transaction_leaves_no_gap(sessions: sessionmaker[Session]) -> None:
    def publish_then_fail() -> None:
        with sessions.begin() as session, log_append_lock(session):
            append_log_entry(session, b"rolled back")
            raise RuntimeError("publication failed after the append")

    with pytest.raises(RuntimeError):
        publish_then_fail()
    with sessions.begin() as session, log_append_lock(session):
        assert append_log_entry(session, b"kept").log_index == 0


def test_on_sqlite_the_lock_must_come_first(tmp_path: Path) -> None:
    # PostgreSQL's advisory lock can be taken at any point of a transaction; SQLite's write lock cannot.
    engine = create_database_engine(sqlite_url(tmp_path / "candor.sqlite3"))
    upgrade_database(engine)
    try:
        with session_factory(engine).begin() as session:
            log_size(session)
            with pytest.raises(LogLockError, match="before any other query"), log_append_lock(session):
                pass
    finally:
        engine.dispose()


def test_parallel_processes_get_unique_dense_indexes(database_url: str, migrated_engine: Engine) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(WORKERS) as pool:
        results = pool.starmap(append_entries, [(database_url, worker, ENTRIES_EACH) for worker in range(WORKERS)])
    given = sorted(index for indexes in results for index in indexes)
    assert given == list(range(WORKERS * ENTRIES_EACH))
    # Each worker's own entries were appended in its own order.
    for indexes in results:
        assert indexes == sorted(indexes)


def test_checkpoints_grow_and_mark_entries_integrated(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, log_append_lock(session):
        for number in range(3):
            append_log_entry(session, b"e%d" % number)
        assert integrated_size(session) == 0
        record_checkpoint(session, size=2, root_hash=b"\x01" * 32, note="note 2")
        record_checkpoint(session, size=3, root_hash=b"\x02" * 32, note="note 3")
    with sessions() as session:
        latest = latest_checkpoint(session)
        assert latest is not None
        assert latest.size == 3
        assert integrated_size(session) == 3


def test_a_second_root_for_the_same_size_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, log_append_lock(session):
        append_log_entry(session, b"e")
        first = record_checkpoint(session, size=1, root_hash=b"\x01" * 32, note="n")
        assert record_checkpoint(session, size=1, root_hash=b"\x01" * 32, note="n") is first
        with pytest.raises(ConflictError, match="never forks"):
            record_checkpoint(session, size=1, root_hash=b"\x66" * 32, note="forked")


def test_a_checkpoint_that_shrinks_the_log_or_runs_ahead_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, log_append_lock(session):
        append_log_entry(session, b"a")
        append_log_entry(session, b"b")
        record_checkpoint(session, size=2, root_hash=b"\x02" * 32, note="n")
        with pytest.raises(ConflictError, match="below"):
            record_checkpoint(session, size=1, root_hash=b"\x01" * 32, note="n")
        with pytest.raises(ConflictError, match="beyond"):
            record_checkpoint(session, size=3, root_hash=b"\x03" * 32, note="n")
