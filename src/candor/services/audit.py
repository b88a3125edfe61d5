"""The registry audit: re-hash everything the database holds against what the log signed.

Triggers keep the registry's own connections from rewriting published history, but not whoever owns the SQLite
file or is a PostgreSQL superuser (see ``docs/storage.md``). The audit finds what such a person changed. Its trust
anchors are the log's signing key (``log.key``/``log.vkey`` in the data directory) and the developers' registered
keys; everything else is checked against them:

* every checkpoint row's note verifies with the log key and states the row's size and root, and the served
  ``log/checkpoint`` agrees with the database's latest;
* the log entries, streamed in index order, are dense, their ``leaf_hash`` column is their hash, they hash to
  the root of every signed checkpoint on the way (a :class:`~candor.tlog.merkle.CompactRange`), and each one's
  hash is the one in the signed tiles (:class:`~candor.tlog.tilereader.TileReader`), which names the index that
  differs;
* each statement row holds exactly its log entry's bytes, its columns say what those signed bytes say, its
  signature verifies with the registered key of its developer, and the document and sealed original the signed
  bytes name are stored;
* every document and sealed original hashes to the SHA-256 it is stored (and signed) under;
* the served tiles pass :func:`~candor.tlog.fsck.fsck`.

Rows are read in chunks by key, each chunk in its own short session, up to the log size seen at the start, so the
cost is linear in the log and memory stays bounded whatever its size. Each mismatch becomes one
:class:`AuditFinding`, handed to the caller as soon as it is found.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import public_key_from_raw
from candor.domain.key_history import is_key_event_entry, parse_key_event_entry
from candor.domain.log_entry import parse_log_entry
from candor.domain.observation import is_observation_entry, parse_observation_entry
from candor.domain.statement import Statement, verify_statement_signature
from candor.errors import CandorError
from candor.store.audit_rows import AuditRows, BlobTable, StoredEntry
from candor.store.log_entries import log_size
from candor.tlog.checkpoint import Checkpoint, open_checkpoint
from candor.tlog.errors import TlogError
from candor.tlog.fsck import FsckError, fsck
from candor.tlog.local_log import KEY_FILE, PUBLIC_DIR, VKEY_FILE
from candor.tlog.merkle import CompactRange, leaf_hash
from candor.tlog.note import Verifier, parse_signer_key, parse_verifier_key
from candor.tlog.tilereader import DirectoryFetcher, TileReader
from candor.tlog.tiles import CHECKPOINT_NAME, TILE_WIDTH, TileError, tile_path

logger = logging.getLogger(__name__)

#: Log entries (with their statements) read per query.
ENTRY_CHUNK = 1024
#: Most bytes of documents or sealed originals read per query (one larger blob is read alone).
BLOB_BATCH_BYTES = 16 << 20
#: How many findings a report keeps; the count goes on, and every one is still handed to ``on_finding``.
KEPT_FINDINGS = 1000

#: ``progress(phase, done, total)``.
Progress = Callable[[str, int, int], None]


class AuditError(CandorError):
    """The audit cannot run: no log key to check signatures with, or an unreadable one."""


class AuditCancelledError(CandorError):
    """The audit was asked to stop (the server is shutting down)."""


@dataclass(frozen=True)
class AuditFinding:
    """One mismatch: where (table or file, and row), what is wrong, and the expected and found values."""

    table: str
    row: str
    problem: str
    expected: str | None = None
    found: str | None = None

    def line(self) -> str:
        """The finding as one line: ``documents sha256 ab..: <problem>: expected <hash>, found <hash>``."""
        text = f"{self.table} {self.row}: {self.problem}"
        if self.expected is not None or self.found is not None:
            text += f": expected {self.expected}, found {self.found}"
        return text


@dataclass
class AuditReport:
    """What an audit checked and found."""

    started_at: datetime
    finished_at: datetime | None = None
    signed_size: int = 0
    entries: int = 0
    statements: int = 0
    documents: int = 0
    sealed_originals: int = 0
    checkpoints: int = 0
    tiles: int = 0
    finding_count: int = 0
    #: The first :data:`KEPT_FINDINGS` findings.
    findings: list[AuditFinding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.finding_count == 0

    def summary(self) -> str:
        """One line saying what was checked."""
        return (
            f"{self.entries} log entries ({self.signed_size} under the signed checkpoint), {self.statements} "
            f"statements, {self.documents} documents, {self.sealed_originals} sealed originals, "
            f"{self.checkpoints} checkpoints, {self.tiles} tiles"
        )


def _no_progress(phase: str, done: int, total: int) -> None:
    """Progress callback that draws nothing."""


def _never() -> bool:
    return False


def _hex(raw: bytes | None) -> str:
    return "nothing" if raw is None else raw.hex()


def log_verifier(data_dir: Path, key_file: Path | None = None) -> Verifier | None:
    """The log's verifier key: from its signer key (``key_file``, by default ``log.key`` in the data directory)
    first, else from ``log.vkey`` in the data directory; None if neither exists."""
    key_path, vkey_path = key_file or data_dir / KEY_FILE, data_dir / VKEY_FILE
    try:
        if key_path.is_file():
            return parse_signer_key(key_path.read_text("utf-8")).verifier()
        if vkey_path.is_file():
            lines = vkey_path.read_text("utf-8").split()
            if not lines:
                raise AuditError(f"{vkey_path}: the log's verifier key file is empty")
            return parse_verifier_key(lines[-1])
    except OSError as exc:
        raise AuditError(f"{key_path.parent}: cannot read the log key: {exc.strerror}") from None
    except TlogError as exc:
        raise AuditError(f"{data_dir}: not a log key: {exc.message}") from None
    return None


class RegistryAudit:
    """One audit run over a registry's database and its data directory."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        data_dir: Path,
        *,
        on_finding: Callable[[AuditFinding], None] | None = None,
        progress: Progress = _no_progress,
        should_stop: Callable[[], bool] = _never,
        key_file: Path | None = None,
    ) -> None:
        self.sessions = sessions
        self.data_dir = data_dir
        #: The log's signer key, the audit's trust anchor (``log_key_file``); by default in the data directory.
        self.key_file = key_file
        self.public = data_dir / PUBLIC_DIR
        self.on_finding = on_finding
        self.progress = progress
        self.should_stop = should_stop
        self.report = AuditReport(started_at=datetime.now(UTC))
        self._later_roots_differing = 0

    # --- findings --------------------------------------------------------------------------------------------

    def _find(self, table: str, row: str, problem: str, expected: str | None = None, found: str | None = None) -> None:
        finding = AuditFinding(table, row, problem, expected, found)
        self.report.finding_count += 1
        if len(self.report.findings) < KEPT_FINDINGS:
            self.report.findings.append(finding)
        if self.on_finding is not None:
            self.on_finding(finding)

    def _check_stop(self) -> None:
        if self.should_stop():
            raise AuditCancelledError("the audit was stopped before it finished")

    # --- the run ---------------------------------------------------------------------------------------------

    def run(self) -> AuditReport:
        """Check everything; the findings are in the report (and were handed to ``on_finding`` as found)."""
        with self.sessions() as session:
            size = log_size(session)
            latest_row = AuditRows(session).latest_checkpoint_note()
        verifier = log_verifier(self.data_dir, self.key_file)
        if verifier is None and latest_row is not None:
            raise AuditError(
                f"{self.data_dir} holds no log key ({KEY_FILE} or {VKEY_FILE}) to check the signed checkpoints with",
                hint="pass the registry's --data-dir",
            )
        anchor = self._signed_root(verifier, latest_row) if verifier is not None else None
        self._entries_and_statements(verifier, anchor, size)
        self._blobs()
        if verifier is not None and anchor is not None:
            self._tiles(verifier)
        self.report.finished_at = datetime.now(UTC)
        return self.report

    def _open(self, verifier: Verifier, note: bytes) -> Checkpoint | str:
        try:
            return open_checkpoint(note, verifier)
        except TlogError as exc:
            return exc.message

    def _signed_root(self, verifier: Verifier, latest: tuple[int, str] | None) -> Checkpoint | None:
        """The tree every entry is checked against: the latest checkpoint the log key signed.

        The database's latest row and the served ``log/checkpoint`` are both read: the database may have lost
        checkpoints (a restore), and the served file may lag it by one integration.
        """
        from_database: Checkpoint | None = None
        if latest is not None:
            row_id, note = latest
            opened = self._open(verifier, note.encode("utf-8"))
            if isinstance(opened, str):
                self._find("checkpoints", f"id {row_id}", f"the latest checkpoint's note does not verify: {opened}")
            else:
                from_database = opened
        served_path = self.public / CHECKPOINT_NAME
        served: Checkpoint | None = None
        try:
            opened = self._open(verifier, served_path.read_bytes())
        except FileNotFoundError:
            if latest is not None:
                self._find("tiles", f"{PUBLIC_DIR}/{CHECKPOINT_NAME}", "missing, though the database holds checkpoints")
            return from_database
        except OSError as exc:
            self._find("tiles", f"{PUBLIC_DIR}/{CHECKPOINT_NAME}", f"cannot be read: {exc.strerror}")
            return from_database
        if isinstance(opened, str):
            self._find("tiles", f"{PUBLIC_DIR}/{CHECKPOINT_NAME}", f"does not verify: {opened}")
            return from_database
        served = opened
        if from_database is not None and served.size == from_database.size and served.root != from_database.root:
            self._find(
                "checkpoints",
                "latest",
                f"the served {PUBLIC_DIR}/{CHECKPOINT_NAME} signs another root for the same size: the log forked",
                expected=from_database.root.hex(),
                found=served.root.hex(),
            )
        if from_database is None or served.size > from_database.size:
            size = 0 if from_database is None else from_database.size
            self._find(
                "checkpoints",
                "latest",
                f"the served {PUBLIC_DIR}/{CHECKPOINT_NAME} is signed at size {served.size}, beyond the database's "
                "latest checkpoint: the database lost signed checkpoints",
                expected=f"size {served.size}",
                found=f"size {size}",
            )
            return served
        return from_database

    # --- log entries and statements --------------------------------------------------------------------------

    def _entries_and_statements(self, verifier: Verifier | None, anchor: Checkpoint | None, log_size: int) -> None:
        signed_size = 0 if anchor is None else anchor.size
        bound = max(log_size, signed_size)
        self.report.signed_size = signed_size
        tiles = _SignedTiles(self.public, anchor, self._find)
        signed = _SignedRoots(self._checkpoints(verifier), self._compare_root)
        keys: dict[int, tuple[int, bytes]] = {}
        expected_index = 0
        self.progress("log", 0, bound)
        after = -1
        while True:
            self._check_stop()
            # By key, not by index range: a forged row at a huge index must not turn into a billion empty queries.
            with self.sessions() as session:
                rows = AuditRows(session).entries(after=after, bound=bound, limit=ENTRY_CHUNK)
                for row in rows:
                    index = row.log_index
                    if index < expected_index:
                        self._find("statements", f"log index {index}", "more than one statement records this entry")
                        continue
                    if index > expected_index:
                        self._missing_entries(expected_index, index)
                        signed.broken()
                    signed.append(self._check_entry(row, tiles, signed_size))
                    expected_index = index + 1
                    self.report.entries += 1
                    self._check_statement(session, row, keys)
            if not rows:
                break
            after = rows[-1].log_index
            self.progress("log", after + 1, bound)
        if expected_index < bound:
            self._missing_entries(expected_index, bound)
        if self._later_roots_differing > 1:
            count = self._later_roots_differing - 1
            self._find(
                "log_entries", "all", f"the entries do not hash to the roots of {count} later checkpoints either"
            )
        beyond = list(itertools.islice(signed.beyond(), KEPT_FINDINGS))
        for row_id, size, _ in beyond:
            where = "the indexes are not dense" if signed.is_broken else f"the database holds {self.report.entries}"
            self._find("checkpoints", f"id {row_id}", f"signs {size} entries, which cannot be checked: {where}")
        self._statements_without_entries()

    def _missing_entries(self, first: int, stop: int) -> None:
        where = f"index {first}" if stop == first + 1 else f"indexes {first} to {stop - 1}"
        self._find("log_entries", where, "missing: the log's indexes are dense from 0")

    def _check_entry(self, row: StoredEntry, tiles: _SignedTiles, signed_size: int) -> bytes:
        index, entry = row.log_index, row.entry
        entry_hash = leaf_hash(entry)
        if not hmac.compare_digest(row.leaf_hash, entry_hash):
            self._find(
                "log_entries",
                f"index {index}",
                "the leaf_hash column is not the hash of the entry",
                expected=entry_hash.hex(),
                found=_hex(row.leaf_hash),
            )
        if index < signed_size:
            signed = tiles.leaf_hash(index)
            if signed is not None and not hmac.compare_digest(signed, entry_hash):
                self._find(
                    "log_entries",
                    f"index {index}",
                    f"the entry's leaf hash is not the one signed in {tiles.name_of(index)}",
                    expected=signed.hex(),
                    found=entry_hash.hex(),
                )
        return entry_hash

    def _checkpoints(self, verifier: Verifier | None) -> Iterator[tuple[int, int, bytes]]:
        """Every checkpoint row, by size, as (id, size, root); each note's signature and fields checked here."""
        after = -1
        while True:
            with self.sessions() as session:
                rows = AuditRows(session).checkpoints(after=after, limit=ENTRY_CHUNK)
            if not rows:
                return
            for row_id, size, root, note in rows:
                self.report.checkpoints += 1
                if verifier is not None:
                    self._check_checkpoint_note(verifier, row_id, size, root, note)
                yield row_id, size, root
            after = rows[-1][1]

    def _check_checkpoint_note(self, verifier: Verifier, row_id: int, size: int, root: bytes, note: str) -> None:
        opened = self._open(verifier, note.encode("utf-8"))
        if isinstance(opened, str):
            self._find("checkpoints", f"id {row_id}", f"the note does not verify with the log key: {opened}")
            return
        if opened.size != size or opened.root != root:
            self._find(
                "checkpoints",
                f"id {row_id}",
                "the size and root columns are not what the signed note says",
                expected=f"size {opened.size} root {opened.root.hex()}",
                found=f"size {size} root {_hex(root)}",
            )

    def _compare_root(self, checkpoint: tuple[int, int, bytes], tree: CompactRange) -> None:
        row_id, size, root = checkpoint
        computed = tree.root()
        if not hmac.compare_digest(computed, root):
            # Once one root differs, every later one does too: the first names where, the rest are only counted.
            self._later_roots_differing += 1
            if self._later_roots_differing > 1:
                return
            self._find(
                "log_entries",
                f"indexes 0 to {size - 1}" if size else "none",
                f"the entries do not hash to the root of checkpoint id {row_id} (size {size})",
                expected=_hex(root),
                found=computed.hex(),
            )

    def _check_statement(self, session: Session, row: StoredEntry, keys: dict[int, tuple[int, bytes]]) -> None:
        index = row.log_index
        if row.statement_id is None:
            if is_key_event_entry(row.entry):
                # A developer key's registration, rotation or revocation: recorded by the log alone, no statement
                # row; its rules are checked by walking the log (candor log verify --statements).
                try:
                    parse_key_event_entry(row.entry, name=f"log entry {index}")
                except CandorError as exc:
                    self._find("log_entries", f"index {index}", f"not a key event: {exc.message}")
                return
            if is_observation_entry(row.entry):
                # What the watcher saw on a developer's site, signed by the log key; it has no statement row.
                try:
                    parse_observation_entry(row.entry, name=f"log entry {index}")
                except CandorError as exc:
                    self._find("log_entries", f"index {index}", f"not an observation: {exc.message}")
                return
            self._find("statements", f"log index {index}", "no statement records this log entry")
            return
        self.report.statements += 1
        where = f"id {row.statement_id} (log index {index})"
        try:
            logged = parse_log_entry(row.entry, name=f"log entry {index}")
        except CandorError as exc:
            self._find("log_entries", f"index {index}", f"not a statement: {exc.message}")
            return
        entry = logged.statement_bytes
        entry_digest = hashlib.sha256(entry).hexdigest()
        if row.statement_bytes != entry:
            self._find(
                "statements",
                where,
                "statement_bytes are not the statement the log entry holds",
                expected=f"SHA-256 {entry_digest}",
                found=f"SHA-256 {hashlib.sha256(row.statement_bytes or b'').hexdigest()}",
            )
        if row.statement_sha256 != entry_digest:
            self._find("statements", where, "statement_sha256", expected=entry_digest, found=row.statement_sha256)
        if logged.signature is not None and row.signature != logged.signature:
            self._find("statements", where, "signature is not the one the log entry holds")
        self._compare_columns(row, logged.statement, where)
        self._check_signature(session, row, entry, where, keys, logged.public_key)
        self._check_stored_blobs(row, logged.statement, where)

    def _compare_columns(self, row: StoredEntry, signed: Statement, where: str) -> None:
        columns = {
            "developer": (signed.developer, row.developer_slug),
            "kind": (signed.kind.value, row.kind),
            "series": (signed.series or "", row.series),
            "version": (signed.version, row.version),
            "document_sha256": (signed.document_sha256, row.document_sha256),
            "supersedes": (signed.supersedes, row.supersedes),
            "target_sha256": (signed.target, row.target_sha256),
            "issued_at": (signed.issued_at, row.issued_at),
        }
        for column, (expected, found) in columns.items():
            if expected != found:
                self._find(
                    "statements", where, f"{column} is not what the signed statement says", str(expected), str(found)
                )

    def _check_signature(
        self,
        session: Session,
        row: StoredEntry,
        entry: bytes,
        where: str,
        keys: dict[int, tuple[int, bytes]],
        logged_key: bytes | None,
    ) -> None:
        key_id = row.key_id
        # statements.key_id is NOT NULL, and an entry without a statement row never reaches this check.
        assert key_id is not None
        key = keys.get(key_id)
        if key is None:
            key = AuditRows(session).developer_key(key_id)
            if key is None:
                self._find("statements", where, f"signed with developer key id {key_id}, which is not registered")
                return
            keys[key_id] = key
        developer_id, public_key = key
        if developer_id != row.developer_id:
            self._find("statements", where, f"developer key id {row.key_id} belongs to another developer")
        if logged_key is not None and logged_key != public_key:
            self._find("statements", where, f"developer key id {row.key_id} is not the key the log entry holds")
        try:
            verify_statement_signature(entry, row.signature or b"", public_key_from_raw(public_key))
        except CandorError as exc:
            self._find("statements", where, f"the signature does not verify with key id {row.key_id}: {exc.message}")

    def _check_stored_blobs(self, row: StoredEntry, signed: Statement, where: str) -> None:
        if signed.document_sha256 is not None and row.stored_document is None:
            self._find("documents", f"sha256 {signed.document_sha256}", f"missing; the statement {where} signs it")
        if signed.sealed_sha256 != row.sealed_sha256:
            self._find(
                "sealed_originals",
                f"of statement {where}",
                "not the sealed original the statement signs",
                expected=str(signed.sealed_sha256),
                found=str(row.sealed_sha256),
            )

    def _statements_without_entries(self) -> None:
        with self.sessions() as session:
            orphans = AuditRows(session).statements_without_entries(KEPT_FINDINGS)
        for statement_id, index in orphans:
            self._find("statements", f"id {statement_id}", f"its log entry {index} is missing")

    # --- documents and sealed originals ----------------------------------------------------------------------

    def _blobs(self) -> None:
        tables: tuple[BlobTable, ...] = ("documents", "sealed_originals")
        for table in tables:
            with self.sessions() as session:
                total = AuditRows(session).blob_count(table)
            done = 0
            after = ""
            self.progress(table, 0, total)
            while True:
                self._check_stop()
                # Keys and lengths first, then the contents in batches of bounded bytes: few queries for small
                # blobs, bounded memory.
                with self.sessions() as session:
                    keys = AuditRows(session).blob_lengths(table, after=after, limit=ENTRY_CHUNK)
                if not keys:
                    break
                for batch in _batches(keys, BLOB_BATCH_BYTES):
                    self._check_stop()
                    with self.sessions() as session:
                        blobs = AuditRows(session).blobs(table, batch)
                    for sha256, size, content in blobs:
                        self._check_blob(table, sha256, size, content)
                    done += len(blobs)
                    self.progress(table, done, max(total, done))
                after = keys[-1][0]
            if table == "documents":
                self.report.documents = done
            else:
                self.report.sealed_originals = done

    def _check_blob(self, table: str, sha256: str, size: int, content: bytes) -> None:
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha256:
            self._find(table, f"sha256 {sha256}", "the content does not hash to its SHA-256", sha256, actual)
        if size != len(content):
            self._find(
                table, f"sha256 {sha256}", "the size column is not the content's length", str(len(content)), str(size)
            )

    # --- served tiles ----------------------------------------------------------------------------------------

    def _tiles(self, verifier: Verifier) -> None:
        def progress(done: int, total: int) -> None:
            self._check_stop()  # fsck calls back once per bundle: where a long check can be stopped
            self.progress("tiles", done, total)

        try:
            report = fsck(self.public, verifier, progress)
        except FsckError as exc:
            # fsck stops at the first file that does not verify, and names it (and the index in it).
            self._find("tiles", f"{PUBLIC_DIR}/{exc.name}", exc.message.removeprefix(f"{exc.name}: "))
            return
        except TlogError as exc:
            self._find("tiles", f"{PUBLIC_DIR}/", exc.message)
            return
        self.report.tiles = report.tiles


