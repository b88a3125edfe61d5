"""API tokens: random, stored only as hashes, checked in constant time, revocable."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from candor.store.developers import Developers
from candor.store.errors import StoreError
from candor.store.tables import TokenScope
from candor.store.tokens import TOKEN_PREFIX, ApiTokens


def issue_publish_token(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as session:
        developer = Developers(session).add("aurora-labs", legal_name="Aurora Labs", website_domain="aurora.example")
        token, _ = ApiTokens(session).issue(TokenScope.PUBLISH, developer)
    return token


def test_a_token_is_stored_only_as_its_sha256(sessions: sessionmaker[Session]) -> None:
    token = issue_publish_token(sessions)
    with sessions() as session:
        rows = session.execute(text("SELECT * FROM api_tokens")).mappings().all()
    assert len(rows) == 1
    stored = bytes(rows[0]["token_sha256"])
    assert stored == hashlib.sha256(token.encode()).digest()
    # Nothing in the row is the token or contains it.
    for value in rows[0].values():
        assert token not in str(value)
        assert token.encode() != value


def test_tokens_are_long_and_random(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first, _ = ApiTokens(session).issue(TokenScope.ADMIN)
        second, _ = ApiTokens(session).issue(TokenScope.ADMIN)
    assert first != second
    assert first.startswith(TOKEN_PREFIX)
    assert len(first) - len(TOKEN_PREFIX) >= 43  # 32 bytes in URL-safe base64


def test_the_right_token_authenticates_as_its_developer(sessions: sessionmaker[Session]) -> None:
    token = issue_publish_token(sessions)
    with sessions() as session:
        row = ApiTokens(session).authenticate(token)
        assert row is not None
        assert row.scope == TokenScope.PUBLISH
        assert row.developer is not None
        assert row.developer.slug == "aurora-labs"


@pytest.mark.parametrize("mangle", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t[:-1], str.upper])
def test_a_wrong_token_is_rejected(sessions: sessionmaker[Session], mangle: Callable[[str], str]) -> None:
    token = issue_publish_token(sessions)
    with sessions() as session:
        assert ApiTokens(session).authenticate(mangle(token)) is None


def test_presenting_the_stored_hash_as_a_token_is_rejected(sessions: sessionmaker[Session]) -> None:
    token = issue_publish_token(sessions)
    with sessions() as session:
        assert ApiTokens(session).authenticate(hashlib.sha256(token.encode()).hexdigest()) is None


def test_a_revoked_token_is_rejected(sessions: sessionmaker[Session]) -> None:
    token = issue_publish_token(sessions)
    with sessions.begin() as session:
        tokens = ApiTokens(session)
        row = tokens.authenticate(token)
        assert row is not None
        tokens.revoke(row)
    with sessions() as session:
        assert ApiTokens(session).authenticate(token) is None


def test_the_final_check_is_constant_time(sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_publish_token(sessions)
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    # tokens.py looks compare_digest up on the hmac module at each call, so the spy sees its comparison.
    monkeypatch.setattr(hmac, "compare_digest", spy)
    with sessions() as session:
        assert ApiTokens(session).authenticate(token) is not None
    assert compared == [(hashlib.sha256(token.encode()).digest(),) * 2]


def test_a_publish_token_must_belong_to_a_developer(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(StoreError, match="belong to a developer"):
        ApiTokens(session).issue(TokenScope.PUBLISH)
