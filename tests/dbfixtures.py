"""Database fixtures shared by every test that needs the registry's storage.

``database_url`` is parametrised over both backends: a SQLite file in the test's temporary directory, and a
freshly created schema in the PostgreSQL at 127.0.0.1:5432 (database ``test``), dropped afterwards. Point the
PostgreSQL tests at another server with ``CANDOR_TEST_POSTGRES_URL``. Where PostgreSQL cannot be reached, its
tests skip with the reason shown, except under ``CI=true``, where they fail instead.

Use them from a conftest.py with ``from tests.dbfixtures import database_url, migrated_engine, sessions``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from candor.config import sqlite_url
from candor.store.database import create_database_engine, normalise_database_url, session_factory
from candor.store.schema import upgrade_database

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> str:
    """The PostgreSQL the tests use."""
    return normalise_database_url(os.environ.get("CANDOR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(f"PostgreSQL not reachable ({reason}); set CANDOR_TEST_POSTGRES_URL to run these tests")


@contextmanager
def new_postgres_schema() -> Iterator[str]:
    """A URL whose connections use a new, empty schema with a random name, dropped afterwards.

    The random name is what lets tests run in parallel (pytest -n) against one database without sharing tables.
    """
    server_url = postgres_server_url()
    admin = create_engine(server_url, connect_args={"connect_timeout": 3})
    schema = f"candor_test_{secrets.token_hex(6)}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        _unavailable(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc))
    url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections use a new, empty schema, dropped when the test ends."""
    with new_postgres_schema() as url:
        yield url


#: For a test of an attack only one backend has (SQLite's REPLACE, PostgreSQL's MERGE or superuser): it runs on that
#: backend alone, rather than being collected on both and skipped on one.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend in turn."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "candor.sqlite3")
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest revision."""
    engine = create_database_engine(database_url)
    upgrade_database(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def sessions(migrated_engine: Engine) -> sessionmaker[Session]:
    """Sessions on the migrated database."""
    return session_factory(migrated_engine)
