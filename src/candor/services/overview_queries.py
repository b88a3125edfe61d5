"""The registry at a glance: the home page, and developers' frameworks compared by risk domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.documents import SecureDevelopmentFramework
from candor.domain.statement import StatementKind
from candor.domain.taxonomy import RISK_DOMAINS, risk_domain_title
from candor.services.developer_queries import developers_page
from candor.services.document_reading import DocumentReader
from candor.services.views import ComparisonCell, ComparisonView, HomeView, Page, StatementSummary, clamp_page
from candor.store.log_entries import latest_checkpoint_view, log_size
from candor.store.statement_reader import StatementReader

LATEST_ON_HOME = 10
#: Developers side by side on one page of the comparison: more columns would not fit a screen.
COMPARED_PER_PAGE = 8


def current_by_developer(statements: Sequence[StatementSummary]) -> dict[str, StatementSummary]:
    """The newest statement of each developer that is not withdrawn; ``statements`` is newest first."""
    current: dict[str, StatementSummary] = {}
    for statement in statements:
        if not statement.withdrawn and statement.document_sha256:
            current.setdefault(statement.developer_slug, statement)
    return current


class OverviewQueries:
    """Read-only use cases across developers. Each public method uses one session, so one snapshot."""

    def __init__(self, sessions: sessionmaker[Session], documents: DocumentReader) -> None:
        self._sessions = sessions
        self._documents = documents

    def home(self, *, number: int = 1, size: int = 50) -> HomeView:
        """The home page: developers, the latest statements, and the log's size."""
        with self._sessions() as session:
            developers = developers_page(session, number, size)
            latest = StatementReader(session).newest(limit=LATEST_ON_HOME)
            size_now = log_size(session)
            checkpoint = latest_checkpoint_view(session)
        return HomeView(developers, latest, checkpoint, size_now)

    def comparison(self, *, number: int = 1, size: int = COMPARED_PER_PAGE) -> ComparisonView:
        """Risk domains against developers (a page of them, by slug), from each one's current framework."""
        number, size = clamp_page(number, size)
        with self._sessions() as session:
            frameworks = StatementReader(session).newest(kind=StatementKind.SECURE_DEVELOPMENT_FRAMEWORK.value)
            everyone = sorted(current_by_developer(frameworks).values(), key=lambda s: s.developer_slug)
            current = everyone[(number - 1) * size : number * size]
            parsed = {s.developer_slug: self._documents.parsed(session, s.document_sha256 or "") for s in current}
        cells: dict[tuple[str, str], ComparisonCell] = {}
        domain_ids: list[str] = list(RISK_DOMAINS)
        for statement in current:
            disclosure = parsed[statement.developer_slug].disclosure
            if not isinstance(disclosure, SecureDevelopmentFramework):
                continue
            for domain in disclosure.risk_domains:
                if domain.id not in domain_ids:
                    domain_ids.append(domain.id)
                cells[(statement.developer_slug, domain.id)] = ComparisonCell(
                    domain.strength, len(domain.evaluations), len(domain.mitigations)
                )
        domains = [(domain_id, risk_domain_title(domain_id)) for domain_id in domain_ids]
        return ComparisonView(domains, Page(current, number, size, len(everyone)), cells)
