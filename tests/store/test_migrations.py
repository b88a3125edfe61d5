"""The shipped migrations build the models' schema on both backends, and drift is caught."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Engine, MetaData, String, inspect

from candor.store.schema import current_revision, find_drift, head_revision, upgrade_database
from candor.store.search import INDEX_TABLE, INDEX_TABLES
from candor.store.tables import Base


def test_migrations_upgrade_an_empty_database_to_head(migrated_engine: Engine) -> None:
    assert current_revision(migrated_engine) == head_revision()
    tables = set(inspect(migrated_engine).get_table_names())
    # The search index is the one table that is not a model (see candor.store.search and find_drift).
    assert INDEX_TABLE in tables
    assert tables - INDEX_TABLES == set(Base.metadata.tables) | {"alembic_version"}


def test_upgrading_again_changes_nothing(migrated_engine: Engine) -> None:
    upgrade_database(migrated_engine)
    assert current_revision(migrated_engine) == head_revision()
    assert find_drift(migrated_engine) == []


def test_models_and_migrations_agree(migrated_engine: Engine) -> None:
    assert find_drift(migrated_engine) == []


def test_a_column_added_to_the_models_only_is_reported(migrated_engine: Engine) -> None:
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["developers"].append_column(Column("nickname", String(40), nullable=True))
    drift = find_drift(migrated_engine, changed)
    assert len(drift) == 1
    assert drift[0].startswith("add_column")
    assert "developers" in drift[0]
    assert "nickname" in drift[0]


def test_a_table_missing_from_the_models_is_reported(migrated_engine: Engine) -> None:
    fewer = MetaData(naming_convention=Base.metadata.naming_convention)
    for name, table in Base.metadata.tables.items():
        if name != "findings":
            table.to_metadata(fewer)
    drift = find_drift(migrated_engine, fewer)
    assert any(line.startswith("remove_table") and "findings" in line for line in drift)


def test_migration_0010_makes_the_watchers_history_append_only(migrated_engine: Engine) -> None:
    """Observations and archived versions cannot be rewritten or deleted, on both backends; watched URLs can."""
    from sqlalchemy import text as sql

    with migrated_engine.begin() as connection:
        connection.execute(
            sql(
                "INSERT INTO archived_versions (sha256, size, media_type, content, text, stored_at) "
                "VALUES (:sha, 3, 'text/plain', :content, 'abc', CURRENT_TIMESTAMP)"
            ),
            {"sha": "a" * 64, "content": b"abc"},
        )
    for statement in ("UPDATE archived_versions SET text = 'xyz'", "DELETE FROM archived_versions"):
        with pytest.raises(Exception, match="append-only"), migrated_engine.begin() as connection:
            connection.execute(sql(statement))
    with migrated_engine.connect() as connection:
        assert connection.execute(sql("SELECT text FROM archived_versions")).scalar_one() == "abc"
