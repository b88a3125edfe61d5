"""How an attacker with the database in hand rewrites published history, past every trigger.

On SQLite, whoever owns the file opens their own connection (recursive triggers off, SQLite's default), drops the
BEFORE INSERT guard of migration 0004, and replaces a row with ``INSERT OR REPLACE``: the REPLACE deletes the old
row without firing its DELETE trigger. On PostgreSQL, a superuser sets ``session_replication_role = replica``,
which silences every ordinary trigger for the session, and rewrites the row in place.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from candor.store.database import create_database_engine
from candor.store.tables import Base


def tamper(database_url: str, table: str, key: str, key_value: Any, column: str, value: Any) -> None:
    """Set ``column`` of the ``table`` row whose ``key`` is ``key_value`` to ``value``, as an attacker would."""
    if database_url.startswith("sqlite"):
        replace_on_sqlite(database_url, table, key, key_value, column, value)
    else:
        rewrite_on_postgresql(
            database_url, f"UPDATE {table} SET {column} = :value WHERE {key} = :key", value=value, key=key_value
        )


def replace_on_sqlite(database_url: str, table: str, key: str, key_value: Any, column: str, value: Any) -> None:
    """``INSERT OR REPLACE`` the row with one column changed, from a raw connection the registry never configured."""
    columns = [item.name for item in Base.metadata.tables[table].columns]
    selected = ", ".join("?" if name == column else name for name in columns)
    connection = sqlite3.connect(Path(make_url(database_url).database or ""))
    try:
        assert connection.execute("PRAGMA recursive_triggers").fetchone() == (0,)
        connection.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
        connection.execute(
            f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) SELECT {selected} FROM {table} WHERE {key} = ?",
            (value, key_value),
        )
        connection.commit()
    finally:
        connection.close()


def rewrite_on_postgresql(database_url: str, *statements: str, **params: Any) -> None:
    """Run ``statements`` as a superuser with every ordinary trigger silenced for the session."""
    engine = create_database_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            for sql in statements:
                connection.execute(text(sql), params)
    finally:
        engine.dispose()
