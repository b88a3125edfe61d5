"""``candor backup`` and ``candor restore``: the registry's database, log key, checkpoint history and tiles, together.

The work is in :mod:`candor.services.backup`; these commands only take the options and report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from candor.cli.db import DatabaseUrlOption, DataDirOption


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("backup")(backup)
    app.command("restore")(restore)


def backup(
    destination: Annotated[Path, typer.Argument(help="A new (or empty) directory to hold the backup.")],
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Back up the registry: database, log key, checkpoint history, tiles and facts, consistent with each other.

    The database snapshot, the log key and the checkpoint history are taken together while holding the log's
    append lock (publishing waits a moment); the tiles are copied after. A SQLite database is copied with SQLite's
    online backup API, so the registry can keep serving. A PostgreSQL database is not copied: run pg_dump right
    AFTER this command, never before, so that the dump holds every checkpoint the backed-up history remembers.
    """
    from candor.config import load_settings
    from candor.services.backup import back_up

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    report = back_up(settings, destination)
    typer.echo(f"backed up {settings.data_dir} to {report.destination}")
    entries = "log entry" if report.database_size == 1 else "log entries"
    typer.echo(f"  database: {report.database_size} {entries}; latest checkpoint {_head(report.database_checkpoint)}")
    typer.echo(f"  checkpoint history: newest {_head(report.history_checkpoint)}")
    if not report.database_included:
        typer.echo(
            "  the PostgreSQL database is NOT in this backup: dump it now, e.g. "
            f"pg_dump --format=custom --file={destination / 'database.pgdump'} DATABASE"
        )


def restore(
    source: Annotated[Path, typer.Argument(help="A backup directory written by `candor backup`.")],
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    discard_newer_checkpoints: Annotated[
        bool,
        typer.Option(
            "--discard-newer-checkpoints",
            help="Restore even when the checkpoint history here is newer than the backup's. The newer history is "
            "kept aside as checkpoint-history.discarded-<time>, but the log will sign trees that contradict "
            "checkpoints it has served: every monitor and witness that saw them holds proof of a fork. Only for "
            "checkpoints nobody outside ever saw.",
        ),
    ] = False,
) -> None:
    """Restore a backup made by `candor backup`, unless that would make the log sign a fork. Stop the server first.

    Refused: a backup of another log (another key); a backup whose database does not hold its own newest
    checkpoint; and a backup older than the checkpoint history in the data directory, since the log has signed and
    served checkpoints the backup knows nothing of (restore a newer backup instead). On SQLite the database is
    restored from the backup. On PostgreSQL, restore the database first (pg_restore of the dump taken after the
    backup); this command then checks that it holds every checkpoint the log signed, and restores the rest.
    """
    from candor.config import load_settings
    from candor.services.backup import restore as restore_backup

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    report = restore_backup(settings, source, discard_newer_checkpoints=discard_newer_checkpoints)
    restored = "the database and " if report.database_restored else ""
    typer.echo(f"restored {restored}the log key, checkpoint history and tiles from {source} into {settings.data_dir}")
    typer.echo(f"  newest checkpoint the log remembers: {_head(report.newest_checkpoint)}")
    if report.discarded_history is not None:
        typer.echo(f"  the newer checkpoint history was set aside as {report.discarded_history}")
    typer.echo("  run `candor db upgrade` if the backup is from an older version, then start the server")


def _head(head: object) -> str:
    from candor.tlog.history import describe_signed
    from candor.tlog.sequencer import SignedHead

    return describe_signed(head) if isinstance(head, SignedHead) else "none"
