"""A whole-registry export: every statement with its signature and key, every document and sealed original (still
sealed), the log's tiles and its signed checkpoint, in one directory that re-verifies offline
(:mod:`candor.services.export_verification`). The layout is in ``docs/bulk-data.md``::

    DIR/manifest.json           {"type": "candor-export/v1", "origin", "size", "root", "source", "exported_at"}
    DIR/vkey                    the log's verifier key, as the source served it
    DIR/log/checkpoint          the signed checkpoint the export is of, verbatim
    DIR/log/tile/...            every tile and entry bundle of that tree (c2sp.org/tlog-tiles)
    DIR/statements.jsonl        one line per statement entry, in log order
    DIR/documents/<sha256>      each document, byte for byte
    DIR/sealed/<sha256>         each sealed original, byte for byte

The export is of one signed tree, fixed when it starts: entries published meanwhile are not in it. Its statements
are read from the log's own entries, so the export holds what the log holds; only a bare statement (logged before
the envelope existed) takes its signature from the registry. It is made from a registry's public HTTP API through
the bounded client, or by an operator from the data directory and database.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.key_history import is_key_event_entry
from candor.domain.log_entry import parse_log_entry
from candor.errors import CandorError, NotFoundError
from candor.services.evidence import StatementEvidence, statement_evidence
from candor.store.documents import Documents
from candor.store.sealed import SealedOriginals
from candor.tlog.checkpoint import Checkpoint, open_checkpoint
from candor.tlog.local_log import PUBLIC_DIR, VKEY_FILE
from candor.tlog.note import parse_verifier_key
from candor.tlog.tilereader import DirectoryFetcher, HttpFetcher
from candor.tlog.tiles import CHECKPOINT_NAME, TILE_WIDTH, decode_bundle, entries_path, tile_layout, tile_path

EXPORT_TYPE = "candor-export/v1"
MANIFEST_NAME = "manifest.json"
VKEY_NAME = "vkey"
LOG_NAME = "log"
STATEMENTS_NAME = "statements.jsonl"
DOCUMENTS_NAME = "documents"
SEALED_NAME = "sealed"


class ExportError(CandorError):
    """An export that cannot be made: the destination is not empty, or the source serves something unusable."""


class ExportSource(Protocol):
    """Where an export reads a registry from."""

    #: Named in the manifest: the registry's URL, or "data directory <path>".
    description: str

    def checkpoint(self) -> bytes: ...
    def verifier_key(self) -> str: ...
    def log_file(self, name: str) -> bytes: ...
    def evidence(self, statement_sha256: str) -> StatementEvidence: ...
    def document(self, sha256: str) -> bytes: ...
    def sealed_original(self, sha256: str) -> bytes: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class ExportReport:
    """What was exported."""

    directory: Path
    checkpoint: Checkpoint
    statements: int
    documents: int
    sealed: int
    tiles: int


def export_registry(source: ExportSource, destination: Path, *, now: datetime | None = None) -> ExportReport:
    """Write the export of ``source``'s latest signed tree into ``destination`` (new or empty)."""
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise ExportError(f"{destination}: exists and is not an empty directory", hint="export into a new directory")
    note = source.checkpoint()
    vkey = source.verifier_key()
    # Refuse to copy a tree the log did not sign: an export is worth only what its checkpoint proves.
    checkpoint = open_checkpoint(note, parse_verifier_key(vkey))
    log_dir = destination / LOG_NAME
    tiles = 0
    for level, index, width in tile_layout(checkpoint.size):
        _write(log_dir / tile_path(level, index, width), source.log_file(tile_path(level, index, width)))
        tiles += 1
    counts = {"statements": 0, "documents": 0, "sealed": 0}
    with (destination / STATEMENTS_NAME).open("wb") as lines:
        for index, entry in _entries(source, log_dir, checkpoint.size):
            line = _statement_line(source, destination, index, entry, counts)
            if line is not None:
                lines.write(line)
                counts["statements"] += 1
    _write(log_dir / CHECKPOINT_NAME, note)
    _write(destination / VKEY_NAME, (vkey + "\n").encode("utf-8"))
    manifest = {
        "type": EXPORT_TYPE,
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root": base64.b64encode(checkpoint.root).decode("ascii"),
        "source": source.description,
        "exported_at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    _write(destination / MANIFEST_NAME, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return ExportReport(destination, checkpoint, counts["statements"], counts["documents"], counts["sealed"], tiles)


def _entries(source: ExportSource, log_dir: Path, size: int) -> Iterator[tuple[int, bytes]]:
    """Each entry of the tree, bundle by bundle, writing each bundle into the export as it goes."""
    full, partial = divmod(size, TILE_WIDTH)
    for bundle in range(full + (1 if partial else 0)):
        width = TILE_WIDTH if bundle < full else partial
        name = entries_path(bundle, width)
        raw = source.log_file(name)
        _write(log_dir / name, raw)
        for offset, entry in enumerate(decode_bundle(raw, name)):
            yield bundle * TILE_WIDTH + offset, entry


def _statement_line(
    source: ExportSource, destination: Path, index: int, entry: bytes, counts: dict[str, int]
) -> bytes | None:
    if is_key_event_entry(entry):
        return None  # the log itself holds a key event whole
    # A malformed entry is copied as the log holds it; the export's verification names it.
    try:
        logged = parse_log_entry(entry, name=f"log entry {index}")
    except CandorError:
        return None
    statement_sha256 = hashlib.sha256(logged.statement_bytes).hexdigest()
    if logged.signature is not None and logged.public_key is not None:
        signature, key = logged.signature, logged.public_key
    else:
        evidence = source.evidence(statement_sha256)
        signature, key = evidence.signature, evidence.developer_key
    statement = logged.statement
    for folder, digest, fetch, counter in (
        (DOCUMENTS_NAME, statement.document_sha256, source.document, "documents"),
        (SEALED_NAME, statement.sealed_sha256, source.sealed_original, "sealed"),
    ):
        if digest is None:
            continue
        path = destination / folder / digest
        if not path.exists():  # the same document published twice is kept once
            _write(path, fetch(digest))
            counts[counter] += 1
    line = {
        "log_index": index,
        "id": statement_sha256,
        "statement": base64.b64encode(logged.statement_bytes).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
        "key": base64.b64encode(key).decode("ascii"),
    }
    return (json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n").encode("ascii")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


class RegistrySource:
    """A registry's public HTTP API and served log, through the bounded client."""

    def __init__(self, base_url: str) -> None:
        from candor.registry_client import RegistryClient

        self._client = RegistryClient(base_url)
        self.description = self._client.base_url
        self._log = HttpFetcher(f"{self._client.base_url}/log")

    def checkpoint(self) -> bytes:
        return self._client.checkpoint()

    def verifier_key(self) -> str:
        return self._client.verifier_key()

    def log_file(self, name: str) -> bytes:
        return self._log.fetch(name)

    def evidence(self, statement_sha256: str) -> StatementEvidence:
        from candor.tlog.proof import parse_tlog_proof

        return StatementEvidence.from_extra(parse_tlog_proof(self._client.tlog_proof(statement_sha256)).extra)

    def document(self, sha256: str) -> bytes:
        return self._client.document(sha256)

    def sealed_original(self, sha256: str) -> bytes:
        return self._client.sealed_original(sha256)

    def close(self) -> None:
        self._log.close()
        self._client.close()


class DataDirectorySource:
    """An operator's registry: the log directory in the data directory, and the database."""

    def __init__(self, data_dir: Path, sessions: sessionmaker[Session]) -> None:
        self.description = f"data directory {data_dir}"
        self._vkey_file = data_dir / VKEY_FILE
        self._log = DirectoryFetcher(data_dir / PUBLIC_DIR)
        self._sessions = sessions

    def checkpoint(self) -> bytes:
        return self._log.fetch(CHECKPOINT_NAME)

    def verifier_key(self) -> str:
        try:
            lines = self._vkey_file.read_text("utf-8").split()
        except FileNotFoundError:
            raise ExportError(f"{self._vkey_file}: missing; the log has signed nothing yet") from None
        return lines[-1]

    def log_file(self, name: str) -> bytes:
        return self._log.fetch(name)

    def evidence(self, statement_sha256: str) -> StatementEvidence:
        return statement_evidence(self._sessions, statement_sha256)[1]

    def document(self, sha256: str) -> bytes:
        with self._sessions() as session:
            found = Documents(session).find(sha256)
            if found is None:
                raise NotFoundError(f"the database holds no document {sha256}")
            return found.content

    def sealed_original(self, sha256: str) -> bytes:
        return sealed_original_bytes(self._sessions, sha256)

    def close(self) -> None:
        self._log.close()


def sealed_original_bytes(sessions: sessionmaker[Session], sha256: str) -> bytes:
    """The sealed original with this SHA-256, still sealed; never bytes that do not hash to it."""
    with sessions() as session:
        found = SealedOriginals(session).find(sha256)
        content = None if found is None else found.content
    if content is None:
        raise NotFoundError(f"no sealed original has the SHA-256 {sha256}")
    if hashlib.sha256(content).hexdigest() != sha256:
        # Triggers do not stop whoever owns the database; `candor audit` names the damaged row.
        raise ExportError(f"the registry's copy of sealed original {sha256} is damaged; it is not served")
    return content
