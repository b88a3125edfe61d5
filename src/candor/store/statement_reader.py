"""Reading published statements as :class:`StatementSummary` lists, for the website, the feeds and the API.

Columns, not whole rows: a list never needs the signed bytes or the signature. The select is built once per
process, because building it (and its alias) costs more than running it on a small page.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeAlias

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from candor.domain.statement import StatementKind
from candor.errors import NotFoundError
from candor.store.statement_listing import ListingOrder, StatementListing
from candor.store.summaries import SignedStatementRow, StatementSummary
from candor.store.tables import Developer, DeveloperKey, LogEntry, StatementRecord

#: A select of summary columns (its row type is too long to spell out).
SummarySelect: TypeAlias = Select[*tuple[Any, ...]]


def _summary_select() -> SummarySelect:
    withdrawal = aliased(StatementRecord)
    withdrawn_by = (
        select(func.min(withdrawal.log_index))
        .where(
            withdrawal.target_sha256 == StatementRecord.statement_sha256,
            withdrawal.kind == StatementKind.WITHDRAWAL.value,
        )
        .scalar_subquery()
    )
    return (
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
        .join(StatementRecord.log_entry)
    )


_SUMMARIES = _summary_select()

#: The ORDER BY of each listing order; ties of issue time fall to log order.
_ORDERS: dict[ListingOrder, tuple[Any, ...]] = {
    ListingOrder.NEWEST: (StatementRecord.log_index.desc(),),
    ListingOrder.OLDEST: (StatementRecord.log_index.asc(),),
    ListingOrder.ISSUED_NEWEST: (StatementRecord.issued_at.desc(), StatementRecord.log_index.desc()),
    ListingOrder.ISSUED_OLDEST: (StatementRecord.issued_at.asc(), StatementRecord.log_index.asc()),
}


def _summary(row: Any) -> StatementSummary:
    (index, digest, slug, name, kind, series, version, document, supersedes, target, issued, published) = row[:12]
    return StatementSummary(
        log_index=index,
        statement_sha256=digest,
        developer_slug=slug,
        developer_name=name,
        kind=kind,
        series=series,
        version=version,
        document_sha256=document,
        supersedes=supersedes,
        target_sha256=target,
        issued_at=issued,
        published_at=published,
        leaf_hash=row[12].hex(),
        withdrawn_by=row[13],
    )


class StatementReader:
    """Published statements, as summaries, inside the caller's session (one snapshot for a whole page)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _list(self, query: SummarySelect) -> list[StatementSummary]:
        return [_summary(row) for row in self.session.execute(query).all()]

    def _first(self, condition: Any) -> StatementSummary | None:
        row = self.session.execute(_SUMMARIES.where(condition)).first()
        return None if row is None else _summary(row)

    def at(self, log_index: int) -> StatementSummary:
        """The statement at ``log_index``; :class:`NotFoundError` if there is none."""
        found = self._first(StatementRecord.log_index == log_index)
        if found is None:
            raise NotFoundError(f"no statement at {log_index}")
        return found

    def find_by_digest(self, statement_sha256: str) -> StatementSummary | None:
        """The statement whose canonical bytes have this SHA-256, if published."""
        return self._first(StatementRecord.statement_sha256 == statement_sha256)

    def by_digest(self, statement_sha256: str) -> StatementSummary:
        """:meth:`find_by_digest`, or :class:`NotFoundError`."""
        found = self.find_by_digest(statement_sha256)
        if found is None:
            raise NotFoundError(f"no statement {statement_sha256}")
        return found

    @staticmethod
    def _filtered(
        query: SummarySelect, developer_id: int | None, kind: str | None, listing: StatementListing | None = None
    ) -> SummarySelect:
        if developer_id is not None:
            query = query.where(StatementRecord.developer_id == developer_id)
        if kind is not None:
            query = query.where(StatementRecord.kind == kind)
        if listing is not None and listing.issued_from is not None:
            query = query.where(StatementRecord.issued_at >= listing.issued_from)
        if listing is not None and listing.issued_before is not None:
            query = query.where(StatementRecord.issued_at < listing.issued_before)
        return query

    def count(
        self, *, developer_id: int | None = None, kind: str | None = None, listing: StatementListing | None = None
    ) -> int:
        """How many statements there are, of one developer, one kind or one issue date range if given."""
        query = self._filtered(select(func.count()).select_from(StatementRecord), developer_id, kind, listing)
        return self.session.scalar(query) or 0

    def newest(
        self,
        *,
        offset: int = 0,
        limit: int | None = None,
        developer_id: int | None = None,
        kind: str | None = None,
        listing: StatementListing | None = None,
        before: int | None = None,
    ) -> list[StatementSummary]:
        """Statements newest first (or in ``listing``'s order), of one developer, one kind or one issue date range
        if given; ``limit`` None means all; ``before`` keeps those logged before that index (a walk by log index:
        an indexed range, where ``offset`` is a scan)."""
        order = _ORDERS[ListingOrder.NEWEST if listing is None else listing.order]
        query = self._filtered(_SUMMARIES, developer_id, kind, listing).order_by(*order)
        if before is not None:
            query = query.where(StatementRecord.log_index < before)
        return self._list(query.offset(offset).limit(limit))

    def after(self, log_index: int, *, limit: int) -> list[StatementSummary]:
        """Up to ``limit`` statements with a log index above ``log_index``, in log order: one batch of a scan.

        Keyset paging, so each batch costs the same however far a whole-registry scan has gone.
        """
        query = _SUMMARIES.where(StatementRecord.log_index > log_index).order_by(StatementRecord.log_index)
        return self._list(query.limit(limit))

    def of_developer(
        self,
        developer_id: int,
        *,
        kinds: Collection[str] | None = None,
        excluding: str | None = None,
        newest_first: bool = True,
    ) -> list[StatementSummary]:
        """All of a developer's statements, of the given ``kinds`` only and without kind ``excluding``."""
        query = _SUMMARIES.where(StatementRecord.developer_id == developer_id)
        if kinds is not None:
            query = query.where(StatementRecord.kind.in_(sorted(kinds)))
        if excluding is not None:
            query = query.where(StatementRecord.kind != excluding)
        order = StatementRecord.log_index.desc() if newest_first else StatementRecord.log_index
        return self._list(query.order_by(order))

    def series(self, developer_id: int, kind: str, series: str) -> list[StatementSummary]:
        """Every version of one series of one developer, newest first."""
        return self._list(
            _SUMMARIES.where(
                StatementRecord.developer_id == developer_id,
                StatementRecord.kind == kind,
                StatementRecord.series == series,
            ).order_by(StatementRecord.log_index.desc())
        )

    def corrections_of(self, statement_sha256: str) -> list[StatementSummary]:
        """The corrections published of the statement with this digest, oldest first."""
        return self._list(
            _SUMMARIES.where(
                StatementRecord.target_sha256 == statement_sha256,
                StatementRecord.kind == StatementKind.CORRECTION.value,
            ).order_by(StatementRecord.log_index)
        )

    def signed(self, statement_sha256: str) -> SignedStatementRow | None:
        """The statement with this digest as signed: its bytes, signature and key, if published."""
        row = self.session.execute(
            select(
                StatementRecord.log_index,
                StatementRecord.statement_bytes,
                StatementRecord.signature,
                DeveloperKey.public_key,
            )
            .join(DeveloperKey, DeveloperKey.id == StatementRecord.key_id)
            .where(StatementRecord.statement_sha256 == statement_sha256)
        ).first()
        return None if row is None else SignedStatementRow(row[0], row[1], row[2], row[3])

    def digests_publishing(self, document_sha256: str) -> list[str]:
        """The digests of the statements that publish this document, oldest first."""
        return list(
            self.session.scalars(
                select(StatementRecord.statement_sha256)
                .where(StatementRecord.document_sha256 == document_sha256)
                .order_by(StatementRecord.log_index)
            )
        )
