"""Add the full-text search index and fill it with every document published so far.

On SQLite the index is an FTS5 virtual table; on PostgreSQL a table with a ``tsvector`` column and a GIN index
(see ``candor.store.search``). It is derived data, not a model, so ``candor db check`` leaves it out.

Revision 0006 is being written on another branch at the same time; this one follows 0005 until they are chained.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from candor.store.search import backfill_index, create_index, drop_index

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    create_index(connection)
    backfill_index(connection)


def downgrade() -> None:
    drop_index(op.get_bind())
