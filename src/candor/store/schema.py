"""The database schema: running the shipped Alembic migrations, and proving that they match the models.

No alembic.ini is needed: the configuration is built here, pointing at ``store/migrations`` inside the
installed package.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

# Tables kept in their own modules; importing them puts them on Base.metadata for `candor db check`.
import candor.store.cosignatures
from candor.store.errors import StoreError
from candor.store.search import INDEX_TABLES
from candor.store.tables import Base

import candor.store.report_tables  # noqa: F401  isort: skip

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the shipped migrations, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration shipped with this version of Candor."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations are shipped with this package")
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at; None if it has never been migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not at the newest migration."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "has no Candor tables" if current is None else f"is at migration {current}, not {head}"
        raise StoreError(f"the database {state}", hint="run `candor db upgrade` first")


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to ``revision`` (the newest by default), in one transaction."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def find_drift(engine: Engine, metadata: MetaData = Base.metadata) -> list[str]:
    """Differences between ``metadata`` (the models) and the database's schema, one readable line each.

    Run it on a database at the head migration: any line then means the models and the migrations disagree.
    """
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _compared})
        differences = compare_metadata(context, metadata)
    return [_describe(difference) for difference in differences]


def _compared(name: str | None, type_: str, _parents: object) -> bool:
    # The search index is derived data made by migration 0007, not a model: an FTS5 virtual table (and its
    # shadow tables) on SQLite cannot be one. Its shape is checked by the search tests instead.
    return not (type_ == "table" and name in INDEX_TABLES)


def _describe(difference: object) -> str:
    # compare_metadata returns tuples such as ("add_column", schema, table, Column) or lists of them for
    # column modifications; the operation name and the objects' own text are what a person needs.
    if isinstance(difference, list):
        return "; ".join(_describe(part) for part in difference)
    if isinstance(difference, tuple) and difference:
        operation, *details = difference
        shown = [str(detail) for detail in details if detail is not None and detail != {}]
        return f"{operation}: " + ", ".join(shown)
    return str(difference)
