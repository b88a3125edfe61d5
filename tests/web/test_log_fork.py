"""The log never signs a fork: attacks that roll its database back, or give it a second key, over real HTTP.

The attack of issue 8: publish X1 and back up the SQLite database; publish X2 and X3 (checkpoint at size 3);
restore the backup, start the server and publish Y1. Without a memory of what it signed, the registry gave Y1
index 1 (X2's), signed a size-2 checkpoint and overwrote the served entry bundle ``000.p/2``. Each server start
here is a real registry served by uvicorn; stopping it runs its integrator one last time.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.config import load_settings, sqlite_url
from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import log_size
from candor.store.schema import upgrade_database
from candor.store.tables import Checkpoint
from candor.testing.publishing import ORIGIN, Signer, framework, register, request_body, signed
from candor.tlog.checkpoint import open_checkpoint
from candor.tlog.history import CheckpointHistory
from candor.tlog.note import generate_key, parse_signer_key, parse_verifier_key
from tests.conftest import RunCandor
from tests.dbfixtures import postgres_schema_url
from tests.web.conftest import _postgres_schema, serve_app

__all__ = ["postgres_schema_url"]


class Registry:
    """A registry's database and data directory, served anew by each :meth:`serve`."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        engine = create_database_engine(database_url)
        upgrade_database(engine)
        engine.dispose()

    def sessions(self) -> Iterator[sessionmaker[Session]]:
        engine = create_database_engine(self.database_url)
        try:
            yield session_factory(engine)
        finally:
            engine.dispose()

    def serve(self, data_dir: Path | None = None) -> Any:
        settings = load_settings(data_dir=data_dir or self.data_dir, database_url=self.database_url, log_origin=ORIGIN)
        from candor.web.app import create_app

        return serve_app(create_app(settings))

    def publish(
        self, signer: Signer, version: int, *, minutes: int = 0, data_dir: Path | None = None
    ) -> httpx.Response:
        """Publish ``signer``'s framework ``version`` through a freshly started server, then stop it."""
        raw = framework(signer.slug, version, supersedes=version - 1 if version > 1 else None)
        with self.serve(data_dir) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
            return client.post(
                "/api/v1/statements",
                json=request_body(signed(signer, raw, minutes=minutes)),
                headers={"Authorization": f"Bearer {signer.token}"},
            )

    def checkpoints(self) -> list[Checkpoint]:
        for sessions in self.sessions():
            with sessions() as session:
                return list(session.query(Checkpoint).order_by(Checkpoint.size))
        raise AssertionError("unreachable")

    def size(self) -> int:
        for sessions in self.sessions():
            with sessions() as session:
                return log_size(session)
        raise AssertionError("unreachable")


def _register(registry: Registry) -> Signer:
    for sessions in registry.sessions():
        return register(sessions, "acme-ai")
    raise AssertionError("unreachable")


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a live SQLite database with SQLite's online backup API, as an operator's backup would."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def _served_size(data_dir: Path) -> int:
    verifier = parse_verifier_key((data_dir / "log.vkey").read_text())
    return open_checkpoint((data_dir / "log" / "checkpoint").read_bytes(), verifier).size


@pytest.fixture
def sqlite_registry(tmp_path: Path) -> Registry:
    return Registry(sqlite_url(tmp_path / "data" / "candor.sqlite3"), tmp_path / "data")


def _publish_x1_backup_then_x2_x3(registry: Registry, backup: Path) -> Signer:
    acme = _register(registry)
    first = registry.publish(acme, 1).json()
    assert first["log_index"] == 0, first
    _sqlite_copy(registry.data_dir / "candor.sqlite3", backup)
    assert registry.publish(acme, 2).json()["log_index"] == 1
    assert registry.publish(acme, 3).json()["log_index"] == 2
    assert _served_size(registry.data_dir) == 3
    return acme


