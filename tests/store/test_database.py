"""Engines: SQLite in WAL mode with foreign keys and a busy timeout; psycopg 3 for PostgreSQL URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from candor.config import sqlite_url
from candor.store.database import SQLITE_BUSY_TIMEOUT_MS, create_database_engine, normalise_database_url
from candor.store.errors import StoreError


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_database_engine(sqlite_url(tmp_path / "nested" / "candor.sqlite3"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == SQLITE_BUSY_TIMEOUT_MS
    engine.dispose()
    assert (tmp_path / "nested" / "candor.sqlite3").is_file()


def test_a_key_for_a_missing_developer_is_refused(sessions: sessionmaker[Session]) -> None:
    # Foreign keys are enforced on both backends (SQLite only with the pragma on).
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.execute(
            text("INSERT INTO developer_keys (developer_id, public_key, valid_from) VALUES (999, :key, :at)"),
            {"key": b"k" * 32, "at": "2026-01-01 00:00:00+00:00"},
        )


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h/db"])
def test_plain_postgres_urls_use_psycopg_3(url: str) -> None:
    assert normalise_database_url(url) == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("url", "message"),
    [("sqlite://", "file path"), ("sqlite:///:memory:", "file path"), ("mysql://u@h/db", "unsupported")],
)
def test_unsupported_databases_are_one_clear_error(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        create_database_engine(url)
