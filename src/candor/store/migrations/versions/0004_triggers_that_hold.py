"""Make SQLite's append-only triggers hold against INSERT OR REPLACE, REPLACE INTO and upserts.

SQLite's REPLACE conflict resolution deletes the row in the way without firing its DELETE triggers (unless the
connection has ``PRAGMA recursive_triggers = ON``, which the registry's own connections now set, but an attacker's
connection need not). A BEFORE INSERT trigger fires on every connection, whatever its pragmas: here it refuses an
insert that names a key (primary, unique, or the hidden rowid) an existing row already holds, so no insert can
replace published history. PostgreSQL has no REPLACE; its upsert (``ON CONFLICT DO UPDATE``) and ``MERGE`` fire
the UPDATE and DELETE triggers of migrations 0001 and 0002, which already refuse them.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every key by which an insert could collide with (and so replace) an existing row of each append-only table.
# ``rowid`` is SQLite's hidden key of tables whose primary key is not an INTEGER PRIMARY KEY; where the primary key
# is one (statements.id, checkpoints.id), it is the rowid. A new row that names no rowid has NEW.rowid = -1.
_KEYS = {
    "documents": ("sha256", "rowid"),
    "statements": ("id", "statement_sha256", "log_index"),
    "log_entries": ("log_index", "rowid"),
    "checkpoints": ("id", "size"),
    "sealed_originals": ("sha256", "statement_id", "rowid"),
}


def _trigger_name(table: str) -> str:
    return f"{table}_no_replace"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, keys in _KEYS.items():
        taken = " OR ".join(f"{key} = NEW.{key}" for key in keys)
        existing = f"SELECT 1 FROM {table} WHERE {taken}"  # noqa: S608 - names from _KEYS, never from input
        op.execute(
            f"CREATE TRIGGER {_trigger_name(table)} BEFORE INSERT ON {table} WHEN EXISTS ({existing}) "
            f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: INSERT over an existing row rejected'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in _KEYS:
        op.execute(f"DROP TRIGGER {_trigger_name(table)}")
