"""Keep sealed originals of redacted documents, append-only like published history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "sealed_originals"
# The largest sealed original: three times the 5 MiB document limit (candor.domain.sealing.MAX_SEALED_BYTES).
_MAX_SEALED_BYTES = 3 * 5 * 1024 * 1024


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"size <= {_MAX_SEALED_BYTES}", name=op.f("ck_sealed_originals_size_limit")),
        sa.CheckConstraint("size = length(content)", name=op.f("ck_sealed_originals_size_matches")),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statements.id"], name=op.f("fk_sealed_originals_statement_id_statements")
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_sealed_originals")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_sealed_originals_statement_id")),
    )
    # Kept for at least five years, and no interface can delete or rewrite one: the same guard as migration 0001's.
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
    # Dropping the table drops its triggers; sealed originals are not meant to be downgraded away.
    op.drop_table(_TABLE)
