"""A real registry served over loopback HTTP by uvicorn, on SQLite and on PostgreSQL."""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette

from candor.config import load_settings, sqlite_url
from candor.services.integration import RegistryLog
from candor.store.database import create_database_engine, session_factory, write_transaction
from candor.store.developers import Developers
from candor.store.schema import upgrade_database
from candor.store.tokens import ApiTokens
from candor.store.vocabulary import TokenScope
from candor.web.app import create_app
from tests.conftest import EXAMPLES
from tests.dbfixtures import _unavailable, postgres_server_url
from tests.processes import free_port
from tests.web.registry import Filled, Registry, fill


@dataclass
class Served:
    """A filled registry and an HTTP client pointed at the server that serves it."""

    base_url: str
    client: httpx.Client
    filled: Filled
    data_dir: Path
    database_url: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("registry")
    if request.param == "sqlite":
        database_url = sqlite_url(data_dir / "candor.sqlite3")
        yield from _serve(data_dir, database_url)
    else:
        with _postgres_schema() as url:
            yield from _serve(data_dir, url)


@pytest.fixture(scope="module")
def publish_token(served: Served) -> str:
    """A publish token of acme-ai, issued in the served registry's database."""
    engine = create_database_engine(served.database_url)
    try:
        # The server runs beside this write (its integrator signs checkpoints), so take SQLite's lock first.
        with write_transaction(engine) as session:
            developer = Developers(session).get("acme-ai")
            token, _ = ApiTokens(session).issue(TokenScope.PUBLISH, developer)
    finally:
        engine.dispose()
    return token


@contextmanager
def _postgres_schema() -> Iterator[str]:
    """A fresh schema for one test module (the shared fixture is per test, too short-lived for a server)."""
    admin = create_engine(postgres_server_url(), connect_args={"connect_timeout": 3})
    schema = f"candor_web_{secrets.token_hex(6)}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        _unavailable(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc))
    url = make_url(postgres_server_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _serve(data_dir: Path, database_url: str, **settings_overrides: object) -> Iterator[Served]:
    settings = load_settings(
        data_dir=data_dir, database_url=database_url, log_origin="registry.test/log", **settings_overrides
    )
    facts = data_dir / "facts"
    facts.mkdir()
    shutil.copyfile(EXAMPLES / "acme-ai" / "facts.yaml", facts / "acme-ai.yaml")
    (facts / "borealis.yaml").write_text("developer: borealis\nlegal_name: [unclosed\n")
    engine = create_database_engine(database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    try:
        filled = fill(Registry(sessions, RegistryLog(sessions, data_dir, settings.log_origin)))
    finally:
        engine.dispose()
    with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield Served(base_url, client, filled, data_dir, database_url)


@contextmanager
def serve_app(app: Starlette, *, lifespan: bool = True) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread; yields the base URL.

    Without ``lifespan``, the app's background threads (the log's integrator, the periodic audit) never start.
    """
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on" if lifespan else "off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
