"""``candor watch``: watch developers' own sites, archive what they serve, and log what changes.

The watcher works on the registry's data directory and database, like ``candor audit``; inside ``candor serve`` it
runs by itself every ``watch_interval`` seconds. The store is imported inside the commands, so that the rest of the
CLI starts without SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from candor.cli.db import DatabaseUrlOption, DataDirOption, open_database

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from candor.config import Settings
    from candor.services.watcher import Watcher

watch_app = typer.Typer(
    help="Watch developers' own sites: archive each version they serve and log silent edits and withdrawals.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(watch_app, name="watch")


@watch_app.command("add")
def add(
    developer: Annotated[str, typer.Argument(help="The registered developer whose site it is.")],
    url: Annotated[str, typer.Argument(help="The page, PDF or manifest (/.well-known/ai-transparency.json).")],
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="The kind of document the page holds, e.g. secure-development-framework."),
    ] = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Watch URL for DEVELOPER from the next round on."""
    from candor.services.watcher import check_watchable

    kind = check_watchable(url, kind)
    with open_database(data_dir, database_url=database_url) as (settings, engine):
        view = _watcher(settings, engine).add(developer, url, kind)
    typer.echo(f"watching {view.url} for {view.developer}" + (f" ({view.kind})" if view.kind else ""))


@watch_app.command("challenge")
def challenge(
    developer: Annotated[str, typer.Argument(help="The registered developer.")],
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Print the token DEVELOPER places in its manifest to confirm its keys on its registered domain."""
    with open_database(data_dir, database_url=database_url) as (settings, engine):
        watcher = _watcher(settings, engine)
        token = watcher.challenge(developer)
        origin = watcher.log.origin
    typer.echo(token)
    typer.echo(
        f"add it to the manifest (candor manifest build ... --confirmation {origin}={token}), serve the manifest "
        "at https://<the registered domain>/.well-known/ai-transparency.json, and watch that URL",
        err=True,
    )


@watch_app.command("list")
def list_watched(
    developer: Annotated[str | None, typer.Argument(help="Only this developer's URLs.", show_default=False)] = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the watched URLs, with when each was last fetched and what was found."""
    with open_database(data_dir, database_url=database_url) as (settings, engine):
        views = _watcher(settings, engine).watches(developer)
    if not views:
        typer.echo("no URL is watched")
        return
    for view in views:
        checked = "never" if view.checked_at is None else view.checked_at.strftime("%Y-%m-%d %H:%M UTC")
        listed = "" if view.listed else " (no longer listed)"
        typer.echo(
            f"{view.developer}  {view.url}  {view.kind or '-'}  {view.source}{listed}  checked {checked}  "
            f"{view.observations} observation(s), last: {view.last_finding or '-'}"
        )


@watch_app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="Run one round and exit (default: run until stopped).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Fetch every URL, even those fetched recently.")] = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Fetch every due URL, log what changed, and sign a checkpoint over the new observations."""
    import time

    from candor.errors import CandorError

    with open_database(data_dir, database_url=database_url) as (settings, engine):
        if not once and settings.watch_interval <= 0:
            raise CandorError("watch_interval is 0, so there is no interval to run rounds at", hint="pass --once")
        watcher = _watcher(settings, engine)
        while True:
            report = watcher.run_once(force=force)
            watcher.log.integrate()
            for line in report.findings:
                typer.echo(line)
            typer.echo(report.summary())
            if once:
                return
            time.sleep(settings.watch_interval)


def _watcher(settings: Settings, engine: Engine) -> Watcher:
    from datetime import timedelta

    from candor.services.integration import RegistryLog
    from candor.services.watcher import Watcher, watch_limits_of
    from candor.store.database import session_factory

    sessions = session_factory(engine)
    return Watcher(
        sessions,
        RegistryLog(sessions, settings.data_dir, settings.log_origin),
        watch_limits_of(settings),
        interval=settings.watch_interval,
        unreachable_after=timedelta(days=settings.watch_unreachable_days),
    )
