"""The publisher's injectable clock: it dates publications and decides which keys are in force."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.standards import DEFAULT_STANDARD, load_standard
from candor.services.publishing import ForbiddenError, Publisher
from candor.store.developers import Developers
from candor.store.statements import Statements
from candor.testing.publishing import ORIGIN, framework, register, signed


def publisher_at(sessions: sessionmaker[Session], moment: datetime) -> Publisher:
    return Publisher(
        sessions, load_standard(DEFAULT_STANDARD), max_document_bytes=5 * 1024 * 1024, now=lambda: moment, origin=ORIGIN
    )


def test_published_at_comes_from_the_clock(sessions: sessionmaker[Session]) -> None:
    signer = register(sessions, "acme-ai")
    moment = datetime(2099, 5, 26, 14, 5, tzinfo=UTC)
    entry = publisher_at(sessions, moment).publish(signer.token, signed(signer, framework("acme-ai", 1)))
    with sessions() as session:
        assert Statements(session).get(entry.statement_sha256).published_at == moment


def test_the_clock_decides_which_keys_are_in_force(sessions: sessionmaker[Session]) -> None:
    signer = register(sessions, "acme-ai")
    with sessions() as session:
        registered = Developers(session).get("acme-ai").keys[0].valid_from
    before_the_key = registered.replace(year=registered.year - 1)
    with pytest.raises(ForbiddenError, match="no registered key that is in force"):
        publisher_at(sessions, before_the_key).publish(signer.token, signed(signer, framework("acme-ai", 1)))
