"""The registry log's integrator: turns the database's log entries into served tiles and a signed checkpoint.

The database is the sequencer: publishing gives each statement its index there. Integration then, holding the
same append lock (an advisory lock on PostgreSQL, the single writer on SQLite), reads the entries past the last
checkpoint, writes their tiles into ``<data dir>/log`` with :class:`~candor.tlog.tiles.TileWriter`, signs a
checkpoint with the registry's log key, and records it in the checkpoints table. Only after that transaction has
committed is ``log/checkpoint`` written, so the served checkpoint never names a tree the database has not kept.

Several app servers may share one database, each with its own data directory and the same log key
(``log_key_file``): the one holding the integrator lease (:mod:`candor.store.integrator_lease`) integrates and
signs; the others :meth:`RegistryLog.follow`, tiling in their own directory the entries of each checkpoint the
database recorded and serving it once their tiles hash to its root. A server whose key is not the database's log
key never signs (nor gives out indexes) and keeps serving.

Because every new tree extends the recorded one (its tiles are checked against the recorded root, and rebuilt
from the database if they do not match), and :func:`~candor.store.log_entries.record_checkpoint` refuses a
different root for a size already signed, several server processes sharing one database never sign
inconsistent checkpoints.

The database alone is not enough: it can be restored from an older backup, or a registry on PostgreSQL can be
pointed at a new data directory with a new key. So the log also remembers what it signed apart from the database
(:mod:`candor.tlog.history`): each new checkpoint is appended to ``<data dir>/checkpoint-history`` and synced
before the database records it (and so before anyone is served it), the database records the log's key on first
use, and before signing the integrator proves that the new tree extends the newest checkpoint either remembers.
When it cannot, the log refuses to sign and the publisher refuses to give out new indexes (HTTP 503), naming the
two heads that disagree, until an operator restores the matching backup (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from candor.errors import CandorError
from candor.store.integrator_lease import IntegratorLease as IntegratorLease  # re-exported for the faces
from candor.store.log_entries import (
    checkpoint_sizes,
    latest_signed_head,
    leaf_hashes,
    log_append_lock,
    log_entries,
    log_size,
    record_checkpoint,
    record_log_identity,
    recorded_log_key,
)
from candor.store.summaries import RecordedLogKey
from candor.tlog.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint, sign_checkpoint
from candor.tlog.errors import TlogError
from candor.tlog.history import (
    HISTORY_FILE,
    CheckpointHistory,
    HistoryError,
    RefusedToSignError,
    describe_signed,
    prove_extends,
)
from candor.tlog.history import rolled_back as database_behind
from candor.tlog.local_log import KEY_FILE, PUBLIC_DIR, VKEY_FILE
from candor.tlog.merkle import EMPTY_TREE_HASH, MemoryTree
from candor.tlog.note import Signer, Verifier, generate_key, parse_note, parse_signer_key, parse_verifier_key
from candor.tlog.sequencer import SignedHead
from candor.tlog.tilereader import DirectoryFetcher, TileReader
from candor.tlog.tiles import (
    CHECKPOINT_NAME,
    RightEdge,
    TileError,
    TileWriter,
    fsync_directory,
    load_right_edge,
    write_atomic,
)

logger = logging.getLogger(__name__)

#: How often the background integrator looks for new entries, in seconds.
INTEGRATION_INTERVAL = 0.25
#: Entries read from the database and tiled at a time.
_CHUNK = 4096
_CHECKPOINT_LOCK = "checkpoint.lock"


class IntegrationError(CandorError):
    """The registry log cannot be integrated: an unreadable key, or tiles that contradict the database."""


class LogRefusesError(IntegrationError):
    """The log refuses to sign and to sequence: its database disagrees with what the log has signed and served.

    Publishing answers 503: the registry is up, but cannot record anything until an operator recovers it.
    """

    http_status = 503
    error_code = "log_refuses_to_sign"


def registry_log_signer(key_path: Path, origin: str, *, create: bool = True) -> Signer:
    """The registry log's signer, from ``key_path``; created there (mode 0600) on first use when ``create``.

    ``origin`` names a new key; an existing key keeps the name it was created with. A key is created only for a
    database whose log has no key yet: a server pointed at another registry's database never makes a second one.
    """
    if not key_path.exists():
        if not create:
            raise IntegrationError(
                f"{key_path}: no log key here, and the database's log already has one",
                hint="copy the log's key to this path, or set log_key_file (CANDOR_LOG_KEY_FILE) to where it is",
            )
        key_path.parent.mkdir(parents=True, exist_ok=True)
        _create_key(key_path, origin)
    try:
        text = key_path.read_text("utf-8")
    except OSError as exc:
        raise IntegrationError(f"{key_path}: cannot read the log key: {exc.strerror}") from None
    if not text.strip():
        raise IntegrationError(f"{key_path}: the log key file is empty", hint="restore it from a backup")
    try:
        signer = parse_signer_key(text)
    except TlogError as exc:
        raise IntegrationError(f"{key_path}: not a log signer key: {exc.message}") from exc
    if signer.name != origin:
        # The key names the log for ever: its checkpoints already carry that origin, so the key wins.
        logger.warning(
            "%s: the log key is named %r, not %r; the key's name stays the origin", key_path, signer.name, origin
        )
    return signer


def _create_key(key_path: Path, origin: str) -> None:
    """Write a new signer key to ``key_path`` unless one appears there first, never leaving a partial file.

    Several server processes may start at once: each writes its key to a private temporary file, and only the
    first hard link into place wins, so every process then reads the same complete key.
    """
    skey, _ = generate_key(origin)
    temporary = key_path.with_name(f".{key_path.name}.{os.getpid()}.{threading.get_ident()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(skey + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # If another process made the key first, that one is the log's key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, key_path)
    finally:
        temporary.unlink()
    fsync_directory(key_path.parent)


class AppendGate:
    """Lets one thread of this process at a time ask the database for the log's append lock.

    The database lock is what serialises appends across processes. Queuing for it here first matters on SQLite:
    a writer blocked there polls with sleeps of up to 100 ms, which turns a few busy moments into long tail
    latencies, whereas a thread waiting on this gate wakes the instant it is free.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


