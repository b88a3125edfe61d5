"""Make the findings recorded at publication append-only, like the rest of published history.

The registry no longer shows stored findings: it recomputes each standard's findings from the signed document (see
``candor.services.findings``). The rows written at publication stay as the record of what the publisher was told,
and no interface may rewrite or delete them, so the same guard as migration 0001's applies to them.

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "findings"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # candor_reject_change() is the function migration 0001 created for the other append-only tables.
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {_TABLE}_append_only ON {_TABLE}")
        op.execute(f"DROP TRIGGER {_TABLE}_no_truncate ON {_TABLE}")
    else:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER {_TABLE}_no_{operation}")
