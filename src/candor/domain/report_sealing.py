"""Confidential reports (whistleblower reports and incident reports) that only the regulator's reviewers can read.

Each report gets a fresh 32-byte data key. Its contents (body, attachments and their file names, and for an incident
report the developer's signature) are serialised as one canonical JSON object, padded to a size bucket, and
encrypted with libsodium's secretstream (XChaCha20-Poly1305 in 64 KiB chunks, the last one tagged final), an AEAD
made for streams: a flipped byte, a dropped, reordered or duplicated chunk, or a truncation all fail to open. The
data key is then wrapped with HPKE (RFC 9180, the suite of the sealed originals) to each reviewer's X25519 key.

Both the stream's additional data and the HPKE ``info`` are the report's *binding*: the format line, the report's
id and its kind. A ciphertext or a wrapped key moved to another report, or relabelled as another kind, fails to
open. Deleting every wrapped key of a report destroys it (crypto-shredding): the ciphertext that remains is noise.

Layout of a sealed report's ciphertext: the 24-byte secretstream header, then the chunks, each 17 bytes longer than
its plaintext chunk. The padded plaintext is an 8-byte big-endian length, the serialised contents, then zeros up to
the bucket, so a reader of the database learns the bucket, not the size.

Replies to the reporter are sealed with HPKE to the reporter's X25519 key (derived from the receipt, see
:mod:`candor.domain.receipts`), bound to the report id and the reply's number.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import nacl.bindings as sodium
import rfc8785
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from nacl.exceptions import CryptoError

from candor.domain.regulator_keys import regulator_key_fingerprint
from candor.errors import CandorError

REPORT_FORMAT: Final = "candor-report/v1"
MESSAGE_FORMAT: Final = "candor-report-message/v1"
#: The kinds of report; part of every binding.
REPORT_KINDS: Final = ("whistleblower", "incident")
DATA_KEY_BYTES: Final = 32
CHUNK_BYTES: Final = 64 * 1024
#: Size buckets: 4 KiB, then doubling. A report of 5 KiB is stored as 8 KiB, one of 3 MiB as 4 MiB.
SMALLEST_BUCKET: Final = 4 * 1024
#: The largest report (body and attachments together, before padding).
MAX_REPORT_BYTES: Final = 16 * 1024 * 1024
MAX_ATTACHMENTS: Final = 10
MAX_FILE_NAME_CHARS: Final = 255
_LENGTH_BYTES = 8
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
_HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


class ReportSealingError(CandorError):
    """A report that cannot be sealed or opened: too large, altered, truncated, moved, or for another key."""


@dataclass(frozen=True)
class Attachment:
    """A file sent with a report; its name is as secret as its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class ReportContents:
    """What a reporter sends. ``signature`` is an incident report's developer signature over :meth:`signed_bytes`."""

    body: str
    attachments: tuple[Attachment, ...] = ()
    developer: str | None = None
    key: str | None = None
    signature: str | None = None

    def signed_bytes(self, report_kind: str) -> bytes:
        """What a developer signs: the contents without the signature, with the kind, as RFC 8785 JSON."""
        payload = self._payload()
        payload.pop("signature", None)
        payload["kind"] = report_kind
        encoded: bytes = rfc8785.dumps(payload)
        return encoded

    def serialise(self) -> bytes:
        encoded: bytes = rfc8785.dumps(self._payload())
        return encoded

    def _payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "body": self.body,
            "attachments": [
                {"name": item.name, "data": base64.b64encode(item.data).decode("ascii")} for item in self.attachments
            ],
        }
        for name in ("developer", "key", "signature"):
            if getattr(self, name) is not None:
                payload[name] = getattr(self, name)
        return payload

    @classmethod
    def parse(cls, raw: bytes) -> ReportContents:
        try:
            payload = json.loads(raw)
            attachments = tuple(
                Attachment(str(item["name"]), base64.b64decode(item["data"], validate=True))
                for item in payload["attachments"]
            )
            return cls(
                str(payload["body"]),
                attachments,
                payload.get("developer"),
                payload.get("key"),
                payload.get("signature"),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ReportSealingError(f"an opened report is not a report's contents ({error})") from None


def check_contents(contents: ReportContents) -> None:
    """The limits on what a report may hold, checked before anything is encrypted."""
    if len(contents.attachments) > MAX_ATTACHMENTS:
        raise ReportSealingError(f"a report holds at most {MAX_ATTACHMENTS} attachments")
    for attachment in contents.attachments:
        if not attachment.name or len(attachment.name) > MAX_FILE_NAME_CHARS or "/" in attachment.name:
            raise ReportSealingError(f"an attachment's file name must be 1 to {MAX_FILE_NAME_CHARS} characters, no '/'")
    total = len(contents.body.encode("utf-8")) + sum(len(item.data) for item in contents.attachments)
    if total > MAX_REPORT_BYTES:
        raise ReportSealingError(f"a report holds at most {MAX_REPORT_BYTES:,} bytes; this one holds {total:,}")


def binding(report_id: str, kind: str) -> bytes:
    """The bytes that tie a ciphertext and its wrapped keys to one report."""
    if kind not in REPORT_KINDS:
        raise ReportSealingError(f"unknown report kind {kind!r}")
    return f"{REPORT_FORMAT}\n{report_id}\n{kind}\n".encode()


def bucket_size(length: int) -> int:
    """The padded size for ``length`` bytes of plaintext (with its length prefix)."""
    size = SMALLEST_BUCKET
    while size < length + _LENGTH_BYTES:
        size *= 2
    return size


@dataclass(frozen=True)
class SealedReport:
    """A sealed report: the ciphertext, and the data key wrapped to each reviewer (by key fingerprint)."""

    ciphertext: bytes
    wrapped_keys: dict[str, bytes]


def seal_report(
    contents: ReportContents, report_id: str, kind: str, reviewers: Sequence[X25519PublicKey]
) -> SealedReport:
    """Encrypt ``contents`` under a fresh data key and wrap that key to every reviewer."""
    if not reviewers:
        raise ReportSealingError("no reviewer key to seal the report to")
    check_contents(contents)
    data_key = os.urandom(DATA_KEY_BYTES)
    bound = binding(report_id, kind)
    plaintext = contents.serialise()
    padded = bytearray(bucket_size(len(plaintext)))
    padded[:_LENGTH_BYTES] = len(plaintext).to_bytes(_LENGTH_BYTES, "big")
    padded[_LENGTH_BYTES : _LENGTH_BYTES + len(plaintext)] = plaintext
    ciphertext = encrypt_stream(data_key, bytes(padded), bound)
    wrapped = {regulator_key_fingerprint(key): _SUITE.encrypt(data_key, key, info=bound) for key in reviewers}
    return SealedReport(ciphertext, wrapped)


def open_report(
    ciphertext: bytes, wrapped_key: bytes, private_key: X25519PrivateKey, report_id: str, kind: str
) -> ReportContents:
    """Unwrap the data key with a reviewer's key and decrypt the report; raises on any alteration or mismatch."""
    bound = binding(report_id, kind)
    try:
        data_key = _SUITE.decrypt(wrapped_key, private_key, info=bound)
    except (InvalidTag, ValueError) as error:
        raise ReportSealingError(
            f"report {report_id}: the data key does not open with this key for this report ({type(error).__name__})"
        ) from None
    padded = decrypt_stream(data_key, ciphertext, bound)
    length = int.from_bytes(padded[:_LENGTH_BYTES], "big")
    if length > len(padded) - _LENGTH_BYTES or any(padded[_LENGTH_BYTES + length :]):
        raise ReportSealingError(f"report {report_id}: the padding is malformed")
    return ReportContents.parse(padded[_LENGTH_BYTES : _LENGTH_BYTES + length])


def encrypt_stream(key: bytes, plaintext: bytes, additional_data: bytes) -> bytes:
    """secretstream XChaCha20-Poly1305: header, then each chunk sealed; the last chunk carries the final tag."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    out = [header]
    chunks = [plaintext[i : i + CHUNK_BYTES] for i in range(0, len(plaintext), CHUNK_BYTES)] or [b""]
    for number, chunk in enumerate(chunks):
        tag = _TAG_FINAL if number == len(chunks) - 1 else _TAG_MESSAGE
        out.append(sodium.crypto_secretstream_xchacha20poly1305_push(state, chunk, additional_data, tag))
    return b"".join(out)


def decrypt_stream(key: bytes, ciphertext: bytes, additional_data: bytes) -> bytes:
    """The plaintext of :func:`encrypt_stream`; refuses an altered chunk, a truncation, or bytes after the end."""
    if len(ciphertext) < _HEADER_BYTES + _ABYTES:
        raise ReportSealingError("the report's ciphertext is truncated")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, ciphertext[:_HEADER_BYTES], key)
    position, out, tag = _HEADER_BYTES, [], _TAG_MESSAGE
    sealed_chunk = CHUNK_BYTES + _ABYTES
    while position < len(ciphertext):
        if tag == _TAG_FINAL:
            raise ReportSealingError("the report's ciphertext goes on after its final chunk")
        piece = ciphertext[position : position + sealed_chunk]
        try:
            chunk, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, piece, additional_data)
        except (CryptoError, ValueError):
            raise ReportSealingError("the report's ciphertext is altered, or belongs to another report") from None
        out.append(chunk)
        position += len(piece)
    if tag != _TAG_FINAL:
        raise ReportSealingError("the report's ciphertext is truncated: its final chunk is missing")
    return b"".join(out)


def message_binding(report_id: str, number: int) -> bytes:
    return f"{MESSAGE_FORMAT}\n{report_id}\n{number}\n".encode()


def seal_message(text: str, reporter_key: X25519PublicKey, report_id: str, number: int) -> bytes:
    """A reviewer's message to the reporter, readable only with the key derived from the receipt."""
    plaintext = text.encode("utf-8")
    padded = bytearray(bucket_size(len(plaintext)))
    padded[:_LENGTH_BYTES] = len(plaintext).to_bytes(_LENGTH_BYTES, "big")
    padded[_LENGTH_BYTES : _LENGTH_BYTES + len(plaintext)] = plaintext
    return _SUITE.encrypt(bytes(padded), reporter_key, info=message_binding(report_id, number))


def open_message(sealed: bytes, reporter_key: X25519PrivateKey, report_id: str, number: int) -> str:
    try:
        padded = _SUITE.decrypt(sealed, reporter_key, info=message_binding(report_id, number))
    except (InvalidTag, ValueError):
        raise ReportSealingError(f"message {number} of report {report_id} does not open with this receipt") from None
    length = int.from_bytes(padded[:_LENGTH_BYTES], "big")
    return padded[_LENGTH_BYTES : _LENGTH_BYTES + length].decode("utf-8")
