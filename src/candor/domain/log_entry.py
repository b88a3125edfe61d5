"""What one entry of the log holds: a signed statement, so that anyone holding only the log can check who signed it.

Two forms, told apart by their ``type``:

- ``candor.signed-statement/v1`` (every new entry): an RFC 8785 canonical JSON envelope holding the statement
  (as a JSON object, itself canonical, so its canonical bytes are exactly what the developer signed), the
  developer's Ed25519 signature over those bytes and the raw public key it verifies with, both in base64;
- ``candor.statement/v1`` (entries logged before the envelope existed): the bare canonical statement. These stay
  readable and verifiable where they are, with the signature the registry serves beside them.

A statement's id (``statement_sha256``) is the digest of the statement's canonical bytes in both forms, so
withdrawals, corrections and links name a statement the same way whichever form logged it. The format is documented
in ``docs/formats.md``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Final

import rfc8785

from candor.domain.developer_keys import PUBLIC_KEY_BYTES, public_key_from_raw
from candor.domain.statement import (
    MAX_STATEMENT_BYTES,
    SIGNATURE_BYTES,
    STATEMENT_TYPE,
    SignatureError,
    Statement,
    StatementError,
    parse_statement,
    verify_statement_signature,
)

#: The type tag of the envelope that logs a statement with its signature and key.
SIGNED_STATEMENT_TYPE: Final = "candor.signed-statement/v1"

#: The largest envelope: the largest statement plus the signature, the key and the envelope's own fields, far below
#: the 65,535 bytes a tlog-tiles entry bundle allows.
MAX_ENTRY_BYTES: Final = MAX_STATEMENT_BYTES + 512

_ENVELOPE_FIELDS: Final = frozenset({"type", "statement", "signature", "key"})


@dataclass(frozen=True)
class LoggedStatement:
    """One entry of the log, read: the statement, its canonical bytes, and (in an envelope) its signature and key.

    ``signature`` and ``public_key`` are None for an entry logged before the envelope existed.
    """

    statement: Statement
    statement_bytes: bytes
    signature: bytes | None = None
    public_key: bytes | None = None

    @property
    def is_signed(self) -> bool:
        """Whether the entry itself carries the developer's signature."""
        return self.signature is not None

    def verify_signature(self, *, name: str = "log entry") -> None:
        """Raise :class:`~candor.domain.statement.SignatureError` unless the logged signature verifies with the
        logged key (a bare statement has nothing to check here)."""
        if self.signature is None or self.public_key is None:
            return
        try:
            verify_statement_signature(self.statement_bytes, self.signature, public_key_from_raw(self.public_key))
        except SignatureError as exc:
            raise SignatureError(
                f"{name}: the signature it logs does not verify with the key it logs",
                hint="an entry forged by whoever holds the log key, or altered after signing",
            ) from exc


def signed_entry(statement_bytes: bytes, signature: bytes, public_key: bytes) -> bytes:
    """The log entry that records ``statement_bytes`` (canonical) with its ``signature`` and raw ``public_key``."""
    if len(signature) != SIGNATURE_BYTES or len(public_key) != PUBLIC_KEY_BYTES:
        raise StatementError("an envelope holds a 64-byte Ed25519 signature and a 32-byte public key")
    envelope = {
        "type": SIGNED_STATEMENT_TYPE,
        "statement": json.loads(statement_bytes),
        "signature": base64.b64encode(signature).decode("ascii"),
        "key": base64.b64encode(public_key).decode("ascii"),
    }
    encoded: bytes = rfc8785.dumps(envelope)
    return encoded


def parse_log_entry(entry: bytes, *, name: str = "log entry") -> LoggedStatement:
    """Read one log entry of either form; :class:`StatementError` unless it is exactly a canonical one.

    Only the form is checked here; :meth:`LoggedStatement.verify_signature` checks the signature.
    """
    if len(entry) > MAX_ENTRY_BYTES:
        raise StatementError(f"{name}: {len(entry):,} bytes, over the limit of {MAX_ENTRY_BYTES:,} bytes")
    try:
        raw: Any = json.loads(entry.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StatementError(f"{name}: not UTF-8 JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise StatementError(f"{name}: must be a JSON object")
    if raw.get("type") == STATEMENT_TYPE:
        return LoggedStatement(parse_statement(entry, name=name), entry)
    if raw.get("type") != SIGNED_STATEMENT_TYPE:
        raise StatementError(
            f"{name}: unknown entry type {raw.get('type')!r}",
            hint=f"expected {SIGNED_STATEMENT_TYPE} (or {STATEMENT_TYPE} for an entry logged before it)",
        )
    if set(raw) != _ENVELOPE_FIELDS:
        raise StatementError(f"{name}: an envelope holds exactly the fields {', '.join(sorted(_ENVELOPE_FIELDS))}")
    if not isinstance(raw["statement"], dict):
        raise StatementError(f"{name}: statement: must be a JSON object")
    signature = _base64_field(raw, "signature", SIGNATURE_BYTES, name)
    public_key = _base64_field(raw, "key", PUBLIC_KEY_BYTES, name)
    try:
        statement_bytes: bytes = rfc8785.dumps(raw["statement"])
    except rfc8785.CanonicalizationError as exc:
        raise StatementError(f"{name}: statement: cannot be put in canonical form ({exc})") from exc
    statement = parse_statement(statement_bytes, name=f"{name}: statement")
    # One signed claim, one entry: any other spelling of the envelope (or a non-canonical base64) is refused.
    if signed_entry(statement_bytes, signature, public_key) != entry:
        raise StatementError(f"{name}: not in RFC 8785 canonical form")
    return LoggedStatement(statement, statement_bytes, signature, public_key)


def _base64_field(raw: dict[str, Any], field: str, size: int, name: str) -> bytes:
    value = raw[field]
    try:
        if not isinstance(value, str):
            raise ValueError("not a string")
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError, binascii.Error) as exc:
        raise StatementError(f"{name}: {field}: not base64 ({exc})") from exc
    if len(decoded) != size:
        raise StatementError(f"{name}: {field}: {len(decoded)} bytes; an Ed25519 {field} is {size}")
    return decoded
