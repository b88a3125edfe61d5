"""The everyday commands start without the registry's heavy libraries (database, web server, HTTP client)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES

HEAVY = {"sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "httpx"}


def imported_modules(*args: str) -> set[str]:
    """The top-level packages the real entry point imports for ``candor ARGS``, from ``-X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "candor", *args], capture_output=True, text=True, check=False
    )
    assert "Traceback" not in result.stderr
    lines = (line.rpartition("|")[2] for line in result.stderr.splitlines() if line.startswith("import time:"))
    return {name.strip().split(".")[0] for name in lines}


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("check", str(EXAMPLES / "acme-ai" / "sdf-v2.md")),
        ("coverage", str(EXAMPLES / "acme-ai" / "facts.yaml")),
        ("log", "--help"),
    ],
    ids=["version", "check", "coverage", "log"],
)
def test_command_starts_without_heavy_libraries(args: tuple[str, ...]) -> None:
    modules = imported_modules(*args)
    assert "candor" in modules
    assert modules & HEAVY == set()
