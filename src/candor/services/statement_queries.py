"""Statements and their documents, as the website and the API show them: lists, the document page, findings."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from candor.services.changes import risk_domain_rows
from candor.services.developer_queries import DeveloperQueries, statements_page
from candor.services.document_reading import NO_DOCUMENT, DocumentReader
from candor.services.findings import FindingsByStandard
from candor.services.views import (
    DeveloperSummary,
    DocumentView,
    Page,
    StandardApplication,
    StandardFindings,
    StatementSummary,
    clamp_page,
)
from candor.store.developer_reader import DeveloperReader
from candor.store.log_entries import latest_checkpoint_view
from candor.store.statement_listing import StatementListing
from candor.store.statement_reader import StatementReader


class StatementQueries:
    """Read-only use cases about statements. Each public method uses one session, so one snapshot."""

    def __init__(
        self, sessions: sessionmaker[Session], documents: DocumentReader, developers: DeveloperQueries
    ) -> None:
        self._sessions = sessions
        self._documents = documents
        self._developers = developers
        self._checker = FindingsByStandard()

    def statements(
        self,
        *,
        number: int = 1,
        size: int = 20,
        developer: str | None = None,
        kind: str | None = None,
        listing: StatementListing | None = None,
    ) -> Page[StatementSummary]:
        """Published statements, newest first, optionally of one developer or one kind; ``listing`` adds the
        list's issue date range and order (see :mod:`candor.store.statement_listing`). The site and the API both
        list through here, so they read the filters the same way."""
        with self._sessions() as session:
            developer_id = None if developer is None else DeveloperReader(session).id_of(developer)
            return statements_page(session, number, size, developer_id, kind, listing)

    def statements_before(
        self, before: int, *, size: int = 20, developer: str | None = None, kind: str | None = None
    ) -> tuple[list[StatementSummary], int | None]:
        """Published statements logged before index ``before``, newest first, and the ``before`` of the next page
        (None at the end): keyset pagination on the log index, so a page costs one indexed range scan of its own
        rows, however deep it is, with neither ``OFFSET`` nor a count of the whole list."""
        _, size = clamp_page(1, size)
        with self._sessions() as session:
            developer_id = None if developer is None else DeveloperReader(session).id_of(developer)
            # One more than the page holds tells whether another page follows, without counting.
            rows = StatementReader(session).newest(limit=size + 1, developer_id=developer_id, kind=kind, before=before)
        items = rows[:size]
        return items, (items[-1].log_index if len(rows) > size else None)

    def corrections(self, statement_sha256: str) -> list[StatementSummary]:
        """The corrections published of the statement with this digest, oldest first."""
        with self._sessions() as session:
            return StatementReader(session).corrections_of(statement_sha256)

    def statement_by_digest(self, statement_sha256: str) -> StatementSummary:
        """The statement whose canonical bytes have this SHA-256."""
        with self._sessions() as session:
            return StatementReader(session).by_digest(statement_sha256)

    def document_bytes(self, sha256: str) -> bytes:
        """The exact bytes of a published document."""
        with self._sessions() as session:
            return self._documents.verified_bytes(session, sha256)

    def findings(self, log_index: int, as_of: date | None = None) -> list[StandardFindings]:
        """What each standard that applies to the developer finds in the statement's document, default first.

        Recomputed from the document's bytes under the shipped packs (see :mod:`candor.services.findings`), so a
        change of the developer's facts, or a tampered row in the findings table, changes nothing but the coverage.
        """
        with self._sessions() as session:
            statement = StatementReader(session).at(log_index)
            return self._standard_findings(session, statement, as_of)

    def _standard_findings(
        self, session: Session, statement: StatementSummary, as_of: date | None = None
    ) -> list[StandardFindings]:
        if statement.document_sha256 is None:
            return []
        as_of = as_of or datetime.now(UTC).date()
        applied = self._checker.applicable(self._developers.coverage(statement.developer_slug, as_of).report, as_of)
        raw = self._documents.verified_bytes(session, statement.document_sha256)
        name = f"{statement.developer_slug}/{statement.kind}/{statement.version}"
        return self._checker.check(name, statement.document_sha256, raw, applied)

    def standards_applied(self, as_of: date | None = None) -> list[StandardApplication]:
        """Each shipped standard, and the registered developers whose documents the registry holds to it."""
        as_of = as_of or datetime.now(UTC).date()
        held: dict[str, list[DeveloperSummary]] = {}
        for developer in self._developers.all_developers():
            report = self._developers.coverage(developer.slug, as_of).report
            for standard in self._checker.applicable(report, as_of):
                held.setdefault(standard.pack.id, []).append(developer)
        catalogue = self._checker.catalogue
        packs = [catalogue.load(pack_id) for pack_id in catalogue.ids()]
        return [
            StandardApplication(
                pack, held.get(pack.id, []), pack.effective_from is None or pack.effective_from <= as_of
            )
            for pack in packs
        ]

    def document(self, log_index: int) -> DocumentView:
        """The document page: the text, its summary, findings, versions, changes and where it is in the log."""
        with self._sessions() as session:
            statements = StatementReader(session)
            statement = statements.at(log_index)
            developer_id = DeveloperReader(session).id_of(statement.developer_slug)
            versions = statements.series(developer_id, statement.kind, statement.series)
            findings = self._standard_findings(session, statement)
            target = None
            if statement.target_sha256 is not None:
                target = statements.find_by_digest(statement.target_sha256)
            checkpoint = latest_checkpoint_view(session)
            parsed = (
                self._documents.parsed(session, statement.document_sha256) if statement.document_sha256 else NO_DOCUMENT
            )
            changes = self._documents.changes_since_previous(session, statement, versions)
        return DocumentView(
            statement=statement,
            disclosure=parsed.disclosure,
            body=parsed.body,
            risk_domains=risk_domain_rows(parsed.disclosure),
            findings=findings,
            versions=versions,
            changes=changes,
            checkpoint=checkpoint,
            target=target,
        )
