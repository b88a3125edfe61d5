"""An operator's read-then-write beside a running server never fails with "database is locked" on SQLite.

A deferred SQLite transaction that has read, and then sees another connection commit, can no longer write: it
fails at once, whatever the busy timeout. ``write_transaction`` takes the write lock before it reads, so the
other writer waits instead. The control shows the failure it prevents.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from candor.config import sqlite_url
from candor.store.database import create_database_engine, session_factory, write_transaction
from candor.store.schema import upgrade_database


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_database_engine(sqlite_url(tmp_path / "candor.sqlite3"))
    upgrade_database(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    try:
        yield engine
    finally:
        engine.dispose()


def _another_writer(engine: Engine, done: threading.Event) -> threading.Thread:
    def write() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO notes VALUES ('the integrator signed a checkpoint')"))
        done.set()

    return threading.Thread(target=write)


def test_control_a_deferred_read_then_write_fails_once_another_writer_commits(engine: Engine) -> None:
    done = threading.Event()
    with session_factory(engine).begin() as session:
        session.execute(text("SELECT count(*) FROM notes"))
        writer = _another_writer(engine, done)
        writer.start()
        writer.join()
        assert done.is_set()  # the other writer was not blocked by a mere reader
        with pytest.raises(OperationalError, match="database is locked"):
            session.execute(text("INSERT INTO notes VALUES ('the operator issued a token')"))


def test_a_write_transaction_makes_the_other_writer_wait_its_turn(engine: Engine) -> None:
    done = threading.Event()
    with write_transaction(engine) as session:
        session.execute(text("SELECT count(*) FROM notes"))
        writer = _another_writer(engine, done)
        writer.start()
        assert not done.wait(0.5)  # it waits on the lock this transaction holds
        session.execute(text("INSERT INTO notes VALUES ('the operator issued a token')"))
    writer.join()
    assert done.is_set()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notes")).scalar_one() == 2
