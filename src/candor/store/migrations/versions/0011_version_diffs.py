"""Add the table of semantic diffs, one row per published version against the version before it.

The rows are derived data: the registry fills them lazily (``candor.services.version_diffs``) from documents it
already holds, so this migration creates the table empty and the first read after the upgrade computes them.

Revision ids were handed out in advance and are chained in merge order: this one follows 0008 (key events), the
head of main when it was merged.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "version_diffs",
        sa.Column("statement_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("previous_statement_id", sa.Integer(), nullable=True),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["statement_id"], ["statements.id"], name="fk_version_diffs_statement_id_statements"),
        sa.ForeignKeyConstraint(
            ["previous_statement_id"], ["statements.id"], name="fk_version_diffs_previous_statement_id_statements"
        ),
        sa.PrimaryKeyConstraint("statement_id", name="pk_version_diffs"),
    )
    op.create_index("ix_version_diffs_direction", "version_diffs", ["direction"])


def downgrade() -> None:
    op.drop_index("ix_version_diffs_direction", table_name="version_diffs")
    op.drop_table("version_diffs")
