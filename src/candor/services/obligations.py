"""The obligations use case: a developer's facts and published statements in, its obligations calendar out.

Statements come from a registry (``--registry``), a folder of statement and document files (``--statements``),
or, on the registry's own website, from its database (:meth:`RegistryQueries.obligations`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from candor.domain.coverage import report_coverage
from candor.domain.documents import Certification, SecureDevelopmentFramework
from candor.domain.facts import DeveloperFacts
from candor.domain.obligations import LoggedStatement, ObligationsCalendar, obligations_calendar
from candor.domain.parse import parse_bytes
from candor.domain.regimes import load_regimes
from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.domain.statement import KINDS_WITH_TARGET, MAX_STATEMENT_BYTES, StatementKind, parse_statement
from candor.errors import CandorError
from candor.services.coverage import read_facts
from candor.services.files import read_input_file

#: At most this many files are read from a statements folder: its cost stays bounded.
MAX_STATEMENT_FILES = 10_000


class StatementsFolderError(CandorError):
    """A statements folder that cannot be read."""


def calendar_for(facts: DeveloperFacts, statements: Sequence[LoggedStatement], as_of: datetime) -> ObligationsCalendar:
    """The calendar of ``facts`` under every shipped regime, matched against ``statements``, at ``as_of``."""
    regimes = load_regimes()
    report = report_coverage(facts, list(regimes.values()), as_of.astimezone(UTC).date())
    return obligations_calendar(facts, report, regimes, statements, as_of)


def calendar_of_file(
    path: Path, *, as_of: datetime, statements_dir: Path | None = None, registry: str | None = None
) -> ObligationsCalendar:
    """The calendar for the facts file at ``path``, with statements from a folder or a registry (or none)."""
    facts = read_facts(path)
    statements: list[LoggedStatement] = []
    if statements_dir is not None:
        statements = read_statements_folder(statements_dir, facts.developer)
    elif registry is not None:
        statements = registry_statements(registry, facts.developer)
    return calendar_for(facts, statements, as_of)


def read_statements_folder(folder: Path, developer: str) -> list[LoggedStatement]:
    """The developer's statements in ``folder``: statement files (``*.json``, dated by when they were issued) and
    document files (``*.md``, dated by their own effective, release or signing date). Withdrawals withdraw."""
    if not folder.is_dir():
        raise StatementsFolderError(f"{folder}: not a folder of statement or document files")
    files = sorted(path for path in folder.iterdir() if path.suffix in (".json", ".md") and path.is_file())
    if len(files) > MAX_STATEMENT_FILES:
        raise StatementsFolderError(f"{folder}: more than {MAX_STATEMENT_FILES} files")
    # Imported here: publishing pulls in the database layer, which reading a folder does not otherwise need.
    from candor.services.publishing import series_of

    found: list[LoggedStatement] = []
    withdrawn: set[str] = set()
    for path in files:
        if path.suffix == ".json":
            raw = read_input_file(path, what="statement file", limit=MAX_STATEMENT_BYTES)
            statement = parse_statement(raw, name=str(path))
            if statement.developer != developer:
                continue
            if statement.kind in KINDS_WITH_TARGET:
                if statement.kind is StatementKind.WITHDRAWAL and statement.target is not None:
                    withdrawn.add(statement.target)
                continue
            found.append(
                LoggedStatement(
                    id=statement.digest(),
                    kind=statement.kind.value,
                    series=statement.series,
                    version=statement.version,
                    published_at=statement.issued_at,
                    where=str(path),
                )
            )
        else:
            parsed = parse_bytes(str(path), read_input_file(path, what="document", limit=MAX_DOCUMENT_BYTES))
            model = parsed.model
            if model.developer != developer:
                continue
            day = (
                model.effective_date
                if isinstance(model, SecureDevelopmentFramework)
                else model.date
                if isinstance(model, Certification)
                else model.release_date
            )
            found.append(
                LoggedStatement(
                    id=path.name,
                    kind=model.kind,
                    series=series_of(model),
                    version=model.version,
                    published_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
                    published_on=day,
                    where=str(path),
                )
            )
    return [s for s in found if s.id not in withdrawn]


def registry_statements(base_url: str, developer: str) -> list[LoggedStatement]:
    """The developer's statements as the registry at ``base_url`` lists them (withdrawn ones marked)."""
    # Imported here: the HTTP client is needed only with --registry, and the CLI starts faster without it.
    from candor.registry_client import RegistryClient

    with RegistryClient(base_url) as client:
        items = client.developer_statements(developer)
    return [_from_api(base_url, item) for item in items if item.get("kind") not in {k.value for k in KINDS_WITH_TARGET}]


def _from_api(base_url: str, item: dict[str, Any]) -> LoggedStatement:
    try:
        return LoggedStatement(
            id=str(item["id"]),
            kind=str(item["kind"]),
            series=item.get("series"),
            version=str(item["version"]),
            published_at=datetime.fromisoformat(str(item["published_at"])),
            where=f"log index {int(item['log_index'])}",
            log_index=int(item["log_index"]),
            withdrawn=item.get("withdrawn_by") is not None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        from candor.registry_client import RegistryError

        raise RegistryError(f"{base_url}: a statement in the listing is malformed ({exc})") from None
