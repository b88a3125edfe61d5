"""What the audit re-reads and re-hashes, exactly as stored: raw columns, unchecked, for :mod:`candor.services.audit`.

Nothing here trusts a column: the audit is what compares them with the signed bytes. Every read is bounded (a
chunk of entries by key, a batch of blobs), so that a forged row at a huge index or a huge blob costs one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from candor.store.tables import (
    Checkpoint,
    Developer,
    DeveloperKey,
    Document,
    LogEntry,
    SealedOriginalRecord,
    StatementRecord,
)

#: The tables of content-addressed blobs the audit re-hashes.
BlobTable = Literal["documents", "sealed_originals"]
_BLOB_MODELS: dict[BlobTable, type[Document] | type[SealedOriginalRecord]] = {
    "documents": Document,
    "sealed_originals": SealedOriginalRecord,
}


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """A log entry with the statement row that records it (every statement column None when none does)."""

    log_index: int
    leaf_hash: bytes
    entry: bytes
    statement_id: int | None
    statement_sha256: str | None
    developer_id: int | None
    developer_slug: str | None
    kind: str | None
    series: str | None
    version: str | None
    document_sha256: str | None
    supersedes: str | None
    target_sha256: str | None
    issued_at: datetime | None
    statement_bytes: bytes | None
    signature: bytes | None
    key_id: int | None
    #: The document row's key, None if the statement names a document the store does not hold.
    stored_document: str | None
    #: The digest of the sealed original stored for the statement, if any.
    sealed_sha256: str | None


_ENTRY_QUERY = (
    select(
        LogEntry.log_index,
        LogEntry.leaf_hash,
        LogEntry.entry,
        StatementRecord.id.label("statement_id"),
        StatementRecord.statement_sha256,
        StatementRecord.developer_id,
        Developer.slug.label("developer_slug"),
        StatementRecord.kind,
        StatementRecord.series,
        StatementRecord.version,
        StatementRecord.document_sha256,
        StatementRecord.supersedes,
        StatementRecord.target_sha256,
        StatementRecord.issued_at,
        StatementRecord.statement_bytes,
        StatementRecord.signature,
        StatementRecord.key_id,
        Document.sha256.label("stored_document"),
        SealedOriginalRecord.sha256.label("sealed_sha256"),
    )
    .outerjoin(StatementRecord, StatementRecord.log_index == LogEntry.log_index)
    .outerjoin(Developer, Developer.id == StatementRecord.developer_id)
    .outerjoin(Document, Document.sha256 == StatementRecord.document_sha256)
    .outerjoin(SealedOriginalRecord, SealedOriginalRecord.statement_id == StatementRecord.id)
    .where(LogEntry.log_index > bindparam("after"), LogEntry.log_index < bindparam("bound"))
    .order_by(LogEntry.log_index, StatementRecord.id)
    .limit(bindparam("limit"))
)


class AuditRows:
    """The audit's reads, inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def latest_checkpoint_note(self) -> tuple[int, str] | None:
        """The id and signed note of the checkpoint row with the largest size, if any."""
        row = self.session.execute(
            select(Checkpoint.id, Checkpoint.note).order_by(Checkpoint.size.desc()).limit(1)
        ).first()
        return None if row is None else (row[0], row[1])

    def entries(self, *, after: int, bound: int, limit: int) -> list[StoredEntry]:
        """Up to ``limit`` entries with ``after < index < bound``, by index, each once per statement recording it."""
        rows = self.session.execute(_ENTRY_QUERY, {"after": after, "bound": bound, "limit": limit}).all()
        return [StoredEntry(**row._mapping) for row in rows]

    def checkpoints(self, *, after: int, limit: int) -> list[tuple[int, int, bytes, str]]:
        """Up to ``limit`` checkpoint rows larger than ``after``, by size, as (id, size, root, note)."""
        rows = self.session.execute(
            select(Checkpoint.id, Checkpoint.size, Checkpoint.root_hash, Checkpoint.note)
            .where(Checkpoint.size > after)
            .order_by(Checkpoint.size)
            .limit(limit)
        ).all()
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    def developer_key(self, key_id: int) -> tuple[int, bytes] | None:
        """The developer id and raw public key of the key row ``key_id``, if there is one."""
        row = self.session.execute(
            select(DeveloperKey.developer_id, DeveloperKey.public_key).where(DeveloperKey.id == key_id)
        ).first()
        return None if row is None else (row[0], row[1])

    def statements_without_entries(self, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` statement rows whose log entry is missing, as (id, log index)."""
        rows = self.session.execute(
            select(StatementRecord.id, StatementRecord.log_index)
            .outerjoin(LogEntry, LogEntry.log_index == StatementRecord.log_index)
            .where(LogEntry.log_index.is_(None))
            .order_by(StatementRecord.id)
            .limit(limit)
        ).all()
        return [(row[0], row[1]) for row in rows]

    def blob_count(self, table: BlobTable) -> int:
        """How many rows ``table`` holds."""
        return self.session.scalar(select(func.count()).select_from(_BLOB_MODELS[table])) or 0

    def blob_lengths(self, table: BlobTable, *, after: str, limit: int) -> list[tuple[str, int | None]]:
        """Up to ``limit`` keys above ``after`` with their content's length, which reads no content on either
        backend (the size column could lie)."""
        model = _BLOB_MODELS[table]
        rows = self.session.execute(
            select(model.sha256, func.length(model.content))
            .where(model.sha256 > after)
            .order_by(model.sha256)
            .limit(limit)
        ).all()
        return [(row[0], row[1]) for row in rows]

    def blobs(self, table: BlobTable, keys: Sequence[str]) -> list[tuple[str, int, bytes]]:
        """The rows of ``table`` with these keys, as (sha256, size column, content)."""
        model = _BLOB_MODELS[table]
        rows = self.session.execute(select(model.sha256, model.size, model.content).where(model.sha256.in_(keys))).all()
        return [(row[0], row[1], row[2]) for row in rows]
