"""The registration use case: every change to a developer's keys is a key event in the log, written in the same
transaction as the key's row, and only the key in force can hand the developer's name to another key.

Each attack comes with its control, in which nothing lies, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import public_key_raw
from candor.domain.key_history import (
    KeyEndorsement,
    KeyEvent,
    KeyEventKind,
    KeyHistoryError,
    endorse_rotation,
    key_text,
    parse_key_event_entry,
)
from candor.domain.log_entry import signed_entry
from candor.errors import ConflictError
from candor.services.integration import LogRefusesError, RegistryLog
from candor.services.publishing import ForbiddenError
from candor.services.registration import Registration, RegistrationError, event_time
from candor.services.verification import check_statement_entries
from candor.store.developers import Developers
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.tables import Developer, DeveloperKey, LogEntry
from candor.store.vocabulary import TokenScope
from candor.testing.publishing import (
    LOG_KEY,
    ORIGIN,
    Signer,
    framework,
    publisher,
    register,
    registration,
    signed,
    statement_indexes,
)
from candor.tlog.tilereader import DirectoryFetcher, TileReader

ROOT = Path(__file__).resolve().parents[2]


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Developer)) or 0,
            session.scalar(select(func.count()).select_from(DeveloperKey)) or 0,
            session.scalar(select(func.count()).select_from(LogEntry)) or 0,
        )


def _entry(sessions: sessionmaker[Session], index: int) -> bytes:
    with sessions() as session:
        row = session.get(LogEntry, index)
        assert row is not None
        return row.entry


def _rotation(signer: Signer, new: Ed25519PrivateKey, *, signed_by: Ed25519PrivateKey | None = None) -> KeyEndorsement:
    event = KeyEvent(
        origin=ORIGIN,
        developer=signer.slug,
        kind=KeyEventKind.ROTATION,
        key=key_text(public_key_raw(new.public_key())),
        previous_key=key_text(public_key_raw(signer.key.public_key())),
        issued_at=event_time(datetime.now(UTC)),
    )
    return endorse_rotation(event, signed_by or signer.key)


def test_registering_logs_the_first_key_signed_by_the_log_key(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    with sessions() as session:
        (key,) = Developers(session).get("acme-ai").keys
    assert key.log_index == 0
    logged = parse_key_event_entry(_entry(sessions, 0))
    assert logged.event.kind is KeyEventKind.REGISTRATION
    assert (logged.event.developer, logged.event.origin) == ("acme-ai", ORIGIN)
    assert logged.event.key_raw == public_key_raw(acme.key.public_key()) == key.public_key
    assert LOG_KEY.verifier().verify(logged.event.canonical_bytes(), logged.registry_signature)


def test_a_failure_between_the_key_row_and_its_event_leaves_neither(sessions: sessionmaker[Session]) -> None:
    def failing_signature(_: bytes) -> bytes:
        raise OSError("the log key could not be read")

    broken = Registration(sessions, origin=ORIGIN, sign=failing_signature)
    key = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(OSError, match="log key"):
        broken.register("acme-ai", legal_name="Acme", website_domain="acme.example", public_key=key, with_token=True)
    assert _counts(sessions) == (0, 0, 0)
    # Control: the same registration with a working log key leaves the developer, its key and its event.
    registration(sessions).register("acme-ai", legal_name="Acme", website_domain="acme.example", public_key=key)
    assert _counts(sessions) == (1, 1, 1)


def test_a_log_that_refuses_to_sign_registers_nothing(sessions: sessionmaker[Session]) -> None:
    def refusing(_: Session) -> None:
        raise LogRefusesError("the log refuses to sign: test")

    refused = Registration(sessions, origin=ORIGIN, sign=LOG_KEY.sign, sequencing_check=refusing)
    key = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(LogRefusesError):
        refused.register("acme-ai", legal_name="Acme", website_domain="acme.example", public_key=key)
    assert _counts(sessions) == (0, 0, 0)


KILLED_WHILE_SIGNING = """
import os, signal, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from candor.services.registration import Registration
from candor.store.database import create_database_engine, session_factory

def sign_then_die(message):
    # The developer and key rows are flushed in this transaction; the event is about to be appended.
    os.kill(os.getpid(), signal.SIGKILL)

