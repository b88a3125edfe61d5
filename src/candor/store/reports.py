"""Reports, their wrapped keys, replies and the reviewers' hash-chained audit log, as rows.

Returns plain dataclasses, never ORM rows, so that services see only what a report shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from candor.errors import NotFoundError
from candor.store.report_tables import ReportRecord, ReportUpdate, ReviewerAction, WrappedReportKey

#: The hash the first audit entry chains to.
GENESIS = "0" * 64


@dataclass(frozen=True)
class StoredReport:
    """A report as kept: metadata in the clear, contents as ciphertext."""

    id: str
    kind: str
    state: str
    received_on: date
    acknowledged_on: date | None
    feedback_on: date | None
    concluded_on: date | None
    discovered_at: datetime | None
    obligations: tuple[str, ...]
    statements: tuple[int, ...]
    retain_until: date
    shredded_on: date | None
    reporter_key: bytes
    ciphertext: bytes | None
    update_days: tuple[date, ...]


@dataclass(frozen=True)
class NewReport:
    id: str
    kind: str
    lookup_id: str
    reporter_key: bytes
    ciphertext: bytes
    wrapped_keys: Mapping[str, bytes]
    received_on: date
    retain_until: date
    discovered_at: datetime | None = None
    obligations: tuple[str, ...] = ()
    statements: tuple[int, ...] = ()


class Reports:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, report: NewReport) -> None:
        self.session.add(
            ReportRecord(
                id=report.id,
                kind=report.kind,
                state="received",
                lookup_id=report.lookup_id,
                reporter_key=report.reporter_key,
                ciphertext=report.ciphertext,
                received_on=report.received_on,
                discovered_at=report.discovered_at,
                obligations=" ".join(report.obligations),
                statements=" ".join(str(index) for index in report.statements),
                retain_until=report.retain_until,
            )
        )
        for reviewer, wrapped in report.wrapped_keys.items():
            self.session.add(WrappedReportKey(report_id=report.id, reviewer=reviewer, wrapped_key=wrapped))
        self.session.flush()

    def exists(self, report_id: str) -> bool:
        return self.session.get(ReportRecord, report_id) is not None

    def by_lookup(self, lookup_id: str) -> StoredReport | None:
        row = self.session.scalars(select(ReportRecord).where(ReportRecord.lookup_id == lookup_id)).one_or_none()
        return None if row is None else self._stored(row)

    def get(self, report_id: str) -> StoredReport:
        row = self.session.get(ReportRecord, report_id)
        if row is None:
            raise NotFoundError(f"no report {report_id}")
        return self._stored(row)

    def all(self) -> list[StoredReport]:
        rows = self.session.scalars(select(ReportRecord).order_by(ReportRecord.received_on, ReportRecord.id))
        return [self._stored(row) for row in rows]

    def wrapped_key(self, report_id: str, reviewer: str) -> bytes | None:
        row = self.session.get(WrappedReportKey, (report_id, reviewer))
        return None if row is None else row.wrapped_key

    def updates(self, report_id: str) -> list[tuple[int, date, bytes | None]]:
        rows = self.session.scalars(
            select(ReportUpdate).where(ReportUpdate.report_id == report_id).order_by(ReportUpdate.number)
        )
        return [(row.number, row.sent_on, row.ciphertext) for row in rows]

    def next_update_number(self, report_id: str) -> int:
        highest = self.session.scalar(select(func.max(ReportUpdate.number)).where(ReportUpdate.report_id == report_id))
        return 1 if highest is None else highest + 1

    def add_update(self, report_id: str, number: int, sent_on: date, ciphertext: bytes) -> None:
        self.session.add(ReportUpdate(report_id=report_id, number=number, sent_on=sent_on, ciphertext=ciphertext))
        self.session.flush()

    def set_state(self, report_id: str, state: str, on: date) -> None:
        values: dict[str, object] = {"state": state}
        if state == "acknowledged":
            values["acknowledged_on"] = on
        if state == "concluded":
            values["concluded_on"] = on
        self.session.execute(update(ReportRecord).where(ReportRecord.id == report_id).values(**values))

    def record_feedback(self, report_id: str, on: date) -> None:
        self.session.execute(update(ReportRecord).where(ReportRecord.id == report_id).values(feedback_on=on))

    def shred(self, report_id: str, on: date) -> None:
        """Crypto-shredding: drop every wrapped key, and the ciphertexts with them; the metadata row remains."""
        self.session.execute(delete(WrappedReportKey).where(WrappedReportKey.report_id == report_id))
        self.session.execute(update(ReportUpdate).where(ReportUpdate.report_id == report_id).values(ciphertext=None))
        self.session.execute(
            update(ReportRecord).where(ReportRecord.id == report_id).values(ciphertext=None, shredded_on=on)
        )

    def due_for_shredding(self, today: date) -> list[str]:
        return list(
            self.session.scalars(
                select(ReportRecord.id).where(ReportRecord.retain_until < today, ReportRecord.shredded_on.is_(None))
            )
        )

    def _stored(self, row: ReportRecord) -> StoredReport:
        days = tuple(day for _, day, _ in self.updates(row.id))
        return StoredReport(
            id=row.id,
            kind=row.kind,
            state=row.state,
            received_on=row.received_on,
            acknowledged_on=row.acknowledged_on,
            feedback_on=row.feedback_on,
            concluded_on=row.concluded_on,
            discovered_at=row.discovered_at,
            obligations=tuple(row.obligations.split()),
            statements=tuple(int(index) for index in row.statements.split()),
            retain_until=row.retain_until,
            shredded_on=row.shredded_on,
            reporter_key=row.reporter_key,
            ciphertext=row.ciphertext,
            update_days=days,
        )


@dataclass(frozen=True)
class AuditEntry:
    number: int
    acted_on: date
    reviewer: str
    action: str
    report_id: str | None
    previous_hash: str
    hash: str


def audit_hash(
    previous_hash: str, number: int, acted_on: date, reviewer: str, action: str, report_id: str | None
) -> str:
    line = "\n".join([previous_hash, str(number), acted_on.isoformat(), reviewer, action, report_id or ""])
    return hashlib.sha256(line.encode()).hexdigest()


class ReviewerAudit:
    """Append-only, hash-chained: a removed, reordered or edited entry breaks every hash after it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, acted_on: date, reviewer: str, action: str, report_id: str | None) -> AuditEntry:
        last = self.session.scalars(select(ReviewerAction).order_by(ReviewerAction.number.desc()).limit(1)).first()
        number, previous = (1, GENESIS) if last is None else (last.number + 1, last.hash)
        digest = audit_hash(previous, number, acted_on, reviewer, action, report_id)
        self.session.add(
            ReviewerAction(
                number=number,
                acted_on=acted_on,
                reviewer=reviewer,
                action=action,
                report_id=report_id,
                previous_hash=previous,
                hash=digest,
            )
        )
        self.session.flush()
        return AuditEntry(number, acted_on, reviewer, action, report_id, previous, digest)

    def entries(self) -> Sequence[AuditEntry]:
        rows = self.session.scalars(select(ReviewerAction).order_by(ReviewerAction.number))
        return [
            AuditEntry(row.number, row.acted_on, row.reviewer, row.action, row.report_id, row.previous_hash, row.hash)
            for row in rows
        ]
