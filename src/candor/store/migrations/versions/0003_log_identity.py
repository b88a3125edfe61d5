"""Remember the registry log's key and origin in the database, so that no second key ever signs for it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "log_identity"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("vkey", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_log_identity_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_identity")),
    )
    # The log's identity is written once, on its first signature, and never changed: the same guard as 0001's.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {_TABLE}_append_only BEFORE UPDATE OR DELETE ON {_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION candor_reject_change()"
        )
        op.execute(
            f"CREATE TRIGGER {_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION candor_reject_change()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {_TABLE}_no_{operation.lower()} BEFORE {operation} ON {_TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {_TABLE}: {operation} rejected'); END"
            )


def downgrade() -> None:
    op.drop_table(_TABLE)
