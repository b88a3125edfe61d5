"""`candor log verify --statements` walks the log's key events and checks each statement against the developer's keys.

Every attack here is made by whoever holds the log key (the operator, or a thief): they can sign a tree over any
entries, so only what the log key cannot sign (a developer's previous key) or what the log itself shows (which keys
are a developer's at each index) stops them. Each comes with its control, where nothing is forged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.domain.developer_keys import public_key_raw
from candor.domain.key_history import KeyEvent, KeyEventKind, key_text, signed_key_event
from candor.domain.log_entry import signed_entry
from candor.domain.statement import Statement, sign_statement
from candor.tlog.note import Signer, generate_key, parse_signer_key
from tests.cli.test_malicious_registry import candor, forge, refused

ORIGIN = "example.com/log"
LOG = parse_signer_key(generate_key(ORIGIN)[0])
DEVELOPER_KEY = Ed25519PrivateKey.generate()
ATTACKER_KEY = Ed25519PrivateKey.generate()


def _raw(key: Ed25519PrivateKey) -> bytes:
    return public_key_raw(key.public_key())


def key_event(
    kind: KeyEventKind,
    key: Ed25519PrivateKey,
    *,
    previous: Ed25519PrivateKey | None = None,
    signed_by_previous: Ed25519PrivateKey | None = None,
    log: Signer = LOG,
) -> bytes:
    event = KeyEvent(
        origin=ORIGIN,
        developer="acme-ai",
        kind=kind,
        key=key_text(_raw(key)),
        previous_key=None if previous is None else key_text(_raw(previous)),
        issued_at="2026-01-01T00:00:00Z",
    )
    return signed_key_event(event, log.sign, signed_by_previous)


def statement(key: Ed25519PrivateKey, version: str) -> bytes:
    signed = Statement.model_validate_json(
        json.dumps(
            {
                "origin": ORIGIN,
                "developer": "acme-ai",
                "kind": "withdrawal",
                "version": version,
                "target": "a" * 64,
                "issued_at": "2026-01-01T00:00:00Z",
            }
        )
    )
    return signed_entry(signed.canonical_bytes(), sign_statement(signed, key), _raw(key))


def verify_statements(tmp_path: Path, capsys: Any, name: str, entries: list[bytes]) -> Any:
    forge(tmp_path / name, entries, LOG)
    vkey = LOG.verifier().vkey()
    return candor(capsys, "log", "verify", str(tmp_path / name), "--statements", "--vkey", vkey, "--no-state")


REGISTRATION = key_event(KeyEventKind.REGISTRATION, DEVELOPER_KEY)


def test_a_statement_forged_under_a_stolen_log_key_is_reported(tmp_path: Path, capsys: Any) -> None:
    control = verify_statements(tmp_path, capsys, "good", [REGISTRATION, statement(DEVELOPER_KEY, "1")])
    assert control.code == 0, control.err
    forged = verify_statements(tmp_path, capsys, "bad", [REGISTRATION, statement(ATTACKER_KEY, "1")])
    refused(forged, 2, "log entry 1: signed in acme-ai's name by key SHA256:")
    assert "which the log never registered for acme-ai" in forged.err


def test_a_second_registration_cannot_hand_a_developers_name_to_another_key(tmp_path: Path, capsys: Any) -> None:
    again = key_event(KeyEventKind.REGISTRATION, ATTACKER_KEY)
    result = verify_statements(tmp_path, capsys, "bad", [REGISTRATION, again, statement(ATTACKER_KEY, "1")])
    refused(result, 2, "log entry 1: acme-ai already has a key in the log")


def test_a_rotation_not_signed_by_the_previous_key_is_refused(tmp_path: Path, capsys: Any) -> None:
    honest = key_event(KeyEventKind.ROTATION, ATTACKER_KEY, previous=DEVELOPER_KEY, signed_by_previous=DEVELOPER_KEY)
    control = verify_statements(tmp_path, capsys, "good", [REGISTRATION, honest, statement(ATTACKER_KEY, "2")])
    assert control.code == 0, control.err
    self_signed = key_event(
        KeyEventKind.ROTATION, ATTACKER_KEY, previous=DEVELOPER_KEY, signed_by_previous=ATTACKER_KEY
    )
    result = verify_statements(tmp_path, capsys, "bad", [REGISTRATION, self_signed, statement(ATTACKER_KEY, "2")])
    refused(result, 2, "log entry 1: the key-rotation of acme-ai is not signed by the previous key")


def test_a_key_event_not_signed_by_the_log_key_is_refused(tmp_path: Path, capsys: Any) -> None:
    other_log = parse_signer_key(generate_key(ORIGIN)[0])
    unsigned = key_event(KeyEventKind.REGISTRATION, DEVELOPER_KEY, log=other_log)
    result = verify_statements(tmp_path, capsys, "bad", [unsigned])
    refused(result, 2, "log entry 0: the key-registration of acme-ai is not signed by the log key")


def test_a_revoked_keys_later_statement_is_reported(tmp_path: Path, capsys: Any) -> None:
    revocation = key_event(KeyEventKind.REVOCATION, DEVELOPER_KEY)
    before = [REGISTRATION, statement(DEVELOPER_KEY, "1"), revocation]
    control = verify_statements(tmp_path, capsys, "good", before)
    assert control.code == 0, control.err
    result = verify_statements(tmp_path, capsys, "bad", [*before, statement(DEVELOPER_KEY, "2")])
    refused(result, 2, "log entry 3: signed by acme-ai's key SHA256:")
    assert "revoked or replaced at log entry 2" in result.err


def test_a_replaced_keys_later_statement_is_reported(tmp_path: Path, capsys: Any) -> None:
    new_key = Ed25519PrivateKey.generate()
    rotation = key_event(KeyEventKind.ROTATION, new_key, previous=DEVELOPER_KEY, signed_by_previous=DEVELOPER_KEY)
    result = verify_statements(tmp_path, capsys, "bad", [REGISTRATION, rotation, statement(DEVELOPER_KEY, "2")])
    refused(result, 2, "revoked or replaced at log entry 1")


def test_a_developer_the_log_never_registers_a_key_for_is_refused(tmp_path: Path, capsys: Any) -> None:
    # No developer is left unchecked for lack of a key event: a statement with no registration anywhere is forged.
    result = verify_statements(tmp_path, capsys, "bad", [statement(ATTACKER_KEY, "1")])
    refused(result, 2, "log entry 0: signed in acme-ai's name, but the log never registers a key for acme-ai")


def test_a_statement_from_before_its_developers_keys_were_logged_is_checked_against_them(
    tmp_path: Path, capsys: Any
) -> None:
    # A registry made before key events logs its developers' keys when it upgrades, after their old statements.
    control = verify_statements(tmp_path, capsys, "good", [statement(DEVELOPER_KEY, "1"), REGISTRATION])
    assert control.code == 0, control.err
    assert "1 statements signed by their developer's key as the log shows it, 1 key events" in control.out
    forged = verify_statements(tmp_path, capsys, "bad", [statement(ATTACKER_KEY, "1"), REGISTRATION])
    refused(forged, 2, "log entry 0: signed in acme-ai's name by key SHA256:")
    assert "which the log never registered for acme-ai" in forged.err
