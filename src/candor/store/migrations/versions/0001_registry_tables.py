"""Create the registry tables, and the triggers that keep published history append-only.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Published history: rows are inserted once and never changed or removed, whoever holds SQL access.
APPEND_ONLY_TABLES = ("documents", "statements", "log_entries", "checkpoints")


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoints")),
        sa.UniqueConstraint("size", name=op.f("uq_checkpoints_size")),
    )
    op.create_table(
        "developers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("legal_name", sa.String(length=300), nullable=False),
        sa.Column("website_domain", sa.String(length=253), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended')", name=op.f("ck_developers_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_developers")),
        sa.UniqueConstraint("slug", name=op.f("uq_developers_slug")),
    )
    op.create_table(
        "documents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size <= 5242880", name=op.f("ck_documents_size_limit")),
        sa.CheckConstraint("size = length(content)", name=op.f("ck_documents_size_matches")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_documents")),
    )
    op.create_table(
        "log_entries",
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("appended_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(entry) <= 16384", name=op.f("ck_log_entries_entry_size_limit")),
        sa.CheckConstraint("log_index >= 0", name=op.f("ck_log_entries_index_not_negative")),
        sa.PrimaryKeyConstraint("log_index", name=op.f("pk_log_entries")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("developer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "scope <> 'publish' OR developer_id IS NOT NULL", name=op.f("ck_api_tokens_publish_has_developer")
        ),
        sa.CheckConstraint("scope IN ('publish', 'admin')", name=op.f("ck_api_tokens_scope")),
        sa.ForeignKeyConstraint(
            ["developer_id"], ["developers.id"], name=op.f("fk_api_tokens_developer_id_developers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    op.create_index(op.f("ix_api_tokens_developer_id"), "api_tokens", ["developer_id"], unique=False)

    op.create_table(
        "developer_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("developer_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("length(public_key) = 32", name=op.f("ck_developer_keys_ed25519_length")),
        sa.ForeignKeyConstraint(
            ["developer_id"], ["developers.id"], name=op.f("fk_developer_keys_developer_id_developers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_developer_keys")),
        sa.UniqueConstraint("public_key", name=op.f("uq_developer_keys_public_key")),
    )
    op.create_index(op.f("ix_developer_keys_developer_id"), "developer_keys", ["developer_id"], unique=False)

    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_sha256", sa.String(length=64), nullable=False),
        sa.Column("developer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("series", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("supersedes", sa.String(length=64), nullable=True),
        sa.Column("target_sha256", sa.String(length=64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("statement_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("length(signature) = 64", name=op.f("ck_statements_ed25519_signature_length")),
        sa.ForeignKeyConstraint(
            ["developer_id"], ["developers.id"], name=op.f("fk_statements_developer_id_developers")
        ),
        sa.ForeignKeyConstraint(
            ["document_sha256"], ["documents.sha256"], name=op.f("fk_statements_document_sha256_documents")
        ),
        sa.ForeignKeyConstraint(["key_id"], ["developer_keys.id"], name=op.f("fk_statements_key_id_developer_keys")),
        sa.ForeignKeyConstraint(
            ["log_index"], ["log_entries.log_index"], name=op.f("fk_statements_log_index_log_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint("log_index", name=op.f("uq_statements_log_index")),
        sa.UniqueConstraint("statement_sha256", name=op.f("uq_statements_statement_sha256")),
    )
    op.create_index(op.f("ix_statements_document_sha256"), "statements", ["document_sha256"], unique=False)
    op.create_index("ix_statements_series", "statements", ["developer_id", "kind", "series", "version"], unique=False)
    op.create_index(op.f("ix_statements_target_sha256"), "statements", ["target_sha256"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.String(length=100), nullable=False),
        sa.Column("standard_version", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["statement_id"], ["statements.id"], name=op.f("fk_findings_statement_id_statements")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(op.f("ix_findings_statement_id"), "findings", ["statement_id"], unique=False)

    _guard_append_only_tables()


def _guard_append_only_tables() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION candor_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'append-only table %: % rejected', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'restrict_violation';
            END
            $$
            """
        )
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION candor_reject_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION candor_reject_change()"
            )
    else:
        for table in APPEND_ONLY_TABLES:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {operation} rejected'); END"
                )


def downgrade() -> None:
    # Dropping the tables drops their triggers too; published history is not meant to be downgraded away.
    for table in ("findings", "statements", "developer_keys", "api_tokens", "log_entries", "documents"):
        op.drop_table(table)
    op.drop_table("developers")
    op.drop_table("checkpoints")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION candor_reject_change()")
