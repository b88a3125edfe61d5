"""The confidential channel: reports, their wrapped keys, replies to reporters, and the reviewers' audit log.

Revisions 0008 to 0011 are written on other branches at the same time; this one follows 0007 until they are chained.

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from candor.store.columns import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("lookup_id", sa.String(64), nullable=False, unique=True),
        sa.Column("reporter_key", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("acknowledged_on", sa.Date(), nullable=True),
        sa.Column("feedback_on", sa.Date(), nullable=True),
        sa.Column("concluded_on", sa.Date(), nullable=True),
        sa.Column("discovered_at", UTCDateTime(), nullable=True),
        sa.Column("obligations", sa.Text(), nullable=False),
        sa.Column("statements", sa.Text(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("shredded_on", sa.Date(), nullable=True),
        sa.CheckConstraint("kind IN ('whistleblower', 'incident')", name="report_kind"),
        sa.CheckConstraint(
            "state IN ('received', 'acknowledged', 'assessing', 'addressing', 'concluded')", name="report_state"
        ),
    )
    op.create_table(
        "report_keys",
        sa.Column("report_id", sa.String(32), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("reviewer", sa.String(64), primary_key=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "report_updates",
        sa.Column("report_id", sa.String(32), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
    )
    op.create_table(
        "reviewer_actions",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("acted_on", sa.Date(), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("report_id", sa.String(32), nullable=True),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("reviewer_actions", "report_updates", "report_keys", "reports"):
        op.drop_table(table)
