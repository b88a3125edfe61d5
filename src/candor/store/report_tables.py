"""The confidential channel's rows: ciphertext, wrapped keys and days; never a reporter's identity or a plaintext.

What a copy of these tables gives away (see ``docs/threat-model-reports.md``): how many reports of each kind, their
size buckets, the days they were received and acted on, their states and deadlines, and the fingerprints of the
reviewer keys they are sealed to. Not their contents, file names, or who sent them: the lookup id and the reporter
key are derived from the receipt through Argon2id with a pepper that is not in the database.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from candor.store.columns import UTCDateTime
from candor.store.tables import Base


class ReportRecord(Base):
    """One report: its ciphertext, its state, and the days that its clocks run from."""

    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="received")
    #: HMAC-free: derived from the receipt through Argon2id with the settings' pepper (domain/receipts.py).
    lookup_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: The X25519 public key that replies are sealed to, derived from the receipt the same way.
    reporter_key: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    received_on: Mapped[date] = mapped_column(Date)
    acknowledged_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    feedback_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    concluded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: An incident report's stated discovery time: a deadline field, so kept to the minute.
    discovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: An incident report's obligations, as ``regime/obligation`` ids separated by spaces.
    obligations: Mapped[str] = mapped_column(Text, default="")
    #: Log indexes a whistleblower says the report is about, separated by spaces (public record, not secret).
    statements: Mapped[str] = mapped_column(Text, default="")
    retain_until: Mapped[date] = mapped_column(Date)
    shredded_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (
        CheckConstraint("kind IN ('whistleblower', 'incident')", name="report_kind"),
        CheckConstraint(
            "state IN ('received', 'acknowledged', 'assessing', 'addressing', 'concluded')", name="report_state"
        ),
    )


class WrappedReportKey(Base):
    """A report's data key wrapped to one reviewer. Deleting every one of a report's rows destroys the report."""

    __tablename__ = "report_keys"

    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(64), primary_key=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)


class ReportUpdate(Base):
    """A reviewer's message to the reporter, sealed to the reporter's key; only its day is kept."""

    __tablename__ = "report_updates"

    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_on: Mapped[date] = mapped_column(Date)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class ReviewerAction(Base):
    """The reviewers' audit log: each action chained to the one before by a SHA-256 over both. Never a reporter."""

    __tablename__ = "reviewer_actions"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    acted_on: Mapped[date] = mapped_column(Date)
    reviewer: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(200))
    report_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
