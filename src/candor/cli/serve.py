"""``candor serve``: run the registry (website, JSON API, served log and its integrator) with uvicorn.

``candor serve --get PATH`` instead sends one request to the app in-process and prints the answer: a smoke test
that needs no port, exiting non-zero unless the status is 200.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from candor.cli.db import DataDirOption

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
) -> None:
    """Serve the registry: the website, the JSON API under /api/v1, and the log under /log."""
    from candor.config import load_settings

    settings = load_settings(data_dir=data_dir)
    if get is not None:
        status = asyncio.run(_get_once(build_app(settings), get))
        if status != 200:
            raise typer.Exit(1)
        return
    if workers == 1:
        run_server(build_app(settings), host, port)
        return
    import uvicorn

    prepare_database(settings)
    # Each worker process builds its own app from the environment, so the settings travel there.
    os.environ["CANDOR_DATA_DIR"] = str(settings.data_dir)
    os.environ["CANDOR_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "candor.web.app:app_from_environment", factory=True, workers=workers, host=host, port=port, log_level="info"
    )


def build_app(settings: Settings) -> FastAPI:
    """The registry app over a database brought up to date (see :func:`prepare_database`)."""
    from candor.web.app import create_app

    prepare_database(settings)
    return create_app(settings)


def prepare_database(settings: Settings) -> None:
    """Upgrade an embedded SQLite database in place; any other database must already be current."""
    from candor.store.database import create_database_engine
    from candor.store.schema import require_current_schema, upgrade_database

    engine = create_database_engine(settings.database_url)
    try:
        # The embedded database belongs to this data directory, so serving it may create it; a shared
        # PostgreSQL is migrated once, deliberately, with `candor db upgrade`.
        if settings.uses_sqlite:
            upgrade_database(engine)
        else:
            require_current_schema(engine)
    finally:
        engine.dispose()


def run_server(app: FastAPI, host: str, port: int) -> None:
    """Serve ``app`` with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


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
