"""Log entries: the signed envelope every new entry is, and the bare statements logged before it, both readable."""

from __future__ import annotations

import base64
import json

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.domain.developer_keys import public_key_raw
from candor.domain.log_entry import SIGNED_STATEMENT_TYPE, parse_log_entry, signed_entry
from candor.domain.statement import SignatureError, StatementError, sign_statement, statement_digest
from tests.domain.test_statement import framework_statement

KEY = Ed25519PrivateKey.generate()
STATEMENT = framework_statement(origin="registry.example/log")
STATEMENT_BYTES = STATEMENT.canonical_bytes()
SIGNATURE = sign_statement(STATEMENT, KEY)
ENTRY = signed_entry(STATEMENT_BYTES, SIGNATURE, public_key_raw(KEY.public_key()))


def test_an_envelope_gives_back_the_exact_statement_bytes_signature_and_key() -> None:
    logged = parse_log_entry(ENTRY)
    assert logged.statement == STATEMENT
    assert logged.statement_bytes == STATEMENT_BYTES
    assert logged.signature == SIGNATURE
    assert logged.public_key == public_key_raw(KEY.public_key())
    logged.verify_signature()
    # The statement's id is its own digest whichever form logged it, so withdrawals name it the same way.
    assert statement_digest(logged.statement_bytes) == STATEMENT.digest()
    # A reader scanning for a target finds the bare hex digest inside the envelope, as inside a bare statement.
    assert json.loads(ENTRY)["type"] == SIGNED_STATEMENT_TYPE


def test_an_entry_logged_before_the_envelope_stays_readable() -> None:
    logged = parse_log_entry(STATEMENT_BYTES)
    assert logged.statement == STATEMENT
    assert not logged.is_signed
    logged.verify_signature()  # nothing logged to check; the registry serves the signature beside it


def test_a_forged_signature_in_the_log_is_caught_from_the_log_alone() -> None:
    forged = signed_entry(STATEMENT_BYTES, bytes(64), public_key_raw(KEY.public_key()))
    with pytest.raises(SignatureError):
        parse_log_entry(forged).verify_signature()


def test_a_signature_by_another_key_than_the_logged_one_is_caught() -> None:
    other = Ed25519PrivateKey.generate()
    swapped = signed_entry(STATEMENT_BYTES, SIGNATURE, public_key_raw(other.public_key()))
    with pytest.raises(SignatureError):
        parse_log_entry(swapped).verify_signature()


def test_a_second_spelling_of_the_same_envelope_is_refused() -> None:
    # Two byte strings, two leaves, for one signed claim: the reader accepts only the canonical one.
    spaced = json.dumps(json.loads(ENTRY), indent=1).encode()
    with pytest.raises(StatementError, match="canonical"):
        parse_log_entry(spaced)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": "x"}, "exactly the fields"),
        ({"statement": "not an object"}, "statement: must be a JSON object"),
        ({"signature": "***"}, "signature: not base64"),
        ({"key": base64.b64encode(bytes(31)).decode()}, "key: 31 bytes"),
        ({"type": "candor.signed-statement/v9"}, "unknown entry type"),
        ({"statement": {"type": "candor.statement/v1"}}, "log entry: statement: developer"),
    ],
)
def test_a_malformed_envelope_gets_a_one_line_error_naming_the_field(change: dict[str, object], message: str) -> None:
    fields = json.loads(ENTRY)
    fields.update(change)
    with pytest.raises(StatementError, match=message):
        parse_log_entry(rfc8785.dumps(fields), name="log entry")


def test_an_oversized_or_non_json_entry_is_refused_before_parsing() -> None:
    with pytest.raises(StatementError, match="over the limit"):
        parse_log_entry(b"{" * 70_000)
    with pytest.raises(StatementError, match="not UTF-8 JSON"):
        parse_log_entry(b"\xff")
    with pytest.raises(StatementError, match="JSON object"):
        parse_log_entry(b"[]")
