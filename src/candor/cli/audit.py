"""``candor audit``: re-hash the registry's database against its signed log, tiles and statements.

Exit codes: 0 when everything matches, 1 when anything does not (each mismatch one line on stdout), 2 when the
audit cannot run (no registry, no log key, an unreachable database).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from candor.cli.db import DatabaseUrlOption, DataDirOption, open_database

_stderr = Console(stderr=True, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("audit")(audit)


def audit(data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Check every statement, log entry, checkpoint, document and sealed original against what was signed.

    Each mismatch is printed as one line (table, row, expected and found hash); the exit code is 1 if there is any.
    """
    from candor.services.audit import RegistryAudit
    from candor.store.database import session_factory

    with open_database(data_dir, database_url=database_url) as (settings, engine), _phases() as progress:
        run = RegistryAudit(
            session_factory(engine),
            settings.data_dir,
            on_finding=lambda finding: typer.echo(finding.line()),
            progress=progress,
            key_file=settings.log_key,
        )
        report = run.run()
    if report.clean:
        typer.echo(f"clean: {report.summary()}")
        return
    typer.echo(f"{report.finding_count} finding(s) in {report.summary()}")
    raise typer.Exit(1)


class _PhaseProgress:
    """One rich progress bar per phase of the audit (log, documents, sealed originals, tiles) on a terminal."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self._progress is None:
            return
        task = self._tasks.get(phase)
        if task is None:
            task = self._tasks[phase] = self._progress.add_task(f"auditing {phase}", total=total)
        self._progress.update(task, completed=done, total=total)


@contextmanager
def _phases() -> Iterator[_PhaseProgress]:
    if not _stderr.is_terminal:
        yield _PhaseProgress(None)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=_stderr, transient=True) as progress:
        yield _PhaseProgress(progress)
