"""Published history cannot be rewritten or deleted, even with direct SQL: the triggers refuse it.

That includes the ways SQL can delete a row without saying DELETE: SQLite's REPLACE conflict resolution
(``INSERT OR REPLACE``, ``REPLACE INTO``), upserts (``ON CONFLICT DO UPDATE``) on both backends, and PostgreSQL's
``MERGE``. Each attack runs as raw SQL and must leave every row exactly as it was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.store.sealed import SealedOriginals
from candor.store.statements import Statements
from candor.store.tables import APPEND_ONLY_TABLES, Base
from tests.dbfixtures import postgresql_only, sqlite_only
from tests.store.registry_rows import publish_framework

#: Published history: the tables migration 0001 guards, and the sealed originals of migration 0002.
GUARDED_TABLES = (*APPEND_ONLY_TABLES, "sealed_originals")

#: For each guarded table: its conflict key, and one column with a replacement value that is valid on both
#: backends and breaks no CHECK constraint, so that only the append-only guard can refuse the change.
TAMPERING = {
    "documents": ("sha256", "media_type", "'text/plain'"),
    "statements": ("id", "version", "'0.9'"),
    "log_entries": ("log_index", "entry", "leaf_hash"),
    "checkpoints": ("id", "note", "'forged'"),
    "sealed_originals": ("sha256", "retain_until", "stored_at"),
}


def attempt(engine: Engine, sql: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(sql))


@pytest.fixture
def published(sessions: sessionmaker[Session], migrated_engine: Engine) -> Engine:
    """One row in every guarded table."""
    statement_sha256 = publish_framework(sessions).statement_sha256
    with sessions.begin() as session:
        SealedOriginals(session).put(Statements(session).get(statement_sha256), b"sealed to the regulator")
    return migrated_engine


def _columns(table: str) -> list[str]:
    return [column.name for column in Base.metadata.tables[table].columns]


def _tampered_select(table: str) -> str:
    """``SELECT`` of every row of ``table`` with one column changed: the rows an attacker would put back."""
    _, column, value = TAMPERING[table]
    return ", ".join(value if name == column else name for name in _columns(table)) + f" FROM {table}"


def _snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {
            table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
            for table in GUARDED_TABLES
        }


def _refused_and_unchanged(engine: Engine, sql: str) -> None:
    before = _snapshot(engine)
    attempt(engine, sql)
    assert _snapshot(engine) == before


def test_rewriting_a_published_statement_is_rejected(published: Engine) -> None:
    attempt(published, "UPDATE statements SET version = '0.9'")


def test_deleting_a_published_statement_is_rejected(published: Engine) -> None:
    attempt(published, "DELETE FROM statements")


def test_swapping_a_documents_bytes_is_rejected(published: Engine) -> None:
    attempt(published, "UPDATE documents SET media_type = 'text/plain'")


def test_deleting_a_document_is_rejected(published: Engine) -> None:
    attempt(published, "DELETE FROM documents")


def test_rewriting_a_log_entry_is_rejected(published: Engine) -> None:
    attempt(published, "UPDATE log_entries SET log_index = log_index + 100")


def test_deleting_a_log_entry_is_rejected(published: Engine) -> None:
    attempt(published, "DELETE FROM log_entries")


def test_rewriting_a_checkpoint_is_rejected(published: Engine) -> None:
    attempt(published, "UPDATE checkpoints SET note = 'forged'")


def test_deleting_a_checkpoint_is_rejected(published: Engine) -> None:
    attempt(published, "DELETE FROM checkpoints")


def test_truncating_published_history_is_rejected_on_postgresql(postgres_schema_url: str) -> None:
    # SQLite has no TRUNCATE (its DELETE trigger covers the same attack); PostgreSQL needs its own trigger.
    engine = create_database_engine(postgres_schema_url)
    upgrade_database(engine)
    publish_framework(session_factory(engine))
    try:
        for table in APPEND_ONLY_TABLES:
            attempt(engine, f"TRUNCATE {table} CASCADE")
    finally:
        engine.dispose()


def test_history_is_intact_after_the_attempts(published: Engine) -> None:
    for sql in ("DELETE FROM statements", "UPDATE log_entries SET appended_at = appended_at"):
        with pytest.raises(DBAPIError), published.begin() as connection:
            connection.execute(text(sql))
    with published.connect() as connection:
        for table in APPEND_ONLY_TABLES:
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 1


def test_a_key_can_still_be_revoked(published: Engine) -> None:
    # Only history is frozen: operational rows such as key revocations still change.
    with published.begin() as connection:
        changed = connection.execute(text("UPDATE developer_keys SET revoked_at = valid_from")).rowcount
    assert changed == 1


@pytest.mark.parametrize("verb", ["INSERT OR REPLACE", "REPLACE"])
@pytest.mark.parametrize("table", GUARDED_TABLES)
@sqlite_only
def test_replacing_published_rows_on_sqlite_is_rejected(
    published: Engine, database_url: str, table: str, verb: str
) -> None:
    columns = ", ".join(_columns(table))
    _refused_and_unchanged(published, f"{verb} INTO {table} ({columns}) SELECT {_tampered_select(table)}")


@pytest.mark.parametrize("table", GUARDED_TABLES)
def test_upserting_over_published_rows_is_rejected(published: Engine, table: str) -> None:
    # ON CONFLICT DO UPDATE is an UPDATE in disguise on both backends ("WHERE true" lets SQLite parse the SELECT).
    key, column, _ = TAMPERING[table]
    columns = ", ".join(_columns(table))
    _refused_and_unchanged(
        published,
        f"INSERT INTO {table} ({columns}) SELECT {_tampered_select(table)} WHERE true "
        f"ON CONFLICT ({key}) DO UPDATE SET {column} = excluded.{column}",
    )


@pytest.mark.parametrize(
    ("table", "key"),
    [("statements", "log_index"), ("statements", "statement_sha256"), ("checkpoints", "size")],
)
@sqlite_only
def test_replacing_a_row_through_another_unique_key_is_rejected(
    published: Engine, database_url: str, table: str, key: str
) -> None:
    # A new primary key, but the same unique value: REPLACE would delete the published row that holds it.
    columns = [name for name in _columns(table) if name != "id"]
    values = ", ".join(columns) + f" FROM {table}"
    _refused_and_unchanged(published, f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) SELECT {values}")


@pytest.mark.parametrize("table", ["documents", "log_entries", "sealed_originals"])
@sqlite_only
def test_replacing_a_row_through_its_hidden_rowid_is_rejected(published: Engine, database_url: str, table: str) -> None:
    # Tables without an INTEGER PRIMARY KEY still have SQLite's rowid, and a REPLACE on it deletes that row.
    key = TAMPERING[table][0]
    columns = _columns(table)
    fresh = {"sha256": "'" + "e" * 64 + "'", "log_index": "log_index + 1000", "statement_id": "statement_id"}
    values = ", ".join(fresh.get(name, name) if name == key else name for name in columns)
    _refused_and_unchanged(
        published, f"INSERT OR REPLACE INTO {table} (rowid, {', '.join(columns)}) SELECT rowid, {values} FROM {table}"
    )


@sqlite_only
def test_an_attackers_own_sqlite_connection_cannot_replace_rows_either(published: Engine, database_url: str) -> None:
    # The attacker's connection has recursive_triggers off (SQLite's default), so REPLACE's delete fires no DELETE
    # trigger there; the BEFORE INSERT guard fires on every connection.
    path = Path(make_url(database_url).database or "")
    before = _snapshot(published)
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA recursive_triggers").fetchone() == (0,)
        for table in GUARDED_TABLES:
            columns = ", ".join(_columns(table))
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                connection.execute(f"INSERT OR REPLACE INTO {table} ({columns}) SELECT {_tampered_select(table)}")
        connection.rollback()
    finally:
        connection.close()
    assert _snapshot(published) == before


@sqlite_only
def test_the_registrys_sqlite_connections_fire_triggers_on_replace(published: Engine, database_url: str) -> None:
    with published.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA recursive_triggers").scalar_one() == 1


@pytest.mark.parametrize("action", ["DELETE", "UPDATE SET {column} = source.{column}"])
@pytest.mark.parametrize("table", GUARDED_TABLES)
@postgresql_only
def test_merging_over_published_rows_on_postgresql_is_rejected(
    published: Engine, database_url: str, table: str, action: str
) -> None:
    key, column, value = TAMPERING[table]
    _refused_and_unchanged(
        published,
        f"MERGE INTO {table} USING (SELECT {key}, {value} AS {column} FROM {table}) AS source "
        f"ON {table}.{key} = source.{key} WHEN MATCHED THEN {action.format(column=column)}",
    )


def test_new_rows_are_still_appended(published: Engine, sessions: sessionmaker[Session]) -> None:
    # The guard refuses only inserts that collide: publishing goes on.
    publish_framework(sessions, version="2.0")
    with published.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM statements")).scalar_one() == 2
