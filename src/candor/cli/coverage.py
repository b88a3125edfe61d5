"""``candor coverage``: which regimes cover a developer, in which tier, and what it owes."""

from __future__ import annotations

import json
import math
import textwrap
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.cells import cell_len
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
        # Written by pydantic's serialiser, several times faster than json.dumps with an indent on a report of
        # thousands of models; the engine refuses any margin that is not a finite number, so none can be Infinity.
        typer.echo(report.model_dump_json(indent=2))
    else:
        print_report(report, Console(highlight=False))


def finite_json(value: object) -> str:
    """``value`` as indented JSON; Infinity and NaN are not JSON, and many readers reject them."""
    return json.dumps(value, indent=2, allow_nan=False)


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
    """Render a coverage report as text: a summary table, every missing fact at once, then one section a regime."""
    console.print(f"[bold]Coverage of {escape(report.developer)}[/] as of {report.as_of}")
    console.print()
    console.print(_summary_table(report))
    _print_missing_facts(report, console)
    for determination in report.determinations:
        console.print()
        _print_determination(determination, console)


_VERDICTS = {
    "covered": "[bold green]COVERED[/]",
    "not-covered": "not covered",
    "exempt": "[bold yellow]EXEMPT[/]",
    "undetermined": "[bold yellow]UNDETERMINED[/]",
    "not-in-effect": "not in force",
}


def standing(found: Determination) -> str:
    """The version's legal standing on the day asked about, in words that do not call a proposal "in effect"."""
    if found.status == "proposal":
        return f"proposal of {found.effective_from}, not law"
    if found.in_effect:
        return f"law since {found.effective_from}"
    return f"law from {found.effective_from}, not yet in force"