def _batches(keys: Sequence[Any], limit: int) -> Iterator[list[str]]:
    """The keys of ``(key, length)`` rows in consecutive batches of at most ``limit`` bytes (or one blob)."""
    batch: list[str] = []
    size = 0
    for key, length in keys:
        if batch and size + (length or 0) > limit:
            yield batch
            batch, size = [], 0
        batch.append(key)
        size += length or 0
    if batch:
        yield batch


class _SignedRoots:
    """Feeds the entries' leaf hashes into a compact range and compares its root at each checkpoint's size."""

    def __init__(
        self,
        checkpoints: Iterator[tuple[int, int, bytes]],
        compare: Callable[[tuple[int, int, bytes], CompactRange], None],
    ) -> None:
        self._checkpoints = checkpoints
        self._compare = compare
        self.tree = CompactRange()
        self._pending = next(checkpoints, None)
        self.is_broken = False
        self._reached()  # a checkpoint of size 0 signs the empty tree

    def broken(self) -> None:
        """Entries are missing: no later root can be recomputed, so the later checkpoints are left unchecked."""
        self.is_broken = True

    def append(self, leaf: bytes) -> None:
        if not self.is_broken:
            self.tree.append(leaf)
            self._reached()

    def _reached(self) -> None:
        while self._pending is not None and self._pending[1] <= self.tree.size:
            self._compare(self._pending, self.tree)
            self._pending = next(self._checkpoints, None)

    def beyond(self) -> Iterator[tuple[int, int, bytes]]:
        """The checkpoints signing more entries than there were."""
        while self._pending is not None:
            yield self._pending
            self._pending = next(self._checkpoints, None)


