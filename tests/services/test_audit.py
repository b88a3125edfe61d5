"""The registry audit finds what triggers cannot stop: rows rewritten by whoever holds the database itself.

Each attack tampers with a real registry (real signatures, real tiles, real checkpoints) the way an attacker with
the database file or a superuser would (:mod:`tests.services.tampering`), and the audit must name the row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import public_key_raw
from candor.domain.key_history import KeyEvent, KeyEventKind, key_text, signed_key_event
from candor.services import audit as audit_service
from candor.services.audit import AuditError, AuditFinding, PeriodicAudit, RegistryAudit
from candor.services.integration import RegistryLog
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.tables import Base, DeveloperKey, Document, LogEntry, SealedOriginalRecord, StatementRecord
from candor.tlog.merkle import leaf_hash
from candor.tlog.tiles import TILE_WIDTH, entries_path, tile_path
from tests.dbfixtures import postgresql_only
from tests.services.tampering import rewrite_on_postgresql, tamper
from tests.web.registry import Filled, Registry, fill

ORIGIN = "registry.test/log"


@dataclass
class Audited:
    sessions: sessionmaker[Session]
    data_dir: Path
    database_url: str
    filled: Filled

    def audit(self) -> list[str]:
        found: list[AuditFinding] = []
        report = RegistryAudit(self.sessions, self.data_dir, on_finding=found.append).run()
        assert report.finding_count == len(found)
        return [finding.line() for finding in found]

    def row(self, model: type[Base], key: object, column: str) -> object:
        with self.sessions() as session:
            primary_key = inspect(model).primary_key[0]
            return session.scalar(select(getattr(model, column)).where(primary_key == key))


@pytest.fixture
def registry(sessions: sessionmaker[Session], database_url: str, tmp_path: Path) -> Audited:
    filled = fill(Registry(sessions, RegistryLog(sessions, tmp_path, ORIGIN)))
    return Audited(sessions, tmp_path, database_url, filled)


def _flipped(raw: bytes, at: int = -2) -> bytes:
    """The same bytes with one changed: a tamperer keeps the length, so the size checks still pass."""
    changed = bytearray(raw)
    changed[at] ^= 0x01
    return bytes(changed)


def test_an_untouched_registry_audits_clean(registry: Audited) -> None:
    report = RegistryAudit(registry.sessions, registry.data_dir).run()
    assert report.clean, [finding.line() for finding in report.findings]
    assert report.entries == report.signed_size == registry.filled.log_size
    assert report.statements == len(registry.filled.published)
    with registry.sessions() as session:
        assert report.documents == session.scalar(select(func.count()).select_from(Document)) == 8
        sealed = session.scalar(select(func.count()).select_from(SealedOriginalRecord))
        assert report.sealed_originals == sealed
        assert sealed
    assert report.checkpoints >= report.statements  # one per statement, and the key events before them
    assert report.tiles > 0


def test_a_swapped_document_is_found(registry: Audited) -> None:
    sha256 = registry.filled.published["acme-sdf-2"].document_sha256
    original = registry.row(Document, sha256, "content")
    assert isinstance(original, bytes)
    tampered = _flipped(original)
    tamper(registry.database_url, "documents", "sha256", sha256, "content", tampered)
    assert registry.audit() == [
        f"documents sha256 {sha256}: the content does not hash to its SHA-256: "
        f"expected {sha256}, found {hashlib.sha256(tampered).hexdigest()}"
    ]


def test_a_swapped_sealed_original_is_found(registry: Audited) -> None:
    with registry.sessions() as session:
        sha256 = session.scalars(select(SealedOriginalRecord.sha256).limit(1)).one()
    original = registry.row(SealedOriginalRecord, sha256, "content")
    assert isinstance(original, bytes)
    tamper(registry.database_url, "sealed_originals", "sha256", sha256, "content", _flipped(original))
    (line,) = registry.audit()
    assert line.startswith(f"sealed_originals sha256 {sha256}: the content does not hash to its SHA-256")


def test_a_rewritten_log_entry_is_named_by_its_index(registry: Audited) -> None:
    index = registry.filled.published["acme-card-3"].log_index
    entry = registry.row(LogEntry, index, "entry")
    assert isinstance(entry, bytes)
    # A byte of the version, so that the entry still reads as a statement: another one than the row records.
    at = entry.index(b'"version":"') + len(b'"version":"')
    tamper(registry.database_url, "log_entries", "log_index", index, "entry", _flipped(entry, at))
    lines = registry.audit()
    size = registry.filled.log_size
    signed_in = f"the entry's leaf hash is not the one signed in {tile_path(0, index // TILE_WIDTH, size)}"
    assert any(line.startswith(f"log_entries index {index}: {signed_in}") for line in lines), lines
    assert any(line.startswith(f"log_entries index {index}: the leaf_hash column is not") for line in lines)
    assert any("statement_bytes are not the statement the log entry holds" in line for line in lines), lines
    # The first signed root that no longer matches is named; the later ones are counted on one line.
    assert [line for line in lines if "do not hash to the root of" in line] == [
        line for line in lines if line.startswith(f"log_entries indexes 0 to {index}: the entries do not hash")
    ]
    assert (
        f"log_entries all: the entries do not hash to the roots of {size - index - 1} later checkpoints either" in lines
    )


def test_a_rewritten_statement_column_is_found(registry: Audited) -> None:
    # The pages show the columns, so a column that no longer says what the developer signed is a finding.
    published = registry.filled.published["borealis-sdf-2-weakened"]
    with registry.sessions() as session:
        statement_id = session.scalar(
            select(StatementRecord.id).where(StatementRecord.log_index == published.log_index)
        )
    tamper(registry.database_url, "statements", "id", statement_id, "version", "9.9")
    (line,) = registry.audit()
    assert line.startswith(f"statements id {statement_id} (log index {published.log_index}): version is not")
    assert line.endswith("found 9.9")


def test_a_forged_signature_is_found(registry: Audited) -> None:
    published = registry.filled.published["acme-certification"]
    with registry.sessions() as session:
        statement_id, signature = session.execute(
            select(StatementRecord.id, StatementRecord.signature).where(
                StatementRecord.log_index == published.log_index
            )
        ).one()
    tamper(registry.database_url, "statements", "id", statement_id, "signature", _flipped(signature, 0))
    (line,) = registry.audit()
    assert line.startswith(f"statements id {statement_id} (log index {published.log_index}): the signature does not")


def test_a_tampered_tile_is_found(registry: Audited) -> None:
    size = registry.filled.log_size
    tile = registry.data_dir / "log" / tile_path(0, 0, size)
    tile.write_bytes(_flipped(tile.read_bytes(), 5))
    lines = registry.audit()
    assert lines
    assert all(line.startswith("tiles log/") for line in lines), lines


def test_a_tampered_entry_bundle_is_found(registry: Audited) -> None:
    size = registry.filled.log_size
    bundle = registry.data_dir / "log" / entries_path(0, size)
    bundle.write_bytes(_flipped(bundle.read_bytes(), 40))
    (line,) = registry.audit()
    assert line.startswith(f"tiles log/{entries_path(0, size)}: entry ")


@postgresql_only
def test_a_document_rewritten_with_triggers_disabled_is_found(registry: Audited, database_url: str) -> None:
    sha256 = registry.filled.published["acme-card-3"].document_sha256
    rewrite_on_postgresql(
        database_url,
        "ALTER TABLE documents DISABLE TRIGGER ALL",
        "UPDATE documents SET content = overlay(content placing 'X'::bytea from 5) WHERE sha256 = :sha256",
        "ALTER TABLE documents ENABLE TRIGGER ALL",
        sha256=sha256,
    )
    (line,) = registry.audit()
    assert line.startswith(f"documents sha256 {sha256}: the content does not hash to its SHA-256: expected {sha256}")


@postgresql_only
def test_a_deleted_statement_is_found(registry: Audited, database_url: str) -> None:
    index = registry.filled.published["acme-withdrawal"].log_index
    rewrite_on_postgresql(database_url, "DELETE FROM statements WHERE log_index = :index", index=index)
    assert registry.audit() == [f"statements log index {index}: no statement records this log entry"]


@postgresql_only
def test_a_database_restored_behind_the_served_checkpoint_is_found(registry: Audited, database_url: str) -> None:
    rewrite_on_postgresql(database_url, "DELETE FROM checkpoints WHERE size = (SELECT max(size) FROM checkpoints)")
    lines = registry.audit()
    assert any(line.startswith("checkpoints latest: the served log/checkpoint is signed at size") for line in lines)


def test_an_audit_without_the_log_key_is_refused(registry: Audited, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(AuditError, match="no log key"):
        RegistryAudit(registry.sessions, elsewhere).run()


def test_a_periodic_audit_that_cannot_run_is_reported_not_raised(
    registry: Audited, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    status = PeriodicAudit(registry.sessions, elsewhere, interval=3600).audit_once()
    assert status.state == "failed"
    assert status.error is not None
    assert "holds no log key" in status.error
    assert "AUDIT FAILED" in caplog.text


def test_a_periodic_audit_logs_each_finding(registry: Audited, caplog: pytest.LogCaptureFixture) -> None:
    sha256 = registry.filled.published["acme-sdf-1"].document_sha256
    original = registry.row(Document, sha256, "content")
    assert isinstance(original, bytes)
    tamper(registry.database_url, "documents", "sha256", sha256, "content", _flipped(original))
    status = PeriodicAudit(registry.sessions, registry.data_dir, interval=3600).audit_once()
    assert (status.state, status.finding_count) == ("findings", 1)
    assert f"AUDIT: documents sha256 {sha256}" in caplog.text


@pytest.mark.parametrize("batch_bytes", [1, 10_000])
def test_documents_are_all_checked_whatever_the_batch_size(
    registry: Audited, monkeypatch: pytest.MonkeyPatch, batch_bytes: int
) -> None:
    # Blobs are read in batches of bounded bytes; a batch boundary must not skip or repeat one.
    monkeypatch.setattr(audit_service, "BLOB_BATCH_BYTES", batch_bytes)
    monkeypatch.setattr(audit_service, "ENTRY_CHUNK", 3)
    sha256 = registry.filled.published["corvid-sdf-hostile"].document_sha256
    original = registry.row(Document, sha256, "content")
    assert isinstance(original, bytes)
    tamper(registry.database_url, "documents", "sha256", sha256, "content", _flipped(original))
    report = RegistryAudit(registry.sessions, registry.data_dir).run()
    assert [finding.row for finding in report.findings] == [f"sha256 {sha256}"]
    with registry.sessions() as session:
        assert report.documents == session.scalar(select(func.count()).select_from(Document))
    assert report.entries == registry.filled.log_size
    assert report.statements == len(registry.filled.published)


def test_a_forged_entry_far_beyond_the_log_is_found_without_walking_the_gap(registry: Audited) -> None:
    # Inserting is allowed, so anyone with SQL access can add a row; one at index 10**12 must not stall the audit.
    far = 10**12
    size = registry.filled.log_size
    with registry.sessions.begin() as session:
        session.add(LogEntry(log_index=far, leaf_hash=leaf_hash(b"forged"), entry=b"forged"))
    lines = registry.audit()
    assert lines[0] == f"log_entries indexes {size} to {far - 1}: missing: the log's indexes are dense from 0"
    assert lines[1] == f"statements log index {far}: no statement records this log entry"


def _log_key_event(registry: Audited, entry: bytes) -> None:
    with registry.sessions.begin() as session, log_append_lock(session):
        append_log_entry(session, entry)
    RegistryLog(registry.sessions, registry.data_dir, ORIGIN).integrate()


def _registration(registry: Audited) -> KeyEvent:
    key = Ed25519PrivateKey.generate().public_key()
    return KeyEvent(
        origin=ORIGIN,
        developer="acme-ai",
        kind=KeyEventKind.REGISTRATION,
        key=key_text(public_key_raw(key)),
        issued_at="2026-01-01T00:00:00Z",
    )


def test_a_logged_key_event_is_not_reported_as_an_entry_without_a_statement(registry: Audited) -> None:
    log = RegistryLog(registry.sessions, registry.data_dir, ORIGIN)
    _log_key_event(registry, signed_key_event(_registration(registry), log.signer.sign))
    assert registry.audit() == []


def test_a_malformed_key_event_entry_is_named_by_its_index(registry: Audited) -> None:
    log = RegistryLog(registry.sessions, registry.data_dir, ORIGIN)
    entry = signed_key_event(_registration(registry), log.signer.sign)
    spaced = json.dumps(json.loads(entry), indent=1).encode().replace(b'{\n "event"', b'{"event"', 1)
    _log_key_event(registry, spaced)
    index = registry.filled.log_size
    assert registry.audit() == [
        f"log_entries index {index}: not a key event: log entry {index}: not in RFC 8785 canonical form"
    ]


def test_a_key_row_pointed_at_another_log_entry_is_found(registry: Audited) -> None:
    # The key history pages and API show these rows: one that names a statement as its key event, or another
    # developer's registration, would show a history the log does not hold.
    with registry.sessions() as session:
        acme_key, borealis_key = session.execute(
            select(DeveloperKey.id, DeveloperKey.log_index).order_by(DeveloperKey.id).limit(2)
        ).all()
    assert registry.audit() == []  # control: every key row names its own registration
    statement_index = registry.filled.published["acme-sdf-1"].log_index
    tamper(registry.database_url, "developer_keys", "id", acme_key[0], "log_index", statement_index)
    assert registry.audit() == [
        f"developer_keys id {acme_key[0]}: log_index {statement_index}: the log entry is not a key event"
    ]
    tamper(registry.database_url, "developer_keys", "id", acme_key[0], "log_index", acme_key[1])
    # The database refuses two keys naming one event (a unique index); a retirement naming another's is found.
    tamper(registry.database_url, "developer_keys", "id", acme_key[0], "retired_log_index", borealis_key[1])
    assert registry.audit() == [
        f"developer_keys id {acme_key[0]}: retired_log_index {borealis_key[1]}: the log's key event is a "
        "key-registration of borealis's key, not of this key"
    ]
