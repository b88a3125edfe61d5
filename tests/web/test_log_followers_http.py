"""A follower asked over HTTP for a tile of a checkpoint another app server signed a moment ago catches up first."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.orm import Session, sessionmaker

from candor.config import load_settings
from candor.services.integration import RegistryLog
from candor.testing.publishing import ORIGIN, framework, publisher, register, signed
from candor.tlog.note import generate_key
from candor.web.app import create_app
from tests.dbfixtures import database_url, migrated_engine, postgres_schema_url, sessions
from tests.web.conftest import serve_app

__all__ = ["database_url", "migrated_engine", "postgres_schema_url", "sessions"]


def test_a_tile_signed_elsewhere_is_served_after_catching_up_and_is_the_signers_byte_for_byte(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "log.key"
    key_file.write_text(generate_key(ORIGIN)[0] + "\n")
    signer_log = RegistryLog(sessions, tmp_path / "signer", ORIGIN, key_file=key_file)
    signer_log.integrate()
    settings = load_settings(data_dir=tmp_path / "follower", database_url=database_url, log_key_file=key_file)
    app = create_app(settings)
    follower = RegistryLog(sessions, settings.data_dir, ORIGIN, key_file=key_file)
    follower.follow()
    acme = register(sessions, "acme-ai")
    for version in (1, 2, 3):
        raw = framework("acme-ai", version, supersedes=version - 1 if version > 1 else None)
        publisher(sessions).publish(acme.token, signed(acme, raw))
    signer_log.integrate()
    signed_tile = (signer_log.public / "tile" / "0" / "000.p" / "3").read_bytes()
    # No lifespan: no integrator ticks behind the test's back, so only a request can make the follower catch up.
    with serve_app(app, lifespan=False) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        # Control: a server with no log to catch up with answers 404 for a tile it does not hold.
        assert client.get("/log/tile/0/000.p/3").status_code == 404
        app.state.registry_log = follower
        answer = client.get("/log/tile/0/000.p/3")
        assert answer.status_code == 200
        assert answer.content == signed_tile
        assert (
            client.get("/log/tile/entries/000.p/3").content
            == (signer_log.public / "tile" / "entries" / "000.p" / "3").read_bytes()
        )
