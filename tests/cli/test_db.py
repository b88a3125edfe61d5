"""``candor db`` and ``candor admin`` on SQLite and PostgreSQL (in-process; an unreachable database through the
real entry point)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import text

from candor.domain.developer_keys import generate_private_key, private_key_pem, public_key_pem
from candor.store.database import create_database_engine
from candor.store.schema import upgrade_database
from tests.conftest import RunCandor


@pytest.fixture
def migrated_registry_env(registry_env: str, tmp_path: Path) -> str:
    """A migrated database for the admin commands, and a key pair at tmp_path/acme and tmp_path/acme.pub.

    Both are made in-process: ``db upgrade`` and ``keygen`` have their own tests, and each child process costs.
    """
    engine = create_database_engine(registry_env)
    upgrade_database(engine)
    engine.dispose()
    private_key = generate_private_key()
    (tmp_path / "acme").write_bytes(private_key_pem(private_key))
    (tmp_path / "acme.pub").write_bytes(public_key_pem(private_key.public_key()))
    return registry_env


@pytest.fixture
def registry_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the child processes at a fresh database on each backend."""
    monkeypatch.setenv("CANDOR_DATABASE_URL", database_url)
    return database_url


def test_db_upgrade_then_check_reports_no_drift(invoke_candor: RunCandor, registry_env: str) -> None:
    upgraded = invoke_candor("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded from empty to migration" in upgraded.stdout
    again = invoke_candor("db", "upgrade")
    assert "already at migration" in again.stdout
    checked = invoke_candor("db", "check")
    assert checked.returncode == 0, checked.stderr
    assert "no drift" in checked.stdout


def test_db_check_reports_drift_from_a_changed_schema(invoke_candor: RunCandor, registry_env: str) -> None:
    assert invoke_candor("db", "upgrade").returncode == 0
    engine = create_database_engine(registry_env)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE developers ADD COLUMN hand_added VARCHAR(10)"))
    engine.dispose()
    checked = invoke_candor("db", "check")
    assert checked.returncode == 1
    assert "remove_column" in checked.stdout
    assert "hand_added" in checked.stdout


def test_db_check_on_an_unmigrated_database_says_what_to_do(invoke_candor: RunCandor, registry_env: str) -> None:
    checked = invoke_candor("db", "check")
    assert checked.returncode != 0
    assert "candor db upgrade" in checked.stderr
    assert "Traceback" not in checked.stderr


def test_data_dir_option_puts_the_sqlite_file_there(
    invoke_candor: RunCandor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CANDOR_DATABASE_URL", raising=False)
    result = invoke_candor("db", "upgrade", "--data-dir", str(tmp_path / "registry"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "registry" / "candor.sqlite3").is_file()


def test_candor_data_dir_variable_is_honoured(
    invoke_candor: RunCandor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CANDOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("CANDOR_DATA_DIR", str(tmp_path / "from-env"))
    assert invoke_candor("db", "upgrade").returncode == 0
    assert (tmp_path / "from-env" / "candor.sqlite3").is_file()


def test_an_unreachable_database_is_one_clear_line(run_candor: RunCandor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDOR_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = run_candor("db", "check")
    assert result.returncode != 0
    assert result.stderr.startswith("error: database")
    assert "Traceback" not in result.stderr


def test_admin_registers_a_developer_and_issues_a_token(
    invoke_candor: RunCandor, migrated_registry_env: str, tmp_path: Path
) -> None:
    added = invoke_candor(
        "admin", "developer", "add", "acme-ai", "--name", "Acme AI Inc.", "--domain", "acme.example",
        "--public-key", str(tmp_path / "acme.pub"),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    issued = invoke_candor("admin", "token", "create", "acme-ai")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]
    assert token.startswith("candor_")

    engine = create_database_engine(migrated_registry_env)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT token_sha256 FROM api_tokens")).scalar_one()
        slug = connection.execute(text("SELECT slug FROM developers")).scalar_one()
    engine.dispose()
    assert bytes(stored) == hashlib.sha256(token.encode()).digest()
    assert slug == "acme-ai"


def test_admin_refuses_a_private_key_and_an_unknown_developer(
    invoke_candor: RunCandor, migrated_registry_env: str, tmp_path: Path
) -> None:
    leaked = invoke_candor(
        "admin", "developer", "add", "acme-ai", "--name", "Acme", "--domain", "acme.example",
        "--public-key", str(tmp_path / "acme"),
    )  # fmt: skip
    assert leaked.returncode != 0
    assert "PRIVATE key" in leaked.stderr
    unknown = invoke_candor("admin", "token", "create", "nobody")
    assert unknown.returncode != 0
    assert "no developer 'nobody'" in unknown.stderr
