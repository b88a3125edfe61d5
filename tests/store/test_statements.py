"""Documents and statements: content addressing, consistency checks, series, withdrawals and findings."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.errors import NotFoundError
from candor.store.developers import Developers
from candor.store.documents import Documents, DocumentTooLargeError
from candor.store.errors import StoreError
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.statements import Statements
from tests.store.registry_rows import publish_framework


def test_a_document_is_stored_once_under_its_sha256(sessions: sessionmaker[Session]) -> None:
    content = b"# Framework\n"
    with sessions.begin() as session:
        first = Documents(session).put(content)
        second = Documents(session).put(content)
        assert first is second
    with sessions() as session:
        stored = Documents(session).get(hashlib.sha256(content).hexdigest())
        assert (stored.content, stored.size) == (content, len(content))


def test_a_document_over_the_limit_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(DocumentTooLargeError, match="over the limit"):
        Documents(session).put(b"x" * (MAX_DOCUMENT_BYTES + 1))


def test_an_unknown_document_is_not_found(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(NotFoundError):
        Documents(session).get("0" * 64)


def test_a_published_statement_is_found_by_digest_index_and_series(sessions: sessionmaker[Session]) -> None:
    first = publish_framework(sessions, version="1.0")
    second = publish_framework(sessions, version="2.0")
    with sessions() as session:
        statements = Statements(session)
        record = statements.get(second.statement_sha256)
        assert (record.version, record.log_index, record.document_sha256) == ("2.0", 1, second.document_sha256)
        assert record.log_entry.entry == record.statement_bytes
        at_zero = statements.at_log_index(0)
        assert at_zero is not None
        assert at_zero.statement_sha256 == first.statement_sha256
        developer = Developers(session).get("aurora-labs")
        series = statements.series(developer, StatementKind.SECURE_DEVELOPMENT_FRAMEWORK.value)
        assert [r.version for r in series] == ["1.0", "2.0"]
        assert [r.version for r in statements.by_developer(developer)] == ["2.0", "1.0"]
        assert [r.version for r in statements.latest(limit=1)] == ["2.0"]


def test_a_withdrawal_is_found_from_its_target(sessions: sessionmaker[Session]) -> None:
    published = publish_framework(sessions)
    private_key = Ed25519PrivateKey.generate()
    withdrawal = Statement(
        developer="aurora-labs",
        kind=StatementKind.WITHDRAWAL,
        version="1.0",
        target=published.statement_sha256,
        issued_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    with sessions.begin() as session, log_append_lock(session):
        developers = Developers(session)
        developer = developers.get("aurora-labs")
        key = developers.add_key(developer, private_key.public_key())
        Statements(session).add(
            withdrawal,
            signature=sign_statement(withdrawal, private_key),
            developer=developer,
            key=key,
            log_entry=append_log_entry(session, withdrawal.canonical_bytes()),
            document=None,
        )
    with sessions() as session:
        assert [r.kind for r in Statements(session).targeting(published.statement_sha256)] == ["withdrawal"]


def test_a_statement_cannot_be_recorded_for_another_developer(sessions: sessionmaker[Session]) -> None:
    publish_framework(sessions, slug="aurora-labs")
    private_key = Ed25519PrivateKey.generate()
    claim = Statement(
        developer="aurora-labs",
        kind=StatementKind.CERTIFICATION,
        version="1.0",
        document_sha256=hashlib.sha256(b"cert").hexdigest(),
        issued_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    with sessions.begin() as session, log_append_lock(session):
        developers = Developers(session)
        mallory = developers.add("mallory-ai", legal_name="Mallory", website_domain="mallory.example")
        key = developers.add_key(mallory, private_key.public_key())
        with pytest.raises(StoreError, match="cannot be recorded for 'mallory-ai'"):
            Statements(session).add(
                claim,
                signature=sign_statement(claim, private_key),
                developer=mallory,
                key=key,
                log_entry=append_log_entry(session, claim.canonical_bytes()),
                document=Documents(session).put(b"cert"),
            )


def test_findings_are_kept_with_their_statement(sessions: sessionmaker[Session]) -> None:
    published = publish_framework(sessions)
    with sessions.begin() as session:
        statements = Statements(session)
        statements.add_finding(
            statements.get(published.statement_sha256),
            standard_id="candor-minimal",
            standard_version="1.0.0",
            rule_id="sdf.covers-autonomy",
            severity="error",
            location="front matter: risk_domains",
            message="the framework does not cover misaligned autonomy",
        )
    with sessions() as session:
        findings = Statements(session).get(published.statement_sha256).findings
        assert [(f.rule_id, f.severity) for f in findings] == [("sdf.covers-autonomy", "error")]
