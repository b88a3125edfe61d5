"""Impostors registering a developer that reads like one already registered, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.confusables import InvisibleCharacterError, read_alike
from candor.errors import ConflictError
from candor.store.developers import Developers
from candor.store.errors import StoreError


def _add(sessions: sessionmaker[Session], slug: str, name: str, domain: str) -> None:
    with sessions.begin() as session:
        Developers(session).add(slug, legal_name=name, website_domain=domain)


@pytest.fixture
def acme(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    _add(sessions, "acme-ai", "Acme AI, Inc.", "acme-ai.example")
    return sessions


@pytest.mark.parametrize(
    ("slug", "name", "domain", "field"),
    [
        ("acrne-ai", "Acrne Labs", "acrne.example", "slug"),  # rn reads as m
        ("other-ai", "Acme AI, Inc.", "other.example", "legal name"),  # the very same name
        ("other-ai", "ACME Al, lnc.", "other.example", "legal name"),  # case, and l for I
        ("other-ai", "acme ai, inc.", "other.example", "legal name"),
        ("other-ai", "Асmе AI, Inc.", "other.example", "legal name"),  # Cyrillic А, с and е
        ("other-ai", "Other Co", "acme-ai.example", "website domain"),  # the same domain
        ("other-ai", "Other Co", "acrne-ai.example", "website domain"),
    ],
)
def test_a_lookalike_of_a_registered_developer_is_refused_naming_it(
    acme: sessionmaker[Session], slug: str, name: str, domain: str, field: str
) -> None:
    with pytest.raises(ConflictError, match=f"the {field} .* of the registered developer 'acme-ai'"):
        _add(acme, slug, name, domain)
    with acme() as session:
        assert [developer.slug for developer in Developers(session).all()] == ["acme-ai"]


@pytest.mark.parametrize(
    ("character", "name"),
    [
        ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
        ("\u2067", "RIGHT-TO-LEFT ISOLATE"),
        ("\u200b", "ZERO WIDTH SPACE"),
        ("\u200d", "ZERO WIDTH JOINER"),
        ("\ufeff", "ZERO WIDTH NO-BREAK SPACE"),
        ("\u00a0", "NO-BREAK SPACE"),
        ("\u0007", "unnamed character"),
    ],
)
def test_a_legal_name_with_characters_that_do_not_show_is_refused(
    sessions: sessionmaker[Session], character: str, name: str
) -> None:
    with pytest.raises(InvisibleCharacterError, match=f"U\\+{ord(character):04X} {name}"):
        _add(sessions, "nova-ai", f"Nova{character} AI", "nova.example")


def test_the_admin_slug_rule_is_the_document_slug_rule(sessions: sessionmaker[Session]) -> None:
    # acme--ai was once registrable, but no document could ever name it.
    for slug in ("acme--ai", "-acme", "acme-", "Acme", "a" * 65):
        with pytest.raises(StoreError, match="slug"):
            _add(sessions, slug, "Nova AI", "nova.example")
    _add(sessions, "a" * 64, "Nova AI", "nova.example")


def test_digits_that_read_as_letters_make_a_lookalike(sessions: sessionmaker[Session]) -> None:
    _add(sessions, "nova-labs", "Nova Labs Ltd", "nova-labs.example")
    with pytest.raises(ConflictError, match="'n0va-1abs' reads like 'nova-labs'"):
        _add(sessions, "n0va-1abs", "N0va", "n0va.example")


def test_developers_that_merely_share_words_are_both_registered(acme: sessionmaker[Session]) -> None:
    _add(acme, "acme-robotics", "Acme Robotics GmbH", "acme-robotics.example")
    assert read_alike("acme AI", "ACRNE Al")
    assert not read_alike("acme-ai", "acme-robotics")
