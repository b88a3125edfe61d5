"""Re-verify a whole-registry export offline (``candor verify --export DIR``), trusting only the log's key.

In order, stopping at the first thing that fails and naming it (file, line, index):

1. the manifest is a ``candor-export/v1`` manifest and names the tree the checkpoint signs;
2. the checkpoint is signed by the log's key (the export's own ``vkey``, or one given out of band), and every tile
   and entry bundle re-derives to its signed root (the fsck of ``candor log verify``);
3. every entry is a canonical Candor statement or key event, every signature an entry logs verifies with its key,
   and that key is the developer's at that index as the log's key events say (``candor log verify --statements``);
4. ``statements.jsonl`` has exactly one line per statement entry, in log order, holding the statement the log holds
   and a signature that verifies with the key (for an envelope, the very signature and key it logs);
5. every document and sealed original a statement names is there and hashes to its name, a sealed original's clear
   header names its statement's developer, kind, version and document, and no other file is in those folders.

Its cost is linear in the export's size, and it holds one line, one bundle and the set of digests named.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from candor.domain.developer_keys import public_key_from_raw
from candor.domain.key_history import is_key_event_entry
from candor.domain.log_entry import parse_log_entry
from candor.domain.observation import is_observation_entry
from candor.domain.sealing import MAX_SEALED_BYTES, read_sealed_header
from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.domain.statement import verify_statement_signature
from candor.errors import CandorError
from candor.services.registry_export import (
    DOCUMENTS_NAME,
    EXPORT_TYPE,
    LOG_NAME,
    MANIFEST_NAME,
    SEALED_NAME,
    STATEMENTS_NAME,
    VKEY_NAME,
)
from candor.services.verification import VerificationError, check_statement_entries
from candor.tlog.checkpoint import Checkpoint
from candor.tlog.fsck import fsck
from candor.tlog.note import parse_verifier_key
from candor.tlog.tilereader import DirectoryFetcher, TileReader

#: The longest line ``statements.jsonl`` may hold: a statement of at most 16 KiB, in base64, with its fields.
MAX_LINE_BYTES = 32 * 1024
_LINE_FIELDS = frozenset({"log_index", "id", "statement", "signature", "key"})


class ExportVerificationError(VerificationError):
    """The first thing in an export that does not verify."""


@dataclass(frozen=True)
class VerifiedExport:
    """What a successful verification checked."""

    checkpoint: Checkpoint
    vkey_fingerprint: str
    entries: int
    statements: int
    documents: int
    sealed: int
    tiles: int


def verify_export(directory: Path, *, vkey: str | None = None) -> VerifiedExport:
    """Check the export in ``directory``; ``vkey`` (obtained out of band) overrides the export's own key."""
    if not directory.is_dir():
        raise ExportVerificationError(f"{directory}: not a directory")
    _check_manifest_type(directory)
    verifier = parse_verifier_key(vkey if vkey is not None else _export_vkey(directory))
    log_dir = directory / LOG_NAME
    try:
        report = fsck(log_dir, verifier)
    except CandorError as exc:
        raise ExportVerificationError(f"{log_dir}/{exc.message}") from None
    checkpoint = report.checkpoint
    _check_manifest_tree(directory, checkpoint)
    reader = TileReader(DirectoryFetcher(log_dir), checkpoint.size, checkpoint.root)
    try:
        check_statement_entries(reader, verifier)
    except CandorError as exc:
        raise ExportVerificationError(f"{log_dir}: {exc.message}") from None
    named = _check_statements(directory, reader)
    documents = _check_folder(directory / DOCUMENTS_NAME, named.documents, MAX_DOCUMENT_BYTES)
    sealed = _check_folder(directory / SEALED_NAME, set(named.sealed), MAX_SEALED_BYTES)
    for digest, (developer, kind, version, document) in named.sealed.items():
        name = f"{directory / SEALED_NAME / digest}"
        try:
            header = read_sealed_header((directory / SEALED_NAME / digest).read_bytes(), name)
        except CandorError as exc:
            raise ExportVerificationError(exc.message) from None
        claimed = (header.developer, header.kind, header.version, header.public_sha256)
        if claimed != (developer, kind, version, document):
            raise ExportVerificationError(
                f"{name}: its header names {header.developer} {header.kind} {header.version} of document "
                f"{header.public_sha256}, not the statement that names it"
            )
    return VerifiedExport(
        checkpoint=checkpoint,
        vkey_fingerprint=verifier.fingerprint(),
        entries=checkpoint.size,
        statements=named.statements,
        documents=documents,
        sealed=sealed,
        tiles=report.tiles,
    )


def _check_manifest_type(directory: Path) -> None:
    manifest = _manifest(directory)
    if manifest.get("type") != EXPORT_TYPE:
        raise ExportVerificationError(f"{directory / MANIFEST_NAME}: type: not {EXPORT_TYPE}")


