"""The read side of the registry in one object, for the faces: the small query services, composed.

Each subject has its own service, over the store's readers (:mod:`candor.store.statement_reader`,
:mod:`candor.store.developer_reader`, :mod:`candor.store.log_entries`), which return plain summaries, never ORM
rows, so nothing lazy-loads after a session is gone:

- :class:`~candor.services.statement_queries.StatementQueries`: statement lists, documents, findings, standards;
- :class:`~candor.services.developer_queries.DeveloperQueries`: developers, their pages, coverage, obligations;
- :class:`~candor.services.log_queries.LogQueries`: the revision, checkpoints, inclusion proofs;
- :class:`~candor.services.overview_queries.OverviewQueries`: the home page and the comparison.

This class only builds them around one parsed-document cache and forwards to them; it holds no logic of its own.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from candor.services.developer_queries import DeveloperQueries
from candor.services.document_reading import DocumentReader
from candor.services.log_queries import InclusionProof, LogQueries
from candor.services.overview_queries import COMPARED_PER_PAGE, OverviewQueries
from candor.services.statement_queries import StatementQueries
from candor.services.views import (
    CheckpointView,
    ComparisonView,
    CoverageView,
    DeveloperSummary,
    DeveloperView,
    DocumentView,
    HomeView,
    ObligationsView,
    Page,
    StandardApplication,
    StandardFindings,
    StatementSummary,
)
from candor.store.statement_listing import StatementListing


class RegistryQueries:
    """Read-only use cases over the registry's database, its log directory and its facts directory."""

    def __init__(self, sessions: sessionmaker[Session], log_dir: Path, facts_dir: Path) -> None:
        documents = DocumentReader()
        self.developer_queries = DeveloperQueries(sessions, facts_dir)
        self.statement_queries = StatementQueries(sessions, documents, self.developer_queries)
        self.log_queries = LogQueries(sessions, log_dir)
        self.overview_queries = OverviewQueries(sessions, documents)

    # --- statements and documents ----------------------------------------------------------------------------

    def statements(
        self,
        *,
        number: int = 1,
        size: int = 20,
        developer: str | None = None,
        kind: str | None = None,
        listing: StatementListing | None = None,
    ) -> Page[StatementSummary]:
        return self.statement_queries.statements(
            number=number, size=size, developer=developer, kind=kind, listing=listing
        )

    def statements_before(
        self, before: int, *, size: int = 20, developer: str | None = None, kind: str | None = None
    ) -> tuple[list[StatementSummary], int | None]:
        return self.statement_queries.statements_before(before, size=size, developer=developer, kind=kind)

    def corrections(self, statement_sha256: str) -> list[StatementSummary]:
        return self.statement_queries.corrections(statement_sha256)

    def statement_by_digest(self, statement_sha256: str) -> StatementSummary:
        return self.statement_queries.statement_by_digest(statement_sha256)

    def document_bytes(self, sha256: str) -> bytes:
        return self.statement_queries.document_bytes(sha256)

    def findings(self, log_index: int, as_of: date | None = None) -> list[StandardFindings]:
        return self.statement_queries.findings(log_index, as_of)

    def standards_applied(self, as_of: date | None = None) -> list[StandardApplication]:
        return self.statement_queries.standards_applied(as_of)

    def document(self, log_index: int) -> DocumentView:
        return self.statement_queries.document(log_index)

    # --- developers ------------------------------------------------------------------------------------------

    def developers(self, *, number: int = 1, size: int = 50) -> Page[DeveloperSummary]:
        return self.developer_queries.developers(number=number, size=size)

    def developer_summary(self, slug: str) -> DeveloperSummary:
        return self.developer_queries.developer_summary(slug)

    def developer(self, slug: str, *, number: int = 1, size: int = 20) -> DeveloperView:
        return self.developer_queries.developer(slug, number=number, size=size)

    def current_documents(self, slug: str) -> list[StatementSummary]:
        return self.developer_queries.current_documents(slug)

    def coverage(self, slug: str, as_of: date | None = None) -> CoverageView:
        return self.developer_queries.coverage(slug, as_of)

    def obligations(self, slug: str, as_of: datetime | None = None) -> ObligationsView:
        return self.developer_queries.obligations(slug, as_of)

    # --- the log ---------------------------------------------------------------------------------------------

    def revision(self) -> tuple[int, int, int]:
        return self.log_queries.revision()

    def checkpoint(self) -> CheckpointView | None:
        return self.log_queries.checkpoint()

    def inclusion_proof(self, log_index: int) -> InclusionProof:
        return self.log_queries.inclusion_proof(log_index)

    # --- home and comparison ---------------------------------------------------------------------------------

    def home(self, *, number: int = 1, size: int = 50) -> HomeView:
        return self.overview_queries.home(number=number, size=size)

    def comparison(self, *, number: int = 1, size: int = COMPARED_PER_PAGE) -> ComparisonView:
        return self.overview_queries.comparison(number=number, size=size)
