"""Persistence: SQLAlchemy tables, Alembic migrations, and one small repository per aggregate.

SQLite (a file in the data directory, WAL mode) is the embedded default; PostgreSQL (psycopg 3) is the
production database. Both run the same migrations. Statements, documents and log rows are append-only, and
database triggers enforce it, so that not even a bug or an operator with SQL access rewrites history quietly.
"""
