"""``candor coverage``: which regimes cover a developer, in which tier, and what it owes."""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from candor.domain.coverage import CoverageReport, Determination
from candor.domain.facts import above_max_quantity
from candor.domain.regimes import Regime, load_regimes
from candor.errors import CandorError
from candor.services.coverage import coverage_of_file


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class UsageError(CandorError):
    """A command-line option with a value the command cannot use."""


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("coverage")(coverage)


def coverage(
    facts: Annotated[
        Path | None, typer.Argument(help="The developer's facts file (YAML).", metavar="FACTS.yaml", show_default=False)
    ] = None,
    regime: Annotated[
        list[str] | None,
        typer.Option("--regime", "-r", metavar="ID", help="A regime id; repeat for several. Default: all."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="Apply the regime versions in effect on this date (YYYY-MM-DD). Default: today.",
        ),
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            metavar="NAME=VALUE",
            help="Override a regime parameter, e.g. frontier_compute_flop=1e25; repeatable.",
        ),
    ] = None,
    list_regimes: Annotated[
        bool, typer.Option("--list-regimes", help="List the regimes Candor knows, and exit.")
    ] = False,
) -> None:
    """Decide which regimes cover a developer, its tier, every threshold tested, and the obligations that follow."""
    if list_regimes:
        _print_regimes(list(load_regimes().values()), output)
        return
    if facts is None:
        raise UsageError("give a facts file, such as examples/acme-ai/facts.yaml", hint="or --list-regimes")
    report = coverage_of_file(
        facts, regime_ids=regime or [], as_of=parse_as_of(as_of), parameters=dict(map(_parse_param, param or []))
    )
    if output is OutputFormat.json:
        typer.echo(finite_json(report.model_dump(mode="json")))
    else:
        print_report(report, Console(highlight=False))


def finite_json(value: object) -> str:
    """``value`` as indented JSON, refusing Infinity and NaN, which are not JSON and which many readers reject."""
    try:
        return json.dumps(value, indent=2, allow_nan=False)
    except ValueError:
        raise UsageError(
            "the report holds a number JSON cannot carry (a margin beyond the range of a float)",
            hint="check the --param limits: a limit near zero makes every margin over it immeasurably large",
        ) from None


