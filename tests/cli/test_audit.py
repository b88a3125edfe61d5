"""``candor audit`` exits 0 on an untouched registry, 1 naming each tampered row, and 2 when it cannot run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from candor.services.integration import RegistryLog
from candor.store.tables import Document
from tests.conftest import RunCandor
from tests.services.tampering import tamper
from tests.web.registry import Filled, Registry, fill


@pytest.fixture
def filled(sessions: sessionmaker[Session], tmp_path: Path) -> Filled:
    # On SQLite the database is tmp_path/candor.sqlite3, the data directory's default file.
    return fill(Registry(sessions, RegistryLog(sessions, tmp_path, "registry.test/log")))


def _audit(invoke_candor: RunCandor, data_dir: Path, database_url: str) -> tuple[int, list[str], str]:
    result = invoke_candor("audit", "--data-dir", str(data_dir), "--database-url", database_url)
    return result.returncode, result.stdout.splitlines(), result.stderr


def test_an_untouched_registry_audits_clean(
    filled: Filled, invoke_candor: RunCandor, tmp_path: Path, database_url: str
) -> None:
    code, lines, stderr = _audit(invoke_candor, tmp_path, database_url)
    assert (code, stderr) == (0, "")
    assert lines == [lines[-1]]
    assert lines[-1].startswith(f"clean: {filled.log_size} log entries")


def test_a_tampered_document_is_named_and_fails_the_audit(
    filled: Filled, invoke_candor: RunCandor, tmp_path: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    sha256 = filled.published["acme-sdf-1"].document_sha256
    with sessions() as session:
        content = session.scalars(select(Document.content).where(Document.sha256 == sha256)).one()
    tampered = content.replace(b"must", b"may ", 1)
    tamper(database_url, "documents", "sha256", sha256, "content", tampered)
    code, lines, _ = _audit(invoke_candor, tmp_path, database_url)
    assert code == 1
    assert lines[0] == (
        f"documents sha256 {sha256}: the content does not hash to its SHA-256: "
        f"expected {sha256}, found {hashlib.sha256(tampered).hexdigest()}"
    )
    assert lines[1].startswith("1 finding(s) in ")


def test_a_data_directory_without_a_registry_is_bad_input(run_candor: RunCandor, tmp_path: Path) -> None:
    result = run_candor("audit", "--data-dir", str(tmp_path / "typo"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: no registry database at {tmp_path / 'typo' / 'candor.sqlite3'}")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "typo").exists()


def test_auditing_without_the_log_key_is_bad_input(
    filled: Filled, invoke_candor: RunCandor, tmp_path: Path, database_url: str
) -> None:
    (tmp_path / "log.key").unlink()
    (tmp_path / "log.vkey").unlink()
    code, lines, stderr = _audit(invoke_candor, tmp_path, database_url)
    assert (code, lines) == (2, [])
    assert stderr.startswith(f"error: {tmp_path} holds no log key")
