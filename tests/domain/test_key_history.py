"""Key event entries: one canonical spelling, and a clear one-line error for anything else."""

from __future__ import annotations

import json

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from candor.domain.developer_keys import public_key_raw
from candor.domain.key_history import (
    KeyEvent,
    KeyEventKind,
    is_key_event_entry,
    key_text,
    parse_key_event_entry,
    signed_key_event,
)
from candor.domain.statement import StatementError

LOG_KEY = Ed25519PrivateKey.generate()
EVENT = KeyEvent(
    origin="example.com/log",
    developer="acme-ai",
    kind=KeyEventKind.REGISTRATION,
    key=key_text(public_key_raw(Ed25519PrivateKey.generate().public_key())),
    issued_at="2026-01-01T00:00:00Z",
)
ENTRY = signed_key_event(EVENT, LOG_KEY.sign)


def test_a_key_event_reads_back_as_logged() -> None:
    assert is_key_event_entry(ENTRY)
    logged = parse_key_event_entry(ENTRY)
    assert logged.event == EVENT
    assert logged.previous_key_signature is None
    LOG_KEY.public_key().verify(logged.registry_signature, EVENT.canonical_bytes())
    # The signed bytes hold no newline, so they can never be the text of a signed note (a checkpoint).
    assert b"\n" not in EVENT.canonical_bytes()


def test_a_second_spelling_of_a_key_event_is_refused() -> None:
    with pytest.raises(StatementError, match="canonical"):
        parse_key_event_entry(json.dumps(json.loads(ENTRY), indent=1).encode())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": "x"}, "has no field extra"),
        ({"registry_signature": "AAAA"}, "a signature is 3 bytes"),
        ({"event": {"kind": "key-rotation"}}, "not a valid key event"),
        ({"type": "candor.signed-key-event/v9"}, "not a candor.signed-key-event/v1 entry"),
    ],
)
def test_a_malformed_key_event_gets_a_one_line_error(change: dict[str, object], message: str) -> None:
    fields = json.loads(ENTRY)
    fields.update(change)
    with pytest.raises(StatementError, match=message):
        parse_key_event_entry(rfc8785.dumps(fields), name="log entry 3")


def test_only_a_rotation_names_a_previous_key() -> None:
    with pytest.raises(ValidationError, match="previous_key"):
        KeyEvent.model_validate({**EVENT.model_dump(), "kind": "key-rotation"})
    with pytest.raises(ValidationError, match="previous_key"):
        KeyEvent.model_validate({**EVENT.model_dump(), "previous_key": EVENT.key})
