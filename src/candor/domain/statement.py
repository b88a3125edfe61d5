"""The statement: what a developer signs and what becomes one entry of the public log.

A statement is a small JSON object in RFC 8785 canonical form (sorted keys, no whitespace, fixed number and
string forms), so that the developer's client and the registry produce the very same bytes. Those bytes are
signed with the developer's Ed25519 key and appended to the log as they are.

Optional fields that are absent (None) are left out of the canonical form. This keeps room for later fields
(such as ``sealed_sha256`` for a redacted original) without changing the bytes of statements made before them.

``origin`` names the log a statement is for (the first line of that log's checkpoints), so that a signed
statement cannot be replayed into another registry that holds the same developer key. Statements logged before the
field existed lack it and stay valid where they are; a registry refuses any new one that lacks it or names
another log. The format is documented in ``docs/statements.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, field_validator, model_validator

from candor.domain.slugs import DEVELOPER_SLUG_PATTERN, MAX_SLUG_CHARS
from candor.errors import CandorError

#: The type tag every version-1 statement carries; a reader refuses tags it does not know.
STATEMENT_TYPE: Final = "candor.statement/v1"

#: The largest canonical statement, in bytes. A tlog-tiles entry bundle prefixes each entry with a 16-bit
#: length, so an entry can never exceed 65,535 bytes; statements stay far below that.
MAX_STATEMENT_BYTES = 16 * 1024

#: An Ed25519 signature is always 64 bytes (RFC 8032).
SIGNATURE_BYTES = 64


_SHA256_HEX_PATTERN = r"^[0-9a-f]{64}$"
_SHA256_HEX = re.compile(_SHA256_HEX_PATTERN)

#: A log origin, as on the first line of its checkpoints and in its key's name (c2sp.org/signed-note): no spaces
#: and no "+".
LOG_ORIGIN_PATTERN = r"^[^\s+]+$"
MAX_ORIGIN_CHARS = 255

Sha256Hex = Annotated[str, Field(pattern=_SHA256_HEX_PATTERN, description="SHA-256 digest, 64 lowercase hex digits")]
DeveloperSlug = Annotated[str, Field(pattern=DEVELOPER_SLUG_PATTERN, max_length=MAX_SLUG_CHARS)]
# Versions and series names are short printable words such as "2.1" or "atlas-3"; no spaces or control characters.
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:+-]*$")]


class StatementError(CandorError):
    """A statement that is malformed, too large, or not in canonical form."""


class SignatureError(CandorError):
    """A statement whose signature does not verify against the given public key."""


class StatementKind(StrEnum):
    """What a statement publishes or changes."""

    SECURE_DEVELOPMENT_FRAMEWORK = "secure-development-framework"
    SYSTEM_CARD = "system-card"
    CERTIFICATION = "certification"
    WITHDRAWAL = "withdrawal"
    CORRECTION = "correction"


#: The titles people read for each statement kind.
KIND_TITLES: dict[str, str] = {
    StatementKind.SECURE_DEVELOPMENT_FRAMEWORK: "Secure Development Framework",
    StatementKind.SYSTEM_CARD: "System card",
    StatementKind.CERTIFICATION: "Certification",
    StatementKind.WITHDRAWAL: "Withdrawal",
    StatementKind.CORRECTION: "Correction",
}

#: Kinds that act on an earlier statement, named by its digest in ``target``.
KINDS_WITH_TARGET = frozenset({StatementKind.WITHDRAWAL, StatementKind.CORRECTION})


class Statement(BaseModel):
    """One signed claim by a developer: "this document, in this version, is what we publish"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["candor.statement/v1"] = STATEMENT_TYPE
    origin: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_ORIGIN_CHARS,
        pattern=LOG_ORIGIN_PATTERN,
        description="The origin of the log this statement is for; required of every new publication, absent only "
        "from statements logged before it existed.",
    )
    developer: DeveloperSlug
    kind: StatementKind
    series: Label | None = Field(
        default=None,
        description="Which run of versions this belongs to, e.g. the model a system card describes; "
        "None for a developer's single framework.",
    )
    version: Label
    document_sha256: Sha256Hex | None = Field(
        default=None, description="SHA-256 of the exact document bytes; only a withdrawal may go without one."
    )
    supersedes: Label | None = Field(default=None, description="The version this one replaces in its series.")
    issued_at: datetime = Field(description="When the developer made the statement; UTC, whole seconds.")
    sealed_sha256: Sha256Hex | None = Field(
        default=None, description="SHA-256 of the sealed, unredacted original kept for the regulator."
    )
    target: Sha256Hex | None = Field(
        default=None, description="Digest of the statement a withdrawal or correction acts on."
    )

    @field_validator("issued_at")
    @classmethod
    def _utc_whole_seconds(cls, value: datetime) -> datetime:
        # A naive time has no meaning across time zones; sub-second digits would make the canonical form
        # depend on how precise the signer's clock happens to be.
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must carry a time zone, e.g. 2026-01-31T12:00:00Z")
        return value.astimezone(UTC).replace(microsecond=0)

    @field_serializer("issued_at")
    def _rfc3339(self, value: datetime) -> str:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")

    @model_validator(mode="after")
    def _kind_rules(self) -> Statement:
        if self.kind in KINDS_WITH_TARGET and self.target is None:
            raise ValueError(f"a {self.kind} statement must name its target statement")
        if self.kind not in KINDS_WITH_TARGET and self.target is not None:
            raise ValueError(f"a {self.kind} statement has no target")
        if self.kind is not StatementKind.WITHDRAWAL and self.document_sha256 is None:
            raise ValueError(f"a {self.kind} statement must give document_sha256")
        return self

    def canonical_bytes(self) -> bytes:
        """The RFC 8785 bytes that are signed and logged; refuses a statement over the size limit."""
        encoded: bytes = rfc8785.dumps(self.model_dump(mode="json", exclude_none=True))
        if len(encoded) > MAX_STATEMENT_BYTES:
            raise StatementError(f"statement is {len(encoded):,} bytes, over the limit of {MAX_STATEMENT_BYTES:,}")
        return encoded

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical bytes: the id by which other statements refer to this one."""
        return statement_digest(self.canonical_bytes())


def statement_digest(statement_bytes: bytes) -> str:
    """SHA-256 (hex) of a statement's canonical bytes."""
    return hashlib.sha256(statement_bytes).hexdigest()


