"""The log's append lock on PostgreSQL is per registry: per schema, not per database.

Advisory locks belong to the whole database. With one fixed key, every registry (or every test, each in its own
schema) sharing a database would queue behind any other's append, and a test holding the lock on purpose would
stall unrelated ones running in parallel.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import log_append_lock
from tests.dbfixtures import new_postgres_schema


@pytest.fixture
def two_registries() -> Iterator[tuple[Engine, Engine]]:
    with new_postgres_schema() as first_url, new_postgres_schema() as second_url:
        first, second = create_database_engine(first_url), create_database_engine(second_url)
        try:
            yield first, second
        finally:
            first.dispose()
            second.dispose()


def _try_lock(engine: Engine) -> None:
    """Take the append lock, giving up at once (lock_timeout) rather than waiting if another session holds it."""
    with session_factory(engine).begin() as session:
        session.execute(text("SET LOCAL lock_timeout = '100ms'"))
        _take(session)


def _take(session: Session) -> None:
    with log_append_lock(session):
        pass


def test_an_append_in_one_registry_does_not_block_another_registry(two_registries: tuple[Engine, Engine]) -> None:
    first, second = two_registries
    with session_factory(first).begin() as holder:
        _take(holder)  # held until this transaction ends
        _try_lock(second)


def test_an_append_still_blocks_a_second_append_to_the_same_registry(
    two_registries: tuple[Engine, Engine],
) -> None:
    first, _ = two_registries
    with session_factory(first).begin() as holder:
        _take(holder)
        with pytest.raises(OperationalError, match="lock timeout"):
            _try_lock(first)
