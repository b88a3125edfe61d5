"""``candor demo``: a living registry of fictional developers, served at http://127.0.0.1:8000.

It builds a fresh data directory (``./candor-data/demo`` unless ``--data-dir`` says otherwise), publishes the
example developers' disclosures through the real publication path (generated keys, signed statements, the
publish service and the log integrator), prints a short tour and serves the registry.

``candor demo --check-only`` runs the two checks a developer runs before publishing, with no server: every example
disclosure checked against the default transparency standard, then, for every facts file, the full coverage
determination, and one table of who is covered by what.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from candor.cli.coverage import parse_as_of, print_report
from candor.cli.errorline import print_error
from candor.domain.coverage import CoverageReport, report_coverage
from candor.domain.regimes import load_regimes
from candor.domain.standards import DEFAULT_STANDARD, Severity, findings_by_severity, load_standard
from candor.errors import CandorError, SourceError
from candor.services.checking import CheckReport, check_files
from candor.services.coverage import read_facts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from candor.config import Settings
    from candor.services.demo_registry import SeededStatement
    from candor.services.integration import RegistryLog

#: Example files that are wrong on purpose, one mistake each; the demo shows the good examples.
INVALID_FOLDER = "invalid"
DEFAULT_DEMO_DIR = Path("candor-data") / "demo"
#: Written into a demo data directory, so that a later run knows it may wipe it.
DEMO_MARKER = ".candor-demo"
#: Where, in the demo data directory, the demo regulator's key and the redacted documents' two versions go.
REDACTED_DIR = "redacted"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("demo")(demo)


def demo(
    examples: Annotated[Path, typer.Option("--examples", help="The examples folder.", file_okay=False)] = Path(
        "examples"
    ),
    check_only: Annotated[
        bool, typer.Option("--check-only", help="Only check the examples and report coverage; serve nothing.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="With --check-only: apply the regime versions in effect on this date."),
    ] = None,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="The demo's data directory; wiped and rebuilt on every run.")
    ] = DEFAULT_DEMO_DIR,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8000,
    seed_only: Annotated[
        bool, typer.Option("--seed-only", help="Build the demo data directory, print the tour, and exit.")
    ] = False,
) -> None:
    """Serve a demo registry of fictional developers; with --check-only, check the examples instead."""
    if check_only:
        check_examples(examples, as_of)
        return
    from candor.cli.serve import build_app, run_server

    settings, seeded = seed_registry(examples, data_dir)
    url = f"http://{host}:{port}"
    if not seed_only:
        settings = _with_demo_witness(settings, host, port + 1)
    app = build_app(settings)
    print_tour(url, data_dir, seeded, Console(highlight=False, soft_wrap=True))
    if not seed_only:
        run_server(app, host, port)


def _with_demo_witness(settings: Settings, host: str, port: int) -> Settings:
    """The demo's settings with one witness, run in this process, that cosigns the demo log's checkpoints."""
    from candor.cli.witness import start_demo_witness
    from candor.services.integration import registry_log_signer

    log_vkey = registry_log_signer(settings.log_key, settings.log_origin).verifier().vkey()
    witness = start_demo_witness(settings.data_dir, log_vkey, host, port)
    return settings.model_copy(update={"witnesses": [witness], "witness_quorum": 1})


def check_examples(examples: Path, as_of: str | None) -> None:
    """Check every example disclosure, then decide every developer's coverage; exit 1 if anything failed."""
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
            print_error(exc.diagnostics(), console)
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
        print_error(unreadable.error.diagnostics(), console)


def _print_summary(reports: list[CoverageReport], regime_ids: list[str], as_of: date, console: Console) -> None:
    # Folding, not "…": a cut "large-fronti…" tells the reader nothing.
    table = Table(
        Column("developer", overflow="fold"),
        *(Column(regime_id, overflow="fold") for regime_id in regime_ids),
        title=f"Coverage as of {as_of}",
        title_justify="left",
    )
    for report in reports:
        cells = []
        for found in report.determinations:
            if found.covered:
                cell = f"[green]{found.tier}[/]"
            elif found.outcome in ("exempt", "undetermined"):
                cell = f"[yellow]{found.outcome}[/]"
            elif found.outcome == "not-in-effect":
                cell = "not in force"
            else:
                cell = "not covered"
            if found.near:
                cell += " [yellow](near)[/]"
            cells.append(cell)
        table.add_row(report.developer, *cells)
    console.print(table)


