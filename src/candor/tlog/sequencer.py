"""The sequencer: a SQLite database (WAL mode) that gives each entry its index and remembers what was signed.

An entry is durable, with its index fixed for ever, once :meth:`Sequencer.append` returns: the transaction
that assigned the index has been committed and synced. Every checkpoint the log signs is recorded here
*before* its file is written, so that a restarted log knows exactly which tree it has promised, and never
signs a different one of the same or a smaller size.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from candor.tlog.errors import TlogError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS signed_checkpoints (
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    note TEXT NOT NULL
);
"""


class SequencerError(TlogError):
    """The sequencer database cannot be opened or refuses an operation that would break the log's promises."""


@dataclass(frozen=True)
class SignedHead:
    """A tree head the log has signed: its size, root, and the signed checkpoint note."""

    size: int
    root: bytes
    note: str


class Sequencer:
    """Sequenced entries and signed tree heads in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL syncs the WAL on every commit: an append that returned survives power loss, not only kill -9.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise SequencerError(f"{path}: cannot open the sequencer database: {exc}") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def append(self, entries: Sequence[bytes]) -> int:
        """Give ``entries`` the next indexes, commit durably, and return the first index."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    (first,) = self._db.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries").fetchone()
                    self._db.executemany(
                        "INSERT INTO entries (idx, body) VALUES (?, ?)",
                        ((first + offset, entry) for offset, entry in enumerate(entries)),
                    )
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise SequencerError(f"{self.path}: cannot append: {exc}") from None
        return int(first)

    def next_index(self) -> int:
        """How many entries have been sequenced (published or not)."""
        with self._lock:
            (count,) = self._db.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries").fetchone()
        return int(count)

    def entries(self, start: int, stop: int) -> list[bytes]:
        """The sequenced entries with indexes in ``[start, stop)``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT idx, body FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx", (start, stop)
            ).fetchall()
        if len(rows) != stop - start or (rows and rows[0][0] != start):
            raise SequencerError(f"{self.path}: entries {start} to {stop - 1} are not all in the sequencer")
        return [bytes(body) for _, body in rows]

    def chunks(self, start: int, stop: int, size: int) -> Iterator[list[bytes]]:
        """The entries ``[start, stop)`` in chunks of at most ``size``, so a bulk publish stays in bounded memory."""
        for first in range(start, stop, size):
            yield self.entries(first, min(first + size, stop))

    def latest(self) -> SignedHead | None:
        """The largest tree head ever signed, or None before the first signature."""
        with self._lock:
            row = self._db.execute(
                "SELECT size, root, note FROM signed_checkpoints ORDER BY size DESC LIMIT 1"
            ).fetchone()
        return None if row is None else SignedHead(int(row[0]), bytes(row[1]), str(row[2]))

    def signed_sizes(self) -> list[int]:
        """Every tree size the log has signed, smallest first (their partial tiles must stay servable)."""
        with self._lock:
            rows = self._db.execute("SELECT size FROM signed_checkpoints ORDER BY size").fetchall()
        return [int(size) for (size,) in rows]

    def record(self, head: SignedHead, *, previous: int | None) -> None:
        """Remember a newly signed head, only if the latest signed size is still ``previous``.

        The check and the insert are one transaction, so two publishers can never both extend the same head.
        """
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    row = self._db.execute("SELECT MAX(size) FROM signed_checkpoints").fetchone()
                    if row[0] != previous:
                        raise SequencerError(
                            f"{self.path}: the log was extended to size {row[0]} meanwhile; "
                            f"refusing to sign size {head.size} on top of size {previous}"
                        )
                    self._db.execute(
                        "INSERT INTO signed_checkpoints (size, root, note) VALUES (?, ?, ?)",
                        (head.size, head.root, head.note),
                    )
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise SequencerError(f"{self.path}: cannot record the signed checkpoint: {exc}") from None