def _summary_table(report: CoverageReport) -> Table:
    # The first thing a reader needs: one line a regime. Columns fold rather than cut, so nothing is lost at 80.
    # Ids, verdicts and tiers never wrap (a split "large-frontier-de/veloper" misreads); the standing wraps.
    table = Table(
        Column("regime", no_wrap=True),
        Column("verdict", no_wrap=True),
        Column("tier", no_wrap=True),
        Column("version and standing", overflow="fold"),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for found in report.determinations:
        table.add_row(
            found.regime,
            _VERDICTS[found.outcome],
            found.tier or ("?" if found.missing_facts else "—"),
            f"{found.regime_version}: {standing(found)}",
        )
    return table


def _print_missing_facts(report: CoverageReport, console: Console) -> None:
    needed: dict[str, list[str]] = {}
    for found in report.determinations:
        for fact in found.missing_facts:
            needed.setdefault(fact, []).append(found.regime)
    if not needed:
        return
    console.print()
    console.print(f"[bold yellow]Missing facts[/] ({len(needed)}): add them to the facts file and run again")
    for fact, regimes in needed.items():
        console.print(f"  • {escape(fact)}: needed by {', '.join(regimes)}")


def _print_determination(found: Determination, console: Console) -> None:
    verdict = _VERDICTS[found.outcome]
    if found.covered:
        verdict += f", tier [bold]{found.tier}[/]"
    console.print(f"[bold]{found.regime}[/] {escape(found.title)}")
    console.print(_fields((("version", f"{found.regime_version} ({standing(found)})"),)))
    console.print(_fields((("verdict", verdict),), markup=True))
    if found.tests:
        _write(console, _tests_lines(found, console.width))
    # Notes quote the facts file's model names, which may hold brackets: written as plain lines, never read as
    # markup, and without a rich table, since a facts file of thousands of models brings thousands of notes.
    rows: list[tuple[str, str]] = [
        ("exempt", f"{exemption.id}: {exemption.description} ({exemption.source})") for exemption in found.exemptions
    ]
    rows += [("missing", fact) for fact in found.missing_facts]
    rows += [("note", note) for note in found.notes]
    _write(console, [line for label, value in rows for line in _field_lines(label, value, console.width)])
    if found.obligations:
        _write(console, _obligation_lines(found, console.width))
    if found.penalties:
        console.print("  [bold]penalties[/]")
        for penalty in found.penalties:
            console.print(f"  • [bold]{escape(penalty.id)}[/]")
            since = str(penalty.applies_from) if penalty.applies_from else None
            console.print(_fields((("at most", penalty.maximum), ("from", since), ("source", penalty.source))))


# The tables and lists below are laid out here as plain lines, not as rich tables: a facts file may list thousands
# of models, and rich measures and renders every cell of a table as an object (about 10 ms a model), where joining
# strings takes microseconds. A report of 10,000 models then prints in well under a second.

#: Between two columns of the threshold table.
_GAP = "   "
#: The fewest columns the threshold and model names fold into, however narrow the terminal.
_MIN_NAME_COLUMNS = 8
#: The width of a field's label in an obligation, "    document", and the space after it.
_LABEL_COLUMNS = len("    document ")


def _tests_lines(found: Determination, width: int) -> list[str]:
    """The threshold table: names fold to fit ``width``; figures never wrap or shrink, since a cut "$650,…" says
    nothing."""
    header = ("threshold", "model", "value", "limit", "margin", "met")
    rows = [
        (
            test.threshold,
            test.model or "",
            _amount(test.threshold, test.value),
            f"{'>' if test.comparison == 'more-than' else '≥'} {_amount(test.threshold, test.limit)}",
            f"{test.margin:+.1%}",
            ("yes" if test.met else "no") + (" NEAR" if test.near else ""),
        )
        for test in found.tests
    ]
    widths = [max(map(_cells, column)) for column in zip(header, *rows, strict=True)]
    room = width - sum(widths[2:]) - len(_GAP) * (len(widths) - 1)
    while widths[0] + widths[1] > max(room, 2 * _MIN_NAME_COLUMNS):
        wider = 0 if widths[0] >= widths[1] else 1
        widths[wider] -= 1
    lines = [_row(header, widths), "─" * (sum(widths) + len(_GAP) * (len(widths) - 1))]
    for row in rows:
        lines.extend(_row(row, widths) for row in _folded_row(row, widths))
    return lines


def _folded_row(row: tuple[str, ...], widths: list[int]) -> list[tuple[str, ...]]:
    """One table row as the lines it takes once its names fold into their columns."""
    threshold, model = _fold(row[0], widths[0]), _fold(row[1], widths[1])
    if len(threshold) == len(model) == 1:
        return [row]
    height = max(len(threshold), len(model))
    blank = ("",) * (len(row) - 2)
    return [
        (
            threshold[line] if line < len(threshold) else "",
            model[line] if line < len(model) else "",
            *(row[2:] if line == 0 else blank),
        )
        for line in range(height)
    ]


def _row(cells: tuple[str, ...], widths: list[int]) -> str:
    # Names and the verdict align left; the figures align right, so that their digits line up.
    padded = [
        " " * (width - _cells(cell)) + cell if 2 <= column <= 4 else cell + " " * (width - _cells(cell))
        for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ]
    return _GAP.join(padded).rstrip()


def _obligation_lines(found: Determination, width: int) -> list[str]:
    # One under another rather than in a table: six columns of prose side by side squeeze into slivers at any
    # terminal width, and cut the document names. The full descriptions and URLs are in the JSON output.
    lines = ["  obligations"]
    for obligation in found.obligations:
        heading = obligation.id if obligation.model is None else f"{obligation.id} ({obligation.model})"
        # The bullet is folded apart from the heading, so that a plain ASCII heading is measured by its length.
        first, *rest = _fold(heading, max(width - 4, _MIN_NAME_COLUMNS))
        lines += [f"  • {first}", *(f"    {more}" for more in rest)]
        due = obligation.due if obligation.due_date is None else f"{obligation.due} ({obligation.due_rule})"
        fields = (
            ("document", obligation.document),
            ("due", due),
            ("repeats", obligation.recurrence),
            ("keep", obligation.retention),
            ("source", obligation.source),
        )
        for label, value in fields:
            if value:
                lines.extend(_field_lines(label, value, width))
    return lines


def _fields(rows: tuple[tuple[str, str | None], ...], *, markup: bool = False) -> Table:
    # Labels in one column and values wrapping in the other keep every wrapped line under its label's value.
    fields = Table.grid(padding=(0, 1))
    fields.add_column(no_wrap=True, width=len("    document"))
    fields.add_column(overflow="fold")
    for label, value in rows:
        if value:
            fields.add_row(f"    {label}", value if markup else escape(value))
    return fields


@lru_cache(maxsize=4096)
def _field_lines(label: str, value: str, width: int) -> tuple[str, ...]:
    """One field of an obligation, each wrapped line of its value under the value, never under its label.

    Cached: the obligations of a thousand models repeat the same few documents, cadences and sources."""
    folded = _fold(value, max(width - _LABEL_COLUMNS, _MIN_NAME_COLUMNS))
    return (f"    {label:<8} {folded[0]}", *(" " * _LABEL_COLUMNS + more for more in folded[1:]))


@lru_cache(maxsize=4096)
def _fold(text: str, width: int) -> tuple[str, ...]:
    """``text`` wrapped at spaces into lines of at most ``width`` columns, a longer word cut where it must be."""
    if _cells(text) <= width:
        return (text,)
    return tuple(textwrap.wrap(text, width, break_on_hyphens=False)) or (text,)


def _cells(text: str) -> int:
    """The columns ``text`` takes on a terminal; ASCII, nearly every name and figure, is one column a character."""
    return len(text) if text.isascii() else _wide_cells(text)


@lru_cache(maxsize=4096)
def _wide_cells(text: str) -> int:
    # Measured once for each text: the limits ("≥ $100M") repeat on every model's row.
    return cell_len(text)


def _write(console: Console, lines: list[str]) -> None:
    if lines:
        console.file.write("\n".join(lines) + "\n")


@lru_cache(maxsize=4096)
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
                    {
                        "version": v.version,
                        "effective_from": v.effective_from.isoformat(),
                        "status": v.status,
                        "status_note": v.status_note,
                    }
                    for v in regime.versions
                ],
            }
            for regime in regimes
        ]
        typer.echo(finite_json(listing))
        return
    table = Table(
        Column("id", overflow="fold"),
        Column("title", overflow="fold"),
        Column("jurisdiction", overflow="fold"),
        Column("versions (effective from)", overflow="fold"),
    )
    for regime in regimes:
        versions = ", ".join(
            f"{v.version} (never in force; its own date was {v.effective_from})"
            if v.status == "never-in-force"
            else f"{v.version} ({v.effective_from}, {v.status})"
            for v in regime.versions
        )
        table.add_row(regime.id, regime.title, regime.jurisdiction, versions)
    Console(highlight=False).print(table)
