"""Service tests that need a database get both backends from the shared fixtures."""

from tests.dbfixtures import database_url, migrated_engine, postgres_schema_url, sessions

__all__ = ["database_url", "migrated_engine", "postgres_schema_url", "sessions"]
