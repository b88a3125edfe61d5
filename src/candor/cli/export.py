"""``candor export``: a whole-registry export that re-verifies offline with ``candor verify --export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from candor.cli.db import DatabaseUrlOption, DataDirOption
from candor.errors import CandorError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("export")(export)


def export(
    directory: Annotated[Path, typer.Argument(help="A new (or empty) directory to write the export into.")],
    registry: Annotated[
        str | None, typer.Option("--registry", help="Export from this registry's public API (its base URL).")
    ] = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Export every statement, document and sealed original (still sealed), the log's tiles and its checkpoint.

    From a registry's public API with --registry URL, or, for its operator, from the data directory and database
    with --data-dir. The export is of the latest signed checkpoint; `candor verify --export DIR` re-checks every
    signature, hash and inclusion offline. The layout is in docs/bulk-data.md.
    """
    from candor.services.registry_export import DataDirectorySource, ExportSource, RegistrySource, export_registry

    if (registry is None) == (data_dir is None and database_url is None):
        raise CandorError(
            "say where to export from", hint="pass --registry URL, or --data-dir DIR on the registry's own machine"
        )
    if registry is not None:
        source: ExportSource = RegistrySource(registry)
        try:
            report = export_registry(source, directory)
        finally:
            source.close()
    else:
        from candor.cli.db import open_database
        from candor.store.database import session_factory

        with open_database(data_dir, database_url=database_url) as (settings, engine):
            source = DataDirectorySource(settings.data_dir, session_factory(engine))
            try:
                report = export_registry(source, directory)
            finally:
                source.close()
    checkpoint = report.checkpoint
    typer.echo(f"exported {checkpoint.origin} size {checkpoint.size} to {report.directory}")
    typer.echo(
        f"  {report.statements} statements, {report.documents} documents, {report.sealed} sealed originals, "
        f"{report.tiles} tile{'' if report.tiles == 1 else 's'}"
    )
    typer.echo(f"  verify it offline: candor verify --export {report.directory}")
