"""Publishing a redacted document with its sealed original, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.parse import parse_bytes
from candor.domain.regulator_keys import generate_regulator_key, regulator_key_fingerprint
from candor.domain.sealing import SealedHeader, seal_original
from candor.domain.standards import DEFAULT_STANDARD, load_standard
from candor.domain.statement import sign_statement
from candor.services.publishing import Publication, Publisher, PublishError, statement_for_document
from candor.services.redacting import RedactedDocument, redact_document
from candor.store.sealed import RETENTION, SealedOriginals
from candor.store.statements import Statements
from candor.store.tables import LogEntry, SealedOriginalRecord
from candor.testing.publishing import ORIGIN, Signer, framework, publisher, register

SECRET = "Our weights sit in the Halden vault"
_CLOCK = datetime(2026, 3, 1, tzinfo=UTC)


def marked(slug: str, version: int = 1) -> bytes:
    raw = framework(slug, version).decode()
    return (raw + f'\n::: redact category=cybersecurity justification="Names a site"\n{SECRET}.\n:::\n').encode()


def redacted(slug: str, version: int = 1) -> RedactedDocument:
    return redact_document(parse_bytes("sdf.md", marked(slug, version)), generate_regulator_key().public_key())


def publication(signer: Signer, document: bytes, sealed: bytes | None, *, names: bytes | None = None) -> Publication:
    """``document`` signed with a statement naming ``names`` (by default ``sealed``) as its sealed original."""
    statement = statement_for_document(
        parse_bytes("doc.md", document), document, _CLOCK, origin=ORIGIN, sealed=names or sealed
    )
    return Publication(statement.canonical_bytes(), sign_statement(statement, signer.key), document, sealed)


def public_bytes(redaction: RedactedDocument) -> bytes:
    return redaction.public.source.text.encode()


def test_the_sealed_original_is_kept_with_its_statement(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    redaction = redacted("acme-ai")
    entry = publisher(sessions).publish(acme.token, publication(acme, public_bytes(redaction), redaction.sealed))
    with sessions() as session:
        record = Statements(session).find(entry.statement_sha256)
        assert record is not None
        kept = SealedOriginals(session).of_statement(record)
        assert kept is not None
        assert kept.content == redaction.sealed
        assert kept.sha256 == redaction.sealed_sha256 == hashlib.sha256(redaction.sealed).hexdigest()
        assert kept.retain_until - kept.stored_at == RETENTION >= timedelta(days=5 * 365)
        assert record.document is not None
        assert SECRET.encode() not in record.document.content


def test_a_statement_naming_other_sealed_bytes_is_refused(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    redaction = redacted("acme-ai")
    sent = publication(acme, public_bytes(redaction), redaction.sealed, names=redaction.sealed + b"!")
    with pytest.raises(PublishError, match="sealed original's SHA-256"):
        publisher(sessions).publish(acme.token, sent)


def test_a_sealed_original_the_statement_does_not_name_is_refused(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    redaction = redacted("acme-ai")
    document = public_bytes(redaction)
    statement = statement_for_document(parse_bytes("doc.md", document), document, _CLOCK, origin=ORIGIN)
    sent = Publication(statement.canonical_bytes(), sign_statement(statement, acme.key), document, redaction.sealed)
    with pytest.raises(PublishError, match="names none in sealed_sha256"):
        publisher(sessions).publish(acme.token, sent)


def test_a_named_sealed_original_must_be_sent(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    redaction = redacted("acme-ai")
    sent = publication(acme, public_bytes(redaction), None, names=redaction.sealed)
    with pytest.raises(PublishError, match="none was sent"):
        publisher(sessions).publish(acme.token, sent)


def test_a_sealed_original_bound_to_another_document_is_refused(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    first, second = redacted("acme-ai"), redacted("acme-ai")
    with pytest.raises(PublishError, match=r"bound to acme-ai secure-development-framework 1\.0"):
        publisher(sessions).publish(acme.token, publication(acme, public_bytes(first), second.sealed))


def test_publishing_the_marked_original_with_a_sealed_copy_is_refused(sessions: sessionmaker[Session]) -> None:
    # Sending the original instead of the public version is refused for its marked passages, before the binding
    # (to the public version's hash) is even read; the registry never stores them.
    acme = register(sessions, "acme-ai")
    redaction = redacted("acme-ai")
    with pytest.raises(PublishError, match="still marked for redaction"):
        publisher(sessions).publish(acme.token, publication(acme, marked("acme-ai"), redaction.sealed))


def test_a_document_still_marked_for_redaction_is_refused_even_when_sealed_to_it(
    sessions: sessionmaker[Session],
) -> None:
    # A hand-made envelope bound to the marked original itself: the passage would be published in clear.
    acme = register(sessions, "acme-ai")
    original = marked("acme-ai")
    key = generate_regulator_key().public_key()
    header = SealedHeader(
        developer="acme-ai",
        kind="secure-development-framework",
        version="1.0",
        public_sha256=hashlib.sha256(original).hexdigest(),
        regulator_key=regulator_key_fingerprint(key),
    )
    sealed = seal_original(header, original, [bytes(32)], key)
    with pytest.raises(PublishError, match="still marked for redaction"):
        publisher(sessions).publish(acme.token, publication(acme, original, sealed))


def test_a_document_still_marked_for_redaction_is_refused_without_a_sealed_original(
    sessions: sessionmaker[Session],
) -> None:
    # The leak this closes: with no sealed original sent, the marked original was once accepted, and its passages
    # were served in full by every download and diff of the append-only log.
    acme = register(sessions, "acme-ai")
    with pytest.raises(
        PublishError, match=r"framework/1\.0:\d+: this passage is still marked for redaction"
    ) as refused:
        publisher(sessions).publish(acme.token, publication(acme, marked("acme-ai"), None))
    assert "candor redact" in (refused.value.hint or "")
    with sessions() as session:
        assert session.scalars(select(LogEntry)).first() is None
        assert session.execute(text("SELECT count(*) FROM documents")).scalar_one() == 0


def test_a_public_version_without_its_sealed_original_is_refused(sessions: sessionmaker[Session]) -> None:
    # Placeholders with nothing sealed behind them would withhold the text from the regulator too, for good.
    acme = register(sessions, "acme-ai")
    public = public_bytes(redacted("acme-ai"))
    with pytest.raises(PublishError, match="placeholder comes without the sealed original") as refused:
        publisher(sessions).publish(acme.token, publication(acme, public, None))
    assert "--sealed" in (refused.value.hint or "")
    with sessions() as session:
        assert session.scalars(select(LogEntry)).first() is None


def test_sealed_originals_cannot_be_rewritten_or_deleted(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    redaction = redacted("acme-ai")
    publisher(sessions).publish(acme.token, publication(acme, public_bytes(redaction), redaction.sealed))
    for sql in (
        "DELETE FROM sealed_originals",
        "UPDATE sealed_originals SET retain_until = stored_at",
        "UPDATE sealed_originals SET content = content",
    ):
        with pytest.raises(DBAPIError), sessions.begin() as session:
            session.execute(text(sql))
    with sessions() as session:
        assert session.scalars(select(SealedOriginalRecord)).one().content == redaction.sealed


def test_a_sealed_original_the_regulator_could_never_open_is_refused(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    regulator, impostor = generate_regulator_key(), generate_regulator_key()
    registry = Publisher(
        sessions,
        load_standard(DEFAULT_STANDARD),
        max_document_bytes=5 * 1024 * 1024,
        regulator_key=regulator_key_fingerprint(regulator.public_key()),
        origin=ORIGIN,
    )
    wrong = redact_document(parse_bytes("sdf.md", marked("acme-ai")), impostor.public_key())
    with pytest.raises(PublishError, match="regulator could never open it") as raised:
        registry.publish(acme.token, publication(acme, public_bytes(wrong), wrong.sealed))
    assert regulator_key_fingerprint(impostor.public_key()) in raised.value.message
    assert regulator_key_fingerprint(regulator.public_key()) in raised.value.message
    right = redact_document(parse_bytes("sdf.md", marked("acme-ai")), regulator.public_key())
    assert registry.publish(acme.token, publication(acme, public_bytes(right), right.sealed)).created