def test_restoring_an_old_database_refuses_to_sequence_or_sign_a_fork(
    sqlite_registry: Registry, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.sqlite3"
    acme = _publish_x1_backup_then_x2_x3(sqlite_registry, backup)
    bundle = sqlite_registry.data_dir / "log" / "tile" / "entries" / "000.p" / "2"
    served_bundle = bundle.read_bytes()
    # The operator restores the backup of the database alone, and starts the server again.
    _sqlite_copy(backup, sqlite_registry.data_dir / "candor.sqlite3")
    response = sqlite_registry.publish(acme, 2, minutes=5)  # Y1
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "log_refuses_to_sign"
    # Both heads, by origin, size and root, and the way out.
    assert f"{ORIGIN} size 3 root " in error["message"]
    assert f"{ORIGIN} size 1 root " in error["message"]
    assert "candor restore" in error["message"]
    # Y1 got no index, nothing was signed over the old database, and the served files are untouched.
    assert sqlite_registry.size() == 1
    assert max(checkpoint.size for checkpoint in sqlite_registry.checkpoints()) == 1
    assert bundle.read_bytes() == served_bundle
    assert _served_size(sqlite_registry.data_dir) == 3


def test_control_without_a_restore_the_next_publication_extends_the_log(
    sqlite_registry: Registry, tmp_path: Path
) -> None:
    acme = _publish_x1_backup_then_x2_x3(sqlite_registry, tmp_path / "backup.sqlite3")
    response = sqlite_registry.publish(acme, 4)
    assert response.status_code == 201, response.text
    assert response.json()["log_index"] == 3
    assert _served_size(sqlite_registry.data_dir) == 4
    history = (sqlite_registry.data_dir / "checkpoint-history").read_text().splitlines()
    assert len(history) == len(sqlite_registry.checkpoints())  # each checkpoint signed is remembered once


def test_restoring_the_matching_database_lets_the_log_go_on(sqlite_registry: Registry, tmp_path: Path) -> None:
    """A backup taken after the last checkpoint (its database holds X1..X3) is no rollback: signing proceeds."""
    acme = _publish_x1_backup_then_x2_x3(sqlite_registry, tmp_path / "old.sqlite3")
    _sqlite_copy(sqlite_registry.data_dir / "candor.sqlite3", tmp_path / "new.sqlite3")
    _sqlite_copy(tmp_path / "new.sqlite3", sqlite_registry.data_dir / "candor.sqlite3")
    response = sqlite_registry.publish(acme, 4)
    assert response.status_code == 201, response.text
    assert _served_size(sqlite_registry.data_dir) == 4


@pytest.fixture
def postgres_registry(postgres_schema_url: str, tmp_path: Path) -> Registry:
    return Registry(postgres_schema_url, tmp_path / "first")


def test_a_new_data_directory_without_the_key_makes_no_second_key_refuses_to_sign_and_still_serves_the_log(
    postgres_registry: Registry, tmp_path: Path
) -> None:
    acme = _register(postgres_registry)
    assert postgres_registry.publish(acme, 1).status_code == 201
    first_key = (postgres_registry.data_dir / "log.vkey").read_text().strip()
    # The same PostgreSQL database, served from a new, empty data directory: no key may be made there.
    second = tmp_path / "second"
    response = postgres_registry.publish(acme, 2, data_dir=second)
    assert response.status_code == 503, response.text
    message = response.json()["error"]["message"]
    assert f"{second / 'log.key'}: no log key here" in message
    assert not (second / "log.key").exists()
    # It serves the log all the same: the database's checkpoint, tiled here, under the log's own key.
    assert (second / "log.vkey").read_text().strip() == first_key
    assert _served_size(second) == 1
    verifier = parse_verifier_key(first_key)
    for checkpoint in postgres_registry.checkpoints():
        open_checkpoint(checkpoint.note.encode(), verifier)  # every checkpoint is the first key's
    assert postgres_registry.size() == 1


def test_a_server_given_another_key_refuses_to_sign_says_why_in_one_line_and_keeps_serving(
    postgres_registry: Registry, tmp_path: Path
) -> None:
    acme = _register(postgres_registry)
    assert postgres_registry.publish(acme, 1).status_code == 201
    first_key = (postgres_registry.data_dir / "log.vkey").read_text().strip()
    other_key = tmp_path / "other.key"
    other_key.write_text(generate_key(ORIGIN)[0] + "\n")
    settings = load_settings(
        data_dir=tmp_path / "second", database_url=postgres_registry.database_url, log_key_file=other_key
    )
    from candor.web.app import create_app

    with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        raw = framework(acme.slug, 2, supersedes=1)
        response = client.post(
            "/api/v1/statements",
            json=request_body(signed(acme, raw)),
            headers={"Authorization": f"Bearer {acme.token}"},
        )
        assert response.status_code == 503, response.text
        message = response.json()["error"]["message"]
        other_name = parse_signer_key(other_key.read_text()).verifier().vkey()
        for vkey in (first_key, other_name):
            name, key_id = vkey.split("+")[:2]
            assert f"{name}+{key_id}" in message
        health = client.get("/healthz")
        assert health.status_code == 503
        reasons = health.json()["reasons"]
        (reason,) = [reason for reason in reasons if str(other_key) in reason]
        assert message.startswith(reason)  # the API's message adds the hint
        assert "\n" not in reason
        assert health.json()["log"]["role"] == "serving"
        # It keeps serving: pages, the log's key and its checkpoint (the log's, never one of its own key).
        assert client.get("/").status_code == 200
        assert client.get("/log/vkey").text.split()[-1] == first_key
        checkpoint = client.get("/log/checkpoint")
        assert checkpoint.status_code == 200
        assert open_checkpoint(checkpoint.content, parse_verifier_key(first_key)).size == 1
    assert postgres_registry.size() == 1


def test_control_a_new_data_directory_with_the_logs_own_key_goes_on(
    postgres_registry: Registry, tmp_path: Path
) -> None:
    acme = _register(postgres_registry)
    assert postgres_registry.publish(acme, 1).status_code == 201
    second = tmp_path / "second"
    second.mkdir()
    for name in ("log.key", "log.vkey"):
        (second / name).write_bytes((postgres_registry.data_dir / name).read_bytes())
    response = postgres_registry.publish(acme, 2, data_dir=second)
    assert response.status_code == 201, response.text
    assert _served_size(second) == 2


# -- candor backup and candor restore ---------------------------------------------------------------------------------


def test_candor_restore_of_an_old_backup_over_a_newer_log_is_refused(
    sqlite_registry: Registry, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    data = str(sqlite_registry.data_dir)
    acme = _register(sqlite_registry)
    assert sqlite_registry.publish(acme, 1).status_code == 201
    assert invoke_candor("backup", str(tmp_path / "b1"), "--data-dir", data).returncode == 0
    assert sqlite_registry.publish(acme, 2).status_code == 201
    assert sqlite_registry.publish(acme, 3).status_code == 201
    history = (sqlite_registry.data_dir / "checkpoint-history").read_bytes()
    refused = invoke_candor("restore", str(tmp_path / "b1"), "--data-dir", data)
    assert refused.returncode == 2, refused.stdout
    assert "restore refused" in refused.stderr
    assert f"{ORIGIN} size 3 root" in refused.stderr
    assert f"{ORIGIN} size 1 root" in refused.stderr
    assert "Traceback" not in refused.stderr
    # Nothing was touched: the log goes on from size 3.
    assert (sqlite_registry.data_dir / "checkpoint-history").read_bytes() == history
    assert sqlite_registry.size() == 3
    assert sqlite_registry.publish(acme, 4).json()["log_index"] == 3


def test_candor_restore_with_discard_newer_checkpoints_keeps_the_newer_history_aside(
    sqlite_registry: Registry, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    data = str(sqlite_registry.data_dir)
    acme = _register(sqlite_registry)
    assert sqlite_registry.publish(acme, 1).status_code == 201
    assert invoke_candor("backup", str(tmp_path / "b1"), "--data-dir", data).returncode == 0
    assert sqlite_registry.publish(acme, 2).status_code == 201
    newer = (sqlite_registry.data_dir / "checkpoint-history").read_bytes()
    forced = invoke_candor("restore", str(tmp_path / "b1"), "--data-dir", data, "--discard-newer-checkpoints")
    assert forced.returncode == 0, forced.stderr
    (aside,) = sqlite_registry.data_dir.glob("checkpoint-history.discarded-*")
    assert aside.read_bytes() == newer
    assert sqlite_registry.size() == 1


def test_candor_restore_of_the_matching_backup_recovers_from_the_attack(
    sqlite_registry: Registry, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    data = str(sqlite_registry.data_dir)
    acme = _publish_x1_backup_then_x2_x3(sqlite_registry, tmp_path / "old.sqlite3")
    assert invoke_candor("backup", str(tmp_path / "b3"), "--data-dir", data).returncode == 0
    _sqlite_copy(tmp_path / "old.sqlite3", sqlite_registry.data_dir / "candor.sqlite3")
    assert sqlite_registry.publish(acme, 2, minutes=5).status_code == 503
    restored = invoke_candor("restore", str(tmp_path / "b3"), "--data-dir", data)
    assert restored.returncode == 0, restored.stderr
    assert f"{ORIGIN} size 3 root" in restored.stdout
    response = sqlite_registry.publish(acme, 4)
    assert response.status_code == 201, response.text
    assert response.json()["log_index"] == 3
    assert _served_size(sqlite_registry.data_dir) == 4


def test_control_a_backup_restored_into_an_empty_directory_serves_the_same_log(
    sqlite_registry: Registry, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    acme = _register(sqlite_registry)
    for version in (1, 2):
        assert sqlite_registry.publish(acme, version).status_code == 201
    backed_up = invoke_candor("backup", str(tmp_path / "backup"), "--data-dir", str(sqlite_registry.data_dir))
    assert backed_up.returncode == 0, backed_up.stderr
    assert f"{ORIGIN} size 2 root" in backed_up.stdout
    # The backup serves exactly the newest checkpoint its history remembers.
    verifier = parse_verifier_key((tmp_path / "backup" / "log.vkey").read_text())
    remembered = CheckpointHistory(tmp_path / "backup" / "checkpoint-history", verifier).latest()
    assert remembered is not None
    assert (tmp_path / "backup" / "log" / "checkpoint").read_text() == remembered.note
    elsewhere = tmp_path / "elsewhere"
    assert invoke_candor("restore", str(tmp_path / "backup"), "--data-dir", str(elsewhere)).returncode == 0
    moved = Registry(sqlite_url(elsewhere / "candor.sqlite3"), elsewhere)
    assert (elsewhere / "log.key").read_bytes() == (sqlite_registry.data_dir / "log.key").read_bytes()
    assert moved.publish(acme, 3).json()["log_index"] == 2
    assert _served_size(elsewhere) == 3


def test_a_log_key_kept_outside_the_data_directory_is_audited_backed_up_and_restored_where_log_key_file_says(
    sqlite_registry: Registry, tmp_path: Path, run_candor: RunCandor, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secrets" / "log.key"
    monkeypatch.setenv("CANDOR_LOG_KEY_FILE", str(secret))
    acme = _register(sqlite_registry)
    for version in (1, 2):
        assert sqlite_registry.publish(acme, version).status_code == 201
    assert secret.is_file()
    assert not (sqlite_registry.data_dir / "log.key").exists()
    data_dir = str(sqlite_registry.data_dir)
    audited = run_candor("audit", "--data-dir", data_dir)
    assert audited.returncode == 0, audited.stdout + audited.stderr
    # The attack's mirror: audited against another key, every signed checkpoint is named as not the log's.
    monkeypatch.setenv("CANDOR_LOG_KEY_FILE", str(tmp_path / "other.key"))
    (tmp_path / "other.key").write_text(generate_key(ORIGIN)[0] + "\n")
    assert run_candor("audit", "--data-dir", data_dir).returncode == 1
    monkeypatch.setenv("CANDOR_LOG_KEY_FILE", str(secret))
    backed_up = run_candor("backup", str(tmp_path / "backup"), "--data-dir", data_dir)
    assert backed_up.returncode == 0, backed_up.stderr
    assert (tmp_path / "backup" / "log.key").read_bytes() == secret.read_bytes()
    moved_key = tmp_path / "moved-secrets" / "log.key"
    monkeypatch.setenv("CANDOR_LOG_KEY_FILE", str(moved_key))
    elsewhere = tmp_path / "elsewhere"
    restored = run_candor("restore", str(tmp_path / "backup"), "--data-dir", str(elsewhere))
    assert restored.returncode == 0, restored.stderr
    assert moved_key.read_bytes() == secret.read_bytes()
    assert not (elsewhere / "log.key").exists()
    moved = Registry(sqlite_url(elsewhere / "candor.sqlite3"), elsewhere)
    assert moved.publish(acme, 3).json()["log_index"] == 2
    assert _served_size(elsewhere) == 3


def test_a_backup_whose_database_is_older_than_its_own_history_is_refused(
    sqlite_registry: Registry, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    """A hand-made backup: the database copied before the history (the wrong order) cannot be restored."""
    backup = tmp_path / "backup"
    acme = _register(sqlite_registry)
    assert sqlite_registry.publish(acme, 1).status_code == 201
    _sqlite_copy(sqlite_registry.data_dir / "candor.sqlite3", tmp_path / "early.sqlite3")
    assert sqlite_registry.publish(acme, 2).status_code == 201
    assert invoke_candor("backup", str(backup), "--data-dir", str(sqlite_registry.data_dir)).returncode == 0
    _sqlite_copy(tmp_path / "early.sqlite3", backup / "candor.sqlite3")
    refused = invoke_candor("restore", str(backup), "--data-dir", str(tmp_path / "empty"))
    assert refused.returncode == 2
    assert "older than its own checkpoint history" in refused.stderr
    assert not (tmp_path / "empty" / "candor.sqlite3").exists()


def test_a_backup_of_another_log_or_an_interrupted_one_is_refused(
    sqlite_registry: Registry, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    acme = _register(sqlite_registry)
    assert sqlite_registry.publish(acme, 1).status_code == 201
    other = Registry(sqlite_url(tmp_path / "other" / "candor.sqlite3"), tmp_path / "other")
    assert other.publish(_register(other), 1).status_code == 201
    assert invoke_candor("backup", str(tmp_path / "theirs"), "--data-dir", str(other.data_dir)).returncode == 0
    refused = invoke_candor("restore", str(tmp_path / "theirs"), "--data-dir", str(sqlite_registry.data_dir))
    assert refused.returncode == 2
    assert "the backup is of another log" in refused.stderr
    (tmp_path / "theirs" / "candor-backup.json").unlink()
    interrupted = invoke_candor("restore", str(tmp_path / "theirs"), "--data-dir", str(tmp_path / "empty"))
    assert interrupted.returncode == 2
    assert "not a complete Candor backup" in interrupted.stderr


def test_postgres_backup_leaves_the_database_to_pg_dump_and_restore_checks_it(
    postgres_registry: Registry, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    acme = _register(postgres_registry)
    assert postgres_registry.publish(acme, 1).status_code == 201
    options = ("--data-dir", str(postgres_registry.data_dir), "--database-url", postgres_registry.database_url)
    backed_up = invoke_candor("backup", str(tmp_path / "backup"), *options)
    assert backed_up.returncode == 0, backed_up.stderr
    assert "pg_dump" in backed_up.stdout
    assert not (tmp_path / "backup" / "candor.sqlite3").exists()
    # The data directory is lost; the database is still there (or restored first with pg_restore).
    shutil.rmtree(postgres_registry.data_dir)
    restored = invoke_candor("restore", str(tmp_path / "backup"), *options)
    assert restored.returncode == 0, restored.stderr
    assert postgres_registry.publish(acme, 2).json()["log_index"] == 1


def test_candor_restore_of_an_old_backup_is_refused_even_when_the_history_was_deleted_by_hand(
    sqlite_registry: Registry, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    """The SQLite database in place remembers what it signed too; deleting checkpoint-history is not a way round."""
    data = str(sqlite_registry.data_dir)
    acme = _register(sqlite_registry)
    assert sqlite_registry.publish(acme, 1).status_code == 201
    assert invoke_candor("backup", str(tmp_path / "b1"), "--data-dir", data).returncode == 0
    assert sqlite_registry.publish(acme, 2).status_code == 201
    (sqlite_registry.data_dir / "checkpoint-history").unlink()
    refused = invoke_candor("restore", str(tmp_path / "b1"), "--data-dir", data)
    assert refused.returncode == 2, refused.stdout
    assert f"has signed {ORIGIN} size 2 root" in refused.stderr
    assert sqlite_registry.size() == 2


def test_a_backup_into_the_data_directory_itself_is_refused(
    sqlite_registry: Registry, invoke_candor: RunCandor
) -> None:
    acme = _register(sqlite_registry)
    assert sqlite_registry.publish(acme, 1).status_code == 201
    inside = sqlite_registry.data_dir / "backups" / "b1"
    refused = invoke_candor("backup", str(inside), "--data-dir", str(sqlite_registry.data_dir))
    assert refused.returncode == 2
    assert "is inside the data directory" in refused.stderr
    assert not inside.exists()


def test_postgres_restore_onto_a_database_that_was_not_restored_is_refused(
    postgres_registry: Registry, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    """A new machine, the backup of the data directory, and an empty database: pg_restore was forgotten."""
    acme = _register(postgres_registry)
    assert postgres_registry.publish(acme, 1).status_code == 201
    options = ("--data-dir", str(postgres_registry.data_dir), "--database-url", postgres_registry.database_url)
    assert invoke_candor("backup", str(tmp_path / "backup"), *options).returncode == 0
    with _postgres_schema() as empty_url:
        Registry(empty_url, tmp_path / "unused")
        refused = invoke_candor(
            "restore", str(tmp_path / "backup"), "--data-dir", str(tmp_path / "new"), "--database-url", empty_url
        )
    assert refused.returncode == 2, refused.stdout
    assert "restore the PostgreSQL database first" in refused.stderr
    assert f"{ORIGIN} size 1 root" in refused.stderr
    assert not (tmp_path / "new" / "log.key").exists()
