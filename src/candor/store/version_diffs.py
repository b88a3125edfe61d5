"""The stored semantic diffs of published versions (table ``version_diffs``): what to compute, and what is kept.

The rows are derived data (see :class:`candor.store.tables.VersionDiff`); :mod:`candor.services.version_diffs`
decides what goes in them. This repository only finds versions without an up-to-date row, the version each one
is compared with, and reads rows back with the statement facts the pages and the API show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from candor.store.tables import Developer, StatementRecord, VersionDiff

_WITHDRAWAL = "withdrawal"


@dataclass(frozen=True)
class VersionToDiff:
    """A published version whose diff is due, and the version before it (None for a first version)."""

    statement_id: int
    version: str
    document_sha256: str
    previous_id: int | None
    previous_version: str | None
    previous_sha256: str | None


@dataclass(frozen=True)
class StoredDiffRow:
    """A stored diff with the facts of its statement and of the version it was compared with."""

    log_index: int
    developer_slug: str
    developer_name: str
    kind: str
    series: str
    version: str
    published_at: datetime
    withdrawn: bool
    direction: str
    changes_json: str
    previous_log_index: int | None
    previous_version: str | None


@dataclass(frozen=True)
class DiffFilter:
    """What narrows the stored diffs: a developer, directions (any of), a change kind."""

    developer: str | None = None
    directions: tuple[str, ...] = ()
    kind: str | None = None


class VersionDiffRecords:
    """The ``version_diffs`` table, read and written in one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    #: Built once: a select with fresh aliases each time would miss SQLAlchemy's compiled-statement cache.
    _ROWS: Select[*tuple[Any, ...]] | None = None

    def due(self, kinds: Sequence[str], algorithm: str) -> list[int]:
        """Statements of ``kinds`` with a document and no row computed by ``algorithm``, oldest first."""
        return list(
            self._session.scalars(
                select(StatementRecord.id)
                .outerjoin(VersionDiff, VersionDiff.statement_id == StatementRecord.id)
                .where(
                    StatementRecord.kind.in_(kinds),
                    StatementRecord.document_sha256.is_not(None),
                    or_(VersionDiff.statement_id.is_(None), VersionDiff.algorithm != algorithm),
                )
                .order_by(StatementRecord.log_index)
            ).all()
        )

    def to_diff(self, statement_id: int) -> VersionToDiff | None:
        """The statement and the latest earlier version of the same document (developer, kind, series)."""
        statement = self._session.get(StatementRecord, statement_id)
        if statement is None or statement.document_sha256 is None:
            return None
        previous = self._session.scalars(
            select(StatementRecord)
            .where(
                StatementRecord.developer_id == statement.developer_id,
                StatementRecord.kind == statement.kind,
                StatementRecord.series == statement.series,
                StatementRecord.log_index < statement.log_index,
                StatementRecord.document_sha256.is_not(None),
            )
            .order_by(StatementRecord.log_index.desc())
            .limit(1)
        ).first()
        return VersionToDiff(
            statement.id,
            statement.version,
            statement.document_sha256,
            None if previous is None else previous.id,
            None if previous is None else previous.version,
            None if previous is None else previous.document_sha256,
        )

    def save(
        self, statement_id: int, previous_id: int | None, algorithm: str, direction: str, kinds: str, changes: str
    ) -> None:
        """Insert or replace the row of ``statement_id`` (flushed by the caller's commit)."""
        row = self._session.get(VersionDiff, statement_id) or VersionDiff(statement_id=statement_id)
        row.previous_statement_id = previous_id
        row.algorithm = algorithm
        row.direction = direction
        row.kinds = kinds
        row.changes = changes
        self._session.add(row)

    @staticmethod
    def _where(filters: DiffFilter) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if filters.developer is not None:
            conditions.append(Developer.slug == filters.developer)
        if filters.directions:
            conditions.append(VersionDiff.direction.in_(filters.directions))
        if filters.kind is not None:
            # Kinds are stored between spaces; autoescape keeps the underscores of kind names literal in LIKE.
            conditions.append(VersionDiff.kinds.contains(f" {filters.kind} ", autoescape=True))
        return and_(true(), *conditions)

    @staticmethod
    def _rows() -> Select[*tuple[Any, ...]]:
        previous = aliased(StatementRecord)
        withdrawal = aliased(StatementRecord)
        withdrawn = exists().where(
            withdrawal.target_sha256 == StatementRecord.statement_sha256, withdrawal.kind == _WITHDRAWAL
        )
        return (
            select(
                StatementRecord.log_index,
                Developer.slug,
                Developer.legal_name,
                StatementRecord.kind,
                StatementRecord.series,
                StatementRecord.version,
                StatementRecord.published_at,
                withdrawn,
                VersionDiff.direction,
                VersionDiff.changes,
                previous.log_index,
                previous.version,
            )
            .select_from(VersionDiff)
            .join(StatementRecord, VersionDiff.statement_id == StatementRecord.id)
            .join(Developer, StatementRecord.developer_id == Developer.id)
            .outerjoin(previous, VersionDiff.previous_statement_id == previous.id)
        )

    @classmethod
    def _rows_select(cls) -> Select[*tuple[Any, ...]]:
        if cls._ROWS is None:
            cls._ROWS = cls._rows()
        return cls._ROWS

    def at_log_index(self, log_index: int) -> StoredDiffRow | None:
        row = self._session.execute(self._rows_select().where(StatementRecord.log_index == log_index)).first()
        return None if row is None else _row(row)

    def page(self, filters: DiffFilter, offset: int, limit: int) -> tuple[list[StoredDiffRow], int]:
        """One page of rows, newest first, and how many rows match in all."""
        where = self._where(filters)
        total = self._session.scalar(
            select(func.count())
            .select_from(VersionDiff)
            .join(StatementRecord, VersionDiff.statement_id == StatementRecord.id)
            .join(Developer, StatementRecord.developer_id == Developer.id)
            .where(where)
        )
        rows = self._session.execute(
            self._rows_select().where(where).order_by(StatementRecord.log_index.desc()).offset(offset).limit(limit)
        ).all()
        return [_row(row) for row in rows], total or 0

    def developers(self) -> list[tuple[str, str]]:
        """Developers with at least one stored diff, as (slug, legal name), by slug."""
        rows = self._session.execute(
            select(Developer.slug, Developer.legal_name)
            .where(
                exists()
                .where(StatementRecord.developer_id == Developer.id)
                .where(VersionDiff.statement_id == StatementRecord.id)
            )
            .order_by(Developer.slug)
        ).all()
        return [(slug, name) for slug, name in rows]


def _row(row: Any) -> StoredDiffRow:
    index, slug, name, kind, series, version, published, withdrawn, direction, changes, prev_index, prev_version = row
    return StoredDiffRow(
        index,
        slug,
        name,
        kind,
        series,
        version,
        published,
        bool(withdrawn),
        direction,
        changes,
        prev_index,
        prev_version,
    )
