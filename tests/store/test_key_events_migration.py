"""Migration 0008 and the upgrade of a registry made before key events: its keys get their events, after its old
statements, and the log then checks those statements against them.

The registry "as it was" is built at the head revision with keys and a statement written straight through the
repositories (no key event), then taken down to 0007, which drops the new columns, and back up: exactly the rows a
registry made before 0008 holds, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import public_key_raw
from candor.domain.key_history import KeyEventKind, KeyHistoryError, parse_key_event_entry
from candor.domain.log_entry import signed_entry
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.services.integration import RegistryLog
from candor.services.registration import Registration
from candor.services.verification import check_statement_entries
from candor.store.developers import Developers
from candor.store.documents import Documents
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.schema import alembic_config, current_revision, find_drift, upgrade_database
from candor.store.statements import Statements
from candor.testing.publishing import ORIGIN, framework
from candor.tlog.tilereader import DirectoryFetcher, TileReader


def _old_registry(sessions: sessionmaker[Session], slug: str, key: Ed25519PrivateKey) -> None:
    """A developer, its key and one signed statement, as a registry before 0008 recorded them: no key event."""
    raw = framework(slug, 1)
    statement = Statement(
        origin=ORIGIN,
        developer=slug,
        kind=StatementKind.SECURE_DEVELOPMENT_FRAMEWORK,
        version="1.0",
        document_sha256=hashlib.sha256(raw).hexdigest(),
        issued_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    signature = sign_statement(statement, key)
    with sessions.begin() as session, log_append_lock(session):
        developers = Developers(session)
        developer = developers.add(slug, legal_name=slug, website_domain=f"{slug}.example")
        row = developers.add_key(developer, key.public_key())
        entry = append_log_entry(session, signed_entry(statement.canonical_bytes(), signature, row.public_key))
        Statements(session).add(
            statement,
            signature=signature,
            developer=developer,
            key=row,
            log_entry=entry,
            document=Documents(session).put(raw),
        )


def test_the_upgrade_logs_the_keys_of_a_registry_made_before_0008(
    migrated_engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    acme_key = Ed25519PrivateKey.generate()
    _old_registry(sessions, "acme-ai", acme_key)
    with migrated_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0007")
    columns = {column["name"] for column in inspect(migrated_engine).get_columns("developer_keys")}
    assert "log_index" not in columns
    upgrade_database(migrated_engine)
    assert current_revision(migrated_engine) == "0008"
    assert find_drift(migrated_engine) == []

    log = RegistryLog(sessions, tmp_path, ORIGIN)
    reader_before = log.integrate()
    # Before its keys are logged, the log cannot vouch for the old statement: the walk refuses it.
    tiles = TileReader(DirectoryFetcher(log.public), reader_before.size, reader_before.root)
    with pytest.raises(KeyHistoryError, match="the log never registers a key for acme-ai"):
        check_statement_entries(tiles, log.signer.verifier())

    logged = Registration.of_log(sessions, log).log_keys()
    assert [(change.developer, change.kind, change.log_index) for change in logged.changes] == [
        ("acme-ai", KeyEventKind.REGISTRATION, 1)
    ]
    with sessions() as session:
        (key,) = Developers(session).get("acme-ai").keys
        assert key.log_index == 1
    checkpoint = log.integrate()
    reader = TileReader(DirectoryFetcher(log.public), checkpoint.size, checkpoint.root)
    registration = parse_key_event_entry(_entry(reader, 1))
    assert registration.event.key_raw == public_key_raw(acme_key.public_key())
    checked = check_statement_entries(reader, log.signer.verifier())
    assert (checked.attributed, checked.key_events, checked.bare) == (1, 1, 0)


def _entry(reader: TileReader, index: int) -> bytes:
    for at, entry in reader.entries(index, index + 1):
        assert at == index
        return entry
    raise AssertionError(f"no entry {index}")


def test_a_forged_statement_of_an_old_registry_is_still_refused_after_the_upgrade(
    migrated_engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    # The statement was signed by a key that the registry's database holds for nobody the log registers: whoever
    # held the log key before the upgrade cannot have it vouched for by the backfill.
    _old_registry(sessions, "acme-ai", Ed25519PrivateKey.generate())
    with sessions.begin() as session:
        # Swap the developer's key row for another key after the statement was logged: the backfill logs this one.
        (key,) = Developers(session).get("acme-ai").keys
        key.public_key = public_key_raw(Ed25519PrivateKey.generate().public_key())
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    Registration.of_log(sessions, log).log_keys()
    checkpoint = log.integrate()
    reader = TileReader(DirectoryFetcher(log.public), checkpoint.size, checkpoint.root)
    with pytest.raises(KeyHistoryError, match=r"log entry 0: signed in acme-ai's name by key .* never registered"):
        check_statement_entries(reader, log.signer.verifier())
