"""Sealed originals: the ciphertext of redacted documents' originals, stored with the statement that names them."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.domain.sealing import MAX_SEALED_BYTES
from candor.store.columns import utc_now
from candor.store.errors import StoreError
from candor.store.tables import SealedOriginalRecord, StatementRecord

#: How long a sealed original is kept at the least: SB 53 asks for five years (leap days included).
RETENTION = timedelta(days=5 * 366)


class SealedOriginals:
    """Storing and finding sealed originals; there is deliberately no way to remove one."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, statement: StatementRecord, content: bytes, *, now: datetime | None = None) -> SealedOriginalRecord:
        """Keep ``content`` as the sealed original of ``statement``."""
        if len(content) > MAX_SEALED_BYTES:
            raise StoreError(f"sealed original is {len(content):,} bytes, over the limit of {MAX_SEALED_BYTES:,}")
        stored_at = now or utc_now()
        record = SealedOriginalRecord(
            sha256=hashlib.sha256(content).hexdigest(),
            statement=statement,
            size=len(content),
            content=content,
            stored_at=stored_at,
            retain_until=stored_at + RETENTION,
        )
        self.session.add(record)
        self.session.flush()
        return record

    def find(self, sha256: str) -> SealedOriginalRecord | None:
        """The sealed original with this SHA-256 (hex), if kept."""
        return self.session.get(SealedOriginalRecord, sha256)

    def of_statement(self, statement: StatementRecord) -> SealedOriginalRecord | None:
        """The sealed original kept with ``statement``, if it has one."""
        query = select(SealedOriginalRecord).where(SealedOriginalRecord.statement_id == statement.id)
        return self.session.scalars(query).one_or_none()
