"""The registry log's integrator: turns the database's log entries into served tiles and a signed checkpoint.

The database is the sequencer: publishing gives each statement its index there. Integration then, holding the
same append lock (an advisory lock on PostgreSQL, the single writer on SQLite), reads the entries past the last
checkpoint, writes their tiles into ``<data dir>/log`` with :class:`~candor.tlog.tiles.TileWriter`, signs a
checkpoint with the registry's log key, and records it in the checkpoints table. Only after that transaction has
committed is ``log/checkpoint`` written, so the served checkpoint never names a tree the database has not kept.

Because every new tree extends the recorded one (its tiles are checked against the recorded root, and rebuilt
from the database if they do not match), and :func:`~candor.store.log.record_checkpoint` refuses a different root
for a size already signed, several server processes sharing one database never sign inconsistent checkpoints.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from candor.errors import CandorError
from candor.store.log import latest_checkpoint, log_append_lock, log_entries, log_size, record_checkpoint
from candor.tlog.checkpoint import Checkpoint, parse_checkpoint, sign_checkpoint
from candor.tlog.errors import TlogError
from candor.tlog.log import KEY_FILE, PUBLIC_DIR, VKEY_FILE
from candor.tlog.merkle import EMPTY_TREE_HASH
from candor.tlog.note import Signer, generate_key, parse_note, parse_signer_key
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


def registry_log_signer(data_dir: Path, origin: str) -> Signer:
    """The registry log's signer, from ``log.key`` in the data directory; created (mode 0600) on first use.

    ``origin`` names a new key; an existing key keeps the name it was created with.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    key_path = data_dir / KEY_FILE
    if not key_path.exists():
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
    vkey_path = data_dir / VKEY_FILE
    if not vkey_path.exists() or vkey_path.read_text("utf-8").strip() != signer.vkey():
        write_atomic(vkey_path, (signer.vkey() + "\n").encode())
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
    """Integrates the registry database's log entries into the tiles under ``data_dir/log``."""

    def __init__(
        self, sessions: sessionmaker[Session], data_dir: Path, origin: str, *, gate: AppendGate | None = None
    ) -> None:
        self.sessions = sessions
        self.data_dir = data_dir
        self.public = data_dir / PUBLIC_DIR
        self.public.mkdir(parents=True, exist_ok=True)
        self.signer = registry_log_signer(data_dir, origin)
        self._writer: TileWriter | None = None
        # Integrating threads of this process take turns (the writer is shared), and with publishers too.
        self._lock = threading.Lock()
        self.gate = gate or AppendGate()

    @property
    def origin(self) -> str:
        return self.signer.name

    def integrate(self) -> Checkpoint:
        """Integrate every entry past the last checkpoint, and serve the newest checkpoint. Returns it."""
        with self._lock:
            current = self._current_checkpoint()
            # Until this process has checked the tiles in its data directory against the database, it integrates
            # under the lock even when nothing is new: a fresh directory gets its tiles rebuilt first.
            if current is None or self._writer is None or self._writer.size != current[1].size:
                with self.gate, self.sessions.begin() as session, log_append_lock(session):
                    note, checkpoint = self._integrate(session)
            else:
                note, checkpoint = current
            self._serve(note, checkpoint.size)
            return checkpoint

    def _current_checkpoint(self) -> tuple[bytes, Checkpoint] | None:
        """The latest checkpoint when it already covers every entry, read without the lock; else None.

        The integrator looks four times a second; most of the time there is nothing new, and taking the append
        lock (on SQLite, the database's write lock) only to find that out would stall publishers for nothing.
        """
        with self.sessions() as session:
            latest = latest_checkpoint(session)
            if latest is None or latest.size != log_size(session):
                return None
            return latest.note.encode(), Checkpoint(self.origin, latest.size, latest.root_hash)

    def _integrate(self, session: Session) -> tuple[bytes, Checkpoint]:
        latest = latest_checkpoint(session)
        size = log_size(session)
        signed_size = 0 if latest is None else latest.size
        signed_root = EMPTY_TREE_HASH if latest is None else latest.root_hash
        writer = self._writer_at(session, signed_size, signed_root)
        if latest is not None and latest.size == size:
            return latest.note.encode(), Checkpoint(self.origin, latest.size, latest.root_hash)
        for first in range(signed_size, size, _CHUNK):
            writer.append([row.entry for row in log_entries(session, first, min(first + _CHUNK, size))])
        checkpoint = Checkpoint(self.origin, writer.size, writer.root())
        note = sign_checkpoint(checkpoint, self.signer)
        record_checkpoint(session, size=checkpoint.size, root_hash=checkpoint.root, note=note.decode())
        return note, checkpoint

    def _writer_at(self, session: Session, size: int, root: bytes) -> TileWriter:
        """A writer at the recorded tree; another process may have extended the tiles since this one last did."""
        if self._writer is not None and self._writer.size == size and self._writer.root() == root:
            return self._writer
        try:
            writer = TileWriter(self.public, load_right_edge(self.public, size) if size else RightEdge())
            intact = writer.root() == root
        except TileError:
            intact = False
        if not intact:
            # Missing or damaged tiles (a fresh data directory for an existing database): rebuild from the entries.
            logger.warning("rebuilding the log tiles of %s entries from the database", size)
            writer = TileWriter(self.public, RightEdge())
            for first in range(0, size, _CHUNK):
                writer.append([row.entry for row in log_entries(session, first, min(first + _CHUNK, size))])
            if writer.root() != root:
                raise IntegrationError(
                    f"the database's {size} log entries do not hash to the recorded checkpoint root",
                    hint="the log tables were altered; restore the database from a backup",
                )
        self._writer = writer
        return writer

    def _serve(self, note: bytes, size: int) -> None:
        """Write ``log/checkpoint``, unless a process sharing the directory already served a larger tree."""
        with open(self.data_dir / _CHECKPOINT_LOCK, "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            path = self.public / CHECKPOINT_NAME
            if _served_size(path) < size:
                write_atomic(path, note)


def _served_size(path: Path) -> int:
    """The size of the checkpoint served now; -1 when there is none (or an unreadable one, to be replaced)."""
    try:
        text = parse_note(path.read_bytes()).text
        return parse_checkpoint(text).size
    except (OSError, TlogError):
        return -1


class Integrator(threading.Thread):
    """Integrates in the background every 250 ms, and at once when :meth:`wake` is called after a publish."""

    def __init__(self, log: RegistryLog, interval: float = INTEGRATION_INTERVAL) -> None:
        super().__init__(name="candor-registry-integrator", daemon=True)
        self.log = log
        self.interval = interval
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def wake(self) -> None:
        """Integrate now rather than at the next tick."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after one last integration, so nothing published is left unsigned."""
        self._stopping.set()
        self._wake.set()
        self.join()

    def run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.log.integrate()
            except Exception:
                # The next tick retries; a server must keep serving reads while, say, the database restarts.
                logger.exception("log integration failed; retrying")
            if self._stopping.is_set():
                return
