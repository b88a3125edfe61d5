"""c2sp.org/tlog-proof@v1: the offline proof that travels with a document.

::

    c2sp.org/tlog-proof@v1
    extra <base64>            (optional, unauthenticated application data)
    index <decimal>
    <base64 hash>             (zero or more: the RFC 6962 audit path, leaf's sibling first)

    <signed checkpoint, verbatim, with any cosignatures>
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from candor.tlog.checkpoint import Checkpoint, check_cosignatures, open_checkpoint
from candor.tlog.errors import ProofError, TlogError, TlogProofError
from candor.tlog.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from candor.tlog.note import NoteVerifier

HEADER = "c2sp.org/tlog-proof@v1"
#: A proof carries at most 64 hashes (a tree of 2^64 leaves) and a small checkpoint; this bounds parsing.
MAX_PROOF_SIZE = 1 << 20

_INDEX = re.compile(r"index (0|[1-9][0-9]*)")


@dataclass(frozen=True)
class TlogProof:
    """A parsed (not yet verified) tlog-proof."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None


@dataclass(frozen=True)
class ProvenEntry:
    """What a verified tlog-proof establishes: the entry sits at ``index`` under ``checkpoint``."""

    index: int
    checkpoint: Checkpoint
    extra: bytes | None


def format_tlog_proof(index: int, hashes: Sequence[bytes], checkpoint: bytes, *, extra: bytes | None = None) -> str:
    """The tlog-proof text for entry ``index`` with its inclusion proof and the signed checkpoint note."""
    if index < 0:
        raise TlogProofError(f"entry index {index} is negative")
    for position, item in enumerate(hashes):
        if len(item) != HASH_SIZE:
            raise TlogProofError(f"proof hash {position} is {len(item)} bytes, not {HASH_SIZE}")
    lines = [HEADER]
    if extra is not None:
        lines.append("extra " + base64.b64encode(extra).decode("ascii"))
    lines.append(f"index {index}")
    lines.extend(base64.b64encode(item).decode("ascii") for item in hashes)
    try:
        note = checkpoint.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TlogProofError("signed checkpoint is not UTF-8") from error
    return "\n".join(lines) + "\n\n" + note


def _decode(encoded: str, what: str) -> bytes:
    try:
        return base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as error:
        raise TlogProofError(f"tlog-proof {what} is not valid base64") from error


def parse_tlog_proof(text: str | bytes) -> TlogProof:
    """Parse the tlog-proof format strictly; nothing is verified yet."""
    if isinstance(text, bytes):
        if len(text) > MAX_PROOF_SIZE:
            raise TlogProofError(f"tlog-proof is larger than {MAX_PROOF_SIZE} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise TlogProofError(f"tlog-proof is not UTF-8 (byte {error.start})") from error
    if len(text) > MAX_PROOF_SIZE:
        raise TlogProofError(f"tlog-proof is larger than {MAX_PROOF_SIZE} bytes")
    head, separator, checkpoint = text.partition("\n\n")
    if not separator:
        raise TlogProofError("tlog-proof has no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise TlogProofError(f"tlog-proof must start with {HEADER!r}, not {lines[0][:40]!r}")
    position = 1
    extra = None
    if position < len(lines) and lines[position].startswith("extra "):
        extra = _decode(lines[position][len("extra ") :], "extra data")
        position += 1
    if position >= len(lines):
        raise TlogProofError("tlog-proof has no index line")
    match = _INDEX.fullmatch(lines[position])
    if match is None:
        raise TlogProofError(f"tlog-proof line {position + 1} must be 'index N', not {lines[position][:40]!r}")
    hashes = []
    for number, line in enumerate(lines[position + 1 :], start=position + 2):
        item = _decode(line, f"line {number}")
        if len(item) != HASH_SIZE:
            raise TlogProofError(f"tlog-proof line {number} is not a {HASH_SIZE}-byte hash")
        hashes.append(item)
    if len(hashes) > 64:
        raise TlogProofError(f"tlog-proof has {len(hashes)} hashes; no tree needs more than 64")
    return TlogProof(int(match.group(1)), tuple(hashes), checkpoint.encode(), extra)


def verify_tlog_proof(
    proof_text: str | bytes,
    entry: bytes,
    verifier: NoteVerifier,
    *,
    origin: str | None = None,
    witnesses: Sequence[NoteVerifier] = (),
    required_witnesses: int = 0,
) -> ProvenEntry:
    """Check a tlog-proof: the checkpoint is signed by the log's key, and ``entry`` is at the stated index.

    ``origin`` defaults to the log key's name (see :func:`~candor.tlog.checkpoint.open_checkpoint`).
    With ``required_witnesses``, at least that many of the trusted ``witnesses`` must have cosigned the
    checkpoint (a known witness whose cosignature fails rejects the proof); other cosignatures are ignored.
    """
    proof = parse_tlog_proof(proof_text)
    try:
        checkpoint = open_checkpoint(proof.checkpoint, verifier, origin=origin)
        verify_inclusion(leaf_hash(entry), proof.index, checkpoint.size, proof.hashes, checkpoint.root)
        if required_witnesses > 0:
            check_cosignatures(proof.checkpoint, witnesses, required_witnesses)
    except ProofError as error:
        raise TlogProofError(f"entry is not proven at index {proof.index}: {error.message}") from error
    except TlogProofError:
        raise
    except TlogError as error:
        raise TlogProofError(f"tlog-proof checkpoint rejected: {error.message}") from error
    return ProvenEntry(proof.index, checkpoint, proof.extra)
