"""Alembic environment for Candor's migrations.

Candor runs migrations programmatically (``candor db upgrade``), handing over an open connection in
``config.attributes["connection"]``. Run by hand with the ``alembic`` tool, the settings' database is used.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from candor.store.tables import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_with_own_engine() -> None:
    from candor.config import load_settings
    from candor.store.database import create_database_engine

    engine = create_database_engine(load_settings().database_url)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


_given: Connection | None = context.config.attributes.get("connection")
if _given is not None:
    _run(_given)
else:
    _run_with_own_engine()
