"""A developer's key history, as the registry serves it: each key, when it was in force, and the key events in the
log that made it the developer's and retired it.

The kinds and times shown are read from the logged key events themselves, not from the database's rows alone, so
the page and the API say what the log says; a reader checks them against the log with ``candor log verify
--statements``, which walks the same events.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import key_fingerprint, public_key_from_raw
from candor.domain.key_history import KeyEventKind, parse_key_event_entry
from candor.errors import NotFoundError
from candor.store.developers import Developers
from candor.store.log_entries import log_entries


@dataclass(frozen=True)
class KeyEventView:
    """A key event in the log: where, what, and when the registry issued it."""

    log_index: int
    kind: KeyEventKind
    issued_at: str


@dataclass(frozen=True)
class KeyView:
    """One of a developer's keys."""

    fingerprint: str
    #: The raw Ed25519 public key, base64, as key events and log entries write it.
    public_key: str
    valid_from: datetime
    #: When it stopped signing (revoked, or replaced by a rotation); None while in force.
    valid_to: datetime | None
    #: The key event that made it the developer's; None for a key from before key events, not in the log.
    registered_by: KeyEventView | None
    retired_by: KeyEventView | None

    @property
    def in_force(self) -> bool:
        return self.valid_to is None


def key_history(sessions: sessionmaker[Session], slug: str) -> list[KeyView]:
    """The developer's keys, oldest first; :class:`NotFoundError` if ``slug`` is not registered."""
    with sessions() as session:
        developers = Developers(session)
        keys = developers.key_history(developers.get(slug))
        return [
            KeyView(
                fingerprint=f"SHA256:{key_fingerprint(public_key_from_raw(key.public_key))}",
                public_key=base64.b64encode(key.public_key).decode("ascii"),
                valid_from=key.valid_from,
                valid_to=key.revoked_at,
                registered_by=_event(session, key.log_index),
                retired_by=_event(session, key.retired_log_index),
            )
            for key in keys
        ]


def _event(session: Session, log_index: int | None) -> KeyEventView | None:
    if log_index is None:
        return None
    entry = log_entry_bytes(session, log_index)
    logged = parse_key_event_entry(entry, name=f"log entry {log_index}")
    return KeyEventView(log_index, logged.event.kind, logged.event.issued_at)


def log_entry(sessions: sessionmaker[Session], log_index: int) -> bytes:
    """The exact bytes of the log's entry at ``log_index`` (a statement envelope or a key event)."""
    with sessions() as session:
        return log_entry_bytes(session, log_index)


def log_entry_bytes(session: Session, log_index: int) -> bytes:
    rows = log_entries(session, log_index, log_index + 1)
    if not rows:
        raise NotFoundError(f"the log has no entry {log_index}")
    return rows[0].entry
