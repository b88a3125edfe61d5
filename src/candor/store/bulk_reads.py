"""Reads for the bulk data files: every published statement and every developer, a batch at a time.

Keyset paging (``after`` the last key seen, in key order) makes each batch cost the same however far a scan has
gone, so a whole-registry file costs time linear in its size and memory of one batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from candor.store.tables import Developer, LogEntry, StatementRecord


@dataclass(frozen=True)
class StatementRow:
    """A published statement's public fields, as the statements file lists them."""

    log_index: int
    statement_sha256: str
    developer: str
    developer_name: str
    kind: str
    series: str
    version: str
    document_sha256: str | None
    supersedes: str | None
    target_sha256: str | None
    issued_at: datetime
    published_at: datetime
    leaf_hash: bytes
    withdrawn_by: int | None


def statement_rows(session: Session, *, after: int = -1, limit: int = 500) -> list[StatementRow]:
    """Up to ``limit`` statements with a log index above ``after``, in log order."""
    withdrawal = aliased(StatementRecord)
    withdrawn_by = (
        select(func.min(withdrawal.log_index))
        .where(withdrawal.target_sha256 == StatementRecord.statement_sha256, withdrawal.kind == "withdrawal")
        .scalar_subquery()
    )
    query = (
        select(
            StatementRecord.log_index,
            StatementRecord.statement_sha256,
            Developer.slug,
            Developer.legal_name,
            StatementRecord.kind,
            StatementRecord.series,
            StatementRecord.version,
            StatementRecord.document_sha256,
            StatementRecord.supersedes,
            StatementRecord.target_sha256,
            StatementRecord.issued_at,
            StatementRecord.published_at,
            LogEntry.leaf_hash,
            withdrawn_by,
        )
        .join(Developer, StatementRecord.developer_id == Developer.id)
        .join(LogEntry, LogEntry.log_index == StatementRecord.log_index)
        .where(StatementRecord.log_index > after)
        .order_by(StatementRecord.log_index)
        .limit(limit)
    )
    rows: list[tuple[Any, ...]] = [tuple(row) for row in session.execute(query).all()]
    return [StatementRow(*row) for row in rows]


def developer_slugs(session: Session, *, after: str = "", limit: int = 500) -> list[str]:
    """Up to ``limit`` registered developers' slugs that sort after ``after``, in order."""
    return list(
        session.scalars(select(Developer.slug).where(Developer.slug > after).order_by(Developer.slug).limit(limit))
    )
