"""Statements: RFC 8785 canonical bytes, strict parsing, and Ed25519 signatures."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.domain.statement import (
    MAX_STATEMENT_BYTES,
    SignatureError,
    Statement,
    StatementError,
    StatementKind,
    parse_statement,
    sign_statement,
    statement_digest,
    verify_statement_signature,
)

DOCUMENT_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  # sha256(b"test")
ISSUED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def framework_statement(**changes: object) -> Statement:
    fields: dict[str, object] = {
        "developer": "aurora-labs",
        "kind": StatementKind.SECURE_DEVELOPMENT_FRAMEWORK,
        "version": "2.0",
        "document_sha256": DOCUMENT_SHA256,
        "supersedes": "1.0",
        "issued_at": ISSUED,
    }
    fields.update(changes)
    return Statement.model_validate(fields)


# --- RFC 8785 itself: the examples the RFC gives ---------------------------------------------------------------


def test_rfc8785_section_3_2_2_example_serialises_as_the_rfc_says() -> None:
    # RFC 8785 §3.2.2: the input object and its canonical form.
    source = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' + (
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert rfc8785.dumps(json.loads(source)) == expected.encode("utf-8")


def test_rfc8785_section_3_2_3_sorts_properties_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3: the property names and the order the RFC gives for their values.
    source = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f602": "Smiley",
        "\u0080": "Control\u007f",
        "\u00f6": "Latin Small Letter O With Diaeresis",
        "\n": "Newline",
    }
    canonical = json.loads(rfc8785.dumps(source))
    assert list(canonical.values()) == [
        "Newline",
        "Carriage Return",
        "One",
        "Control\u007f",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Smiley",
        "Hebrew Letter Dalet With Dagesh",
    ]


@pytest.mark.parametrize(
    ("ieee754_hex", "expected"),
    [
        # RFC 8785 Appendix B: IEEE 754 doubles and their canonical number text.
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af6", "1e+23"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555555", "333333333.3333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_rfc8785_appendix_b_numbers(ieee754_hex: str, expected: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(ieee754_hex))
    assert rfc8785.dumps(number) == expected.encode()


# --- Candor statements ----------------------------------------------------------------------------------------


def test_canonical_bytes_are_sorted_compact_and_leave_out_absent_fields() -> None:
    assert framework_statement().canonical_bytes() == (
        b'{"developer":"aurora-labs","document_sha256":"' + DOCUMENT_SHA256.encode() + b'",'
        b'"issued_at":"2026-03-01T09:30:00Z","kind":"secure-development-framework",'
        b'"supersedes":"1.0","type":"candor.statement/v1","version":"2.0"}'
    )


def test_time_is_normalised_to_utc_whole_seconds() -> None:
    plus_two = timezone(timedelta(hours=2))
    statement = framework_statement(issued_at=datetime(2026, 3, 1, 11, 30, 0, 999_999, tzinfo=plus_two))
    assert statement.issued_at == ISSUED
    assert b'"issued_at":"2026-03-01T09:30:00Z"' in statement.canonical_bytes()


def test_a_time_without_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        framework_statement(issued_at=datetime(2026, 3, 1, 9, 30))


def test_parse_round_trips_canonical_bytes() -> None:
    statement = framework_statement(sealed_sha256="ab" * 32)
    assert parse_statement(statement.canonical_bytes()) == statement


def test_a_reordered_spelling_of_a_signed_statement_is_refused() -> None:
    # Two byte strings for one claim would give two log entries for one signature.
    statement = framework_statement()
    spelled_differently = json.dumps(json.loads(statement.canonical_bytes()), indent=1).encode()
    with pytest.raises(StatementError, match="canonical form"):
        parse_statement(spelled_differently)


def test_an_unknown_field_is_refused() -> None:
    smuggled = json.loads(framework_statement().canonical_bytes()) | {"approved_by_regulator": True}
    with pytest.raises(StatementError, match="approved_by_regulator"):
        parse_statement(rfc8785.dumps(smuggled))


def test_an_unknown_statement_type_is_refused() -> None:
    future = json.loads(framework_statement().canonical_bytes()) | {"type": "candor.statement/v9"}
    with pytest.raises(StatementError, match="unknown statement type"):
        parse_statement(rfc8785.dumps(future))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"developer": "Aurora Labs"}, "developer"),
        ({"document_sha256": "ABC"}, "document_sha256"),
        ({"version": "two point oh"}, "version"),
        ({"kind": "press-release"}, "kind"),
    ],
)
def test_malformed_fields_are_refused(changes: dict[str, object], message: str) -> None:
    raw = json.loads(framework_statement().canonical_bytes()) | changes
    with pytest.raises(StatementError, match=message):
        parse_statement(rfc8785.dumps(raw))


def test_withdrawal_needs_a_target_and_no_document() -> None:
    target = framework_statement().digest()
    withdrawal = Statement(
        developer="aurora-labs", kind=StatementKind.WITHDRAWAL, version="2.0", issued_at=ISSUED, target=target
    )
    assert parse_statement(withdrawal.canonical_bytes()).target == target
    with pytest.raises(ValueError, match="target"):
        Statement(developer="aurora-labs", kind=StatementKind.WITHDRAWAL, version="2.0", issued_at=ISSUED)


def test_a_framework_statement_cannot_carry_a_target_or_omit_its_document() -> None:
    with pytest.raises(ValueError, match="has no target"):
        framework_statement(target="00" * 32)
    with pytest.raises(ValueError, match="document_sha256"):
        framework_statement(document_sha256=None)


def test_an_oversized_statement_is_refused() -> None:
    with pytest.raises(StatementError, match="over the limit"):
        parse_statement(b" " * (MAX_STATEMENT_BYTES + 1))


def test_digest_is_sha256_of_canonical_bytes() -> None:
    statement = framework_statement()
    assert statement.digest() == statement_digest(statement.canonical_bytes())
    assert statement.digest() != framework_statement(version="2.1").digest()


# --- Ed25519 ---------------------------------------------------------------------------------------------------


def test_ed25519_matches_rfc8032_test_vector_2() -> None:
    # RFC 8032 §7.1, TEST 2: one-byte message 0x72.
    key = Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
    )
    expected = bytes.fromhex(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    )
    assert key.sign(b"\x72") == expected
    verify_statement_signature(b"\x72", expected, key.public_key())


def test_a_signed_statement_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    statement = framework_statement()
    signature = sign_statement(statement, key)
    verify_statement_signature(statement.canonical_bytes(), signature, key.public_key())


def test_a_statement_signed_by_another_developer_is_rejected() -> None:
    statement = framework_statement()
    impostor_signature = sign_statement(statement, Ed25519PrivateKey.generate())
    with pytest.raises(SignatureError, match="does not verify"):
        verify_statement_signature(
            statement.canonical_bytes(), impostor_signature, Ed25519PrivateKey.generate().public_key()
        )


def test_a_changed_document_hash_breaks_the_signature() -> None:
    key = Ed25519PrivateKey.generate()
    signature = sign_statement(framework_statement(), key)
    tampered = framework_statement(document_sha256="0" * 64).canonical_bytes()
    with pytest.raises(SignatureError):
        verify_statement_signature(tampered, signature, key.public_key())


def test_a_truncated_signature_is_rejected() -> None:
    key = Ed25519PrivateKey.generate()
    statement = framework_statement()
    with pytest.raises(SignatureError, match="64"):
        verify_statement_signature(statement.canonical_bytes(), sign_statement(statement, key)[:63], key.public_key())


def test_a_statement_logged_before_origins_keeps_its_exact_bytes_and_still_parses() -> None:
    # Its signature and its log entry are over these bytes: adding the field must not change them.
    legacy = framework_statement()
    assert b'"origin"' not in legacy.canonical_bytes()
    assert parse_statement(legacy.canonical_bytes()).origin is None


def test_the_origin_is_signed_so_a_statement_cannot_be_moved_to_another_log() -> None:
    key = Ed25519PrivateKey.generate()
    bound = framework_statement(origin="registry.example/log")
    assert b'"origin":"registry.example/log"' in bound.canonical_bytes()
    signature = sign_statement(bound, key)
    moved = framework_statement(origin="other.example/log")
    with pytest.raises(SignatureError):
        verify_statement_signature(moved.canonical_bytes(), signature, key.public_key())


@pytest.mark.parametrize("origin", ["", "with space", "name+hash", "line\nbreak", "x" * 256])
def test_an_origin_that_no_log_can_have_is_refused(origin: str) -> None:
    raw = json.loads(framework_statement().canonical_bytes())
    with pytest.raises(StatementError, match="origin"):
        parse_statement(rfc8785.dumps({**raw, "origin": origin}))


# --- a withdrawal's reason --------------------------------------------------------------------------------------

#: A withdrawal signed before reasons existed, byte for byte: its signature and log entry are over exactly these.
LEGACY_WITHDRAWAL = (
    b'{"developer":"aurora-labs","issued_at":"2026-03-01T09:30:00Z","kind":"withdrawal","origin":"registry.example/log",'
    b'"target":"' + b"ab" * 32 + b'","type":"candor.statement/v1","version":"2.0"}'
)


def withdrawal(**changes: object) -> Statement:
    fields: dict[str, object] = {
        "origin": "registry.example/log",
        "developer": "aurora-labs",
        "kind": StatementKind.WITHDRAWAL,
        "version": "2.0",
        "target": "ab" * 32,
        "issued_at": ISSUED,
    }
    fields.update(changes)
    return Statement.model_validate(fields)


def test_a_withdrawal_signed_before_reasons_keeps_its_exact_bytes() -> None:
    parsed = parse_statement(LEGACY_WITHDRAWAL)
    assert parsed.reason is None
    assert parsed.canonical_bytes() == LEGACY_WITHDRAWAL
    assert withdrawal().canonical_bytes() == LEGACY_WITHDRAWAL


def test_a_withdrawal_reason_is_signed_with_the_statement() -> None:
    key = Ed25519PrivateKey.generate()
    given = withdrawal(reason="The card overstated the model's refusal rate — see the corrected card.")
    assert '"reason":"The card overstated the model\'s refusal rate — see the corrected card."'.encode() in (
        given.canonical_bytes()
    )
    assert parse_statement(given.canonical_bytes()) == given
    signature = sign_statement(given, key)
    verify_statement_signature(given.canonical_bytes(), signature, key.public_key())
    # Another reason under the same signature is a forgery; so is the reason taken away.
    for altered in (withdrawal(reason="A softer reason."), withdrawal()):
        with pytest.raises(SignatureError):
            verify_statement_signature(altered.canonical_bytes(), signature, key.public_key())


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "at least 1 character"),
        ("x" * 1001, "at most 1000 characters"),
        ("first line\nforged second line", "pattern"),
        ("bell\x07", "pattern"),
        ("delete\x7f", "pattern"),
        (" padded", "leading or trailing spaces"),
    ],
)
def test_a_reason_that_is_not_one_plain_line_is_refused(reason: str, message: str) -> None:
    raw = json.loads(withdrawal().canonical_bytes())
    with pytest.raises(StatementError, match=message):
        parse_statement(rfc8785.dumps({**raw, "reason": reason}))


def test_only_a_withdrawal_gives_a_reason() -> None:
    with pytest.raises(ValueError, match="only a withdrawal gives a reason"):
        framework_statement(reason="Because.")
    assert withdrawal(reason="x" * 1000).reason == "x" * 1000