class _SignedTiles:
    """The leaf hashes of the signed tree, from tiles authenticated against its root; each bad tile named once."""

    def __init__(self, public: Path, anchor: Checkpoint | None, find: Callable[..., None]) -> None:
        self._find = find
        self._size = 0 if anchor is None else anchor.size
        self._reader: TileReader | None = None
        self._bad: set[int] = set()
        if anchor is None or anchor.size == 0:
            return
        try:
            self._reader = TileReader(DirectoryFetcher(public), anchor.size, anchor.root)
        except TileError as exc:
            find("tiles", f"{PUBLIC_DIR}/", f"cannot be read against the signed root: {exc.message}")

    def name_of(self, index: int) -> str:
        """The level-0 tile of the signed tree that holds the hash of entry ``index``."""
        tile = index // TILE_WIDTH
        return tile_path(0, tile, min(TILE_WIDTH, self._size - tile * TILE_WIDTH))

    def leaf_hash(self, index: int) -> bytes | None:
        """The signed leaf hash at ``index``, or None when its tile cannot be authenticated (reported once)."""
        tile = index // TILE_WIDTH
        if self._reader is None or tile in self._bad:
            return None
        try:
            return self._reader.leaf_hash(index)
        except TileError as exc:
            self._bad.add(tile)
            self._find("tiles", f"{PUBLIC_DIR}/{self.name_of(index)}", exc.message)
            return None


