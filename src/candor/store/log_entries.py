"""The transparency log's rows: entries at dense indexes, and the checkpoints signed over them.

Appends are serialised by the database, never by a process-local lock, so several server processes can share
one PostgreSQL: :func:`log_append_lock` takes a transaction-scoped advisory lock there, and on SQLite starts the
transaction with ``BEGIN IMMEDIATE``, which makes it the single writer. Inside the lock the next index is
``max + 1``, so indexes are unique and dense; the lock is released when the transaction ends.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from candor.domain.statement import MAX_STATEMENT_BYTES
from candor.errors import ConflictError
from candor.store.database import SQLITE_BEGIN_IMMEDIATE
from candor.store.errors import StoreError
from candor.store.summaries import CheckpointView, RecordedLogKey
from candor.store.tables import Checkpoint, LogEntry, LogIdentity
from candor.tlog.merkle import leaf_hash
from candor.tlog.sequencer import SignedHead

#: The PostgreSQL advisory lock key for log appends: a fixed 64-bit number derived from a readable name, combined
#: with the schema's name when taken.
LOG_APPEND_LOCK_KEY = int.from_bytes(hashlib.sha256(b"candor.log.append").digest()[:8], "big", signed=True)

_LOCK_HELD = "candor_log_append_lock"


class LogLockError(RuntimeError):
    """A programming error: a log append outside :func:`log_append_lock`, or the lock taken too late."""


@contextmanager
def log_append_lock(session: Session) -> Iterator[None]:
    """Hold the log's append lock for the rest of the session's current transaction.

    On SQLite this must come first in the transaction, before any other query, because a transaction that has
    already read cannot safely become the writer.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Advisory locks are per database; mixing in the schema gives each registry (one per schema) its own
        # lock, so registries, or parallel tests in their own schemas, sharing a database never wait on each other.
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key # hashtextextended(current_schema(), 0))"),
            {"key": LOG_APPEND_LOCK_KEY},
        )
    elif dialect == "sqlite":
        with warnings.catch_warnings():
            # SQLAlchemy only warns when the transaction's connection exists already; here that is a bug.
            warnings.simplefilter("error", sa_exc.SAWarning)
            try:
                session.connection(execution_options={SQLITE_BEGIN_IMMEDIATE: True})
            except sa_exc.SAWarning as exc:
                raise LogLockError("on SQLite, take log_append_lock before any other query in the transaction") from exc
    else:
        raise StoreError(f"log appends are not supported on {dialect}")
    session.info[_LOCK_HELD] = session.get_transaction()
    yield


def _require_lock(session: Session) -> None:
    held_in = session.info.get(_LOCK_HELD)
    if held_in is None or held_in is not session.get_transaction():
        raise LogLockError("log entries are appended only inside log_append_lock, in the same transaction")


def next_log_index(session: Session) -> int:
    """The index the next entry gets; call it inside :func:`log_append_lock` for a value that stays true."""
    _require_lock(session)
    return log_size(session)


def log_size(session: Session) -> int:
    """How many entries the log holds (committed, or written by this transaction)."""
    last: int | None = session.scalar(select(func.max(LogEntry.log_index)))
    return 0 if last is None else last + 1


def appended_at(session: Session, log_index: int) -> datetime | None:
    """When the entry at ``log_index`` was appended, or None if the log has no such entry."""
    return session.scalar(select(LogEntry.appended_at).where(LogEntry.log_index == log_index))


def append_log_entry(session: Session, entry: bytes) -> LogEntry:
    """Append ``entry`` at the next index, with its RFC 6962 leaf hash. Needs :func:`log_append_lock`."""
    if not entry or len(entry) > MAX_STATEMENT_BYTES:
        raise StoreError(f"a log entry must be 1 to {MAX_STATEMENT_BYTES:,} bytes, not {len(entry):,}")
    row = LogEntry(log_index=next_log_index(session), leaf_hash=leaf_hash(entry), entry=entry)
    session.add(row)
    session.flush()
    return row


