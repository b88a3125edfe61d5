"""The log explorer: find one entry of the registry's log, and show everything needed to check it by hand.

An entry is looked up by its index, the SHA-256 of its statement, of its document or its leaf hash, or by a
developer's slug. Its page shows the entry's exact bytes (RFC 8785 canonical JSON), the statement, the signature
and the key it verifies with (checked here, and shown with the result), and the inclusion proof against the latest
signed checkpoint, built from the tiles, which are authenticated against that checkpoint's root first. The
consistency between two tree sizes is proven the same way. Nothing here trusts the database for a hash: every
root and proof comes from the tiles of a signed checkpoint, and is verified before it is shown.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import key_fingerprint, public_key_from_raw
from candor.domain.key_history import is_key_event_entry, parse_key_event_entry
from candor.domain.log_entry import parse_log_entry
from candor.domain.observation import is_observation_entry, parse_observation_entry
from candor.domain.statement import SignatureError, verify_statement_signature
from candor.errors import CandorError, NotFoundError
from candor.services.evidence import StatementEvidence
from candor.store.log_entries import latest_checkpoint
from candor.store.log_reads import (
    checkpoint_notes,
    developer_registered,
    entry_at,
    index_of_leaf,
    index_of_statement,
    indexes_of_document,
    signed_statement_at,
)
from candor.tlog.merkle import consistency_proof, inclusion_proof, leaf_hash, tree_hash, verify_consistency
from candor.tlog.merkle import verify_inclusion as verify_inclusion_proof
from candor.tlog.proof import format_tlog_proof
from candor.tlog.tilereader import DirectoryFetcher, TileReader

_DIGITS = re.compile(r"[0-9]{1,19}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
#: The longest lookup text worth reading: a digest, with room for spaces around it.
MAX_LOOKUP_CHARS = 200


class ExplorerQueryError(CandorError):
    """A lookup text that names nothing the explorer can look for."""

    http_status = 400
    error_code = "bad_lookup"


class NotSignedYetError(CandorError):
    """An entry (or a tree size) beyond the latest signed checkpoint: nothing can be proven of it yet."""

    http_status = 404
    error_code = "not_integrated"


@dataclass(frozen=True)
class Lookup:
    """Where a lookup leads: one log entry, several (a document published more than once), or a developer."""

    text: str
    log_indexes: tuple[int, ...] = ()
    developer: str | None = None
    #: What matched, in words: "log index", "statement SHA-256", "document SHA-256", "leaf hash", "developer".
    matched: str = ""


@dataclass(frozen=True)
class SignedCheckpoint:
    """The latest signed checkpoint the proofs are against."""

    size: int
    root_hash: str
    note: str


@dataclass(frozen=True)
class InclusionView:
    """An entry's RFC 9162 inclusion proof in the latest signed tree, checked against its root."""

    tree_size: int
    root_hash: str
    hashes: tuple[str, ...]
    checkpoint_note: str
    verified: bool


@dataclass(frozen=True)
class EntryView:
    """One log entry, as the log holds it, and what checking it by hand needs."""

    log_index: int
    leaf_hash: str
    #: The entry's exact bytes (canonical JSON), as text.
    entry_text: str
    inclusion: InclusionView | None
    #: "signed statement", "bare statement" (logged before the envelope existed), "key event", or "unreadable".
    form: str
    statement_text: str | None
    statement_sha256: str | None
    developer: str | None
    kind: str | None
    signature: str | None
    public_key: str | None
    key_fingerprint: str | None
    #: Whether the signature verifies with the key (None where the entry carries no developer signature).
    signature_verified: bool | None
    #: Whether the statement's signature and key are those of the registry's record (None: no record).
    matches_record: bool | None
    problem: str | None = None

    @property
    def entry_json(self) -> str:
        """The entry pretty-printed, for reading (the exact bytes are :attr:`entry_text`)."""
        try:
            return json.dumps(json.loads(self.entry_text), indent=2, sort_keys=True, ensure_ascii=False)
        except ValueError:
            return self.entry_text


@dataclass(frozen=True)
class ConsistencyView:
    """The RFC 9162 consistency proof that the tree of ``new_size`` extends the tree of ``old_size``."""

    old_size: int
    new_size: int
    old_root: str
    new_root: str
    hashes: tuple[str, ...]
    #: The signed checkpoints the log keeps for each size, when it signed one at exactly that size.
    old_note: str | None
    new_note: str | None
    #: The signed checkpoint whose tiles the roots and the proof were read from.
    checkpoint: SignedCheckpoint
    verified: bool


