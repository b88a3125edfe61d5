"""Store tests run against both SQLite and PostgreSQL."""

from tests.dbfixtures import database_url, migrated_engine, postgres_schema_url, sessions

__all__ = ["database_url", "migrated_engine", "postgres_schema_url", "sessions"]
