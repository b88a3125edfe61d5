"""A durable, local, append-only transparency log: tiles in a directory, a SQLite sequencer, an Ed25519 key.

Layout of a log directory::

    log.key             the log's signer key (mode 0600; never served)
    log.vkey            its verifier key
    sequencer.db        SQLite (WAL): every sequenced entry, and every checkpoint ever signed
    checkpoint-history  every checkpoint ever signed, kept apart from sequencer.db (:mod:`candor.tlog.history`)
    log/checkpoint   the latest signed checkpoint       } the public part, served as-is over HTTP:
    log/tile/...     tiles and entry bundles            } c2sp.org/tlog-tiles

Promises, and how they are kept:

* An entry whose :meth:`LocalLog.append` returned is durable: its index was committed to the sequencer.
* Publishing writes the tiles first, then records the signed checkpoint in the sequencer (the point of no
  return), then writes the checkpoint file last. A crash anywhere leaves either the old checkpoint or a
  recorded new one whose tiles are all on disk; opening the log rewrites a checkpoint file left behind.
* The log never signs two inconsistent checkpoints: every new tree is the tree of the last recorded head,
  read back from the tiles and checked against the recorded root, extended by the next sequenced entries.
  Each signed checkpoint is also appended to ``checkpoint-history`` (synced) before the sequencer records it,
  and a new tree is signed only once proven consistent with the newest one remembered there, so a sequencer
  restored from an old backup makes the log refuse to append or sign rather than fork.
* Before its first signature, each opened log checks every stored tile and entry bundle against the
  sequencer's entries and the signed root (:mod:`candor.tlog.tilecheck`), and rewrites any that differ, so a
  new checkpoint never vouches for files that fail fsck. Opening checks only the right edge (cheap), and runs
  that whole check at once when the right edge does not match the signed root.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

from candor.tlog.checkpoint import Checkpoint, sign_checkpoint
from candor.tlog.errors import TlogError
from candor.tlog.history import HISTORY_FILE, CheckpointHistory, RefusedToSignError, prove_extends, rolled_back
from candor.tlog.merkle import EMPTY_TREE_HASH, MemoryTree, leaf_hash
from candor.tlog.note import Signer, generate_key, parse_signer_key
from candor.tlog.sequencer import Sequencer, SignedHead
from candor.tlog.tilecheck import Repair, TileCheckError, check_and_repair
from candor.tlog.tilereader import DirectoryFetcher, TileReader
from candor.tlog.tiles import (
    CHECKPOINT_NAME,
    MAX_ENTRY_SIZE,
    EntryTooLargeError,
    TileError,
    TileWriter,
    load_right_edge,
    write_atomic,
)

KEY_FILE = "log.key"
VKEY_FILE = "log.vkey"
SEQUENCER_FILE = "sequencer.db"
PUBLIC_DIR = "log"
_LOCK_FILE = "publish.lock"

#: Integration batches: a batch closes at this many entries, or once its oldest entry has waited this long.
BATCH_ENTRIES = 256
BATCH_SECONDS = 0.25
#: Entries read from the sequencer and tiled at a time during a large publish.
_PUBLISH_CHUNK = 65_536

Progress = Callable[[int, int], None]


class LogError(TlogError):
    """A local log that cannot be created, opened, appended to or published."""


def _no_progress(done: int, total: int) -> None:
    """Progress callback that draws nothing."""


class LocalLog:
    """A log directory opened for appending and publishing. Thread-safe; several processes may share it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.public = directory / PUBLIC_DIR
        self._signer = self._read_signer()
        self.origin = self._signer.name
        self._sequencer = Sequencer(directory / SEQUENCER_FILE)
        self._history = CheckpointHistory(directory / HISTORY_FILE, self._signer.verifier())
        # The remembered checkpoint last proven to be held by the sequencer (see _prove_remembered).
        self._proven: SignedHead | None = None
        self._publish_lock = threading.Lock()
        self._writer: TileWriter | None = None
        self._appends = _GroupCommit(self._sequencer.append)
        self._integrator: _Integrator | None = None
        #: Files the check before the first signature found damaged and rewrote from the sequencer.
        self.repaired: list[Repair] = []
        self._tiles_checked = False
        self._check_and_repair()
        # Checked once here rather than on every append (appends are group-committed thousands a second).
        self._rolled_back = self._sequencer_behind_history()

    # -- creating and opening -------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path, origin: str) -> LocalLog:
        """Create a new log with a fresh key, and sign its empty checkpoint. Refuses to touch an existing log."""
        existing = [name for name in (KEY_FILE, SEQUENCER_FILE, PUBLIC_DIR) if (directory / name).exists()]
        if existing:
            raise LogError(f"{directory}: already holds a log ({', '.join(existing)}); refusing to overwrite it")
        skey, vkey = generate_key(origin)
        key_path = directory / KEY_FILE
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LogError(f"{directory}: cannot create the log here: {exc.strerror}") from None
        try:
            descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise LogError(f"{key_path}: already exists; refusing to overwrite a log key") from None
        except OSError as exc:
            raise LogError(f"{key_path}: cannot be created: {exc.strerror}") from None
        with os.fdopen(descriptor, "w") as handle:
            handle.write(skey + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        write_atomic(directory / VKEY_FILE, (vkey + "\n").encode())
        (directory / PUBLIC_DIR).mkdir()
        log = cls(directory)
        log._sign_first()
        return log

    @classmethod
    def open(cls, directory: Path) -> LocalLog:
        """Open an existing log, checking its tiles against the last signed head (and repairing them)."""
        if not (directory / KEY_FILE).is_file() or not (directory / SEQUENCER_FILE).is_file():
            raise LogError(
                f"{directory}: not a log directory (no {KEY_FILE} or {SEQUENCER_FILE})", hint="run `candor log init`"
            )
        return cls(directory)

    def _read_signer(self) -> Signer:
        path = self.directory / KEY_FILE
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise LogError(f"{path}: missing; this is not a log directory") from None
        except OSError as exc:
            raise LogError(f"{path}: cannot be read: {exc.strerror}") from None
        return parse_signer_key(text)

    def vkey(self) -> str:
        """The log's verifier key string."""
        return self._signer.vkey()

    def close(self) -> None:
        """Stop the background integrator (publishing what waits) and close the sequencer."""
        self.stop_integrator()
        self._sequencer.close()

    def __enter__(self) -> LocalLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- appending --------------------------------------------------------------------------------------

    def append(self, entry: bytes) -> int:
        """Sequence one entry durably and return its index; concurrent appends share one commit."""
        if self._rolled_back is not None:
            raise self._rolled_back
        if len(entry) > MAX_ENTRY_SIZE:
            raise EntryTooLargeError(len(entry))
        index = self._appends.submit(entry)
        if self._integrator is not None:
            self._integrator.notify()
        return index

    def append_many(self, entries: Sequence[bytes]) -> range:
        """Sequence many entries in one transaction (bulk loads) and return their indexes."""
        if self._rolled_back is not None:
            raise self._rolled_back
        for position, entry in enumerate(entries):
            if len(entry) > MAX_ENTRY_SIZE:
                raise EntryTooLargeError(len(entry), index=position)
        if not entries:
            return range(0)
        first = self._sequencer.append(entries)
        if self._integrator is not None:
            self._integrator.notify(len(entries))
        return range(first, first + len(entries))

    def pending(self) -> int:
        """How many sequenced entries wait to be published."""
        head = self._sequencer.latest()
        return self._sequencer.next_index() - (head.size if head else 0)

    # -- publishing -------------------------------------------------------------------------------------

    def checkpoint_note(self) -> bytes:
        """The latest signed checkpoint note."""
        return self._head().note.encode()

    def size(self) -> int:
        """The size of the latest signed tree."""
        return self._head().size

    def reader(self) -> TileReader:
        """A tile reader over the latest signed tree, authenticated against its root."""
        head = self._head()
        return TileReader(DirectoryFetcher(self.public), head.size, head.root)

    def publish(self, progress: Progress = _no_progress, *, limit: int | None = None) -> Checkpoint:
        """Integrate pending entries (at most ``limit``) into the tiles, sign a new checkpoint, write it last.

        The first publish of an opened log checks (and repairs) every stored tile first: see :meth:`check_tiles`.
        """
        with self._publish_lock, self._file_lock():
            head = self._head()
            if not self._tiles_checked:
                self._check_tiles(head, progress)
            remembered = self._prove_remembered(head)
            target = self._sequencer.next_index()
            if limit is not None:
                target = min(target, head.size + limit)
            if remembered is not None:
                target = max(target, remembered.size)  # a limit never stops short of what was already signed
            if target == head.size:
                return Checkpoint(self.origin, head.size, head.root)
            writer = self._writer_at(head)
            root = head.root
            progress(0, target - head.size)
            for chunk in self._sequencer.chunks(head.size, target, _PUBLISH_CHUNK):
                root = writer.append(chunk)
                progress(writer.size - head.size, target - head.size)
            checkpoint = Checkpoint(self.origin, target, root)
            # The proof the log gives itself before it signs: the new tree extends every head it remembers.
            tiles = TileReader(DirectoryFetcher(self.public), target, root)
            prove_extends(head, "the sequencer's latest checkpoint", checkpoint, "the new tree", tiles)
            if remembered is not None:
                where = f"the checkpoint history {self._history.path}"
                prove_extends(remembered, where, checkpoint, "the new tree", tiles)
            if remembered is not None and remembered.size == target:
                note = remembered.note.encode()  # signed before a crash kept it from the sequencer: the same note
            else:
                note = sign_checkpoint(checkpoint, self._signer)
                self._proven = self._history.append(note)  # synced before the sequencer records it
            self._sequencer.record(SignedHead(target, root, note.decode()), previous=head.size)
            write_atomic(self.public / CHECKPOINT_NAME, note)
            return checkpoint

    def check_tiles(self, progress: Progress = _no_progress) -> list[Repair]:
        """Check every stored tile against the sequencer and the signed head; rewrite and return the damaged."""
        with self._publish_lock, self._file_lock():
            return self._check_tiles(self._head(), progress)

    def _check_tiles(self, head: SignedHead, progress: Progress) -> list[Repair]:
        try:
            repairs = check_and_repair(self.public, head, self._sequencer, progress)
        except TileCheckError as exc:
            raise LogError(exc.message, hint=exc.hint) from None
        if repairs:
            self._writer = None  # its right edge may have been read from a damaged tile
            self.repaired.extend(repairs)
        self._tiles_checked = True
        return repairs

    def _head(self) -> SignedHead:
        head = self._sequencer.latest()
        if head is None:
            raise LogError(f"{self.directory}: the log has never signed a checkpoint", hint="was init interrupted?")
        return head

    def _writer_at(self, head: SignedHead) -> TileWriter:
        # Another process may have published since this one last did: then read the right edge again.
        if self._writer is None or self._writer.size != head.size:
            self._writer = TileWriter(self.public, load_right_edge(self.public, head.size))
        if self._writer.root() != head.root:
            raise LogError(f"{self.public}: the tiles of size {head.size} do not match the signed root")
        return self._writer

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        # Publishers in other processes share the directory: an flock serialises them (threads use the Lock).
        path = self.directory / _LOCK_FILE
        try:
            handle = open(path, "a")  # noqa: SIM115 - closed below, after the lock is released
        except OSError as exc:
            raise LogError(f"{path}: cannot be opened for locking: {exc.strerror}") from None
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _prove_remembered(self, head: SignedHead) -> SignedHead | None:
        """The newest checkpoint in the history, once the sequencer is proven to hold its tree; else refuse.

        Before any tile is written: when the sequencer was restored from an old backup, the tiles of the sizes
        it forgot were served, and must not be overwritten with other entries.
        """
        remembered = self._history.latest()
        if remembered is None or remembered == self._proven:
            if remembered is None or remembered.size < head.size:
                # A log from before the history existed, or a history that lost a torn line: catch up.
                remembered = self._proven = self._history.append(head.note.encode())
            return remembered
        where = f"the checkpoint history {self._history.path}"
        behind = self._sequencer_behind_history()
        if behind is not None:
            raise behind
        if head.size >= remembered.size:
            tiles = TileReader(DirectoryFetcher(self.public), head.size, head.root)
            described = "the sequencer's latest checkpoint"
            prove_extends(remembered, where, Checkpoint(self.origin, head.size, head.root), described, tiles)
        else:
            # A crash after the history was synced and before the sequencer recorded it: hash the entries.
            entries = MemoryTree()
            for chunk in self._sequencer.chunks(0, remembered.size, _PUBLISH_CHUNK):
                entries.extend(leaf_hash(entry) for entry in chunk)
            tree = Checkpoint(self.origin, entries.size, entries.root())
            prove_extends(
                remembered, where, tree, f"the tree of the first {remembered.size} sequenced entries", entries
            )
        self._proven = remembered
        if remembered.size < head.size:
            self._proven = self._history.append(head.note.encode())
        return self._proven

    def _sequencer_behind_history(self) -> RefusedToSignError | None:
        remembered = self._history.latest()
        size = self._sequencer.next_index()
        if remembered is None or remembered.size <= size:
            return None
        where = f"the checkpoint history {self._history.path}"
        return rolled_back(where, remembered, f"the sequencer {self._sequencer.path}", size, self._sequencer.latest())

    def _sign_first(self) -> None:
        with self._publish_lock, self._file_lock():
            note = sign_checkpoint(Checkpoint(self.origin, 0, EMPTY_TREE_HASH), self._signer)
            self._proven = self._history.append(note)
            self._sequencer.record(SignedHead(0, EMPTY_TREE_HASH, note.decode()), previous=None)
            write_atomic(self.public / CHECKPOINT_NAME, note)

    # -- recovery ---------------------------------------------------------------------------------------

    def _check_and_repair(self) -> None:
        with self._publish_lock, self._file_lock():
            head = self._sequencer.latest()
            if head is None:
                return
            try:
                intact = load_right_edge(self.public, head.size).root() == head.root
            except TileError:
                intact = False
            if not intact:
                self._check_tiles(head, _no_progress)
            checkpoint_path = self.public / CHECKPOINT_NAME
            try:
                on_disk = checkpoint_path.read_bytes()
            except FileNotFoundError:
                on_disk = b""
            if on_disk != head.note.encode():
                # The crash came after the head was recorded and before its file was written.
                write_atomic(checkpoint_path, head.note.encode())

    # -- background integration -------------------------------------------------------------------------

    def start_integrator(self) -> None:
        """Publish in the background, in batches of up to 256 entries, each at most 250 ms after its oldest."""
        if self._integrator is None:
            self._integrator = _Integrator(lambda limit: self.publish(limit=limit), self.pending())
            self._integrator.start()

    def stop_integrator(self) -> None:
        """Stop the background integrator after it has published everything appended so far."""
        if self._integrator is not None:
            self._integrator.stop()
            self._integrator = None


class _GroupCommit:
    """Appends that arrive while a commit is running wait for it, then commit together in one transaction.

    One SQLite commit (with its fsync) then makes many appends durable, which is what turns a few hundred
    synced transactions a second into thousands of durable appends a second.
    """

    def __init__(self, commit: Callable[[Sequence[bytes]], int]) -> None:
        self._commit = commit
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._queue: list[tuple[bytes, Future[int]]] = []

    def submit(self, entry: bytes) -> int:
        future: Future[int] = Future()
        with self._queue_lock:
            self._queue.append((entry, future))
        with self._commit_lock:
            if not future.done():
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                try:
                    first = self._commit([item for item, _ in batch])
                except BaseException as exc:
                    for _, waiting in batch:
                        waiting.set_exception(exc)
                else:
                    for offset, (_, waiting) in enumerate(batch):
                        waiting.set_result(first + offset)
        return future.result()


class _Integrator(threading.Thread):
    """Background publisher in batches: a batch closes at 256 entries or 250 ms after its oldest entry came.

    Each batch is one publish and one signed checkpoint. When more than a batch waits (a bulk append, or
    appends faster than publishing), full batches are published back to back.
    """

    def __init__(self, publish: Callable[[int | None], object], waiting: int) -> None:
        super().__init__(name="candor-log-integrator", daemon=True)
        self._publish = publish
        self._condition = threading.Condition()
        # Arrival time and count of each notification not yet published, oldest first.
        self._arrivals: deque[tuple[float, int]] = deque()
        self._waiting = 0
        if waiting:
            self._arrivals.append((time.monotonic(), waiting))
            self._waiting = waiting
        self._stopping = False
        self.error: BaseException | None = None

    def notify(self, count: int = 1) -> None:
        with self._condition:
            self._arrivals.append((time.monotonic(), count))
            self._waiting += count
            # Wake the integrator on the first waiting entry too, so that it starts the 250 ms clock.
            if self._waiting >= BATCH_ENTRIES or self._waiting == count:
                self._condition.notify()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self.join()
        if self.error is not None:
            raise LogError(f"background publishing failed: {self.error}") from self.error

    def run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping:
                    if self._waiting >= BATCH_ENTRIES:
                        break
                    if self._waiting:
                        remaining = self._arrivals[0][0] + BATCH_SECONDS - time.monotonic()
                        if remaining <= 0:
                            break
                        self._condition.wait(remaining)
                    else:
                        self._condition.wait()
                stopping = self._stopping
                # Stopping publishes everything that waits, in one last checkpoint.
                batch = None if stopping else self._take(BATCH_ENTRIES)
            try:
                self._publish(batch)
            except Exception as exc:  # reported by stop(); a daemon thread has nobody else to tell
                self.error = exc
                return
            if stopping:
                return

    def _take(self, count: int) -> int:
        """Remove up to ``count`` of the oldest waiting entries from the queue; return how many."""
        taken = 0
        while self._arrivals and taken < count:
            arrived, waiting = self._arrivals.popleft()
            used = min(waiting, count - taken)
            if used < waiting:
                self._arrivals.appendleft((arrived, waiting - used))
            taken += used
        self._waiting -= taken
        return taken
