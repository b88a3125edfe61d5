"""The registry's revision: what every page built from the database depends on.

Statements, their findings, withdrawals and documents only ever arrive with a new log entry, checkpoints only
with a larger size, and developers are only ever added, so equal revisions mean equal pages.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from candor.store.tables import Checkpoint, Developer, LogEntry

# Asked on every request (web/conditional.py): a select built once, run on the connection, which skips the ORM's
# statement handling, costs a third of building it each time through the session.
_REVISION = select(
    select(func.coalesce(func.max(LogEntry.log_index) + 1, 0)).scalar_subquery(),
    select(func.coalesce(func.max(Checkpoint.size), 0)).scalar_subquery(),
    select(func.count(Developer.id)).scalar_subquery(),
)


def registry_revision(session: Session) -> tuple[int, int, int]:
    """The log's size, the signed size and the number of developers, in one round trip."""
    row = session.connection().execute(_REVISION).one()
    return (int(row[0]), int(row[1]), int(row[2]))