def leaf_hashes(session: Session, start: int, stop: int) -> list[bytes]:
    """The leaf hashes of entries ``start <= index < stop``, in index order (32 bytes each, not the entries)."""
    return list(
        session.scalars(
            select(LogEntry.leaf_hash)
            .where(LogEntry.log_index >= start, LogEntry.log_index < stop)
            .order_by(LogEntry.log_index)
        )
    )


def log_entries(session: Session, start: int, stop: int) -> Sequence[LogEntry]:
    """Entries with ``start <= index < stop``, in index order."""
    return session.scalars(
        select(LogEntry).where(LogEntry.log_index >= start, LogEntry.log_index < stop).order_by(LogEntry.log_index)
    ).all()


def latest_checkpoint(session: Session) -> Checkpoint | None:
    """The checkpoint with the largest tree size, if the log has signed any."""
    return session.scalars(select(Checkpoint).order_by(Checkpoint.size.desc()).limit(1)).one_or_none()


def latest_checkpoint_view(session: Session) -> CheckpointView | None:
    """:func:`latest_checkpoint` as a plain summary (no row), for the read side."""
    row = session.execute(
        select(Checkpoint.size, Checkpoint.root_hash, Checkpoint.note, Checkpoint.signed_at)
        .order_by(Checkpoint.size.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    size, root_hash, note, signed_at = row
    return CheckpointView(size, root_hash.hex(), note, signed_at)


def latest_signed_head(session: Session) -> SignedHead | None:
    """:func:`latest_checkpoint` as the log's signed head (size, root, note), for the integrator."""
    latest = latest_checkpoint(session)
    return None if latest is None else SignedHead(latest.size, latest.root_hash, latest.note)


def checkpoint_sizes(session: Session, after: int, upto: int) -> list[int]:
    """The sizes of the signed checkpoints with ``after < size <= upto``, smallest first."""
    return list(
        session.scalars(
            select(Checkpoint.size).where(Checkpoint.size > after, Checkpoint.size <= upto).order_by(Checkpoint.size)
        )
    )


def integrated_size(session: Session) -> int:
    """How many entries are covered by a signed checkpoint; an entry is integrated when its index is below."""
    checkpoint = latest_checkpoint(session)
    return 0 if checkpoint is None else checkpoint.size


def record_checkpoint(session: Session, *, size: int, root_hash: bytes, note: str) -> Checkpoint:
    """Keep a signed checkpoint. The same tree again is returned as is; a smaller or different one is refused."""
    existing = session.scalars(select(Checkpoint).where(Checkpoint.size == size)).one_or_none()
    if existing is not None:
        if existing.root_hash != root_hash:
            raise ConflictError(f"a checkpoint of size {size} with a different root exists; the log never forks")
        return existing
    latest = latest_checkpoint(session)
    if latest is not None and size < latest.size:
        raise ConflictError(f"checkpoint size {size} is below the latest signed size {latest.size}")
    if size > log_size(session):
        raise ConflictError(f"checkpoint size {size} is beyond the log's {log_size(session)} entries")
    checkpoint = Checkpoint(size=size, root_hash=root_hash, note=note)
    session.add(checkpoint)
    session.flush()
    return checkpoint


def log_identity(session: Session) -> LogIdentity | None:
    """The key and origin the log signed its first checkpoint with, if it has signed any since migration 0003."""
    return session.get(LogIdentity, 1)


def recorded_log_key(session: Session) -> RecordedLogKey | None:
    """:func:`log_identity` as a plain value, for the services that compare it with their own key."""
    identity = log_identity(session)
    if identity is None:
        return None
    return RecordedLogKey(identity.origin, identity.key_id, identity.vkey, identity.recorded_at)


def record_log_identity(session: Session, *, origin: str, key_id: str, vkey: str) -> LogIdentity:
    """Remember the log's key on its first signature. Needs :func:`log_append_lock`, so that only one key wins."""
    _require_lock(session)
    identity = LogIdentity(id=1, origin=origin, key_id=key_id, vkey=vkey)
    session.add(identity)
    session.flush()
    return identity