class LogExplorer:
    """Read-only: finds log entries and builds their proofs from the log directory's tiles."""

    def __init__(self, sessions: sessionmaker[Session], log_dir: Path) -> None:
        self._sessions = sessions
        self._log_dir = log_dir

    # --- lookup ----------------------------------------------------------------------------------------------

    def lookup(self, text: str) -> Lookup:
        """What ``text`` names: an index, a statement, document or leaf digest (hex), or a developer's slug."""
        query = text.strip().lower()
        if not query or len(query) > MAX_LOOKUP_CHARS:
            raise ExplorerQueryError(
                f"look up a log index, a SHA-256 (statement, document or leaf) or a developer's short name, "
                f"in at most {MAX_LOOKUP_CHARS} characters"
            )
        with self._sessions() as session:
            if _DIGITS.fullmatch(query):
                index = int(query)
                if entry_at(session, index) is None:
                    raise NotFoundError(f"the log has no entry {index}")
                return Lookup(text, (index,), matched="log index")
            if _HEX64.fullmatch(query):
                return self._by_digest(session, text, query)
            if _SLUG.fullmatch(query):
                if developer_registered(session, query):
                    return Lookup(text, developer=query, matched="developer")
                raise NotFoundError(f"no developer {query!r} is registered")
        raise ExplorerQueryError(
            f"{text[:60]!r} is neither a log index, a SHA-256 in hex, nor a developer's short name",
            hint="an index is a number; a SHA-256 is 64 hex digits; a short name is like acme-ai",
        )

    @staticmethod
    def _by_digest(session: Session, text: str, digest: str) -> Lookup:
        index = index_of_statement(session, digest)
        if index is not None:
            return Lookup(text, (index,), matched="statement SHA-256")
        indexes = indexes_of_document(session, digest)
        if indexes:
            return Lookup(text, tuple(indexes), matched="document SHA-256")
        index = index_of_leaf(session, bytes.fromhex(digest))
        if index is not None:
            return Lookup(text, (index,), matched="leaf hash")
        raise NotFoundError(f"no statement, document or log entry has the SHA-256 {digest}")

    # --- one entry -------------------------------------------------------------------------------------------

    def entry(self, log_index: int) -> EntryView:
        """Entry ``log_index``, its statement, signature and key, and its inclusion proof (once signed)."""
        with self._sessions() as session:
            row = entry_at(session, log_index)
            if row is None:
                raise NotFoundError(f"the log has no entry {log_index}")
            record = signed_statement_at(session, log_index)
            checkpoint = self._checkpoint(session)
        entry = row.entry
        inclusion = None
        if checkpoint is not None and log_index < checkpoint.size:
            inclusion = self._inclusion(checkpoint, log_index, entry)
        base = _EntryBase(log_index, row.leaf_hash.hex(), entry.decode("utf-8", errors="replace"), inclusion)
        name = f"log entry {log_index}"
        if is_key_event_entry(entry):
            try:
                event = parse_key_event_entry(entry, name=name).event
            except CandorError as exc:
                return _unreadable(base, exc)
            return EntryView(
                *base,
                form="key event",
                statement_text=None,
                statement_sha256=None,
                developer=event.developer,
                kind=event.kind.value,
                signature=None,
                public_key=event.key,
                key_fingerprint=key_fingerprint(public_key_from_raw(base64.b64decode(event.key))),
                signature_verified=None,
                matches_record=None,
            )
        if is_observation_entry(entry):
            try:
                observed = parse_observation_entry(entry, name=name).observation
            except CandorError as exc:
                return _unreadable(base, exc)
            # The registry's word about a developer's site, signed by the log key: no developer signature.
            return EntryView(
                *base,
                form="observation",
                statement_text=None,
                statement_sha256=None,
                developer=observed.developer,
                kind=observed.finding.value,
                signature=None,
                public_key=None,
                key_fingerprint=None,
                signature_verified=None,
                matches_record=None,
            )
        try:
            logged = parse_log_entry(entry, name=name)
        except CandorError as exc:
            return _unreadable(base, exc)
        # An envelope carries its own signature and key; an entry logged before it has the registry's record's.
        signature = logged.signature if logged.signature is not None else (record.signature if record else None)
        key = logged.public_key if logged.public_key is not None else (record.public_key if record else None)
        verified = None
        if signature is not None and key is not None:
            try:
                verify_statement_signature(logged.statement_bytes, signature, public_key_from_raw(key))
                verified = True
            except (SignatureError, CandorError):
                verified = False
        matches = None
        if record is not None:
            matches = (
                record.statement_bytes == logged.statement_bytes
                and record.signature == signature
                and record.public_key == key
            )
        return EntryView(
            *base,
            form="signed statement" if logged.is_signed else "bare statement",
            statement_text=logged.statement_bytes.decode("utf-8"),
            statement_sha256=hashlib.sha256(logged.statement_bytes).hexdigest(),
            developer=logged.statement.developer,
            kind=logged.statement.kind.value,
            signature=None if signature is None else _b64(signature),
            public_key=None if key is None else _b64(key),
            key_fingerprint=None if key is None else key_fingerprint(public_key_from_raw(key)),
            signature_verified=verified,
            matches_record=matches,
        )

    def tlog_proof(self, log_index: int) -> str:
        """Entry ``log_index``'s c2sp.org/tlog-proof against the latest checkpoint; a statement's carries its
        evidence (the statement, its signature and key) in the extra line, as ``candor verify --proof`` reads it."""
        with self._sessions() as session:
            row = entry_at(session, log_index)
            if row is None:
                raise NotFoundError(f"the log has no entry {log_index}")
            record = signed_statement_at(session, log_index)
            checkpoint = self._checkpoint(session)
        if checkpoint is None or log_index >= checkpoint.size:
            raise NotSignedYetError(f"log entry {log_index} is not yet covered by a signed checkpoint")
        hashes = inclusion_proof(self._reader(checkpoint), log_index, checkpoint.size)
        extra = None
        if record is not None:
            extra = StatementEvidence(record.statement_bytes, record.signature, record.public_key).to_extra()
        return format_tlog_proof(log_index, hashes, checkpoint.note.encode("utf-8"), extra=extra)

    # --- two tree sizes --------------------------------------------------------------------------------------

    def consistency(self, old_size: int, new_size: int) -> ConsistencyView:
        """The proof that the tree of ``new_size`` entries extends the tree of ``old_size``, both at most the latest
        signed size, with both roots, all read from that checkpoint's authenticated tiles."""
        if not 0 <= old_size <= new_size:
            raise ExplorerQueryError(f"the older size ({old_size}) must be at most the newer size ({new_size})")
        with self._sessions() as session:
            checkpoint = self._checkpoint(session)
            notes = checkpoint_notes(session, (old_size, new_size))
        if checkpoint is None or new_size > checkpoint.size:
            signed = 0 if checkpoint is None else checkpoint.size
            raise NotSignedYetError(f"size {new_size} is beyond the latest signed checkpoint (size {signed})")
        reader = self._reader(checkpoint)
        old_root = tree_hash(reader, old_size)
        new_root = tree_hash(reader, new_size)
        hashes = [] if old_size in (0, new_size) else consistency_proof(reader, old_size, new_size)
        verified = True
        if old_size > 0:
            try:
                verify_consistency(old_size, new_size, hashes, old_root, new_root)
            except CandorError:
                verified = False
        return ConsistencyView(
            old_size=old_size,
            new_size=new_size,
            old_root=_b64(old_root),
            new_root=_b64(new_root),
            hashes=tuple(_b64(item) for item in hashes),
            old_note=notes.get(old_size),
            new_note=notes.get(new_size),
            checkpoint=checkpoint,
            verified=verified,
        )

    def checkpoint(self) -> SignedCheckpoint | None:
        """The latest signed checkpoint, or None before the first."""
        with self._sessions() as session:
            return self._checkpoint(session)

    # --- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def _checkpoint(session: Session) -> SignedCheckpoint | None:
        row = latest_checkpoint(session)
        return None if row is None else SignedCheckpoint(row.size, _b64(row.root_hash), row.note)

    def _reader(self, checkpoint: SignedCheckpoint) -> TileReader:
        # The tiles are authenticated against the signed root before any hash is taken from them.
        return TileReader(DirectoryFetcher(self._log_dir), checkpoint.size, base64.b64decode(checkpoint.root_hash))

    def _inclusion(self, checkpoint: SignedCheckpoint, log_index: int, entry: bytes) -> InclusionView:
        hashes = inclusion_proof(self._reader(checkpoint), log_index, checkpoint.size)
        try:
            verify_inclusion_proof(
                leaf_hash(entry), log_index, checkpoint.size, hashes, base64.b64decode(checkpoint.root_hash)
            )
            verified = True
        except CandorError:
            verified = False
        return InclusionView(
            checkpoint.size, checkpoint.root_hash, tuple(_b64(item) for item in hashes), checkpoint.note, verified
        )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class _EntryBase(NamedTuple):
    """The fields of :class:`EntryView` every form of entry has, in its order."""

    log_index: int
    leaf_hash: str
    entry_text: str
    inclusion: InclusionView | None


def _unreadable(base: _EntryBase, error: CandorError) -> EntryView:
    return EntryView(
        *base,
        form="unreadable",
        statement_text=None,
        statement_sha256=None,
        developer=None,
        kind=None,
        signature=None,
        public_key=None,
        key_fingerprint=None,
        signature_verified=None,
        matches_record=None,
        problem=error.message,
    )