sessions = session_factory(create_database_engine(sys.argv[1]))
Registration(sessions, origin="registry.test/log", sign=sign_then_die).register(
    "acme-ai", legal_name="Acme", website_domain="acme.example", public_key=Ed25519PrivateKey.generate().public_key()
)
"""


def test_kill_9_between_the_key_row_and_its_event_leaves_neither(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    script = tmp_path / "child.py"
    script.write_text(KILLED_WHILE_SIGNING)
    child = subprocess.run([sys.executable, str(script), database_url], env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == -signal.SIGKILL
    assert _counts(sessions) == (0, 0, 0)
    # Control: the database is usable, and the same registration succeeds whole.
    register(sessions, "acme-ai")
    assert _counts(sessions) == (1, 1, 1)


def test_a_rotation_endorsed_by_the_previous_key_is_logged_and_retires_it(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    new_key = Ed25519PrivateKey.generate()
    change = registration(sessions).rotate(_rotation(acme, new_key), token=acme.token, slug="acme-ai")
    assert change.kind is KeyEventKind.ROTATION
    logged = parse_key_event_entry(_entry(sessions, change.log_index))
    assert logged.previous_key_signature is not None
    assert LOG_KEY.verifier().verify(logged.event.canonical_bytes(), logged.registry_signature)
    with sessions() as session:
        old, new = Developers(session).get("acme-ai").keys
    assert (old.retired_log_index, new.log_index) == (change.log_index, change.log_index)
    assert old.revoked_at is not None
    assert new.revoked_at is None
    # The new key signs from now on; the old one no longer does.
    rotated = Signer("acme-ai", new_key, acme.token)
    assert service.publish(acme.token, signed(rotated, framework("acme-ai", 2, supersedes=1), minutes=1)).created
    with pytest.raises(ForbiddenError, match="does not verify against any unrevoked key"):
        service.publish(acme.token, signed(acme, framework("acme-ai", 3, supersedes=2), minutes=2))


def test_a_rotation_not_signed_by_the_previous_key_is_refused(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    attacker = Ed25519PrivateKey.generate()
    before = _counts(sessions)
    # The attacker's key endorses itself: the log key would sign anything, so the previous key's signature rules.
    with pytest.raises(ForbiddenError, match="not signed by the previous key"):
        registration(sessions).rotate(_rotation(acme, attacker, signed_by=attacker), token=acme.token, slug="acme-ai")
    # Nor does the operator's own hand make it valid.
    with pytest.raises(ForbiddenError, match="not signed by the previous key"):
        registration(sessions).rotate(_rotation(acme, attacker, signed_by=attacker))
    assert _counts(sessions) == before
    # Control: the same rotation, endorsed by the key in force.
    registration(sessions).rotate(_rotation(acme, attacker))
    assert _counts(sessions) == (before[0], before[1] + 1, before[2] + 1)


def test_one_developer_cannot_rotate_anothers_key(sessions: sessionmaker[Session]) -> None:
    acme, rival = register(sessions, "acme-ai"), register(sessions, "rival-ai")
    new_key = Ed25519PrivateKey.generate()
    before = _counts(sessions)
    # The rival's token against acme's endpoint, with an endorsement the rival cannot make anyway...
    with pytest.raises(ForbiddenError, match="this token acts for rival-ai, not for acme-ai"):
        registration(sessions).rotate(_rotation(acme, new_key), token=rival.token, slug="acme-ai")
    # ...or its own endpoint, handing in acme's rotation (say, a copy it intercepted).
    with pytest.raises(ForbiddenError, match="a rotation of acme-ai's key, not of rival-ai's"):
        registration(sessions).rotate(_rotation(acme, new_key), token=rival.token, slug="rival-ai")
    # ...or a rotation naming acme's key as rival's previous one.
    forged = KeyEvent(
        origin=ORIGIN,
        developer="rival-ai",
        kind=KeyEventKind.ROTATION,
        key=key_text(public_key_raw(new_key.public_key())),
        previous_key=key_text(public_key_raw(acme.key.public_key())),
        issued_at=event_time(datetime.now(UTC)),
    )
    with pytest.raises(ForbiddenError, match="not a key of rival-ai in force"):
        registration(sessions).rotate(endorse_rotation(forged, acme.key), token=rival.token, slug="rival-ai")
    assert _counts(sessions) == before
    # Control: acme's own token and endorsement.
    registration(sessions).rotate(_rotation(acme, new_key), token=acme.token, slug="acme-ai")
    assert _counts(sessions)[2] == before[2] + 1


def test_an_endorsement_for_another_log_or_a_stale_one_is_refused(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    new_key = Ed25519PrivateKey.generate()
    honest = _rotation(acme, new_key).event
    elsewhere = honest.model_copy(update={"origin": "other.example/log"})
    with pytest.raises(RegistrationError, match=r"for the log other\.example/log"):
        registration(sessions).rotate(endorse_rotation(elsewhere, acme.key))
    stale = honest.model_copy(update={"issued_at": event_time(datetime.now(UTC) - timedelta(days=8))})
    with pytest.raises(RegistrationError, match="last 7 days"):
        registration(sessions).rotate(endorse_rotation(stale, acme.key))
    registration(sessions).rotate(endorse_rotation(honest, acme.key))


def test_a_key_is_never_registered_twice(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    rival = register(sessions, "rival-ai")
    # acme endorses a rotation to rival's key: the log would then show one key as two developers'.
    event = _rotation(acme, rival.key).event
    with pytest.raises(ConflictError, match="already registered"):
        registration(sessions).rotate(endorse_rotation(event, acme.key))


def test_a_revoked_keys_later_statement_is_refused(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    # Control: before the revocation the key signs.
    assert service.publish(acme.token, signed(acme, framework("acme-ai", 1))).created
    change = registration(sessions).revoke("acme-ai", acme.key.public_key())
    logged = parse_key_event_entry(_entry(sessions, change.log_index))
    assert logged.event.kind is KeyEventKind.REVOCATION
    with pytest.raises(ForbiddenError, match="no registered key that is in force"):
        service.publish(acme.token, signed(acme, framework("acme-ai", 2, supersedes=1), minutes=1))
    with pytest.raises(ConflictError, match="revoked already"):
        registration(sessions).revoke("acme-ai", acme.key.public_key())


def _pre_0008_developer(sessions: sessionmaker[Session], slug: str, *keys: Ed25519PrivateKey) -> None:
    """A developer as a registry made before key events holds it: keys in the database, none in the log."""
    with sessions.begin() as session:
        developers = Developers(session)
        developer = developers.add(slug, legal_name=slug, website_domain=f"{slug}.example")
        for key in keys:
            developers.add_key(developer, key.public_key())


def test_keys_from_before_key_events_are_logged_once(sessions: sessionmaker[Session]) -> None:
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    _pre_0008_developer(sessions, "acme-ai", first)
    _pre_0008_developer(sessions, "borealis", second, Ed25519PrivateKey.generate())
    logged = registration(sessions).log_keys()
    assert [(change.developer, change.kind, change.log_index) for change in logged.changes] == [
        ("acme-ai", KeyEventKind.REGISTRATION, 0),
        ("borealis", KeyEventKind.REGISTRATION, 1),
    ]
    # borealis's second key cannot be logged without a rotation its first key signs: reported, not invented.
    assert [developer for developer, _ in logged.unlogged] == ["borealis"]
    assert parse_key_event_entry(_entry(sessions, 1)).event.key_raw == public_key_raw(second.public_key())
    # Run again (another server starting): nothing more is logged.
    again = registration(sessions).log_keys()
    assert (again.changes, again.unlogged) == ([], [])
    assert _counts(sessions)[2] == 2


def test_a_key_not_in_the_log_signs_nothing_new(sessions: sessionmaker[Session]) -> None:
    logged_key, unlogged_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    _pre_0008_developer(sessions, "acme-ai", logged_key, unlogged_key)
    registration(sessions).log_keys()
    token = registration(sessions).issue_token("acme-ai", TokenScope.PUBLISH)
    service = publisher(sessions)
    with pytest.raises(ForbiddenError, match="not acme-ai's in the registry's log"):
        service.publish(token, signed(Signer("acme-ai", unlogged_key, token), framework("acme-ai", 1)))
    # Control: the logged key signs.
    assert service.publish(token, signed(Signer("acme-ai", logged_key, token), framework("acme-ai", 1))).created


def test_the_log_of_a_registry_shows_every_statement_signed_by_its_developers_key(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """With the registry's real log key: a rotation, a revocation and statements around them all check out."""
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    acme = register(sessions, "acme-ai", log)
    service = publisher(sessions)
    service.sequencing_check = log.check_sequencing
    service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    new_key = Ed25519PrivateKey.generate()
    registration(sessions, log).rotate(_rotation(acme, new_key), token=acme.token, slug="acme-ai")
    rotated = Signer("acme-ai", new_key, acme.token)
    service.publish(acme.token, signed(rotated, framework("acme-ai", 2, supersedes=1), minutes=1))
    checkpoint = log.integrate()
    reader = TileReader(DirectoryFetcher(log.public), checkpoint.size, checkpoint.root)
    checked = check_statement_entries(reader, log.signer.verifier())
    assert (checked.entries, checked.key_events, checked.attributed, checked.bare) == (4, 2, 2, 0)
    assert statement_indexes(sessions) == [1, 3]


