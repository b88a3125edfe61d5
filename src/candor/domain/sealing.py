"""Sealed originals: the unredacted text and the commitment salts, readable only with the regulator's key.

File format ``candor-sealed-original/v1`` (the ``.sealed`` file that ``candor redact`` writes):

1. the line ``candor-sealed-original/v1``;
2. one line of RFC 8785 canonical JSON, the *header*, in the clear: ``developer``, ``kind`` and ``version`` of the
   document, ``public_sha256`` (SHA-256 of the public version's bytes), ``regulator_key`` (SHA-256 of the raw
   X25519 public key it is sealed to) and ``suite`` (the HPKE suite);
3. the rest, up to the end of the file: an HPKE (RFC 9180) base-mode message, the 32-byte encapsulated key
   followed by the ciphertext, with suite DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.

The HPKE ``info`` is lines 1 and 2 byte for byte, newlines included. The header therefore binds the sealed text to
one statement's identity: a header changed to name another developer, version or public document, or any
changed ciphertext byte, makes opening fail.

The plaintext is one line of canonical JSON, ``{"salts": [hex, ...]}`` (one 32-byte salt per redaction, in file
order), a newline, then the original document's UTF-8 bytes exactly as the author wrote them.

A future format gets a new first line; a reader refuses first lines it does not know.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import rfc8785
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from candor.domain.redaction import SALT_BYTES, Redaction, RedactionForm
from candor.domain.regulator_keys import regulator_key_fingerprint
from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.errors import CandorError

#: The first line of every version-1 sealed original.
SEALED_FORMAT: Final = "candor-sealed-original/v1"
SUITE_NAME: Final = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305"
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)

#: The largest sealed original read: the largest document, plus room for its salts and the envelope.
MAX_SEALED_BYTES: Final = 3 * MAX_DOCUMENT_BYTES

#: DHKEM(X25519, HKDF-SHA256) encapsulates the key in 32 bytes (RFC 9180 §7.1, Nenc).
ENC_BYTES: Final = 32
#: ChaCha20-Poly1305 adds a 16-byte tag to the plaintext (RFC 8439 §2.8; RFC 9180 §7.3, Nt).
TAG_BYTES: Final = 16

_SHA256_HEX = r"^[0-9a-f]{64}$"


class SealingError(CandorError):
    """A sealed original that cannot be read or opened: malformed, altered, or sealed to another key."""


class SealedHeader(BaseModel):
    """The clear header: which statement the sealed original belongs to, and to whose key it is sealed."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    developer: str = Field(min_length=1, max_length=64)
    kind: str = Field(min_length=1, max_length=64)
    version: str = Field(min_length=1, max_length=64)
    public_sha256: str = Field(pattern=_SHA256_HEX)
    regulator_key: str = Field(pattern=_SHA256_HEX)
    suite: Literal["DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305"] = SUITE_NAME

    def info(self) -> bytes:
        """Lines 1 and 2 of the file: the HPKE info that binds the ciphertext to this header."""
        return f"{SEALED_FORMAT}\n".encode() + rfc8785.dumps(self.model_dump()) + b"\n"


@dataclass(frozen=True)
class SealedOriginal:
    """An opened sealed original: its header, the author's full text and the salts of its commitments."""

    header: SealedHeader
    original: bytes
    salts: tuple[bytes, ...]


def seal_original(header: SealedHeader, original: bytes, salts: list[bytes], regulator_key: X25519PublicKey) -> bytes:
    """The ``.sealed`` file bytes for ``original`` and its ``salts``, sealed to ``regulator_key``."""
    if header.regulator_key != regulator_key_fingerprint(regulator_key):
        raise SealingError("the header names another regulator key than the one sealed to")
    plaintext = _salts_line(salt.hex() for salt in salts) + b"\n" + original
    return header.info() + _SUITE.encrypt(plaintext, regulator_key, info=header.info())


def read_sealed_header(raw: bytes, name: str) -> SealedHeader:
    """The clear header of a sealed original, read without any key."""
    header, _ = _split(raw, name)
    return header


