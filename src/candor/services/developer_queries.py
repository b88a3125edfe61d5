"""The developers' side of the website and the API: the list, each developer's page, coverage and obligations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.coverage import report_coverage
from candor.domain.obligations import LOGGED_KINDS, LoggedStatement, obligations_calendar
from candor.domain.regimes import Regime, load_regimes
from candor.domain.statement import StatementKind
from candor.services.registry_facts import facts_on_file
from candor.services.views import (
    CoverageView,
    DeveloperSummary,
    DeveloperView,
    ObligationsView,
    Page,
    SeriesView,
    StatementSummary,
    clamp_page,
)
from candor.store.developer_reader import DeveloperReader
from candor.store.statement_listing import StatementListing
from candor.store.statement_reader import StatementReader


def developers_page(session: Session, number: int, size: int) -> Page[DeveloperSummary]:
    """One page of the registered developers, by slug, inside ``session``."""
    number, size = clamp_page(number, size)
    reader = DeveloperReader(session)
    return Page(reader.by_slug(offset=(number - 1) * size, limit=size), number, size, reader.count())


def statements_page(
    session: Session,
    number: int,
    size: int,
    developer_id: int | None = None,
    kind: str | None = None,
    listing: StatementListing | None = None,
) -> Page[StatementSummary]:
    """One page of the published statements, newest first unless ``listing`` orders otherwise, inside ``session``."""
    number, size = clamp_page(number, size)
    reader = StatementReader(session)
    items = reader.newest(offset=(number - 1) * size, limit=size, developer_id=developer_id, kind=kind, listing=listing)
    return Page(items, number, size, reader.count(developer_id=developer_id, kind=kind, listing=listing))


def current_by_series(statements: Sequence[StatementSummary]) -> dict[tuple[str, str], StatementSummary]:
    """The newest statement of each (kind, series) that is not withdrawn; ``statements`` is newest first."""
    current: dict[tuple[str, str], StatementSummary] = {}
    for statement in statements:
        if statement.kind == StatementKind.WITHDRAWAL or statement.withdrawn:
            continue
        current.setdefault((statement.kind, statement.series), statement)
    return current


class DeveloperQueries:
    """Read-only use cases about developers. Each public method uses one session, so one snapshot."""

    def __init__(self, sessions: sessionmaker[Session], facts_dir: Path) -> None:
        self._sessions = sessions
        self._facts_dir = facts_dir
        self.regimes: list[Regime] = list(load_regimes().values())

    def developers(self, *, number: int = 1, size: int = 50) -> Page[DeveloperSummary]:
        """Registered developers by slug, with how many statements each has published."""
        with self._sessions() as session:
            return developers_page(session, number, size)

    def developer_summary(self, slug: str) -> DeveloperSummary:
        """One developer, with its statement count."""
        with self._sessions() as session:
            return DeveloperReader(session).get(slug)

    def all_developers(self) -> list[DeveloperSummary]:
        """Every registered developer, by slug."""
        with self._sessions() as session:
            return DeveloperReader(session).by_slug()

    def developer(self, slug: str, *, number: int = 1, size: int = 20) -> DeveloperView:
        """The developer page: current framework, system cards by model, certifications, full history."""
        framework_kind = StatementKind.SECURE_DEVELOPMENT_FRAMEWORK
        with self._sessions() as session:
            developers = DeveloperReader(session)
            summary = developers.get(slug)
            developer_id = developers.id_of(slug)
            # What is current is decided per series, from each series' statements and the withdrawals.
            everything = StatementReader(session).of_developer(developer_id, excluding=StatementKind.WITHDRAWAL.value)
            history = statements_page(session, number, size, developer_id)
            current = current_by_series(everything)
            framework = current.get((framework_kind, ""))
        versions = Counter((s.kind, s.series) for s in everything)
        cards = [
            SeriesView(latest, versions[(StatementKind.SYSTEM_CARD, series)])
            for (kind, series), latest in sorted(current.items())
            if kind == StatementKind.SYSTEM_CARD
        ]
        certifications = [s for s in everything if s.kind == StatementKind.CERTIFICATION]
        return DeveloperView(summary, framework, cards, certifications, history, self.coverage(slug))

    def current_documents(self, slug: str) -> list[StatementSummary]:
        """The developer's current documents: its framework, the latest card of each model, its certifications."""
        view = self.developer(slug)
        current = [view.current_framework] if view.current_framework else []
        return current + [series.latest for series in view.system_cards] + list(view.certifications)

    def coverage(self, slug: str, as_of: date | None = None) -> CoverageView:
        """The developer's coverage under every regime, from its facts file (``<facts_dir>/<slug>.yaml``)."""
        facts = facts_on_file(self._facts_dir, slug)
        if isinstance(facts, str):
            return CoverageView(None, facts)
        return CoverageView(report_coverage(facts, self.regimes, as_of or datetime.now(UTC).date()))

    def obligations(self, slug: str, as_of: datetime | None = None) -> ObligationsView:
        """The developer's obligations calendar at ``as_of`` (now by default), matched against its statements."""
        with self._sessions() as session:
            developer_id = DeveloperReader(session).id_of(slug)
            published = StatementReader(session).of_developer(
                developer_id, kinds={kind.value for kind in LOGGED_KINDS}, newest_first=False
            )
        facts = facts_on_file(self._facts_dir, slug)
        if isinstance(facts, str):
            return ObligationsView(None, facts)
        statements = [
            LoggedStatement(
                id=s.statement_sha256,
                kind=s.kind,
                series=s.series or None,
                version=s.version,
                published_at=s.published_at,
                where=f"log index {s.log_index}",
                log_index=s.log_index,
                withdrawn=s.withdrawn,
            )
            for s in published
        ]
        moment = as_of or datetime.now(UTC)
        report = report_coverage(facts, self.regimes, moment.astimezone(UTC).date())
        regimes = {regime.id: regime for regime in self.regimes}
        return ObligationsView(obligations_calendar(facts, report, regimes, statements, moment))