def test_a_statement_forged_under_the_registrys_own_log_key_is_refused_by_the_walk(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The operator (or a thief of the database and the log key) logs a statement in acme's name, signed by a key
    of their own, and signs the tree with the real log key: every checkpoint verifies, and the walk refuses it."""
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    acme = register(sessions, "acme-ai", log)
    service = publisher(sessions)
    service.sequencing_check = log.check_sequencing
    service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    honest = log.integrate()
    reader = TileReader(DirectoryFetcher(log.public), honest.size, honest.root)
    assert check_statement_entries(reader, log.signer.verifier()).attributed == 1  # control
    forger = Ed25519PrivateKey.generate()
    forged = signed(Signer("acme-ai", forger, acme.token), framework("acme-ai", 2, supersedes=1), minutes=1)
    with sessions.begin() as session, log_append_lock(session):
        append_log_entry(
            session, signed_entry(forged.statement_bytes, forged.signature, public_key_raw(forger.public_key()))
        )
    checkpoint = log.integrate()  # the real log key signs the tree that holds it
    reader = TileReader(DirectoryFetcher(log.public), checkpoint.size, checkpoint.root)
    with pytest.raises(KeyHistoryError, match=r"log entry 2: signed in acme-ai's name by key .* never registered"):
        check_statement_entries(reader, log.signer.verifier())
