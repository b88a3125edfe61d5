"""Record on each developer key the log entry of the key event that made it the developer's, and of the one that
retired it.

Registering, rotating and revoking a key are logged as key events (``docs/formats.md``), in the same transaction
that changes the key's row. Keys recorded before this migration have no event yet: a migration cannot sign one
(the log key lives in the data directory, not the database), so the registry logs them when it next starts, or
when the operator runs ``candor admin developer log-keys`` (``candor.services.registration.Registration.log_keys``).

Plain columns rather than foreign keys: SQLite cannot add a foreign key to an existing table without rebuilding it,
and ``statements`` refers to this table; ``candor audit`` checks that each index names a key event of that key.

Revision ID: 0008
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "developer_keys"
_COLUMNS = ("log_index", "retired_log_index")


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column(_TABLE, sa.Column(column, sa.BigInteger(), nullable=True))
        op.create_index(op.f(f"ix_{_TABLE}_{column}"), _TABLE, [column], unique=True)


def downgrade() -> None:
    for column in reversed(_COLUMNS):
        op.drop_index(op.f(f"ix_{_TABLE}_{column}"), table_name=_TABLE)
        # Not batch mode: rebuilding the table on SQLite would break statements' foreign key to it. SQLite drops
        # a plain column in place (since 3.35).
        op.drop_column(_TABLE, column)
