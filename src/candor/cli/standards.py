"""``candor standards list|show``: the transparency standards Candor ships, and what each rule asks and why."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from candor.domain.checks import CHECKS
from candor.domain.standards import DEFAULT_STANDARD, Rule, RulePack, StandardCatalogue

standards_app = typer.Typer(
    name="standards", help="List the transparency standards and explain their rules.", no_args_is_help=True
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


_STYLES = {"error": "bold red", "warning": "yellow", "notice": "cyan"}


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(standards_app)


@standards_app.command("list")
def list_standards(
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
) -> None:
    """List every standard: id, version, title, what it extends and how many rules it has."""
    catalogue = StandardCatalogue.bundled()
    packs = [catalogue.load(pack_id) for pack_id in catalogue.ids()]
    if output is OutputFormat.json:
        typer.echo(json.dumps([_summary_json(pack) for pack in packs], indent=2, ensure_ascii=False))
        return
    table = Table(title="Transparency standards", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("rules", justify="right")
    table.add_column("title")
    for pack in packs:
        title = escape(pack.title) + (" [dim](default)[/]" if pack.id == DEFAULT_STANDARD else "")
        if pack.extends:
            title += f"\n[dim]extends {pack.extends}[/]"
        table.add_row(pack.id, pack.version, str(len(pack.rules)), title)
    Console(highlight=False).print(table)


@standards_app.command("show")
def show_standard(
    standard_id: Annotated[str, typer.Argument(metavar="ID", help="A standard id from `candor standards list`.")],
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
) -> None:
    """Explain every rule of a standard: severity, what it applies to, message, rationale and source."""
    catalogue = StandardCatalogue.bundled()
    pack = catalogue.load(standard_id)
    origins = catalogue.rule_origins(standard_id)
    if output is OutputFormat.json:
        rules = [{**rule.model_dump(mode="json"), "defined_in": origins[rule.id]} for rule in pack.rules]
        document = {**_summary_json(pack), "description": pack.description, "rules": rules}
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    out = Console(highlight=False)
    out.print(f"[bold]{escape(pack.title)}[/] [dim]({pack.id}, version {escape(pack.version)})[/]")
    if pack.regime:
        since = f" from {pack.effective_from}" if pack.effective_from else ""
        out.print(f"The registry applies it to developers covered by the {pack.regime} regime{since}.")
    if pack.extends:
        inherited = sum(1 for origin in origins.values() if origin != pack.id)
        out.print(f"Extends {pack.extends}: {_plural(inherited, 'inherited rule')}, marked with where it is defined.")
    out.print(escape(pack.description), "\n")
    for rule in pack.rules:
        _print_rule(out, rule, None if origins[rule.id] == pack.id else origins[rule.id])


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _print_rule(out: Console, rule: Rule, inherited_from: str | None) -> None:
    origin = f" [dim](from {inherited_from})[/]" if inherited_from else ""
    out.print(f"[bold]{rule.id}[/] [{_STYLES[rule.severity.value]}]{rule.severity.value}[/]{origin}")
    # A two-column grid keeps wrapped text aligned under its value, not under the label.
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    params = f" {json.dumps(rule.params)}" if rule.params else ""
    rows = [
        ("applies to", ", ".join(rule.applies_to)),
        ("message", rule.message),
        ("rationale", rule.rationale),
        ("source", rule.source if rule.url is None else f"{rule.source} ({rule.url})"),
        ("check", f"{rule.check}{params}: {CHECKS[rule.check].summary}"),
    ]
    if rule.hint:
        rows.append(("hint", rule.hint))
    for label, value in rows:
        grid.add_row(f"  {label}", escape(value))
    out.print(grid)
    out.print()


def _summary_json(pack: RulePack) -> dict[str, Any]:
    return {
        "id": pack.id,
        "version": pack.version,
        "title": pack.title,
        "extends": pack.extends,
        "regime": pack.regime,
        "effective_from": None if pack.effective_from is None else pack.effective_from.isoformat(),
        "rule_count": len(pack.rules),
        "default": pack.id == DEFAULT_STANDARD,
    }