def parse_as_of(value: str | None) -> date:
    """The ``--as-of`` option's day: today when it is not given."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of {value!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2027-01-01") from None


def _parse_param(setting: str) -> tuple[str, int | float]:
    name, equals, raw = setting.partition("=")
    number = _limit(raw.strip()) if equals and name.strip() else None
    if number is None:
        raise UsageError(
            f"--param {setting!r} is not NAME=NUMBER with a non-negative number",
            hint="e.g. --param frontier_compute_flop=1e25",
        )
    return name.strip(), number


def _limit(text: str) -> int | float | None:
    number: int | float
    try:
        number = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) and number >= 0 and not above_max_quantity(number) else None


def print_report(report: CoverageReport, console: Console) -> None:
    """Render a coverage report as text: one section per regime, with tables of thresholds and obligations."""
    console.print(f"[bold]Coverage of {report.developer}[/] as of {report.as_of}")
    for determination in report.determinations:
        console.print()
        _print_determination(determination, console)


def _print_determination(found: Determination, console: Console) -> None:
    if found.covered:
        verdict = f"[bold green]COVERED[/], tier [bold]{found.tier}[/]"
    elif found.exemptions:
        verdict = "[bold yellow]EXEMPT[/]"
    else:
        verdict = "[bold]not covered[/]"
    state = "in effect" if found.in_effect else "[yellow]not yet in effect[/]"
    console.print(
        f"[bold]{found.regime}[/] {found.title}: version {found.regime_version} ({found.status}, {state} "
        f"from {found.effective_from}): {verdict}"
    )
    if found.tests:
        console.print(_tests_table(found))
    for exemption in found.exemptions:
        console.print(f"  exemption [bold]{exemption.id}[/]: {exemption.description} ({exemption.source})")
    for note in found.notes:
        # Notes and due dates quote the facts file's model names, which may hold brackets that are not markup.
        console.print(f"  note: {escape(note)}")
    if found.obligations:
        _print_obligations(found, console)


def _tests_table(found: Determination) -> Table:
    # Figures never wrap or shrink: a cut "$650,…" says nothing. The threshold and model names fold instead, and
    # the light frame leaves the row of a model's compute test room to fit 80 columns.
    table = Table(
        Column("threshold", overflow="fold"),
        Column("model", overflow="fold"),
        Column("value", no_wrap=True, justify="right"),
        Column("limit", no_wrap=True, justify="right"),
        Column("margin", no_wrap=True, justify="right"),
        Column("met", no_wrap=True),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for test in found.tests:
        comparison = ">" if test.comparison == "more-than" else "≥"
        table.add_row(
            test.threshold,
            escape(test.model or ""),
            _amount(test.threshold, test.value),
            f"{comparison} {_amount(test.threshold, test.limit)}",
            f"{test.margin:+.1%}",
            ("yes" if test.met else "no") + (" [bold yellow]NEAR[/]" if test.near else ""),
        )
    return table


def _print_obligations(found: Determination, console: Console) -> None:
    # One under another rather than in a table: six columns of prose side by side squeeze into slivers at any
    # terminal width, and cut the document names. The full descriptions are in the JSON output.
    console.print("  [bold]obligations[/]")
    for obligation in found.obligations:
        heading = obligation.id if obligation.model is None else f"{obligation.id} ({obligation.model})"
        console.print(f"  • [bold]{escape(heading)}[/]")
        # Labels in one column and values wrapping in the other keep every wrapped line under its label's value.
        fields = Table.grid(padding=(0, 1))
        fields.add_column(no_wrap=True, width=len("    document"))
        fields.add_column(overflow="fold")
        for label, value in (
            ("document", obligation.document),
            ("due", obligation.due),
            ("cadence", obligation.cadence),
            ("source", obligation.source),
        ):
            if value:
                fields.add_row(f"    {label}", escape(value))
        console.print(fields)


def _amount(threshold: str, value: int | float) -> str:
    """A figure in its shortest exact form: $650M, $1.2B, 3.1e26; never rounded, so a near miss stays visible."""
    exact = Decimal(repr(value) if isinstance(value, float) else value).normalize()
    if threshold.endswith("_usd"):
        return _dollars(exact)
    # Compute is written the way statutes write it: 3.1e26, not 310000000000000000000000000.
    if exact.adjusted() < 6:
        return f"{exact:,f}"
    digits = "".join(map(str, exact.as_tuple().digits))
    mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    return f"{'-' if exact < 0 else ''}{mantissa}e{exact.adjusted()}"


_DOLLAR_UNITS = ((12, "T"), (9, "B"), (6, "M"))


def _dollars(exact: Decimal) -> str:
    for power, unit in _DOLLAR_UNITS:
        scaled = exact.scaleb(-power)
        # $650M and $1.25B read at a glance; $123,456,789 would lose digits as $123.5M, so it is written out.
        if abs(scaled) >= 1 and len(scaled.as_tuple().digits) <= 4:
            return f"${scaled:f}{unit}"
    return f"${exact:,f}"


def _print_regimes(regimes: list[Regime], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        listing = [
            {
                "id": regime.id,
                "title": regime.title,
                "jurisdiction": regime.jurisdiction,
                "versions": [
                    {"version": v.version, "effective_from": v.effective_from.isoformat(), "status": v.status}
                    for v in regime.versions
                ],
            }
            for regime in regimes
        ]
        typer.echo(finite_json(listing))
        return
    table = Table("id", "title", "jurisdiction", "versions (effective from)")
    for regime in regimes:
        versions = ", ".join(f"{v.version} ({v.effective_from}, {v.status})" for v in regime.versions)
        table.add_row(regime.id, regime.title, regime.jurisdiction, versions)
    Console(highlight=False).print(table)