#: Findings the periodic audit keeps to show (the log page, ``/api/v1/log/audit``); the server log has them all.
SHOWN_FINDINGS = 50
#: The periodic audit's first run waits at most this long after the server starts, so that start-up stays quick.
FIRST_AUDIT_DELAY = 60.0


@dataclass(frozen=True)
class AuditStatus:
    """What the periodic audit last found: ``state`` is pending, clean, findings, failed or disabled."""

    state: str
    interval: float
    checked_at: datetime | None = None
    summary: str | None = None
    finding_count: int = 0
    findings: tuple[str, ...] = ()
    error: str | None = None

    @classmethod
    def disabled(cls) -> AuditStatus:
        return cls("disabled", 0.0)


class PeriodicAudit(threading.Thread):
    """Audits the registry every ``interval`` seconds in the background, for as long as the server runs.

    A failing audit (the database gone, a key unreadable) is logged and shown as ``failed``; it never stops the
    server, and the next interval tries again. Findings are logged as errors, one line each.
    """

    def __init__(
        self, sessions: sessionmaker[Session], data_dir: Path, interval: float, *, key_file: Path | None = None
    ) -> None:
        super().__init__(name="candor-registry-audit", daemon=True)
        if interval <= 0:
            raise ValueError("a periodic audit needs a positive interval")
        self.sessions = sessions
        self.data_dir = data_dir
        self.key_file = key_file
        self.interval = interval
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._status = AuditStatus("pending", interval)

    @property
    def status(self) -> AuditStatus:
        with self._lock:
            return self._status

    def stop(self) -> None:
        """Stop, abandoning an audit in progress at its next chunk."""
        self._stopping.set()
        self.join()

    def run(self) -> None:
        delay = min(self.interval, FIRST_AUDIT_DELAY)
        while not self._stopping.wait(delay):
            self.audit_once()
            delay = self.interval

    def audit_once(self) -> AuditStatus:
        """Run one audit now, record and log its outcome, and return it."""
        try:
            report = RegistryAudit(
                self.sessions,
                self.data_dir,
                on_finding=self._log_finding,
                should_stop=self._stopping.is_set,
                key_file=self.key_file,
            ).run()
        except AuditCancelledError:
            return self.status
        except Exception as exc:
            logger.exception("AUDIT FAILED: the registry audit could not run; retrying in %s s", self.interval)
            message = exc.diagnostics() if isinstance(exc, CandorError) else f"{type(exc).__name__}: {exc}"
            status = AuditStatus("failed", self.interval, checked_at=datetime.now(UTC), error=message)
        else:
            if report.clean:
                logger.info("registry audit clean: %s", report.summary())
            else:
                logger.error("AUDIT FOUND %s MISMATCH(ES) in %s", report.finding_count, report.summary())
            status = AuditStatus(
                "clean" if report.clean else "findings",
                self.interval,
                checked_at=report.finished_at,
                summary=report.summary(),
                finding_count=report.finding_count,
                findings=tuple(finding.line() for finding in report.findings[:SHOWN_FINDINGS]),
            )
        with self._lock:
            self._status = status
        return status

    @staticmethod
    def _log_finding(finding: AuditFinding) -> None:
        logger.error("AUDIT: %s", finding.line())