def is_sha256_hex(value: str) -> bool:
    """Whether ``value`` is a SHA-256 digest written as 64 lowercase hex digits."""
    return _SHA256_HEX.fullmatch(value) is not None


def parse_statement(statement_bytes: bytes, *, name: str = "statement") -> Statement:
    """Read a statement from its bytes, and insist that they are exactly its canonical form.

    Accepting any other spelling of the same object would let two different byte strings, and so two
    different log entries, carry one signed claim.
    """
    if len(statement_bytes) > MAX_STATEMENT_BYTES:
        raise StatementError(f"{name}: {len(statement_bytes):,} bytes, over the limit of {MAX_STATEMENT_BYTES:,} bytes")
    try:
        raw: Any = json.loads(statement_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StatementError(f"{name}: not UTF-8 JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise StatementError(f"{name}: must be a JSON object")
    if raw.get("type") != STATEMENT_TYPE:
        raise StatementError(f"{name}: unknown statement type {raw.get('type')!r}", hint=f"expected {STATEMENT_TYPE}")
    try:
        statement = Statement.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "statement"
        raise StatementError(f"{name}: {field}: {first['msg']}") from exc
    if statement.canonical_bytes() != statement_bytes:
        raise StatementError(f"{name}: not in RFC 8785 canonical form", hint="sign statement.canonical_bytes()")
    return statement


def sign_statement(statement: Statement, private_key: Ed25519PrivateKey) -> bytes:
    """The developer's Ed25519 signature (64 bytes) over the statement's canonical bytes."""
    return private_key.sign(statement.canonical_bytes())


def verify_statement_signature(statement_bytes: bytes, signature: bytes, public_key: Ed25519PublicKey) -> None:
    """Raise :class:`SignatureError` unless ``signature`` is ``public_key``'s signature over these exact bytes."""
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureError(f"signature is {len(signature)} bytes; an Ed25519 signature is {SIGNATURE_BYTES}")
    try:
        public_key.verify(signature, statement_bytes)
    except InvalidSignature as exc:
        raise SignatureError("statement signature does not verify against the developer's registered key") from exc


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key under which "2.0" > "1.10" > "1.9" > "1.0": digit runs compare as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|[^\d.]+", version))
