"""Developers and their keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from candor.errors import ConflictError, NotFoundError
from candor.store.developers import Developers
from candor.store.errors import StoreError

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_developer_is_registered_and_found(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        Developers(session).add("acme-ai", legal_name="Acme AI Inc.", website_domain="ACME.example.")
    with sessions() as session:
        developer = Developers(session).get("acme-ai")
        assert (developer.legal_name, developer.website_domain, developer.status) == (
            "Acme AI Inc.",
            "acme.example",
            "active",
        )
        assert developer.registered_at.tzinfo is not None
        assert [d.slug for d in Developers(session).all()] == ["acme-ai"]


def test_registering_a_taken_slug_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        Developers(session).add("acme-ai", legal_name="Acme AI Inc.", website_domain="acme.example")
    with sessions.begin() as session, pytest.raises(ConflictError, match="already registered"):
        Developers(session).add("acme-ai", legal_name="Impostor", website_domain="impostor.example")


@pytest.mark.parametrize(
    ("slug", "domain", "message"),
    [("Acme AI", "acme.example", "slug"), ("acme", "not a domain", "website domain"), ("-acme", "a.example", "slug")],
)
def test_malformed_registrations_are_refused(
    sessions: sessionmaker[Session], slug: str, domain: str, message: str
) -> None:
    with sessions.begin() as session, pytest.raises(StoreError, match=message):
        Developers(session).add(slug, legal_name="Acme", website_domain=domain)


def test_an_unknown_developer_is_not_found(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(NotFoundError, match="nobody"):
        Developers(session).get("nobody")


def test_one_key_cannot_serve_two_developers(sessions: sessionmaker[Session]) -> None:
    shared = Ed25519PrivateKey.generate().public_key()
    with sessions.begin() as session:
        developers = Developers(session)
        developers.add_key(developers.add("acme-ai", legal_name="Acme", website_domain="acme.example"), shared)
    with sessions.begin() as session:
        developers = Developers(session)
        other = developers.add("other-ai", legal_name="Other", website_domain="other.example")
        with pytest.raises(ConflictError, match="already registered"):
            developers.add_key(other, shared)


def test_keys_are_valid_from_their_start_until_revoked(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        developers = Developers(session)
        developer = developers.add("acme-ai", legal_name="Acme", website_domain="acme.example")
        old = developers.add_key(developer, Ed25519PrivateKey.generate().public_key(), valid_from=T0)
        new = developers.add_key(developer, Ed25519PrivateKey.generate().public_key(), valid_from=T0 + timedelta(30))
        developers.revoke_key(old, at=T0 + timedelta(31))
        old_id, new_id = old.id, new.id
    with sessions() as session:
        developers = Developers(session)
        developer = developers.get("acme-ai")
        assert [k.id for k in developers.keys_valid_at(developer, T0 - timedelta(1))] == []
        assert [k.id for k in developers.keys_valid_at(developer, T0 + timedelta(1))] == [old_id]
        assert [k.id for k in developers.keys_valid_at(developer, T0 + timedelta(30))] == [old_id, new_id]
        assert [k.id for k in developers.keys_valid_at(developer, T0 + timedelta(40))] == [new_id]
