"""Add the watcher's tables: watched URLs, the observations it logs, and the versions it archives.

``observations`` and ``archived_versions`` are append-only, guarded by the same triggers as published history
(migrations 0001, 0002 and 0004); ``watched_urls`` holds the watcher's working state and may change.

Revision ids were given out to parallel branches in advance and are chained in the order the branches were
merged: this one follows 0013.

Revision ID: 0010
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every key by which an insert could replace an existing row on SQLite (see migration 0004).
_KEYS = {
    "archived_versions": ("sha256", "rowid"),
    "observations": ("id", "observation_sha256", "log_index"),
}


def upgrade() -> None:
    op.create_table(
        "watched_urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("developer_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_sha256", sa.String(length=64), nullable=True),
        sa.Column("statement_sha256", sa.String(length=64), nullable=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.String(length=300), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("source IN ('manual', 'manifest')", name=op.f("ck_watched_urls_source")),
        sa.ForeignKeyConstraint(
            ["developer_id"], ["developers.id"], name=op.f("fk_watched_urls_developer_id_developers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watched_urls")),
    )
    op.create_index("uq_watched_urls_developer_id_url", "watched_urls", ["developer_id", "url"], unique=True)
    op.create_table(
        "archived_versions",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size = length(content)", name=op.f("ck_archived_versions_size_matches")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_archived_versions")),
    )
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_sha256", sa.String(length=64), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("watched_url_id", sa.Integer(), nullable=False),
        sa.Column("developer_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finding", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("text_sha256", sa.String(length=64), nullable=True),
        sa.Column("statement_sha256", sa.String(length=64), nullable=True),
        sa.Column("previous_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["content_sha256"],
            ["archived_versions.sha256"],
            name=op.f("fk_observations_content_sha256_archived_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["developer_id"], ["developers.id"], name=op.f("fk_observations_developer_id_developers")
        ),
        sa.ForeignKeyConstraint(
            ["log_index"], ["log_entries.log_index"], name=op.f("fk_observations_log_index_log_entries")
        ),
        sa.ForeignKeyConstraint(
            ["watched_url_id"], ["watched_urls.id"], name=op.f("fk_observations_watched_url_id_watched_urls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observations")),
        sa.UniqueConstraint("log_index", name=op.f("uq_observations_log_index")),
        sa.UniqueConstraint("observation_sha256", name=op.f("uq_observations_observation_sha256")),
    )
    op.create_index(op.f("ix_observations_developer_id"), "observations", ["developer_id"], unique=False)
    op.create_index(op.f("ix_observations_watched_url_id"), "observations", ["watched_url_id"], unique=False)
    _guard_append_only()


def _guard_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _KEYS:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION candor_reject_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION candor_reject_change()"
            )
        return
    for table, keys in _KEYS.items():
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {operation} rejected'); END"
            )
        taken = " OR ".join(f"{key} = NEW.{key}" for key in keys)
        existing = f"SELECT 1 FROM {table} WHERE {taken}"  # noqa: S608 - names from _KEYS, never from input
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN EXISTS ({existing}) "
            f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: INSERT over an existing row rejected'); END"
        )


def downgrade() -> None:
    # Dropping the tables drops their triggers; the watcher's history is not meant to be downgraded away.
    op.drop_table("observations")
    op.drop_table("archived_versions")
    op.drop_index("uq_watched_urls_developer_id_url", table_name="watched_urls")
    op.drop_table("watched_urls")
