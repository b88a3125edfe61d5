"""The evidence a tlog-proof carries for a statement, so that a document can be verified offline.

A c2sp.org/tlog-proof proves that an entry is in the log. For a Candor statement the verifier also needs the entry
itself (the canonical statement), the developer's signature over it, and the key that signature verifies with.
They travel in the proof's ``extra`` line as one small JSON object. ``extra`` is not authenticated by the log, and
need not be: the statement is authenticated by the inclusion proof, and the signature by the key, whose
fingerprint the verifier shows (and can pin) so that it can be compared with the one the developer publishes.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session, sessionmaker

from candor.errors import CandorError, NotFoundError
from candor.store.statement_reader import StatementReader

EVIDENCE_TYPE: Final = "candor.evidence/v1"


class EvidenceError(CandorError):
    """A tlog-proof whose extra line is not Candor statement evidence."""


@dataclass(frozen=True)
class StatementEvidence:
    """A published statement's canonical bytes, its signature, and the developer key it verifies with (raw)."""

    statement_bytes: bytes
    signature: bytes
    developer_key: bytes

    def to_extra(self) -> bytes:
        """The JSON object placed in the tlog-proof's ``extra`` line."""
        fields = {
            "type": EVIDENCE_TYPE,
            "statement": _encode(self.statement_bytes),
            "signature": _encode(self.signature),
            "developer_key": _encode(self.developer_key),
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_extra(cls, extra: bytes | None) -> StatementEvidence:
        """Read the evidence from a tlog-proof's ``extra`` line."""
        if extra is None:
            raise EvidenceError("the tlog-proof has no extra line with the statement and its signature")
        try:
            fields = json.loads(extra.decode("utf-8"))
            if not isinstance(fields, dict) or fields.get("type") != EVIDENCE_TYPE:
                raise EvidenceError(f"the tlog-proof's extra line is not {EVIDENCE_TYPE} evidence")
            return cls(
                statement_bytes=_decode(fields["statement"]),
                signature=_decode(fields["signature"]),
                developer_key=_decode(fields["developer_key"]),
            )
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, binascii.Error) as exc:
            raise EvidenceError(f"the tlog-proof's extra line is malformed ({exc})") from exc


def _encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _decode(text: object) -> bytes:
    if not isinstance(text, str):
        raise TypeError("a field is not a base64 string")
    return base64.b64decode(text.encode("ascii"), validate=True)


def statement_evidence(sessions: sessionmaker[Session], statement_sha256: str) -> tuple[int, StatementEvidence]:
    """The log index and evidence of the statement with this digest."""
    with sessions() as session:
        signed = StatementReader(session).signed(statement_sha256)
    if signed is None:
        raise NotFoundError(f"no statement {statement_sha256}")
    return signed.log_index, StatementEvidence(signed.statement_bytes, signed.signature, signed.public_key)


def statements_of_document(sessions: sessionmaker[Session], document_sha256: str) -> list[str]:
    """The digests of the statements that publish this document, oldest first."""
    with sessions() as session:
        return StatementReader(session).digests_publishing(document_sha256)
