"""``candor db``: create or upgrade the registry's database, and check it against the models.

SQLAlchemy and Alembic are imported inside the commands, so that the rest of the CLI starts without them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from candor.config import Settings

db_app = typer.Typer(help="Create, upgrade and check the registry's database.", no_args_is_help=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Directory for the registry's data (default: ./candor-data, or CANDOR_DATA_DIR). "
        "CANDOR_DATABASE_URL, if set, chooses the database instead of the SQLite file there.",
        show_default=False,
    ),
]

#: For the commands that work on a registry's whole state (audit, backup, restore), whose database may be
#: PostgreSQL while the data directory holds the tiles, the log key and the checkpoint history.
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="The registry's database (default: the SQLite file in the data directory, or CANDOR_DATABASE_URL).",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(db_app, name="db")


@contextmanager
def open_database(
    data_dir: Path | None, *, require_current: bool = True, database_url: str | None = None
) -> Iterator[tuple[Settings, Engine]]:
    """The settings and an engine on their database, disposed of afterwards; by default it must be migrated.

    A database that cannot be reached becomes one clear :class:`StoreError` line rather than a traceback. A
    migrated database must exist already: a SQLite file is never created just to find it has no registry.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from candor.config import load_settings
    from candor.store.database import create_database_engine
    from candor.store.errors import StoreError
    from candor.store.schema import require_current_schema

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    if require_current and settings.uses_sqlite:
        path = Path(make_url(settings.database_url).database or "")
        if not path.is_file():
            raise StoreError(
                f"no registry database at {path}",
                hint=f"check --data-dir, or make one with `candor db upgrade --data-dir {settings.data_dir}`",
            )
    engine = create_database_engine(settings.database_url)
    try:
        if require_current:
            require_current_schema(engine)
        yield settings, engine
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"database {engine.url!r}: {reason}") from exc
    finally:
        engine.dispose()


@db_app.command("upgrade")
def upgrade(data_dir: DataDirOption = None) -> None:
    """Create the database, or bring it up to the newest migration."""
    from candor.store.schema import current_revision, upgrade_database

    with open_database(data_dir, require_current=False) as (_, engine):
        before = current_revision(engine)
        upgrade_database(engine)
        after = current_revision(engine)
    if before == after:
        typer.echo(f"database {engine.url!r} is already at migration {after}")
    else:
        typer.echo(f"database {engine.url!r} upgraded from {before or 'empty'} to migration {after}")


@db_app.command("check")
def check(data_dir: DataDirOption = None) -> None:
    """Compare the database built by the migrations with the models; exit 1 and list any differences."""
    from candor.store.schema import find_drift, head_revision

    with open_database(data_dir) as (_, engine):
        drift = find_drift(engine)
    if drift:
        typer.echo(f"the models and the migrations differ ({len(drift)}):")
        for line in drift:
            typer.echo(f"  {line}")
        typer.echo("write a migration for these changes (alembic revision --autogenerate), then run candor db check")
        raise typer.Exit(1)
    typer.echo(f"no drift: the database at migration {head_revision()} matches the models")
