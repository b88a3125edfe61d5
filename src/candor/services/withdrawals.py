"""Why a developer withdrew a statement, read from the withdrawal it signed.

The reason lives only in the signed statement (an optional field, see ``docs/statements.md``), never in a column
of its own: the page shows what the log holds, and a registry cannot change it without breaking the signature and
the log's root.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.key_history import is_key_event_entry
from candor.domain.log_entry import parse_log_entry
from candor.domain.statement import StatementKind
from candor.store.log_entries import log_entries


def withdrawal_reason(sessions: sessionmaker[Session], log_index: int) -> str | None:
    """The reason the withdrawal at ``log_index`` gives; None if it gives none or the entry is no withdrawal."""
    with sessions() as session:
        found = log_entries(session, log_index, log_index + 1)
        entry = found[0].entry if found else None
    if entry is None or is_key_event_entry(entry):
        return None
    statement = parse_log_entry(entry, name=f"log entry {log_index}").statement
    return statement.reason if statement.kind is StatementKind.WITHDRAWAL else None
