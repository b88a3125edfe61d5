"""A developer's published documents, as the checks across documents need them: bytes, kind, version, withdrawn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from candor.store.tables import Developer, Document, StatementRecord

_WITHDRAWAL = "withdrawal"


@dataclass(frozen=True)
class PublishedDocument:
    """One published version of a document, with its bytes."""

    log_index: int
    kind: str
    series: str
    version: str
    document_sha256: str
    content: bytes
    withdrawn: bool
    published_at: datetime


class DeveloperDocuments:
    """Read one developer's published documents in a session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def slugs(self) -> list[str]:
        """Every registered developer's slug, sorted."""
        return list(self._session.scalars(select(Developer.slug).order_by(Developer.slug)).all())

    def developer_of(self, log_index: int) -> str | None:
        """The slug of the developer whose statement sits at ``log_index``."""
        return self._session.scalar(
            select(Developer.slug)
            .join(StatementRecord, StatementRecord.developer_id == Developer.id)
            .where(StatementRecord.log_index == log_index)
        )

    def revision(self, slug: str) -> int:
        """The developer's latest log index (-1 if none): anything it publishes or withdraws moves it."""
        latest = self._session.scalar(
            select(func.max(StatementRecord.log_index))
            .join(Developer, StatementRecord.developer_id == Developer.id)
            .where(Developer.slug == slug)
        )
        return -1 if latest is None else int(latest)

    def published(self, slug: str, kinds: tuple[str, ...]) -> list[PublishedDocument]:
        """Every version of ``kinds`` the developer published, oldest first, withdrawn ones marked."""
        withdrawal = aliased(StatementRecord)
        withdrawn = exists().where(
            withdrawal.target_sha256 == StatementRecord.statement_sha256, withdrawal.kind == _WITHDRAWAL
        )
        rows = self._session.execute(
            select(
                StatementRecord.log_index,
                StatementRecord.kind,
                StatementRecord.series,
                StatementRecord.version,
                Document.sha256,
                Document.content,
                withdrawn,
                StatementRecord.published_at,
            )
            .join(Developer, StatementRecord.developer_id == Developer.id)
            .join(Document, StatementRecord.document_sha256 == Document.sha256)
            .where(Developer.slug == slug, StatementRecord.kind.in_(kinds))
            .order_by(StatementRecord.log_index)
        ).all()
        return [
            PublishedDocument(index, kind, series, version, sha256, content, bool(gone), published)
            for index, kind, series, version, sha256, content, gone, published in rows
        ]