class RegistryLog:
    """Integrates the registry database's log entries into the tiles under ``data_dir/log``, and serves them.

    Several app servers may share one database, each with its own data directory: one at a time signs (the
    :class:`Integrator` that holds the :class:`~candor.store.integrator_lease.IntegratorLease` calls
    :meth:`integrate`); the others :meth:`follow`, tiling in their own directory the entries the database's latest
    checkpoint covers, and serving that checkpoint once their tiles hash to its root. Tiles are a function of the
    entries, so every server serves the same bytes.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        data_dir: Path,
        origin: str,
        *,
        key_file: Path | None = None,
        gate: AppendGate | None = None,
    ) -> None:
        self.sessions = sessions
        self.data_dir = data_dir
        self.key_file = key_file or data_dir / KEY_FILE
        self.public = data_dir / PUBLIC_DIR
        self.public.mkdir(parents=True, exist_ok=True)
        identity, known = self._recorded_identity()
        #: Why this server never signs: no readable key, or a key that is not the database's log key. It still
        #: serves the log, checked against the database's key. Set once, at start: the key is read only then.
        self.key_refusal: LogRefusesError | None = None
        self._signer: Signer | None = None
        try:
            self._signer = registry_log_signer(self.key_file, origin, create=identity is None or not known)
        except IntegrationError as exc:
            if identity is None:
                raise  # no key anywhere: nothing to sign with, nor to check what is served against
            self.key_refusal = LogRefusesError(f"the log refuses to sign: {exc.message}", hint=exc.hint)
        if identity is not None and self._signer is not None and identity.vkey != self._signer.vkey():
            self.key_refusal = self._other_key(identity)
        #: The log's key as the database knows it (or, before its first signature, this server's own).
        self.verifier: Verifier = parse_verifier_key(identity.vkey) if identity is not None else self.signer.verifier()
        vkey_path = data_dir / VKEY_FILE
        if not vkey_path.exists() or vkey_path.read_text("utf-8").strip() != self.verifier.vkey():
            write_atomic(vkey_path, (self.verifier.vkey() + "\n").encode())
        self.history = CheckpointHistory(data_dir / HISTORY_FILE, self.verifier)
        self._writer: TileWriter | None = None
        # The remembered checkpoint this process last proved the database extends: proving costs one pass over the
        # database's leaf hashes at worst, so it is done again only when another process (or a crash) moved it.
        self._proven: SignedHead | None = None
        # Why the log last refused to sign or to follow, until an integration succeeds.
        self._refusal: LogRefusesError | None = None
        # When the last follow began (time.monotonic()), for catch_up.
        self._follow_started = float("-inf")
        #: True while this server's integrator holds the lease and signs; False while it only serves.
        self.signing = False
        # Integrating threads of this process take turns (the writer is shared), and with publishers too.
        self._lock = threading.Lock()
        self.gate = gate or AppendGate()
        if self.key_refusal is not None:
            logger.error("%s", self.key_refusal.message)

    def _recorded_identity(self) -> tuple[RecordedLogKey | None, bool]:
        """The database's log identity, and whether the database could say (it may be down, or not migrated yet).

        When it cannot, the server starts as it did before identities were kept: with the key at ``key_file``
        (made there if missing). The identity is checked again before any signature and any new index, so such a
        key never signs for a log that has another.
        """
        try:
            with self.sessions() as session:
                return recorded_log_key(session), True
        except SQLAlchemyError as exc:
            cause = str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["no answer"]
            logger.warning("the database's log key could not be read at start: %s", cause[0])
            return None, False

    @property
    def signer(self) -> Signer:
        """This server's log key; raises the refusal when it has none it may sign with."""
        if self._signer is None or self.key_refusal is not None:
            raise self.key_refusal or IntegrationError("no log key")
        return self._signer

    @property
    def refusal(self) -> LogRefusesError | None:
        """Why the log refuses to sign here (publishing refuses for the same reason), or None."""
        return self.key_refusal or self._refusal

    @property
    def origin(self) -> str:
        return self.verifier.name

    def integrate(self) -> Checkpoint:
        """Integrate every entry past the last checkpoint, and serve the newest checkpoint. Returns it.

        Raises :class:`LogRefusesError` when the database disagrees with what the log has signed.
        """
        if self.key_refusal is not None:
            raise self.key_refusal
        with self._lock:
            current = self._current_checkpoint()
            # Until this process has checked the tiles in its data directory against the database, it integrates
            # under the lock even when nothing is new: a fresh directory gets its tiles rebuilt first.
            if current is None or self._writer is None or self._writer.size != current[1].size:
                try:
                    with self.gate, self.sessions.begin() as session, log_append_lock(session):
                        note, checkpoint = self._integrate(session)
                except (RefusedToSignError, HistoryError) as exc:
                    self._refusal = LogRefusesError(exc.message, hint=exc.hint)
                    self._writer = None
                    raise self._refusal from None
                except LogRefusesError as exc:
                    self._refusal = exc
                    self._writer = None
                    raise
                self._refusal = None
            else:
                note, checkpoint = current
            self._serve(note, checkpoint.size)
            return checkpoint

    def check_sequencing(self, session: Session) -> None:
        """Refuse to give out a new index while the log refuses to sign; call it inside the append lock.

        Cheap enough for every publish: the key recorded in the database, and the history's last line against the
        database's size (and, once per new remembered checkpoint, the proof that the database holds its tree). An
        index below the newest remembered checkpoint was signed already, with other contents.
        """
        if self.refusal is not None:
            raise self.refusal
        identity = recorded_log_key(session)
        if identity is not None and identity.vkey != self.verifier.vkey():
            # Recorded by another server after this one started, with another key (two servers on a new database).
            self.key_refusal = self._other_key(identity)
            raise self.key_refusal
        try:
            remembered = self.history.latest()
        except HistoryError as exc:
            raise LogRefusesError(exc.message, hint=exc.hint) from None
        if remembered is None:
            return
        where = f"the checkpoint history {self.history.path}"
        size = log_size(session)
        if remembered.size > size:
            raise rolled_back(where, remembered, size, latest_signed_head(session))
        if remembered != self._proven:
            # Not proven yet by this process (it just started, or another process signed since): prove it here, so
            # that not even the first publish after a start lands in a database that holds another tree. Not under
            # self._lock, which an integrator may hold while it waits for the append lock this publisher holds.
            prove_database_holds(session, remembered, where, self.public, self.origin)
            self._proven = remembered

    def _current_checkpoint(self) -> tuple[bytes, Checkpoint] | None:
        """The latest checkpoint when it already covers every entry, read without the lock; else None.

        The integrator looks four times a second; most of the time there is nothing new, and taking the append
        lock (on SQLite, the database's write lock) only to find that out would stall publishers for nothing.
        """
        with self.sessions() as session:
            latest = latest_signed_head(session)
            if latest is None or latest.size != log_size(session):
                return None
            return latest.note.encode(), Checkpoint(self.origin, latest.size, latest.root)

    def _integrate(self, session: Session) -> tuple[bytes, Checkpoint]:
        self._check_identity(session)
        recorded = latest_signed_head(session)
        size = log_size(session)
        # Before any tile is written: the database must hold the tree of every checkpoint the log remembers.
        remembered = self._prove_remembered(session, recorded, size)
        signed_size = 0 if recorded is None else recorded.size
        signed_root = EMPTY_TREE_HASH if recorded is None else recorded.root
        writer = self._writer_at(session, signed_size, signed_root)
        if recorded is not None and (remembered is None or remembered.size < recorded.size):
            # Signed through another data directory, or the history lost its synced-but-torn last line: catch up.
            remembered = self._proven = self.history.append(recorded.note.encode())
        if recorded is not None and recorded.size == size:
            return recorded.note.encode(), Checkpoint(self.origin, recorded.size, recorded.root)
        _tile_entries(session, writer, size)
        checkpoint = Checkpoint(self.origin, writer.size, writer.root())
        # The proof the log gives itself before it signs: the new tree extends every head it remembers.
        tiles = TileReader(DirectoryFetcher(self.public), checkpoint.size, checkpoint.root)
        if recorded is not None:
            prove_extends(recorded, "the database's latest checkpoint", checkpoint, "the new tree", tiles)
        if remembered is not None:
            prove_extends(remembered, f"the checkpoint history {self.history.path}", checkpoint, "the new tree", tiles)
        if remembered is not None and remembered.size == checkpoint.size:
            note = remembered.note.encode()  # signed before a crash kept it from the database: the same note
        else:
            note = sign_checkpoint(checkpoint, self.signer)
            # Remembered (and synced) before the database records it, so before any server can serve it.
            self._proven = self.history.append(note)
        record_checkpoint(session, size=checkpoint.size, root_hash=checkpoint.root, note=note.decode())
        return note, checkpoint

    def _check_identity(self, session: Session) -> None:
        """The database's log is signed by this process's key; recorded on the first signature."""
        identity = recorded_log_key(session)
        if identity is not None:
            if identity.vkey != self.signer.vkey():
                self.key_refusal = self._other_key(identity)
                raise self.key_refusal
            return
        latest = latest_signed_head(session)
        if latest is not None:
            # A database from before the key was recorded: its checkpoints say which key is the log's.
            try:
                open_checkpoint(latest.note.encode(), self.signer.verifier())
            except TlogError:
                raise LogRefusesError(
                    f"the log refuses to sign: the database's checkpoint {describe_signed(latest)} is not "
                    f"signed by this server's log key {self._key_name()} ({self.key_file})",
                    hint="put the log's own key at log_key_file (from the backup of the data directory)",
                ) from None
        record_log_identity(session, origin=self.origin, key_id=f"{self.signer.key_id:08x}", vkey=self.signer.vkey())

    def _prove_remembered(self, session: Session, recorded: SignedHead | None, size: int) -> SignedHead | None:
        """The newest checkpoint in the history, once the database is proven to hold its tree; else refuse."""
        remembered = self.history.latest()
        if remembered is None or remembered == self._proven:
            return remembered
        where = f"the checkpoint history {self.history.path}"
        prove_database_holds(session, remembered, where, self.public, self.origin)
        self._proven = remembered
        return remembered

    def _key_name(self) -> str:
        key = self._signer or self.verifier
        return f"{key.name}+{key.key_id:08x}"

    def _other_key(self, identity: RecordedLogKey) -> LogRefusesError:
        return LogRefusesError(
            f"the log refuses to sign: this server's log key ({self.key_file}) is {self._key_name()}, "
            f"but the database's log is signed by {identity.origin}+{identity.key_id} since "
            f"{identity.recorded_at:%Y-%m-%d %H:%M} UTC; a second key would sign a second history of the same entries",
            hint="give this server the log's own key (log_key_file, CANDOR_LOG_KEY_FILE), or point it at its own "
            "database",
        )

    def _writer_at(self, session: Session, size: int, root: bytes) -> TileWriter:
        """A writer at the recorded tree, extending what this data directory already holds when it can.

        Another process may have extended the database since this one last tiled; a follower that was stopped for a
        while finds its tiles at the size it last served. Whatever it starts from, the tiles it ends with must hash
        to ``root``, or they are all rebuilt from the database's entries.
        """
        if self._writer is not None and self._writer.size == size and self._writer.root() == root:
            return self._writer
        writer = self._writer if self._writer is not None and self._writer.size <= size else None
        if writer is None:
            writer = _writer_from_disk(self.public, size)
        intact = False
        if writer is not None:
            try:
                _tile_entries(session, writer, size)
                intact = writer.root() == root
            except TileError:
                intact = False
        if writer is None or not intact:
            # Missing or damaged tiles (a fresh data directory for an existing database): rebuild from the entries.
            logger.warning("rebuilding the log tiles of %s entries from the database", size)
            writer = TileWriter(self.public, RightEdge())
            _tile_entries(session, writer, size)
            if writer.root() != root:
                raise IntegrationError(
                    f"the database's {size} log entries do not hash to the recorded checkpoint root",
                    hint="the log tables were altered; restore the database from a backup",
                )
        self._writer = writer
        return writer

    def follow(self) -> int:
        """Serve the database's latest checkpoint from this data directory without signing; return its size.

        Its entries are tiled here first (only those past what this process tiled before), and the checkpoint is
        remembered in this directory's history (after its signature is checked against the log's key) before it is
        served: a follower vouches for what it serves exactly like the server that signed it. Read-only on the
        database, and cheap when nothing is new: one indexed read.
        """
        with self._lock:
            self._follow_started = time.monotonic()
            with self.sessions() as session:
                head = latest_signed_head(session)
                if head is None:
                    return 0
                if self._writer is not None and self._writer.size == head.size and self._writer.root() == head.root:
                    note, size = head.note.encode(), head.size
                else:
                    try:
                        note, size = self._follow(session, head)
                    except (RefusedToSignError, HistoryError) as exc:
                        self._refusal = LogRefusesError(exc.message, hint=exc.hint)
                        self._writer = None
                        raise self._refusal from None
                    except LogRefusesError as exc:
                        self._refusal = exc
                        self._writer = None
                        raise
                    self._refusal = None
            self._serve(note, size)
            return size

    def catch_up(self, asked_at: float | None = None) -> None:
        """Follow for a request that asked, at ``asked_at`` (``time.monotonic()``), for what this server lacks.

        Skipped when a follow that started after the request arrived has run already: it saw the database as new
        as the request needs. So a burst of requests for tiles that do not exist costs a follow or two, not one
        database read each behind the same lock.
        """
        asked_at = time.monotonic() if asked_at is None else asked_at
        with self._lock:
            if self._follow_started >= asked_at:
                return
        self.follow()

    def _follow(self, session: Session, head: SignedHead) -> tuple[bytes, int]:
        # The same proof as before signing: what this directory remembers must be in the database's tree.
        remembered = self._prove_remembered(session, head, log_size(session))
        self._writer_at(session, head.size, head.root)
        if remembered is None or remembered.size < head.size:
            # Synced before it is served from here; the entries just tiled hash to its root, so it is proven too.
            self._proven = self.history.append(head.note.encode())
        # A larger remembered checkpoint was signed here before a crash kept it from the database; its tree was just
        # proven to be in the database's entries, and whichever server signs next extends it.
        return head.note.encode(), head.size

    def _serve(self, note: bytes, size: int) -> None:
        """Write ``log/checkpoint``, unless a process sharing the directory already served a larger tree."""
        with open(self.data_dir / _CHECKPOINT_LOCK, "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            path = self.public / CHECKPOINT_NAME
            if _served_size(path) < size:
                write_atomic(path, note)


def prove_database_holds(session: Session, remembered: SignedHead, where: str, public: Path, origin: str) -> None:
    """Prove that the database's entries hold the tree of ``remembered`` (a checkpoint kept in ``where``); else
    raise :class:`LogRefusesError` naming both heads.

    When the tiles under ``public`` hold the database's latest signed tree, a consistency proof from them costs a
    few tile reads; otherwise (a new data directory, a backup being restored, or a crash after the history was
    synced and before the database committed) the database's own leaf hashes up to the remembered size are hashed.
    """
    size = log_size(session)
    recorded = latest_signed_head(session)
    if remembered.size > size:
        raise rolled_back(where, remembered, size, recorded)
    try:
        if recorded is not None and recorded.size >= remembered.size and _tiles_hold(public, recorded):
            tiles = TileReader(DirectoryFetcher(public), recorded.size, recorded.root)
            database_tree = Checkpoint(origin, recorded.size, recorded.root)
            prove_extends(remembered, where, database_tree, "the database's latest checkpoint", tiles)
            return
        entries = MemoryTree()
        for first in range(0, remembered.size, _CHUNK * 16):
            entries.extend(leaf_hashes(session, first, min(first + _CHUNK * 16, remembered.size)))
        database_tree = Checkpoint(origin, entries.size, entries.root())
        described = f"the tree of the database's first {remembered.size} entries"
        prove_extends(remembered, where, database_tree, described, entries)
    except RefusedToSignError as exc:
        raise LogRefusesError(exc.message, hint=exc.hint) from None


def rolled_back(where: str, remembered: SignedHead, size: int, recorded: SignedHead | None) -> LogRefusesError:
    """The refusal when the database holds fewer entries than a checkpoint the log signed and served."""
    refusal = database_behind(where, remembered, "the database", size, recorded)
    return LogRefusesError(refusal.message, hint=refusal.hint)


def _writer_from_disk(public: Path, size: int) -> TileWriter | None:
    """A writer over the tiles already in ``public``: at ``size`` if they reach it, else at the size served last."""
    for candidate in (size, _served_size(public / CHECKPOINT_NAME)):
        if 0 <= candidate <= size:
            try:
                return TileWriter(public, load_right_edge(public, candidate) if candidate else RightEdge())
            except TileError:
                continue
    return None


def _tile_entries(session: Session, writer: TileWriter, size: int) -> None:
    """Write the tiles of the database's entries from the writer's size up to ``size``, in chunks.

    The tree stops at the size of every checkpoint signed on the way, so that the partial tiles of each of those
    sizes are written too: a client holding an older checkpoint asks any server for them, and every server holds
    the same files whether it signed those checkpoints, followed them one by one, or caught up later.
    """
    for stop in [*checkpoint_sizes(session, writer.size, size), size]:
        for first in range(writer.size, stop, _CHUNK):
            writer.append([row.entry for row in log_entries(session, first, min(first + _CHUNK, stop))])


def _tiles_hold(public: Path, head: SignedHead) -> bool:
    try:
        return load_right_edge(public, head.size).root() == head.root if head.size else True
    except TileError:
        return False


def _served_size(path: Path) -> int:
    """The size of the checkpoint served now; -1 when there is none (or an unreadable one, to be replaced)."""
    try:
        text = parse_note(path.read_bytes()).text
        return parse_checkpoint(text).size
    except (OSError, TlogError):
        return -1


class Integrator(threading.Thread):
    """Integrates in the background every 250 ms, and at once when :meth:`wake` is called after a publish.

    With a ``lease``, it signs only while it holds the lease, and otherwise follows (serves what the server holding
    the lease signed); each tick it tries to take the lease, so when the signing server dies another takes over
    within a tick. A server whose key is not the log's never takes the lease. Without one (a single process, as in
    tests and ``candor demo``), it always signs.
    """

    def __init__(
        self, log: RegistryLog, interval: float = INTEGRATION_INTERVAL, *, lease: IntegratorLease | None = None
    ) -> None:
        super().__init__(name="candor-registry-integrator", daemon=True)
        self.log = log
        self.interval = interval
        self.lease = lease
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def wake(self) -> None:
        """Integrate now rather than at the next tick."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after one last integration, so nothing published is left unsigned, and give up the lease."""
        self._stopping.set()
        self._wake.set()
        self.join()

    def run(self) -> None:
        refused: str | None = None
        try:
            while True:
                self._wake.wait(self.interval)
                self._wake.clear()
                try:
                    self._tick()
                except LogRefusesError as exc:
                    # Said once, not four times a second: nothing changes until an operator recovers the log.
                    if exc.message != refused:
                        logger.error("%s", exc.diagnostics())
                        refused = exc.message
                except Exception:
                    # The next tick retries; a server must keep serving reads while, say, the database restarts.
                    logger.exception("log integration failed; retrying")
                else:
                    refused = None
                if self._stopping.is_set():
                    return
        finally:
            self.log.signing = False
            if self.lease is not None:
                self.lease.release()

    def _tick(self) -> None:
        signing = self._holds_lease()
        if signing != self.log.signing:
            logger.info("this server %s the log's checkpoints", "now signs" if signing else "no longer signs")
            self.log.signing = signing
        if signing:
            self.log.integrate()
        else:
            self.log.follow()

    def _holds_lease(self) -> bool:
        if self.log.key_refusal is not None:
            if self.lease is not None and self.lease.held:
                self.lease.release()  # let a server with the log's key sign
            return False
        return self.lease is None or self.lease.try_take()
