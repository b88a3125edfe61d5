"""A C2SP tlog-witness (c2sp.org/tlog-witness): cosign a log's checkpoint only once it is proven to extend the last
checkpoint this witness cosigned for that log.

A witness remembers one thing per log, the latest checkpoint it cosigned, and it never cosigns two checkpoints of
one log that contradict each other, nor a smaller tree after a larger one. A registry that showed one log to the
public and another to a developer (a split view) can therefore get only one of them cosigned by an honest witness.

How the promises are kept:

* **Check and update are one step.** :meth:`Witness.add_checkpoint` reads the remembered size, verifies the
  request, signs and stores the new checkpoint inside one SQLite ``BEGIN IMMEDIATE`` transaction, so two requests
  (from two threads or two processes) cannot both pass the check against the same old size; the second sees the
  first one's size and gets a 409. The spec names this race explicitly.
* **Nothing is answered before it is durable.** The new state is committed (SQLite with ``synchronous=FULL``)
  before the cosignature is returned, so a ``kill -9`` after an answer never forgets what was cosigned.
* **Time never runs backwards for a log.** A cosignature carries its time; if the clock reads earlier than the
  last cosignature for the log, the witness answers 503 rather than date a newer tree before an older one.
* **Refusals that prove misbehaviour are kept.** A correctly signed checkpoint that is inconsistent with the
  remembered one (a fork or a rollback) is stored as evidence, with the reason, before the 422 is returned.

The checks run in the spec's order, each with the spec's status code: a malformed body is 400, an unknown origin
404, a missing or bad log signature 403, an old size above the new size 400, an old size other than the remembered
one 409 (with the remembered size as the body), and a proof that does not verify 422.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from candor.tlog.checkpoint import Checkpoint, parse_checkpoint
from candor.tlog.errors import CheckpointError, NoteError, ProofError, TlogError
from candor.tlog.merkle import EMPTY_TREE_HASH, HASH_SIZE, verify_consistency_witness
from candor.tlog.note import CosignatureSigner, NoteSignature, Verifier, open_note, parse_note

#: The spec lets a client send at most 63 proof lines (a proof in a tree of up to 2^63 leaves).
MAX_PROOF_LINES = 63
#: An add-checkpoint body: the old size line, 63 proof lines of 45 bytes, and a checkpoint with its signatures.
#: Checkpoints are a few hundred bytes; this bound only stops abuse.
MAX_REQUEST_BYTES = 64 * 1024
#: Sizes are 64-bit in the spec, but SQLite integers are signed; 2^63-1 leaves is far beyond any real log.
MAX_TREE_SIZE = (1 << 63) - 1
#: The media type of a 409's body, the size the witness remembers.
SIZE_MEDIA_TYPE = "text/x.tlog.size"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cosigned (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note BLOB NOT NULL,
    cosigned_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    reason TEXT NOT NULL,
    request BLOB NOT NULL,
    received_at INTEGER NOT NULL
);
"""


class WitnessRefusalError(TlogError):
    """The witness will not cosign: ``status`` is the HTTP status the spec gives for the reason."""

    def __init__(self, status: int, message: str, *, body: bytes | None = None, media_type: str = "text/plain") -> None:
        super().__init__(message)
        self.status = status
        self.body = body if body is not None else (message + "\n").encode()
        self.media_type = media_type


@dataclass(frozen=True)
class WitnessedLog:
    """A log this witness follows: its origin and the keys whose signature on a checkpoint it trusts."""

    origin: str
    verifiers: tuple[Verifier, ...]

    @property
    def origin_hash(self) -> str:
        """The lower-case hex SHA-256 of the origin, which names the log in the monitoring URL."""
        return origin_hash(self.origin)


def origin_hash(origin: str) -> str:
    return hashlib.sha256(origin.encode()).hexdigest()


