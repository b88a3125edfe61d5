"""The publish use case against SQLite and PostgreSQL, with real keys, real documents and real standards."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import public_key_raw
from candor.domain.log_entry import parse_log_entry, signed_entry
from candor.domain.parse import parse_bytes
from candor.domain.statement import Statement, StatementError, StatementKind, version_key
from candor.errors import DocumentError
from candor.services.publishing import (
    ForbiddenError,
    Publication,
    PublishError,
    UnauthenticatedError,
    VersionConflictError,
    statement_for_document,
)
from candor.store.developers import Developers
from candor.store.statements import Statements
from candor.store.tables import Finding, LogEntry
from candor.store.tokens import ApiTokens
from candor.store.vocabulary import TokenScope
from candor.testing.publishing import (
    ORIGIN,
    Signer,
    framework,
    publisher,
    redacted,
    register,
    signed,
    statement_signed,
    withdrawal,
)
from candor.tlog.merkle import leaf_hash
from tests.conftest import EXAMPLES


def test_publishing_stores_document_statement_entry_and_findings(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    publication = signed(acme, framework("acme-ai", 1))
    entry = publisher(sessions).publish(acme.token, publication)
    assert entry.created
    assert entry.log_index == 0
    # The entry logs the signature and key with the statement: the log alone shows who signed it.
    logged = signed_entry(publication.statement_bytes, publication.signature, public_key_raw(acme.key.public_key()))
    assert entry.leaf_hash == leaf_hash(logged)
    assert entry.statement_sha256 == hashlib.sha256(publication.statement_bytes).hexdigest()
    with sessions() as session:
        record = Statements(session).get(entry.statement_sha256)
        assert record.document is not None
        assert record.document.content == publication.document
        assert record.signature == publication.signature
        log_entry = session.get(LogEntry, 0)
        assert log_entry is not None
        assert log_entry.entry == logged
        parse_log_entry(log_entry.entry).verify_signature()
        findings = session.scalars(select(Finding).where(Finding.statement_id == record.id)).all()
    # The example is a complete framework, but the standard still has notices for it; each is stored as found.
    assert all(finding.standard_id == "candor-minimum-2026.1" for finding in findings)


def test_a_failing_document_is_published_with_its_findings(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    # A framework without its CBRN domains still parses, and fails the minimum standard.
    raw = framework("acme-ai", 1).replace(b"cbrn.", b"other:notcbrn-")
    entry = publisher(sessions).publish(acme.token, signed(acme, raw))
    with sessions() as session:
        record = Statements(session).get(entry.statement_sha256)
        severities = {finding.severity for finding in record.findings}
    assert "error" in severities


def test_republishing_identical_bytes_returns_the_existing_entry(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    first = service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    again = service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    # The same document under a statement signed later is the same publication, too.
    later = service.publish(acme.token, signed(acme, framework("acme-ai", 1), minutes=5))
    assert not again.created
    assert not later.created
    assert again.log_index == later.log_index == first.log_index
    with sessions() as session:
        assert session.scalar(select(LogEntry.log_index).order_by(LogEntry.log_index.desc())) == 0


def test_versions_must_increase(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    service.publish(acme.token, signed(acme, framework("acme-ai", 2)))
    with pytest.raises(VersionConflictError, match="does not increase"):
        service.publish(acme.token, signed(acme, framework("acme-ai", 1, supersedes=2)))


def test_a_version_is_never_reused_for_another_document(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    changed = framework("acme-ai", 1) + b"\nA sentence added after publication.\n"
    with pytest.raises(VersionConflictError, match="already published with a different document"):
        service.publish(acme.token, signed(acme, changed))


def test_supersedes_must_name_the_current_version(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    service.publish(acme.token, signed(acme, framework("acme-ai", 2, supersedes=1)))
    with pytest.raises(VersionConflictError, match=r"must supersede the current version 2\.0"):
        service.publish(acme.token, signed(acme, framework("acme-ai", 3, supersedes=1)))
    with pytest.raises(VersionConflictError, match="must supersede"):
        service.publish(acme.token, signed(acme, framework("acme-ai", 3)))
    assert service.publish(acme.token, signed(acme, framework("acme-ai", 3, supersedes=2))).created


def test_the_first_version_supersedes_nothing(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    with pytest.raises(VersionConflictError, match="names no current version"):
        publisher(sessions).publish(acme.token, signed(acme, framework("acme-ai", 2, supersedes=1)))


def test_withdrawal_marks_the_document_withdrawn_and_keeps_it_readable(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    published = service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    withdrawn = service.publish(acme.token, withdrawal(acme, published.statement_sha256))
    assert withdrawn.created
    assert withdrawn.kind == "withdrawal"
    assert withdrawn.log_index == 1
    # Asking again gets the same withdrawal.
    again = service.publish(acme.token, withdrawal(acme, published.statement_sha256, version="withdrawn-2"))
    assert not again.created
    assert again.log_index == withdrawn.log_index
    with sessions() as session:
        statements = Statements(session)
        actions = statements.targeting(published.statement_sha256)
        assert [action.kind for action in actions] == ["withdrawal"]
        assert statements.get(published.statement_sha256).document is not None
    # With its only version withdrawn, the series starts again from nothing current.
    assert service.publish(acme.token, signed(acme, framework("acme-ai", 2))).created


def test_a_withdrawal_must_name_a_published_statement(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    with pytest.raises(PublishError, match="not published"):
        publisher(sessions).publish(acme.token, withdrawal(acme, "0" * 64))


def test_developer_cannot_withdraw_another_developers_statement(sessions: sessionmaker[Session]) -> None:
    acme, rival = register(sessions, "acme-ai"), register(sessions, "rival-ai")
    service = publisher(sessions)
    published = service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    with pytest.raises(ForbiddenError, match="only its developer"):
        service.publish(rival.token, withdrawal(rival, published.statement_sha256))


def test_correction_links_to_an_earlier_statement(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    published = service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    corrected = redacted(framework("acme-ai", 1).replace(b"Acme AI Secure", b"Acme AI's Secure", 1))
    assert corrected is not None
    statement = Statement(
        origin=ORIGIN,
        developer="acme-ai",
        kind=StatementKind.CORRECTION,
        version="1.0",
        document_sha256=corrected.public_sha256,
        sealed_sha256=corrected.sealed_sha256,
        target=published.statement_sha256,
        issued_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    public = corrected.public.source.text.encode()
    entry = service.publish(acme.token, statement_signed(acme, statement, public, corrected.sealed))
    with sessions() as session:
        assert [item.statement_sha256 for item in Statements(session).targeting(published.statement_sha256)] == [
            entry.statement_sha256
        ]


def test_developer_cannot_publish_as_another_developer(sessions: sessionmaker[Session]) -> None:
    acme, rival = register(sessions, "acme-ai"), register(sessions, "rival-ai")
    service = publisher(sessions)
    # The rival's own token, its own key, and a statement in acme's name: refused for the token.
    forged = signed(rival, framework("acme-ai", 1))
    with pytest.raises(ForbiddenError, match="publishes for rival-ai, not for acme-ai"):
        service.publish(rival.token, forged)
    # Even with acme's token (say, stolen), the rival's key does not make acme's signature.
    with pytest.raises(ForbiddenError, match="signature does not verify"):
        service.publish(acme.token, forged)
    with sessions() as session:
        assert session.scalar(select(LogEntry.log_index)) is None


def test_a_statement_with_a_bad_signature_is_refused(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    good = signed(acme, framework("acme-ai", 1))
    flipped = bytes([good.signature[0] ^ 1]) + good.signature[1:]
    with pytest.raises(ForbiddenError, match="signature does not verify"):
        publisher(sessions).publish(acme.token, Publication(good.statement_bytes, flipped, good.document))


def test_a_revoked_key_can_no_longer_publish(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    with sessions.begin() as session:
        developers = Developers(session)
        developers.revoke_key(developers.get("acme-ai").keys[0])
    with pytest.raises(ForbiddenError, match="no registered key that is in force"):
        publisher(sessions).publish(acme.token, signed(acme, framework("acme-ai", 1)))


def test_tokens_are_checked_first(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    garbage = Publication(b'{"type":"candor.statement/v1"}', b"", None)
    publication = signed(acme, framework("acme-ai", 1))
    with pytest.raises(UnauthenticatedError):
        service.publish(None, publication)
    with pytest.raises(UnauthenticatedError):
        service.publish("candor_not-a-real-token", publication)
    with sessions.begin() as session:
        admin_token, _ = ApiTokens(session).issue(TokenScope.ADMIN)
    with pytest.raises(ForbiddenError, match="admin token cannot publish"):
        service.publish(admin_token, publication)
    # Without a token even a malformed statement gets no further than the token check; with one, it is refused.
    with pytest.raises(UnauthenticatedError):
        service.publish(None, garbage)
    with pytest.raises(StatementError):
        service.publish(acme.token, garbage)


def test_a_document_that_does_not_parse_is_refused_with_the_parsers_error(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    raw = framework("acme-ai", 1).replace(b"effective_date:", b"effective_dat:", 1)
    with pytest.raises(DocumentError, match="effective_dat"):
        publisher(sessions).publish(acme.token, signed_unparsed(acme, raw))


def signed_unparsed(signer: Signer, raw: bytes) -> Publication:
    """A statement for a document that does not parse, written out by hand as a careless client would."""
    statement = Statement(
        origin=ORIGIN,
        developer=signer.slug,
        kind=StatementKind.SECURE_DEVELOPMENT_FRAMEWORK,
        version="1.0",
        document_sha256=hashlib.sha256(raw).hexdigest(),
        issued_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    return statement_signed(signer, statement, raw)


def test_the_document_must_be_the_one_the_statement_names(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    good = signed(acme, framework("acme-ai", 1))
    assert good.document is not None
    swapped = Publication(good.statement_bytes, good.signature, good.document + b"\n")
    with pytest.raises(PublishError, match="SHA-256"):
        publisher(sessions).publish(acme.token, swapped)


def test_the_front_matter_must_agree_with_the_statement(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    raw = framework("acme-ai", 1)
    statement = Statement(
        origin=ORIGIN,
        developer="acme-ai",
        kind=StatementKind.SECURE_DEVELOPMENT_FRAMEWORK,
        version="7.0",
        document_sha256=hashlib.sha256(raw).hexdigest(),
        issued_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    with pytest.raises(PublishError, match=r"version is '1\.0', but the statement says '7\.0'"):
        publisher(sessions).publish(acme.token, statement_signed(acme, statement, raw))


def test_version_order_compares_numbers_as_numbers() -> None:
    assert version_key("1.10") > version_key("1.9") > version_key("1.0")
    assert version_key("2026") > version_key("2025.12")


def test_a_model_name_that_cannot_name_a_series_is_reported_not_raised() -> None:
    raw = (EXAMPLES / "acme-ai" / "system-card-acme-3.md").read_bytes().replace(b"name: Acme-3\n", b"name: Acme 3\n", 1)
    with pytest.raises(StatementError, match="series"):
        statement_for_document(parse_bytes("card.md", raw), raw, datetime(2026, 3, 1, tzinfo=UTC), origin=ORIGIN)


def test_a_withdrawal_carries_no_document(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    published = service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    bare = withdrawal(acme, published.statement_sha256)
    with pytest.raises(PublishError, match="carries no document"):
        service.publish(acme.token, Publication(bare.statement_bytes, bare.signature, b""))
