"""The integrator's lease: which one of the app servers sharing a database signs the log's checkpoints.

Every server appends entries, and every server serves the log; one at a time signs. The lease is what picks it:

* on PostgreSQL, a session-level advisory lock, held on a connection of its own for as long as the server holds
  the lease. When the server dies (even by ``kill -9``), PostgreSQL ends its session and the lock with it, and the
  next server to try takes over;
* on SQLite, whose database file only one machine can share, an ``flock`` on a file beside the database, which the
  kernel releases the same way when the process dies.

The lease is about who does the work, not about safety: signing still happens inside
:func:`~candor.store.log_entries.log_append_lock`, and a checkpoint of another root for a size already signed is
refused by the database, so even two servers that both believed they held the lease could never sign a fork.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from candor.store.errors import StoreError

#: The PostgreSQL advisory lock key of the lease, combined with the schema's name like the append lock's.
INTEGRATOR_LEASE_KEY = int.from_bytes(hashlib.sha256(b"candor.log.integrator").digest()[:8], "big", signed=True)
#: The lock file's suffix beside a SQLite database file.
SQLITE_LEASE_SUFFIX = ".integrator-lease"


class IntegratorLease:
    """Taken with :meth:`try_take`, kept until :meth:`release` or the process ends. Not thread-safe: one owner."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._descriptor: int | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._descriptor is not None

    def try_take(self) -> bool:
        """Hold the lease if nobody else does, and say whether this process holds it now.

        Called again while held, it checks that the lease still stands: a PostgreSQL connection lost (the database
        restarted) lost the lock with it.
        """
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            return self._postgres()
        if dialect == "sqlite":
            return self._sqlite()
        raise StoreError(f"the integrator lease is not supported on {dialect}")

    def release(self) -> None:
        """Give the lease up, so that another server takes it at once rather than when this one dies."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            # Invalidated, not returned to the pool: only ending the session releases a session-level advisory lock.
            with contextlib.suppress(SQLAlchemyError):
                connection.invalidate()
            with contextlib.suppress(SQLAlchemyError):
                connection.close()
        if self._descriptor is not None:
            descriptor, self._descriptor = self._descriptor, None
            os.close(descriptor)  # closing the file releases its flock

    def _postgres(self) -> bool:
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))
                return True
            connection = self.engine.connect()
            try:
                taken = connection.execute(
                    text("SELECT pg_try_advisory_lock(:key # hashtextextended(current_schema(), 0))"),
                    {"key": INTEGRATOR_LEASE_KEY},
                ).scalar_one()
                # Session-level: the lock outlives this transaction, which is ended so the connection is not idle in
                # one for as long as the lease is held.
                connection.commit()
            except BaseException:
                connection.close()
                raise
        except SQLAlchemyError:
            self.release()
            return False
        if taken:
            self._connection = connection
            return True
        connection.close()
        return False

    def _sqlite(self) -> bool:
        if self._descriptor is not None:
            return True
        database = make_url(self.engine.url).database
        if not database or database == ":memory:":
            return True  # a database no other process can open: this process is the only server
        path = Path(database + SQLITE_LEASE_SUFFIX)
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"{path}: cannot be opened for the integrator lease: {exc.strerror}") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._descriptor = descriptor
        return True