def _manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ExportVerificationError(f"{path}: missing; not a Candor export") from None
    if len(raw) > 64 * 1024:
        raise ExportVerificationError(f"{path}: over 64 KiB; not a Candor export manifest")
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportVerificationError(f"{path}: not JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise ExportVerificationError(f"{path}: not a JSON object")
    return manifest


def _check_manifest_tree(directory: Path, checkpoint: Checkpoint) -> None:
    manifest = _manifest(directory)
    root = base64.b64encode(checkpoint.root).decode("ascii")
    for field, signed in (("origin", checkpoint.origin), ("size", checkpoint.size), ("root", root)):
        if manifest.get(field) != signed:
            raise ExportVerificationError(
                f"{directory / MANIFEST_NAME}: {field}: {manifest.get(field)!r}, but the signed checkpoint says "
                f"{signed!r}"
            )


def _export_vkey(directory: Path) -> str:
    path = directory / VKEY_NAME
    try:
        lines = path.read_text("utf-8").split()
    except (FileNotFoundError, UnicodeDecodeError):
        raise ExportVerificationError(f"{path}: missing or unreadable; pass --vkey") from None
    if not lines:
        raise ExportVerificationError(f"{path}: empty; pass --vkey")
    return lines[-1]


@dataclass
class _Named:
    """What the statements name: counted, and the digests to find in the folders."""

    statements: int
    documents: set[str]
    #: sealed digest -> (developer, kind, version, document digest) its header must name.
    sealed: dict[str, tuple[str, str, str, str | None]]


def _check_statements(directory: Path, reader: TileReader) -> _Named:
    path = directory / STATEMENTS_NAME
    named = _Named(0, set(), {})
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise ExportVerificationError(f"{path}: missing") from None
    with handle:
        number = 0
        for index, entry in reader.entries(0, reader.size):
            # Key events and the watcher's observations are the log key's word, checked above; only statements
            # have lines in the statements file.
            if is_key_event_entry(entry) or is_observation_entry(entry):
                continue
            logged = parse_log_entry(entry, name=f"log entry {index}")  # checked above: it parses
            number += 1
            where = f"{path}:{number}"
            line = _line(handle, where, index)
            if line["log_index"] != index:
                raise ExportVerificationError(
                    f"{where}: is for log entry {line['log_index']}, but log entry {index} is a statement and has no "
                    "line (a statement was removed, or the lines reordered)"
                )
            statement_bytes, signature, key = (_b64(line, field, where) for field in ("statement", "signature", "key"))
            if statement_bytes != logged.statement_bytes:
                raise ExportVerificationError(f"{where}: statement: not the statement log entry {index} holds")
            if line["id"] != hashlib.sha256(statement_bytes).hexdigest():
                raise ExportVerificationError(f"{where}: id: not the SHA-256 of the statement")
            if logged.signature is not None and (signature, key) != (logged.signature, logged.public_key):
                raise ExportVerificationError(f"{where}: signature: not the signature and key log entry {index} logs")
            try:
                verify_statement_signature(statement_bytes, signature, public_key_from_raw(key))
            except CandorError:
                raise ExportVerificationError(
                    f"{where}: signature: does not verify with its key over the statement (log entry {index})"
                ) from None
            statement = logged.statement
            if statement.document_sha256 is not None:
                named.documents.add(statement.document_sha256)
                _check_blob(directory / DOCUMENTS_NAME / statement.document_sha256, MAX_DOCUMENT_BYTES, where)
            if statement.sealed_sha256 is not None:
                named.sealed[statement.sealed_sha256] = (
                    statement.developer,
                    statement.kind.value,
                    statement.version,
                    statement.document_sha256,
                )
                _check_blob(directory / SEALED_NAME / statement.sealed_sha256, MAX_SEALED_BYTES, where)
        named.statements = number
        if handle.readline(1):
            raise ExportVerificationError(f"{path}:{number + 1}: a line for no statement entry of the log")
    return named


def _line(handle: BinaryIO, where: str, index: int) -> dict[str, Any]:
    raw = handle.readline(MAX_LINE_BYTES + 1)
    if not raw:
        raise ExportVerificationError(f"{where}: missing: log entry {index} is a statement and has no line")
    if len(raw) > MAX_LINE_BYTES:
        raise ExportVerificationError(f"{where}: over {MAX_LINE_BYTES} bytes")
    try:
        line = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportVerificationError(f"{where}: not JSON ({exc.args[0]})") from None
    if not isinstance(line, dict) or set(line) != _LINE_FIELDS:
        raise ExportVerificationError(f"{where}: a line holds exactly {', '.join(sorted(_LINE_FIELDS))}")
    if not isinstance(line["log_index"], int) or not isinstance(line["id"], str):
        raise ExportVerificationError(f"{where}: log_index must be a number and id a string")
    return line


def _b64(line: dict[str, Any], field: str, where: str) -> bytes:
    value = line[field]
    try:
        if not isinstance(value, str):
            raise TypeError
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (TypeError, UnicodeEncodeError, binascii.Error):
        raise ExportVerificationError(f"{where}: {field}: not base64") from None


def _check_blob(path: Path, limit: int, where: str) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ExportVerificationError(f"{path}: missing, though {where} names it") from None
    if size > limit:
        raise ExportVerificationError(f"{path}: {size:,} bytes, over the limit of {limit:,}")
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    if found != path.name:
        raise ExportVerificationError(f"{path}: its bytes hash to {found}, not to its name ({where} names it)")


def _check_folder(folder: Path, named: set[str], limit: int) -> int:
    """Every file in ``folder`` is named by a statement (each named one was checked as the statements were)."""
    if not folder.exists():
        if named:
            raise ExportVerificationError(f"{folder}: missing")
        return 0
    count = 0
    for path in folder.iterdir():
        if path.name not in named:
            raise ExportVerificationError(f"{path}: no statement names it")
        count += 1
    return count
