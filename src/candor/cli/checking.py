"""``candor check``: a linter for disclosures, against a versioned transparency standard.

Exit codes: 0 when no finding is an error, 1 when one is, 2 when a file cannot be read or parsed.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from candor.cli.errorline import print_error
from candor.cli.sarif import sarif_log
from candor.domain.standards import DEFAULT_STANDARD, Finding, Severity, StandardCatalogue
from candor.errors import DocumentError
from candor.services.checking import CheckedFile, CheckReport, UnreadableFile, check_files


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.NOTICE: "cyan"}


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("check")(check)


def check(
    files: Annotated[list[Path], typer.Argument(help="Disclosure files (Markdown with YAML front matter).")],
    standard: Annotated[
        str,
        typer.Option(
            "--standard",
            "-s",
            help="The standard to apply: an id from `candor standards list`, or a rule pack file (.yaml) of your own.",
        ),
    ] = DEFAULT_STANDARD,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
    across: Annotated[
        bool,
        typer.Option(
            "--across",
            help="Also check the files against each other: a system card against the framework it applied, a "
            "certification against the framework's reviews (docs/checks-across.md).",
        ),
    ] = False,
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            help="A registry's base URL: SARIF output links each rule to its entry on the standard's page there.",
        ),
    ] = None,
) -> None:
    """Check disclosures against a transparency standard, like a linter; exit 1 on error findings, 2 if unreadable."""
    catalogue = StandardCatalogue.bundled()
    if standard.endswith((".yaml", ".yml")):
        catalogue, standard = catalogue.with_pack_file(Path(standard))
    pack = catalogue.load(standard)
    report = check_files(files, pack, across=across)
    if output is OutputFormat.json:
        typer.echo(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    elif output is OutputFormat.sarif:
        typer.echo(json.dumps(sarif_log(report, base=Path.cwd(), registry=registry), indent=2, ensure_ascii=False))
    else:
        _print_text(report)
    raise typer.Exit(report.exit_code)


def report_json(report: CheckReport) -> dict[str, Any]:
    """The report as plain JSON: the standard, the findings file by file, unreadable files, and a summary."""
    counts = report.counts()
    return {
        "standard": {"id": report.standard.id, "version": report.standard.version, "title": report.standard.title},
        "files": [
            {
                "file": checked.name,
                "kind": checked.kind,
                "findings": [finding.model_dump(mode="json") for finding in checked.findings],
            }
            for checked in report.checked
        ],
        "unreadable": [_unreadable_json(unreadable) for unreadable in report.unreadable],
        "across": [finding.to_json() for finding in report.across],
        "summary": {
            "files": len(report.checked) + report.unreadable_files,
            "unreadable": report.unreadable_files,
            **{severity.value: count for severity, count in counts.items()},
        },
    }


def _unreadable_json(unreadable: UnreadableFile) -> dict[str, Any]:
    error = unreadable.error
    document_error = error if isinstance(error, DocumentError) else None
    return {
        "file": unreadable.name,
        "line": document_error.line if document_error else None,
        "field": document_error.field if document_error else None,
        "message": error.diagnostics(),
    }


def _print_text(report: CheckReport) -> None:
    out = Console(highlight=False, soft_wrap=True)
    for checked in report.checked:
        _print_file(out, checked)
    if report.unreadable:
        for unreadable in report.unreadable:
            print_error(unreadable.error.diagnostics())
    if report.across:
        out.print("[bold]Across documents[/]")
        for finding in report.across:
            out.print(
                f"  [bold red]{finding.severity:<7}[/] [bold]{finding.rule_id}[/] {escape(finding.subject)} "
                f"against {escape(finding.other)}: {escape(finding.message)}"
            )
            if finding.hint:
                out.print(f"         [dim]hint: {escape(finding.hint)}[/]")
    counts = report.counts()
    total = len(report.checked) + report.unreadable_files
    summary = ", ".join(_plural(counts[severity], severity.value) for severity in Severity)
    if report.across:
        summary += f"; {_plural(len(report.across), 'contradiction')} across documents"
    if report.unreadable:
        summary += f"; {_plural(report.unreadable_files, 'file')} could not be read"
    out.print(
        f"\n{_plural(total, 'file')} checked against {escape(report.standard.id)} "
        f"({escape(report.standard.title)}): {summary}"
    )


def _print_file(out: Console, checked: CheckedFile) -> None:
    if not checked.findings:
        out.print(f"[green]✓[/] [bold]{escape(checked.name)}[/] [dim]({checked.kind})[/]: no findings")
        return
    out.print(f"[bold]{escape(checked.name)}[/] [dim]({checked.kind})[/]")
    for finding in checked.findings:
        _print_finding(out, finding)


def _print_finding(out: Console, finding: Finding) -> None:
    style = _STYLES[finding.severity]
    line = "" if finding.line is None else str(finding.line)
    field = f" {escape(finding.field)}:" if finding.field else ""
    out.print(
        f"  {line:>5}  [{style}]{finding.severity.value:<7}[/] [bold]{finding.rule_id}[/]{field} "
        f"{escape(finding.message)}"
    )
    if finding.hint:
        out.print(f"         [dim]hint: {escape(finding.hint)}[/]")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