@dataclass(frozen=True)
class AddCheckpointRequest:
    """A parsed add-checkpoint body: the size the client believes the witness holds, a proof, and the note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: bytes


def parse_add_checkpoint(body: bytes) -> AddCheckpointRequest:
    """Parse the body strictly; anything malformed is a 400."""
    if len(body) > MAX_REQUEST_BYTES:
        raise WitnessRefusalError(413, f"request body is larger than {MAX_REQUEST_BYTES} bytes")
    head, separator, note = body.partition(b"\n\n")
    if not separator:
        raise WitnessRefusalError(400, "request has no empty line between the proof and the checkpoint")
    lines = head.split(b"\n")
    old_line, proof_lines = lines[0], lines[1:]
    if not old_line.startswith(b"old "):
        raise WitnessRefusalError(400, "request does not start with an 'old <size>' line")
    old_size = _decimal(old_line[4:], "old size")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise WitnessRefusalError(400, f"request has {len(proof_lines)} proof lines, over {MAX_PROOF_LINES}")
    proof = tuple(_hash_line(line, number) for number, line in enumerate(proof_lines, start=2))
    if not note:
        raise WitnessRefusalError(400, "request has no checkpoint after the empty line")
    return AddCheckpointRequest(old_size, proof, note)


def _decimal(raw: bytes, what: str) -> int:
    text = raw.decode("ascii", errors="replace")
    if not (text == "0" or (text[:1] in "123456789" and text.isdigit() and text.isascii())):
        raise WitnessRefusalError(400, f"{what} {text[:30]!r} is not a decimal number without leading zeros")
    value = int(text)
    if value > MAX_TREE_SIZE:
        raise WitnessRefusalError(400, f"{what} {value} is above 2^63-1")
    return value


def _hash_line(line: bytes, number: int) -> bytes:
    try:
        digest = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError) as error:
        raise WitnessRefusalError(400, f"proof line {number} is not base64") from error
    if len(digest) != HASH_SIZE or base64.b64encode(digest) != line:
        raise WitnessRefusalError(400, f"proof line {number} is not the base64 of a {HASH_SIZE}-byte hash")
    return digest


class WitnessState:
    """The witness's memory: per origin, the latest cosigned checkpoint, and the evidence of refused forks.

    One SQLite file. Every add-checkpoint runs in one ``BEGIN IMMEDIATE`` transaction, which makes it the only
    writer across threads and processes until it commits; ``synchronous=FULL`` makes the commit durable first.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=FULL")
        self._connection.executescript(_SCHEMA)

    def close(self) -> None:
        self._connection.close()

    def latest(self, origin: str) -> tuple[int, bytes, bytes, int] | None:
        """(size, root, cosigned note, cosignature time) of the latest checkpoint cosigned for ``origin``."""
        row = self._connection.execute(
            "SELECT size, root, note, cosigned_at FROM cosigned WHERE origin = ?", (origin,)
        ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]), bytes(row[2]), int(row[3]))

    def evidence(self, origin: str) -> list[tuple[str, bytes]]:
        """Every refused request for ``origin`` that proves the log misbehaved: (reason, request body)."""
        rows = self._connection.execute(
            "SELECT reason, request FROM evidence WHERE origin = ? ORDER BY id", (origin,)
        ).fetchall()
        return [(str(reason), bytes(request)) for reason, request in rows]

    def transaction(self) -> _Transaction:
        return _Transaction(self._connection)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self._connection.execute("BEGIN IMMEDIATE")
        return self._connection

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        self._connection.execute("ROLLBACK" if kind is not None else "COMMIT")


