"""``candor obligations``: every duty of every regime that covers a developer, when it is due, and its state."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from candor.cli.coverage import UsageError, parse_as_of
from candor.domain.obligations import SOON_DAYS, CalendarEntry, ObligationsCalendar, as_of_day
from candor.services.obligations import calendar_of_file


class ObligationsFormat(StrEnum):
    text = "text"
    json = "json"
    ical = "ical"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("obligations")(obligations)


def obligations(
    facts: Annotated[
        Path, typer.Argument(help="The developer's facts file (YAML).", metavar="FACTS.yaml", show_default=False)
    ],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="Work out states on this day (YYYY-MM-DD). Default: now."),
    ] = None,
    statements: Annotated[
        Path | None,
        typer.Option(
            "--statements",
            metavar="DIR",
            help="A folder of the developer's statement (*.json) and document (*.md) files.",
        ),
    ] = None,
    registry: Annotated[
        str | None,
        typer.Option("--registry", metavar="URL", help="Read the developer's published statements from a registry."),
    ] = None,
    output: Annotated[ObligationsFormat, typer.Option("--format", "-f", help="Output format.")] = (
        ObligationsFormat.text
    ),
) -> None:
    """List each obligation of each regime that covers the developer: trigger, recurrence, due date and state."""
    if statements is not None and registry is not None:
        raise UsageError("give --statements or --registry, not both")
    # --as-of names a day: the calendar is worked out at noon UTC, which is that day in every law's zone.
    moment = datetime.now(UTC) if as_of is None else as_of_day(parse_as_of(as_of))
    calendar = calendar_of_file(facts, as_of=moment, statements_dir=statements, registry=registry)
    if output is ObligationsFormat.json:
        typer.echo(json.dumps(calendar.model_dump(mode="json"), indent=2))
    elif output is ObligationsFormat.ical:
        from candor.domain.obligations_ical import calendar_ics  # only this format needs the icalendar library

        typer.echo(calendar_ics(calendar, stamp=moment).decode("utf-8"), nl=False)
    else:
        print_calendar(calendar, Console(highlight=False))


_STATES = {
    "met": "[green]MET[/]",
    "due": "[bold]DUE[/]",
    "overdue": "[bold red]OVERDUE[/]",
    "unknown": "[yellow]UNKNOWN[/]",
    "ongoing": "ongoing",
}


def print_calendar(calendar: ObligationsCalendar, console: Console) -> None:
    """The calendar as text: overdue and due soon first, then every duty by regime."""
    console.print(
        f"[bold]Obligations of {escape(calendar.legal_name)}[/] ({calendar.developer}) as of "
        f"{calendar.as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    )
    for zone in calendar.time_zones:
        console.print(_fields((("clock", f"{zone.regime}: {zone.time_zone}. {zone.why}"),)))
    overdue, soon = calendar.overdue(), calendar.due_within(SOON_DAYS)
    console.print()
    console.print(f"[bold]Overdue[/] ({len(overdue)})")
    for entry in overdue:
        _print_brief(entry, console)
    console.print(f"[bold]Due in the next {SOON_DAYS} days[/] ({len(soon)})")
    for entry in soon:
        _print_brief(entry, console)
    regime = None
    for entry in calendar.entries:
        if entry.regime != regime:
            regime = entry.regime
            console.print()
            console.print(f"[bold]{entry.regime}[/] version {entry.regime_version}")
        _print_entry(entry, console)
    if calendar.notes:
        console.print()
        console.print("[bold]Not covering[/]")
        for note in calendar.notes:
            console.print(_fields((("", note),)))


def _print_brief(entry: CalendarEntry, console: Console) -> None:
    model = f" ({entry.model})" if entry.model else ""
    console.print(f"  • {escape(entry.regime)} {escape(entry.obligation + model)}", overflow="fold")
    console.print(_fields((("due", entry.due),)))


def _print_entry(entry: CalendarEntry, console: Console) -> None:
    occurrence = f" #{entry.occurrence}" if entry.recurrence and entry.occurrence else ""
    heading = escape(entry.obligation + (f" ({entry.model})" if entry.model else "") + occurrence)
    console.print(f"  • [bold]{heading}[/] {_STATES[entry.state]}")
    met = None
    if entry.met_by is not None:
        by = entry.met_by
        series = f" {by.series}" if by.series else ""
        met = f"{by.kind}{series} {by.version}, {by.where}, on {by.published_on}" + (" (late)" if by.late else "")
    rows: tuple[tuple[str, str | None], ...] = (
        ("trigger", entry.trigger_event),
        ("due", entry.due),
        ("repeats", entry.recurrence),
        ("met by", met),
        ("missing", entry.missing_fact),
        ("source", entry.source),
    )
    console.print(_fields(rows))


def _fields(rows: tuple[tuple[str, str | None], ...]) -> Table:
    # A label column and a value column that folds, so every line stays within the console's width.
    fields = Table.grid(padding=(0, 1))
    fields.add_column(no_wrap=True, width=len("    trigger"))
    fields.add_column(overflow="fold")
    for label, value in rows:
        if value:
            fields.add_row(f"    {escape(label)}" if label else "   ", escape(value))
    return fields
