"""``candor standards list|show|impact``: the transparency standards Candor ships, what each rule asks and why, and
what a proposed new version would change for the documents a registry holds."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from candor.cli.db import DataDirOption
from candor.domain.checks import CHECKS
from candor.domain.standards import DEFAULT_STANDARD, Rule, RulePack, StandardCatalogue
from candor.errors import CandorError

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


@standards_app.command("impact")
def impact(
    pack_file: Annotated[Path, typer.Argument(metavar="PACK.yaml", help="The proposed rule pack.")],
    registry: Annotated[
        str | None, typer.Option("--registry", help="A registry's base URL: read its current documents over its API.")
    ] = None,
    data_dir: DataDirOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
) -> None:
    """Before adopting PACK.yaml: new findings, cleared findings and developers affected, against the current pack.

    The current pack is the shipped one with the proposed pack's id, else the one for the same regime, else the
    default standard. Every developer's current documents are checked under both.
    """
    from candor.services.standards_impact import current_pack_for, measure_impact

    if (registry is None) == (data_dir is None):
        raise CandorError(
            "pass exactly one of --registry URL and --data-dir DIR", hint="see candor standards impact --help"
        )
    if not pack_file.name.endswith((".yaml", ".yml")):
        raise CandorError(f"{pack_file}: a rule pack is a .yaml file")
    catalogue, pack_id = StandardCatalogue.bundled().with_pack_file(pack_file)
    proposed = catalogue.load(pack_id)
    current = current_pack_for(proposed)
    report = measure_impact(current, proposed, _current_documents(registry, data_dir))
    if output is OutputFormat.json:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    out = Console(highlight=False, soft_wrap=True)
    out.print(
        f"{escape(proposed.id)} {escape(proposed.version)} against {escape(current.id)} {escape(current.version)}, "
        f"over {_plural(report.documents, 'current document')}:"
    )
    for heading, changes in (("New findings", report.new), ("Cleared findings", report.cleared)):
        out.print(f"[bold]{heading}[/] ({len(changes)})")
        for change in changes:
            finding = change.finding
            field = f" {escape(finding.field)}:" if finding.field else ""
            out.print(
                f"  [{_STYLES[finding.severity.value]}]{finding.severity.value:<7}[/] [bold]{finding.rule_id}[/] "
                f"{escape(change.document)}{field} {escape(finding.message)}"
            )
    affected = report.developers_affected
    out.print(f"[bold]Developers affected[/] ({len(affected)}): {escape(', '.join(affected)) or 'none'}")
    for name, error in report.unreadable:
        out.print(f"[yellow]not checked[/] {escape(name)}: {escape(error)}")


def _current_documents(registry: str | None, data_dir: Path | None) -> list[Any]:
    from candor.services.standards_impact import documents_in_database, documents_of_registry

    if registry is not None:
        from candor.registry_client import RegistryClient

        with RegistryClient(registry) as client:
            return list(documents_of_registry(client))
    from candor.cli.db import open_database
    from candor.store.database import session_factory

    with open_database(data_dir) as (_, engine):
        return list(documents_in_database(session_factory(engine)))


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
