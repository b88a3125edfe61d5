"""Opening the database: one engine per process, configured the same way for every caller.

SQLite is tuned for a registry: WAL mode (readers never block the writer), foreign keys and recursive triggers on
(see ``docs/storage.md``), and a busy timeout so that a second writer waits instead of failing. On PostgreSQL,
psycopg 3 is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from candor.store.errors import StoreError

#: How long a SQLite writer waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Execution option that makes the next SQLite transaction start with BEGIN IMMEDIATE (take the write lock).
SQLITE_BEGIN_IMMEDIATE = "candor_sqlite_begin_immediate"


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` and ``postgres://`` spellings and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_database_engine(url: str, **engine_options: Any) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL), with Candor's connection settings applied."""
    url = normalise_database_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"database URL {url!r} is not a valid URL", hint="e.g. postgresql+psycopg://host/db") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, engine_options)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, **engine_options)
    raise StoreError(f"unsupported database {parsed.get_backend_name()!r}", hint="use SQLite or PostgreSQL")


def _sqlite_engine(url: str, database: str | None, engine_options: dict[str, Any]) -> Engine:
    if not database or database == ":memory:":
        raise StoreError("SQLite needs a file path, not an in-memory database", hint="sqlite:///path/to/file")
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **engine_options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # REPLACE conflict resolution (INSERT OR REPLACE, REPLACE INTO) deletes the row in its way; only with
        # recursive triggers does that delete fire the append-only tables' DELETE triggers. Migration 0004's
        # BEFORE INSERT triggers refuse such inserts on any connection; this makes ours refuse them twice over.
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes can fail when another writer got there first;
        # a log append therefore takes the write lock up front, and so becomes SQLite's single writer.
        if connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit, for handing to templates and APIs."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commits when the block ends normally, rolls back if it raises."""
    with sessions.begin() as session:
        yield session


@contextmanager
def writing_transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """:func:`write_transaction` on sessions already made: reads, then writes, beside a running server's writers."""
    with sessions.begin() as session:
        session.connection(execution_options={SQLITE_BEGIN_IMMEDIATE: True})
        yield session


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """A unit of work that reads, then writes, beside a running server (``candor admin``, test set-up).

    On SQLite it takes the write lock up front (BEGIN IMMEDIATE): a deferred transaction that has read before
    another writer commits (the server's integrator signing a checkpoint, say) can no longer write, and fails at
    once with "database is locked", whatever the busy timeout. Taking the lock first makes it wait its turn instead.
    """
    with writing_transaction(session_factory(engine)) as session:
        yield session
