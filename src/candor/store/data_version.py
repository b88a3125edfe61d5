"""A cheap sign that the database may have changed, so that readers ask it again only when it did.

The web app keeps rendered pages until the registry changes (``web/conditional.py``). Asking the database what its
revision is costs a pool checkout, a query and a hop to a worker thread: more than answering from the cache. So
the app first asks a :class:`DataVersion` for a token, and queries only when the token moved.

- **SQLite**: ``PRAGMA data_version`` on a connection of its own, which never writes. SQLite changes the value
  whenever *another* connection, in this process or any other, has committed to the file since (sqlite.org,
  pragma.html#pragma_data_version): a strict signal, at the cost of a few microseconds.
- **Other databases** (PostgreSQL) have no such local signal. With ``poll_interval`` 0 (the default), the token
  differs on every call, so every request asks the database, as before. With a positive interval, the token
  moves once per interval, so a server asks at most once per interval: an operator's trade of up to that many
  seconds of lag, on the *other* servers, for fewer queries. :meth:`DataVersion.touch` moves the token at once,
  for writes made through this process.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time

from sqlalchemy.engine import make_url

from candor.store.database import normalise_database_url


class DataVersion:
    """Tokens that differ whenever the database may have changed since the last one (see the module)."""

    def __init__(self, database_url: str, poll_interval: float = 0.0) -> None:
        parsed = make_url(normalise_database_url(database_url))
        self._sqlite_path = parsed.database if parsed.get_backend_name() == "sqlite" else None
        self._poll_interval = poll_interval
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._generation = 0
        # next() on a count is atomic under the GIL: touches from several request threads are never lost.
        self._touches = itertools.count(1)
        self._calls = itertools.count()

    @property
    def strict(self) -> bool:
        """Whether every commit anywhere moves the token (SQLite), rather than a clock."""
        return self._sqlite_path is not None

    def token(self) -> tuple[int, int]:
        """The current token: equal tokens mean nothing was committed in between (as the module describes)."""
        if self._sqlite_path is not None:
            with self._lock:
                if self._connection is None:
                    # Its own connection, never in a transaction and never writing: it sees every other commit.
                    self._connection = sqlite3.connect(
                        self._sqlite_path, isolation_level=None, check_same_thread=False, timeout=5
                    )
                row = self._connection.execute("PRAGMA data_version").fetchone()
            return self._generation, int(row[0])
        if self._poll_interval > 0:
            return self._generation, int(time.monotonic() / self._poll_interval)
        return self._generation, next(self._calls)

    def touch(self) -> None:
        """Move the token now: this process has just written (a publication), whatever the clock says."""
        self._generation = next(self._touches)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
