"""Verifying a document: it is exactly what the developer signed, and the log holds that signed statement.

Everything here works offline, from the document's bytes, its tlog-proof and the log's verifier key; fetching
those from a registry is the client's job. Three checks, each of which fails loudly:

1. the statement in the proof names the document's SHA-256;
2. the proof's checkpoint is signed by the log, and the statement is included in its tree;
3. the developer's signature over the statement verifies (with the key in the proof, or a pinned one), and the
   statement names the log that holds it (so a statement replayed into another registry does not verify).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from candor.domain.developer_keys import key_fingerprint, public_key_from_raw, public_key_raw
from candor.domain.key_history import KeyHistory, is_key_event_entry, parse_key_event_entry
from candor.domain.log_entry import parse_log_entry, signed_entry
from candor.domain.observation import is_observation_entry, parse_observation_entry
from candor.domain.statement import KINDS_WITH_TARGET, Statement, parse_statement, verify_statement_signature
from candor.errors import CandorError
from candor.services.evidence import StatementEvidence
from candor.tlog.checkpoint import Checkpoint
from candor.tlog.note import Verifier, parse_verifier_key
from candor.tlog.proof import ProvenEntry, parse_tlog_proof, verify_tlog_proof
from candor.tlog.tilereader import TileReader


class VerificationError(CandorError):
    """A document that does not verify: altered, not in the log, or not signed by its developer."""

    exit_code = 1


@dataclass(frozen=True)
class VerifiedDocument:
    """What verification established."""

    statement: Statement
    statement_sha256: str
    log_index: int
    checkpoint: Checkpoint
    developer_key_fingerprint: str


def verify_document(
    name: str, document: bytes, proof_text: str, log_vkey: str, *, developer_key: Ed25519PublicKey | None = None
) -> VerifiedDocument:
    """Verify ``document`` (called ``name`` in messages) with its tlog-proof and the log's verifier key."""
    evidence = StatementEvidence.from_extra(parse_tlog_proof(proof_text).extra)
    statement = parse_statement(evidence.statement_bytes, name="the proof's statement")
    digest = hashlib.sha256(document).hexdigest()
    if statement.document_sha256 != digest:
        raise VerificationError(
            f"{name}: its SHA-256 is {digest}, but the signed statement names {statement.document_sha256}",
            hint="the file was altered, or the proof belongs to another document",
        )
    proven = _prove_inclusion(proof_text, evidence, parse_verifier_key(log_vkey))
    # A statement names the log it was made for; one found in another log was replayed there (statements made
    # before origins were signed name none, and are judged by their signature alone).
    if statement.origin is not None and statement.origin != proven.checkpoint.origin:
        raise VerificationError(
            f"{name}: its statement was signed for the log {statement.origin!r}, but this proof is from the log "
            f"{proven.checkpoint.origin!r}",
            hint="the statement was replayed into another registry's log; verify it against the registry it names",
        )
    key = public_key_from_raw(evidence.developer_key)
    if developer_key is not None and public_key_raw(developer_key) != evidence.developer_key:
        raise VerificationError(
            f"{name}: signed with key SHA256:{key_fingerprint(key)}, not the pinned developer key "
            f"SHA256:{key_fingerprint(developer_key)}"
        )
    verify_statement_signature(evidence.statement_bytes, evidence.signature, key)
    return VerifiedDocument(
        statement=statement,
        statement_sha256=hashlib.sha256(evidence.statement_bytes).hexdigest(),
        log_index=proven.index,
        checkpoint=proven.checkpoint,
        developer_key_fingerprint=key_fingerprint(key),
    )


def _prove_inclusion(proof_text: str, evidence: StatementEvidence, verifier: Verifier) -> ProvenEntry:
    """Prove the statement in the log: as the signed entry that also logs its signature and key (every new entry),
    else as the bare statement (an entry logged before the envelope existed)."""
    try:
        envelope = signed_entry(evidence.statement_bytes, evidence.signature, evidence.developer_key)
    except CandorError:
        envelope = None
    if envelope is not None:
        try:
            return verify_tlog_proof(proof_text, envelope, verifier)
        except CandorError:
            pass  # not this form; the bare statement's check below reports the failure
    return verify_tlog_proof(proof_text, evidence.statement_bytes, verifier)


@dataclass(frozen=True)
class LaterStatement:
    """A withdrawal or correction found in the log that acts on a verified statement."""

    log_index: int
    statement: Statement


def later_actions(reader: TileReader, log_index: int, verified: VerifiedDocument) -> list[LaterStatement]:
    """Every withdrawal or correction of ``verified``'s statement among the log's entries after it.

    The entries come from the tiles, each checked against the signed root, so the answer is the log's own: a
    registry can neither hide a withdrawal (dropping or altering an entry breaks the root) nor invent one. Only
    the statement's own developer can act on it; a statement by anyone else naming it as target does not count.
    """
    found = []
    # A canonical statement spells its target as the bare hex digest, so an entry without those bytes cannot act
    # on it; parsing only the others keeps the scan at the cost of hashing (a non-canonical entry could never be
    # a valid withdrawal, and ``candor log verify --statements`` reports it).
    target = verified.statement_sha256.encode("ascii")
    for index, entry in reader.entries(log_index + 1, reader.size):
        if target not in entry or is_key_event_entry(entry) or is_observation_entry(entry):
            continue
        statement = parse_log_entry(entry, name=f"log entry {index}").statement
        if (
            statement.kind in KINDS_WITH_TARGET
            and statement.target == verified.statement_sha256
            and statement.developer == verified.statement.developer
        ):
            found.append(LaterStatement(index, statement))
    return found


def check_statement_entries(reader: TileReader, log_verifier: Verifier) -> int:
    """Check every entry of the log, in order; the count.

    Each is a Candor statement, key event or observation in RFC 8785 canonical form (an observation signed by the
    log key); the signature a statement logs verifies
    with the key it logs, and that key is its developer's in force at that index, as the log's key events say
    (each signed by the log key, a rotation also by the previous key; see ``domain/key_history.py``).
    """
    history = KeyHistory(log_verifier.verify)
    for index, entry in reader.entries(0, reader.size):
        name = f"log entry {index}"
        if is_key_event_entry(entry):
            history.apply(index, parse_key_event_entry(entry, name=name))
            continue
        if is_observation_entry(entry):
            # What the registry's watcher saw on a developer's site: the log key's word, checked as such.
            parse_observation_entry(entry, name=name).verify(log_verifier.verify, name=name)
            continue
        logged = parse_log_entry(entry, name=name)
        logged.verify_signature(name=name)
        history.check_statement(index, logged)
    return reader.size
