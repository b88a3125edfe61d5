"""``candor serve``: run the registry (website, JSON API, served log and its integrator) with uvicorn.

``candor serve --get PATH`` instead sends one request to the app in-process and prints the answer: a smoke test
that needs no port, exiting non-zero unless the status is 200.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from candor.cli.db import DataDirOption
from candor.errors import CandorError
from candor.logs import logging_config

if TYPE_CHECKING:
    from fastapi import FastAPI

    from candor.config import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = DEFAULT_PORT,
    data_dir: DataDirOption = None,
    get: Annotated[
        str | None,
        typer.Option("--get", help="Send one GET for PATH in-process, print the response, and exit (0 only on 200)."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Server processes; they share the database and the data directory.", min=1)
    ] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log a line per request. Off by default: at thousands of requests a second the lines cost more "
            "than the answers, and refused publications are logged either way.",
        ),
    ] = False,
) -> None:
    """Serve the registry: the website, the JSON API under /api/v1, and the log under /log.

    The data directory must hold a registry, made by `candor db upgrade` or `candor demo`; serving never makes one.
    """
    from candor.config import load_settings

    settings = load_settings(data_dir=data_dir)
    if get is not None:
        status = asyncio.run(_get_once(build_app(settings), get))
        if status != 200:
            raise typer.Exit(1)
        return
    if workers == 1:
        run_server(build_app(settings), host, port, settings.log_format, access_log=access_log)
        return
    import uvicorn

    loop, http = fast_protocols()
    prepare_database(settings)
    # Each worker process builds its own app from the environment, so the settings travel there.
    os.environ["CANDOR_DATA_DIR"] = str(settings.data_dir)
    os.environ["CANDOR_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "candor.web.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        log_config=logging_config(settings.log_format),
        access_log=access_log,
        loop=loop,
        http=http,
    )


def build_app(settings: Settings) -> FastAPI:
    """The registry app over a database brought up to date (see :func:`prepare_database`)."""
    from candor.web.app import create_app

    prepare_database(settings)
    return create_app(settings)


class NoRegistryError(CandorError):
    """Asked to serve a data directory that holds no registry."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(f"no registry in {data_dir}; run `candor db upgrade --data-dir {data_dir}` or `candor demo`")


def prepare_database(settings: Settings) -> None:
    """Check that there is a registry to serve, and upgrade an embedded SQLite one in place.

    Serving never creates a registry: a mistyped ``--data-dir`` would otherwise serve a new, empty one. An existing
    SQLite registry belongs to its data directory, so serving it brings its schema up to date; a shared PostgreSQL
    is migrated once, deliberately, with ``candor db upgrade``.
    """
    from sqlalchemy.engine import make_url

    from candor.store.database import create_database_engine
    from candor.store.schema import current_revision, require_current_schema, upgrade_database

    if settings.uses_sqlite and not Path(make_url(settings.database_url).database or "").is_file():
        # Checked before any engine exists: opening a SQLite file creates it (and its directory).
        raise NoRegistryError(settings.data_dir)
    engine = create_database_engine(settings.database_url)
    try:
        if current_revision(engine) is None:
            raise NoRegistryError(settings.data_dir)
        if settings.uses_sqlite:
            upgrade_database(engine)
        else:
            require_current_schema(engine)
    finally:
        engine.dispose()


def fast_protocols() -> tuple[Literal["uvloop", "asyncio"], Literal["httptools", "h11"]]:
    """uvicorn's event loop and HTTP parser: uvloop and httptools where they are installed (they are dependencies
    wherever they build), else asyncio and h11. Named explicitly, so that ``candor serve --help`` and the logs
    do not depend on uvicorn's ``auto`` guessing the same way in every version."""
    from importlib.util import find_spec

    return (
        "uvloop" if find_spec("uvloop") is not None else "asyncio",
        "httptools" if find_spec("httptools") is not None else "h11",
    )


def run_server(
    app: FastAPI, host: str, port: int, log_format: Literal["text", "json"] = "text", *, access_log: bool = False
) -> None:
    """Serve ``app`` with uvicorn until interrupted, with uvloop and httptools where installed."""
    import uvicorn

    loop, http = fast_protocols()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        log_config=logging_config(log_format),
        access_log=access_log,
        loop=loop,
        http=http,
    )


async def _get_once(app: FastAPI, path: str) -> int:
    import httpx

    if not path.startswith("/"):
        path = "/" + path
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.get(path)
    sys.stdout.write(response.text)
    if not response.text.endswith("\n"):
        sys.stdout.write("\n")
    if response.status_code != 200:
        sys.stderr.write(f"GET {path}: {response.status_code} {response.reason_phrase}\n")
    return response.status_code
