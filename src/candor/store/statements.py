"""Published statements and the standards' findings on them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.domain.log_entry import signed_entry
from candor.domain.statement import Statement, statement_digest
from candor.errors import NotFoundError
from candor.store.columns import utc_now
from candor.store.errors import StoreError
from candor.store.tables import Developer, DeveloperKey, Document, Finding, LogEntry, StatementRecord


class Statements:
    """Storing and finding published statements."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        statement: Statement,
        *,
        signature: bytes,
        developer: Developer,
        key: DeveloperKey,
        log_entry: LogEntry,
        document: Document | None,
        published_at: datetime | None = None,
    ) -> StatementRecord:
        """Record a verified statement whose canonical bytes are ``log_entry``'s entry, published now or at
        ``published_at``.

        The caller has checked the signature; this keeps the pieces consistent with one another.
        """
        statement_bytes = statement.canonical_bytes()
        # An entry is the signed envelope (every new one) or, logged before it existed, the bare statement.
        if log_entry.entry not in (statement_bytes, signed_entry(statement_bytes, signature, key.public_key)):
            raise StoreError("the log entry does not hold this statement with its signature and key")
        if statement.developer != developer.slug or key.developer_id != developer.id:
            raise StoreError(f"statement by {statement.developer!r} cannot be recorded for {developer.slug!r}")
        if (document.sha256 if document else None) != statement.document_sha256:
            raise StoreError("the stored document is not the one the statement names")
        record = StatementRecord(
            statement_sha256=statement_digest(statement_bytes),
            developer=developer,
            kind=statement.kind.value,
            series=statement.series or "",
            version=statement.version,
            document=document,
            supersedes=statement.supersedes,
            target_sha256=statement.target,
            issued_at=statement.issued_at,
            statement_bytes=statement_bytes,
            signature=signature,
            key_id=key.id,
            log_entry=log_entry,
            published_at=published_at or utc_now(),
        )
        self.session.add(record)
        self.session.flush()
        return record

    def find(self, statement_sha256: str) -> StatementRecord | None:
        """The statement with this digest (SHA-256 of its canonical bytes), if published."""
        return self.session.scalars(
            select(StatementRecord).where(StatementRecord.statement_sha256 == statement_sha256)
        ).one_or_none()

    def get(self, statement_sha256: str) -> StatementRecord:
        """The statement with this digest; :class:`NotFoundError` if it was never published."""
        record = self.find(statement_sha256)
        if record is None:
            raise NotFoundError(f"no statement with SHA-256 {statement_sha256}")
        return record

    def at_log_index(self, log_index: int) -> StatementRecord | None:
        """The statement logged at ``log_index``."""
        return self.session.scalars(select(StatementRecord).where(StatementRecord.log_index == log_index)).one_or_none()

    def series(self, developer: Developer, kind: str, series: str | None = None) -> Sequence[StatementRecord]:
        """Every statement in one series, oldest first (by log index, which is publication order)."""
        return self.session.scalars(
            select(StatementRecord)
            .where(
                StatementRecord.developer_id == developer.id,
                StatementRecord.kind == kind,
                StatementRecord.series == (series or ""),
            )
            .order_by(StatementRecord.log_index)
        ).all()

    def targeting(self, statement_sha256: str) -> Sequence[StatementRecord]:
        """Withdrawals and corrections that act on the given statement, oldest first."""
        return self.session.scalars(
            select(StatementRecord)
            .where(StatementRecord.target_sha256 == statement_sha256)
            .order_by(StatementRecord.log_index)
        ).all()

    def by_developer(self, developer: Developer, *, limit: int = 50, offset: int = 0) -> Sequence[StatementRecord]:
        """A developer's statements, newest first, one page at a time."""
        return self.session.scalars(
            select(StatementRecord)
            .where(StatementRecord.developer_id == developer.id)
            .order_by(StatementRecord.log_index.desc())
            .limit(limit)
            .offset(offset)
        ).all()

    def latest(self, *, limit: int = 50, offset: int = 0) -> Sequence[StatementRecord]:
        """All statements, newest first, one page at a time."""
        return self.session.scalars(
            select(StatementRecord).order_by(StatementRecord.log_index.desc()).limit(limit).offset(offset)
        ).all()

    def add_finding(
        self,
        record: StatementRecord,
        *,
        standard_id: str,
        standard_version: str,
        rule_id: str,
        severity: str,
        message: str,
        location: str | None = None,
    ) -> Finding:
        """Keep one finding of a standard on a published statement's document."""
        finding = Finding(
            statement=record,
            standard_id=standard_id,
            standard_version=standard_version,
            rule_id=rule_id,
            severity=severity,
            location=location,
            message=message,
        )
        self.session.add(finding)
        self.session.flush()
        return finding