class Witness:
    """Checks add-checkpoint requests and cosigns the ones that extend what it has cosigned before."""

    def __init__(
        self,
        signer: CosignatureSigner,
        logs: Iterable[WitnessedLog],
        state: WitnessState,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signer = signer
        self.logs: Mapping[str, WitnessedLog] = {log.origin: log for log in logs}
        self._by_hash = {log.origin_hash: log for log in self.logs.values()}
        self.state = state
        self._clock = clock

    def add_checkpoint(self, body: bytes) -> bytes:
        """The cosignature line for the checkpoint in ``body``, or a :class:`WitnessRefusalError`."""
        request = parse_add_checkpoint(body)
        log, checkpoint, log_signatures = self._open(request.note)
        if request.old_size > checkpoint.size:
            raise WitnessRefusalError(400, f"old size {request.old_size} is above the size {checkpoint.size}")
        refusal: WitnessRefusalError | None = None
        with self.state.transaction() as database:
            row = database.execute(
                "SELECT size, root, cosigned_at FROM cosigned WHERE origin = ?", (log.origin,)
            ).fetchone()
            known_size, known_root, last_time = (0, EMPTY_TREE_HASH, 0) if row is None else (row[0], row[1], row[2])
            refusal, evidence = self._check(request, checkpoint, known_size, known_root)
            if evidence:
                # A signed checkpoint that contradicts a cosigned one proves the log misbehaved: keep it, and let
                # this transaction commit the evidence (and nothing else) before refusing.
                database.execute(
                    "INSERT INTO evidence (origin, reason, request, received_at) VALUES (?, ?, ?, ?)",
                    (log.origin, refusal.message if refusal else "", body, int(self._clock())),
                )
            if refusal is None:
                now = int(self._clock())
                if now < last_time:
                    raise WitnessRefusalError(
                        503, f"the witness's clock reads {now}, before its last cosignature at {last_time}"
                    )
                signature = self.signer.sign_at(checkpoint.to_text().encode(), now)
                cosignature = NoteSignature(self.signer.name, self.signer.key_id, signature).line()
                note = (checkpoint.to_text() + "\n" + "".join(log_signatures) + cosignature).encode()
                database.execute(
                    "INSERT INTO cosigned (origin, size, root, note, cosigned_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
                    "note = excluded.note, cosigned_at = excluded.cosigned_at",
                    (log.origin, checkpoint.size, checkpoint.root, note, now),
                )
        if refusal is not None:
            raise refusal
        return cosignature.encode()

    def checkpoint_for(self, hashed_origin: str) -> bytes | None:
        """The latest cosigned checkpoint of the log whose origin hashes to ``hashed_origin``, for monitors."""
        log = self._by_hash.get(hashed_origin)
        latest = None if log is None else self.state.latest(log.origin)
        return None if latest is None else latest[2]

    def _open(self, note: bytes) -> tuple[WitnessedLog, Checkpoint, list[str]]:
        try:
            text = note.decode("utf-8")
            origin = text.split("\n", 1)[0]
        except UnicodeDecodeError as error:
            raise WitnessRefusalError(400, "the checkpoint is not UTF-8") from error
        log = self.logs.get(origin)
        if log is None:
            raise WitnessRefusalError(404, f"this witness does not follow a log with origin {origin[:100]!r}")
        try:
            parse_note(note)
        except NoteError as error:
            raise WitnessRefusalError(400, f"malformed checkpoint note: {error.message}") from error
        try:
            # The note parses, so a refusal here is about signatures: none by a trusted key, or a bad one.
            opened = open_note(note, log.verifiers)
        except NoteError as error:
            raise WitnessRefusalError(403, f"the checkpoint is not signed by the log: {error.message}") from error
        try:
            checkpoint = parse_checkpoint(opened.text)
        except CheckpointError as error:
            raise WitnessRefusalError(400, f"malformed checkpoint: {error.message}") from error
        if checkpoint.size > MAX_TREE_SIZE:
            raise WitnessRefusalError(400, f"checkpoint size {checkpoint.size} is above 2^63-1")
        return log, checkpoint, [signature.line() for signature in opened.signatures]

    @staticmethod
    def _check(
        request: AddCheckpointRequest, checkpoint: Checkpoint, known_size: int, known_root: bytes
    ) -> tuple[WitnessRefusalError | None, bool]:
        """The refusal the spec gives for ``checkpoint`` against the remembered tree, if any, and whether the
        request is evidence of a fork or a rollback."""
        if known_size and checkpoint.size == known_size and checkpoint.root != known_root:
            # Two roots for one size prove a fork, whatever old size came with them.
            return WitnessRefusalError(422, f"the log's tree of size {known_size} already has another root"), True
        if request.old_size != known_size:
            message = f"this witness last cosigned size {known_size}, not {request.old_size}"
            return WitnessRefusalError(409, message, body=f"{known_size}\n".encode(), media_type=SIZE_MEDIA_TYPE), False
        if checkpoint.size == 0 and checkpoint.root != EMPTY_TREE_HASH:
            return WitnessRefusalError(422, "a checkpoint of size 0 must carry the empty tree's root"), False
        try:
            verify_consistency_witness(known_size, checkpoint.size, request.proof, known_root, checkpoint.root)
        except ProofError as error:
            refusal = WitnessRefusalError(422, f"not consistent with the cosigned size {known_size}: {error.message}")
            return refusal, known_size > 0
        return None, False
