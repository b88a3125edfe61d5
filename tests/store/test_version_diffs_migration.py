"""Migration 0011: the stored diffs' table goes down and up cleanly on both backends, and is refilled after."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from candor.services.integration import RegistryLog
from candor.services.version_diffs import VersionDiffs
from candor.store.schema import alembic_config, find_drift, upgrade_database
from candor.testing.registry import Registry
from tests.web.registry import fill


def test_migration_0011_goes_down_and_up_and_the_diffs_are_computed_again(
    migrated_engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    fill(Registry(sessions, RegistryLog(sessions, tmp_path, "registry.test/log")))
    diffs = VersionDiffs(sessions)
    computed = diffs.refresh()
    assert computed > 0
    # Down to the revision 0011 follows, whichever that is once the branches' migrations are chained.
    below = ScriptDirectory.from_config(alembic_config()).get_revision("0011").down_revision
    assert isinstance(below, str)
    with migrated_engine.begin() as connection:
        command.downgrade(alembic_config(connection), below)
    assert "version_diffs" not in inspect(migrated_engine).get_table_names()
    upgrade_database(migrated_engine)
    assert find_drift(migrated_engine) == []
    with migrated_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM version_diffs")).scalar_one() == 0
    assert diffs.refresh() == computed  # derived data: filled again from the documents, no backfill needed
    assert diffs.refresh() == 0
