"""Published history cannot be rewritten or deleted, even with direct SQL: the triggers refuse it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.store.tables import APPEND_ONLY_TABLES
from tests.store.registry_rows import publish_framework


def attempt(engine: Engine, sql: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(sql))


@pytest.fixture
def published(sessions: sessionmaker[Session], migrated_engine: Engine) -> Engine:
    publish_framework(sessions)
    return migrated_engine


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
