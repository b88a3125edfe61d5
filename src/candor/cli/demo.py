"""``candor demo``: the main job of ``make demo``, run over the example developers.

Until the registry server exists, the demo shows the two checks a developer runs before publishing: every example
disclosure checked against the default transparency standard, then, for every facts file, the full coverage
determination, and one table of who is covered by what.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from candor.cli.coverage import parse_as_of, print_report
from candor.domain.coverage import CoverageReport, report_coverage
from candor.domain.regimes import load_regimes
from candor.domain.standards import DEFAULT_STANDARD, Severity, findings_by_severity, load_standard
from candor.errors import CandorError, SourceError
from candor.services.checking import CheckReport, check_files
from candor.services.coverage import read_facts

#: Example files that are wrong on purpose, one mistake each; the demo shows the good examples.
INVALID_FOLDER = "invalid"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("demo")(demo)


def demo(
    examples: Annotated[Path, typer.Option("--examples", help="The examples folder.", file_okay=False)] = Path(
        "examples"
    ),
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Apply the regime versions in effect on this date. Default: today.")
    ] = None,
) -> None:
    """Run Candor's main job over the examples: check every disclosure, then decide every developer's coverage."""
    console = Console(highlight=False)
    day = parse_as_of(as_of)
    facts_files = find_facts_files(examples)
    console.rule(f"candor check {examples}/*/*.md --standard {DEFAULT_STANDARD}")
    checked = check_files(find_disclosures(examples), load_standard(DEFAULT_STANDARD))
    _print_check(checked, console)
    regimes = list(load_regimes().values())
    reports: list[CoverageReport] = []
    failed = 0
    for path in facts_files:
        console.rule(f"candor coverage {path} --as-of {day}")
        try:
            report = report_coverage(read_facts(path), regimes, day)
        except CandorError as exc:
            # One broken example must not hide the others; the exit code still reports it.
            console.print(f"[bold red]error:[/] {escape(exc.diagnostics())}")
            failed += 1
            continue
        print_report(report, console)
        reports.append(report)
    console.rule("summary")
    _print_summary(reports, [regime.id for regime in regimes], day, console)
    if failed or checked.exit_code:
        raise typer.Exit(1)


def find_disclosures(examples: Path) -> list[Path]:
    """Each example developer's disclosures (``<developer>/*.md``), except the deliberately invalid ones."""
    return sorted(
        path
        for path in examples.glob("*/*.md")
        if path.parent.name != INVALID_FOLDER and path.name.lower() != "readme.md"
    )


def find_facts_files(examples: Path) -> list[Path]:
    """Every facts file (``*.yaml``) under ``examples``, except the deliberately invalid ones."""
    if not examples.is_dir():
        raise SourceError(
            str(examples), "no examples folder here", hint="run from the repository root, or pass --examples DIR"
        )
    found = sorted(path for path in examples.rglob("*.yaml") if INVALID_FOLDER not in path.relative_to(examples).parts)
    if not found:
        raise SourceError(str(examples), "holds no facts files (*.yaml)")
    return found


def _print_check(report: CheckReport, console: Console) -> None:
    table = Table("file", "kind", "errors", "warnings", "notices", title=f"checked against {report.standard.id}")
    for checked in report.checked:
        counts = findings_by_severity(checked.findings)
        table.add_row(checked.name, checked.kind, *(str(counts[severity]) for severity in Severity))
    console.print(table)
    for checked in report.checked:
        for finding in checked.findings:
            where = checked.name if finding.line is None else f"{checked.name}:{finding.line}"
            console.print(f"  {escape(where)}: {finding.severity.value} {finding.rule_id}: {escape(finding.message)}")
    for unreadable in report.unreadable:
        console.print(f"[bold red]error:[/] {escape(unreadable.error.diagnostics())}")


def _print_summary(reports: list[CoverageReport], regime_ids: list[str], as_of: date, console: Console) -> None:
    table = Table("developer", *regime_ids, title=f"Coverage as of {as_of}", title_justify="left")
    for report in reports:
        cells = []
        for found in report.determinations:
            if found.covered:
                cell = f"[green]{found.tier}[/]"
            elif found.exemptions:
                cell = "[yellow]exempt[/]"
            else:
                cell = "not covered"
            if found.near:
                cell += " [yellow](near)[/]"
            cells.append(cell)
        table.add_row(report.developer, *cells)
    console.print(table)
