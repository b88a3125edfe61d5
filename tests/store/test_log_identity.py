"""The log's key identity, recorded once: rewriting it would let a second key sign for the same entries."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from candor.store.log_entries import log_append_lock, log_identity, record_log_identity


def _record(sessions: sessionmaker[Session], key_id: str) -> None:
    with sessions.begin() as session, log_append_lock(session):
        record_log_identity(session, origin="registry.test/log", key_id=key_id, vkey=f"registry.test/log+{key_id}+AQ")


def test_control_the_identity_is_recorded_once_and_read_back(sessions: sessionmaker[Session]) -> None:
    _record(sessions, "0badc0de")
    with sessions() as session:
        identity = log_identity(session)
    assert identity is not None
    assert identity.key_id == "0badc0de"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE log_identity SET vkey = 'registry.test/log+12345678+AQ', key_id = '12345678'",
        "DELETE FROM log_identity",
    ],
)
def test_rewriting_or_deleting_the_recorded_key_is_rejected(sessions: sessionmaker[Session], sql: str) -> None:
    _record(sessions, "0badc0de")
    with pytest.raises(DBAPIError), sessions.begin() as session:
        session.execute(text(sql))
    with sessions() as session:
        identity = log_identity(session)
    assert identity is not None
    assert identity.key_id == "0badc0de"


def test_a_second_identity_row_is_rejected(sessions: sessionmaker[Session]) -> None:
    _record(sessions, "0badc0de")
    with pytest.raises(DBAPIError), sessions.begin() as session:
        session.execute(
            text(
                "INSERT INTO log_identity (id, origin, key_id, vkey, recorded_at) "
                "VALUES (2, 'o', 'k', 'v', '2026-01-01')"
            )
        )
