"""The search index: migration 0007 backfills what was published before it, and drift checking ignores it."""

from __future__ import annotations

import contextlib
from pathlib import Path

from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from candor.services.integration import RegistryLog
from candor.store.schema import alembic_config, find_drift, upgrade_database
from candor.store.search import INDEX_TABLE, SearchFilters, SearchQueryError, search
from candor.testing.registry import Registry
from tests.web.registry import fill


def _indexed(engine: Engine) -> int:
    with engine.connect() as connection:
        count: int = connection.execute(text(f"SELECT count(*) FROM {INDEX_TABLE}")).scalar_one()
    return count


def test_migration_0007_backfills_documents_published_before_it(
    migrated_engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    filled = fill(Registry(sessions, RegistryLog(sessions, tmp_path, "registry.test/log")))
    with_documents = sum(1 for published in filled.published.values() if published.document_sha256 is not None)
    assert _indexed(migrated_engine) == with_documents  # indexed at publication
    with migrated_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")  # the registry as it was before search existed
    upgrade_database(migrated_engine)
    assert _indexed(migrated_engine) == with_documents
    with sessions() as session:
        hits = search(session, "distilled", SearchFilters(developer="acme-ai"))
    assert {hit.log_index for hit in hits} == {
        filled.published["acme-sdf-1"].log_index,
        filled.published["acme-sdf-2"].log_index,
    }
    assert find_drift(migrated_engine) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=80) | st.sampled_from(['"', "NEAR(", "*", "-x", "((", "a:b", "\x00", "^", "AND OR"]))
def test_any_text_is_a_refused_query_or_a_search_never_a_database_error(
    sessions: sessionmaker[Session], query: str
) -> None:
    # Arbitrary text, FTS5 operators and NUL bytes included, must never reach the database as query syntax.
    with sessions() as session, contextlib.suppress(SearchQueryError):
        search(session, query, SearchFilters())
