"""The log never signs a fork: attacks that roll its database back, or give it a second key, over real HTTP.

The attack of issue 8: publish X1 and back up the SQLite database; publish X2 and X3 (checkpoint at size 3);
restore the backup, start the server and publish Y1. Without a memory of what it signed, the registry gave Y1
index 1 (X2's), signed a size-2 checkpoint and overwrote the served entry bundle ``000.p/2``. Each server start
here is a real registry served by uvicorn; stopping it runs its integrator one last time.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.config import load_settings, sqlite_url
from candor.services.publishing import Publication
from candor.store.database import create_database_engine, session_factory
from candor.store.log import log_size
from candor.store.schema import upgrade_database
from candor.store.tables import Checkpoint
from candor.tlog.checkpoint import open_checkpoint
from candor.tlog.note import parse_verifier_key
from tests.dbfixtures import postgres_schema_url
from tests.services.publishing_kit import Signer, framework, register, signed
from tests.web.conftest import serve_app

__all__ = ["postgres_schema_url"]

ORIGIN = "registry.test/fork"


def _body(publication: Publication) -> dict[str, Any]:
    return {
        "statement": base64.b64encode(publication.statement_bytes).decode(),
        "signature": base64.b64encode(publication.signature).decode(),
        "document": None if publication.document is None else base64.b64encode(publication.document).decode(),
        "sealed_original": None if publication.sealed is None else base64.b64encode(publication.sealed).decode(),
    }


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
                json=_body(signed(signer, raw, minutes=minutes)),
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
    assert registry.publish(acme, 1).json()["log_index"] == 0
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


def test_a_new_data_directory_with_a_new_key_never_signs_for_the_same_postgres_database(
    postgres_registry: Registry, tmp_path: Path
) -> None:
    acme = _register(postgres_registry)
    assert postgres_registry.publish(acme, 1).status_code == 201
    first_key = (postgres_registry.data_dir / "log.vkey").read_text().strip()
    # The same PostgreSQL database, served from a new, empty data directory: a new log key is made there.
    second = tmp_path / "second"
    response = postgres_registry.publish(acme, 2, data_dir=second)
    assert response.status_code == 503, response.text
    message = response.json()["error"]["message"]
    second_key = (second / "log.vkey").read_text().strip()
    assert second_key != first_key
    for vkey in (first_key, second_key):
        name, key_id = vkey.split("+")[:2]
        assert f"{name}+{key_id}" in message
    assert not (second / "log" / "checkpoint").exists()
    verifier = parse_verifier_key(first_key)
    for checkpoint in postgres_registry.checkpoints():
        open_checkpoint(checkpoint.note.encode(), verifier)  # every checkpoint is the first key's
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
