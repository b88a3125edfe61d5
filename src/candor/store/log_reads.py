"""Read-only lookups into the log's rows for the log explorer and the bulk export: an entry by index or leaf hash,
the statement logged at an index, and the checkpoints signed at given sizes.

Kept apart from :mod:`candor.store.log_entries`, which owns appends and their lock; nothing here writes. The
statements are read here rather than through :class:`candor.store.statement_reader.StatementReader` because these
rows are wider than its summaries (the signed bytes, signature and key, and the sealed original's digest) and are
read by index in batches for the export. Follow-up: fold them into the reader beside its ``signed()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.store.tables import Checkpoint, Developer, DeveloperKey, LogEntry, SealedOriginalRecord, StatementRecord


@dataclass(frozen=True)
class LoggedRow:
    """One log entry as stored: its index, leaf hash and bytes."""

    log_index: int
    leaf_hash: bytes
    entry: bytes


@dataclass(frozen=True)
class SignedStatementRow:
    """A published statement as stored: its canonical bytes, signature and key, the developer, and its blobs."""

    log_index: int
    statement_sha256: str
    developer: str
    statement_bytes: bytes
    signature: bytes
    public_key: bytes
    document_sha256: str | None
    sealed_sha256: str | None


def entry_at(session: Session, log_index: int) -> LoggedRow | None:
    """The entry at ``log_index``, if the log has one."""
    row = session.execute(
        select(LogEntry.log_index, LogEntry.leaf_hash, LogEntry.entry).where(LogEntry.log_index == log_index)
    ).first()
    return None if row is None else LoggedRow(row[0], row[1], row[2])


def index_of_leaf(session: Session, leaf_hash: bytes) -> int | None:
    """The index of the entry whose RFC 6962 leaf hash this is (the first, should an entry be logged twice)."""
    found: int | None = session.scalar(
        select(LogEntry.log_index).where(LogEntry.leaf_hash == leaf_hash).order_by(LogEntry.log_index).limit(1)
    )
    return found


def index_of_statement(session: Session, statement_sha256: str) -> int | None:
    """The log index of the statement with this digest, if published."""
    found: int | None = session.scalar(
        select(StatementRecord.log_index).where(StatementRecord.statement_sha256 == statement_sha256)
    )
    return found


def indexes_of_document(session: Session, document_sha256: str) -> list[int]:
    """The log indexes of the statements that publish this document, oldest first."""
    return list(
        session.scalars(
            select(StatementRecord.log_index)
            .where(StatementRecord.document_sha256 == document_sha256)
            .order_by(StatementRecord.log_index)
        )
    )


def developer_registered(session: Session, slug: str) -> bool:
    """Whether a developer with this slug is registered."""
    return session.scalar(select(Developer.id).where(Developer.slug == slug)) is not None


def checkpoint_notes(session: Session, sizes: Iterable[int]) -> dict[int, str]:
    """The signed checkpoint notes the log keeps for any of ``sizes`` (a size it never signed is absent)."""
    wanted = sorted(set(sizes))
    rows = session.execute(select(Checkpoint.size, Checkpoint.note).where(Checkpoint.size.in_(wanted))).all()
    return {int(size): note for size, note in rows}


def signed_statement_at(session: Session, log_index: int) -> SignedStatementRow | None:
    """The statement logged at ``log_index``, with its signature and key, if that entry is a statement."""
    rows = _signed_statements(session, StatementRecord.log_index == log_index, limit=1)
    return rows[0] if rows else None


def signed_statements(session: Session, *, after: int = -1, limit: int = 500) -> list[SignedStatementRow]:
    """Up to ``limit`` statements with a log index above ``after``, in log order: one batch of a scan that never
    holds more than a batch (keyset paging, so each batch costs the same however far the scan has gone)."""
    return _signed_statements(session, StatementRecord.log_index > after, limit=limit)


def _signed_statements(session: Session, condition: object, *, limit: int) -> list[SignedStatementRow]:
    query = (
        select(
            StatementRecord.log_index,
            StatementRecord.statement_sha256,
            Developer.slug,
            StatementRecord.statement_bytes,
            StatementRecord.signature,
            DeveloperKey.public_key,
            StatementRecord.document_sha256,
            SealedOriginalRecord.sha256,
        )
        .join(Developer, Developer.id == StatementRecord.developer_id)
        .join(DeveloperKey, DeveloperKey.id == StatementRecord.key_id)
        .outerjoin(SealedOriginalRecord, SealedOriginalRecord.statement_id == StatementRecord.id)
        .where(condition)  # type: ignore[arg-type]
        .order_by(StatementRecord.log_index)
        .limit(limit)
    )
    return [SignedStatementRow(*row) for row in session.execute(query).all()]