def seed_registry(examples: Path, data_dir: Path) -> tuple[Settings, list[SeededStatement]]:
    """Wipe ``data_dir``, create the registry there and publish the demo developers; its settings and statements."""
    import time

    from candor.config import SQLITE_FILE_NAME, load_settings, sqlite_url
    from candor.services.demo_registry import DEMO_DEVELOPERS, REGULATOR_KEY_FILE, seed_demo
    from candor.services.integration import RegistryLog
    from candor.services.publishing import Publisher
    from candor.services.redacting import regulator_key_fingerprint_of
    from candor.services.registry_facts import FACTS_DIR_NAME
    from candor.store.database import create_database_engine, session_factory
    from candor.store.schema import upgrade_database

    if not (examples / "acme-ai").is_dir():
        raise SourceError(
            str(examples), "no demo examples here", hint="run from the repository root, or pass --examples DIR"
        )
    _wipe(data_dir)
    started = time.monotonic()
    # The demo always uses its own SQLite file, whatever CANDOR_DATABASE_URL says, and its own regulator key, which
    # seeding writes before it publishes anything.
    regulator_key = data_dir / REDACTED_DIR / f"{REGULATOR_KEY_FILE}.pub"
    # No watcher rounds while the demo serves: its watched site (acme-ai.example on loopback) lives only while seeding.
    settings = load_settings(
        data_dir=data_dir,
        database_url=sqlite_url(data_dir / SQLITE_FILE_NAME),
        regulator_public_key=regulator_key,
        watch_interval=0,
    )
    engine = create_database_engine(settings.database_url)
    try:
        upgrade_database(engine)
        sessions = session_factory(engine)
        standard = load_standard(DEFAULT_STANDARD)
        registry_log = RegistryLog(sessions, data_dir, settings.log_origin)
        seeded = seed_demo(
            sessions,
            examples,
            data_dir / "developer-keys",
            data_dir / FACTS_DIR_NAME,
            lambda now: Publisher(
                sessions,
                standard,
                max_document_bytes=settings.max_document_bytes,
                now=now,
                regulator_key=regulator_key_fingerprint_of(regulator_key),
                origin=registry_log.origin,
            ),
            data_dir / REDACTED_DIR,
        )
        _watch_demo_site(sessions, registry_log, data_dir, seeded)
        checkpoint = registry_log.integrate()
    finally:
        engine.dispose()
    seconds = time.monotonic() - started
    typer.echo(
        f"published {len(seeded)} signed statements by {len(DEMO_DEVELOPERS)} developers in {seconds:.1f} s; "
        f"log checkpoint size {checkpoint.size}"
    )
    return settings, seeded


def _watch_demo_site(
    sessions: sessionmaker[Session], registry_log: RegistryLog, data_dir: Path, seeded: list[SeededStatement]
) -> None:
    """Acme AI's own site, watched: its framework served as published, then edited silently (a silent edit)."""
    from candor.services.demo_watching import DEMO_SITE_DEVELOPER, watch_demo_site

    framework = _published_file(seeded, DEMO_SITE_DEVELOPER, "sdf-v2.md")
    edited = next(item.entry for item in seeded if item.file == framework)
    published = [
        (item.entry, Path(item.file).read_bytes())
        for item in seeded
        if item.developer == DEMO_SITE_DEVELOPER and item.file is not None
    ]
    key = data_dir / "developer-keys" / f"{DEMO_SITE_DEVELOPER}.key"
    watched = watch_demo_site(sessions, registry_log, key, published, edited)
    for report in watched.reports:
        for line in report.findings:
            typer.echo(f"watcher: {line}")


def _wipe(data_dir: Path) -> None:
    """Empty the demo directory, refusing any directory that a demo did not make."""
    if data_dir.exists():
        if any(data_dir.iterdir()) and not (data_dir / DEMO_MARKER).is_file():
            raise CandorError(
                f"{data_dir}: not a demo data directory (no {DEMO_MARKER}); refusing to wipe it",
                hint="pass --data-dir with a new or empty directory",
            )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / DEMO_MARKER).write_text("made by candor demo; wiped and rebuilt on every run\n", "utf-8")


def print_tour(url: str, data_dir: Path, seeded: list[SeededStatement], console: Console) -> None:
    """Where to look in the demo registry."""
    from candor.services.demo_registry import REGULATOR_KEY_FILE

    weakened = _page(seeded, "borealis-labs", "sdf-v3.md")
    redacted = _page(seeded, "acme-ai", "sdf-v2.md")
    withdrawn = _page(seeded, "tessellate-ai", "system-card-tessera-1-5.md")
    console.rule("Candor demo registry")
    console.print(f"The demo registry at [bold]{url}[/], with its data in {escape(str(data_dir))}. A short tour:")
    for path, what in (
        ("/", "the covered developers, the latest statements and the log size"),
        (weakened, "Borealis Labs' framework 3.0 weakens a commitment: biological risk went from must to should"),
        (withdrawn, "Tessellate AI's Tessera-1.5 system card, withdrawn, and still readable"),
        (redacted, "Acme AI's framework 2.0: redacted passages and how much of the text they withhold, by category"),
        ("/developers/acme-ai", "a framework in two versions, two system cards and a certification"),
        ("/developers/acme-ai#watched-heading", "Acme AI's own site, watched: a silent edit of its framework 2.0"),
        ("/compare", "risk domains against developers, with each commitment's strength"),
        ("/log", "the signed checkpoint and the log's verifier key"),
        ("/api", "the JSON API reference"),
    ):
        console.print(f"  {url}{path}  {escape(what)}")
    framework = _published_file(seeded, "acme-ai", "sdf-v2.md")
    sealed = Path(framework).with_suffix(".sealed")
    regulator_key = data_dir / REDACTED_DIR / REGULATOR_KEY_FILE
    console.print("Verify a published document (the public version of a redacted framework) against the registry:")
    console.print(f"  candor verify {escape(framework)} --registry {url}")
    console.print("As the regulator, check that the public version derives from its sealed original:")
    check = f"candor regulator check-redactions {sealed} {framework} --key {regulator_key}"
    console.print(f"  {escape(check)}")
    console.print(f"The developers' private keys are in {escape(str(data_dir / 'developer-keys'))}.")


def _published_file(seeded: list[SeededStatement], developer: str, file_name: str) -> str:
    """The file that was published as ``file_name`` for ``developer``: for a redacted one, its public version."""
    for item in seeded:
        if item.developer == developer and item.file is not None and Path(item.file).name == file_name:
            return item.file
    return f"examples/{developer}/{file_name}"


def _page(seeded: list[SeededStatement], developer: str, file_name: str) -> str:
    """The website path of the statement that published ``file_name`` for ``developer``."""
    for item in seeded:
        if item.developer == developer and item.file is not None and Path(item.file).name == file_name:
            return f"/statements/{item.entry.log_index}"
    return f"/developers/{developer}"