def check_sealed_structure(raw: bytes, name: str, *, salts: int, least_original_bytes: int) -> SealedHeader:
    """The header of a sealed original whose shape is sound, read without any key.

    Without the regulator's key nobody can tell an intact ciphertext from a damaged one, but its length is bounded
    below: the encapsulated key, the AEAD tag, the salts line for ``salts`` redactions, and an original of at least
    ``least_original_bytes``. A sealed original shorter than that was cut short (a failed upload, a truncated copy),
    and the registry must refuse it now rather than let the regulator find out years later that it cannot be opened.
    """
    header, sealed = _split(raw, name)
    if len(sealed) < ENC_BYTES:
        raise SealingError(
            f"{name}: ends inside its encapsulated key ({len(sealed)} of {ENC_BYTES} bytes); it was cut short",
            hint="send the .sealed file exactly as `candor redact` wrote it",
        )
    least = ENC_BYTES + TAG_BYTES + len(_salts_line("0" * 2 * SALT_BYTES for _ in range(salts))) + 1
    least += least_original_bytes
    if len(sealed) < least:
        raise SealingError(
            f"{name}: its encrypted part is {len(sealed):,} bytes, but sealing {salts} redaction salts and an "
            f"original of at least {least_original_bytes:,} bytes takes at least {least:,}; it was cut short",
            hint="send the .sealed file exactly as `candor redact` wrote it",
        )
    return header


def least_original_chars(public_text: str, redactions: Sequence[Redaction]) -> int:
    """The fewest characters (so also bytes) the original of a public version with these placeholders can have.

    Everything outside the placeholders is the author's text as written, and each passage in the body was at
    least as long as the floor of its size bucket. A front-matter value counts for nothing beyond its
    surroundings: the public version keeps the line break and indent that close a redacted mapping.
    """
    placeholders = [redaction for redaction in redactions if redaction.is_placeholder]
    kept = len(public_text) - sum(end - start for start, end in (redaction.span for redaction in placeholders))
    body = sum(redaction.chars for redaction in placeholders if redaction.form is not RedactionForm.FRONT_MATTER)
    return max(0, kept) + body


def open_sealed(raw: bytes, private_key: X25519PrivateKey, name: str) -> SealedOriginal:
    """Decrypt a sealed original with the regulator's private key, checking it is intact and bound to its header."""
    header, ciphertext = _split(raw, name)
    fingerprint = regulator_key_fingerprint(private_key.public_key())
    if header.regulator_key != fingerprint:
        raise SealingError(
            f"{name}: sealed to regulator key SHA256:{header.regulator_key}, not to this key (SHA256:{fingerprint})",
            hint="open it with the private key whose .pub the developer sealed to",
        )
    try:
        plaintext = _SUITE.decrypt(ciphertext, private_key, info=header.info())
    except InvalidTag:
        raise SealingError(
            f"{name}: cannot be opened: the sealed original or its header was altered after sealing",
            hint="ask the developer for the file as published; its SHA-256 is in the statement (sealed_sha256)",
        ) from None
    salts_line, _, original = plaintext.partition(b"\n")
    return SealedOriginal(header, original, _salts(salts_line, name))


def _split(raw: bytes, name: str) -> tuple[SealedHeader, bytes]:
    if len(raw) > MAX_SEALED_BYTES:
        raise SealingError(f"{name}: {len(raw):,} bytes, over the limit of {MAX_SEALED_BYTES:,} for a sealed original")
    first, _, rest = raw.partition(b"\n")
    if first != SEALED_FORMAT.encode():
        raise SealingError(f"{name}: not a sealed original", hint=f"its first line should be {SEALED_FORMAT}")
    header_line, newline, ciphertext = rest.partition(b"\n")
    if not newline:
        raise SealingError(f"{name}: the sealed original ends inside its header")
    try:
        fields: Any = json.loads(header_line)
        header = SealedHeader.model_validate(fields)
    except (ValueError, ValidationError) as exc:
        raise SealingError(f"{name}: the sealed original's header is not valid ({_first_line(exc)})") from None
    if rfc8785.dumps(header.model_dump()) != header_line:
        raise SealingError(f"{name}: the sealed original's header is not in canonical form")
    return header, ciphertext


def _salts_line(salts_hex: Iterable[str]) -> bytes:
    """The plaintext's first line: the commitment salts, in hex, as one line of canonical JSON."""
    return rfc8785.dumps({"salts": list(salts_hex)})


def _salts(line: bytes, name: str) -> tuple[bytes, ...]:
    # Authenticated by the AEAD, so a malformed line means a faulty sealer, not an attacker; still refuse it clearly.
    try:
        written = json.loads(line)["salts"]
        salts = tuple(bytes.fromhex(salt) for salt in written)
    except (ValueError, KeyError, TypeError):
        raise SealingError(f"{name}: the sealed original's salts cannot be read") from None
    if any(len(salt) != SALT_BYTES for salt in salts):
        raise SealingError(f"{name}: a salt in the sealed original is not {SALT_BYTES} bytes")
    return salts


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        return f"{'.'.join(str(part) for part in error['loc']) or 'header'}: {error['msg']}"
    return str(exc).splitlines()[0]
