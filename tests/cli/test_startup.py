"""The everyday commands start without the registry's heavy libraries (database, web server, HTTP client).

``candor`` imports a command's module only when that command runs or shows its help (see ``candor.cli.app``), so
a developer's ``candor check`` in CI never pays for FastAPI, SQLAlchemy or uvicorn.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from candor.cli.app import COMMANDS, app, load_command
from tests.conftest import EXAMPLES

HEAVY = {"sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "httpx"}

# Runs the real entry point as ``python -m candor`` does, then reports which modules it loaded, even when the
# command exits through SystemExit (as every Typer command does).
_REPORT_MODULES = """
import json, sys
sys.argv = ["candor", *sys.argv[1:]]
try:
    from candor.cli.app import main
    main()
finally:
    sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def loaded_modules(*args: str) -> set[str]:
    """Every module (dotted name) in ``sys.modules`` after the real entry point ran ``candor ARGS``."""
    result = subprocess.run([sys.executable, "-c", _REPORT_MODULES, *args], capture_output=True, text=True, check=False)
    assert "Traceback" not in result.stderr
    report = result.stderr.rpartition("\nMODULES ")[2]
    return set(json.loads(report))


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("--help",),
        ("check", str(EXAMPLES / "acme-ai" / "sdf-v2.md")),
        ("check", str(EXAMPLES / "acme-ai" / "certification-2026.md"), "--format", "sarif"),
        ("coverage", str(EXAMPLES / "acme-ai" / "facts.yaml")),
        ("log", "--help"),
    ],
    ids=["version", "help", "check", "check-sarif", "coverage", "log"],
)
def test_command_starts_without_heavy_libraries(args: tuple[str, ...]) -> None:
    modules = top_level(loaded_modules(*args))
    assert "candor" in modules
    assert modules & HEAVY == set()


def test_version_imports_no_command_module() -> None:
    modules = loaded_modules("--version")
    assert {name for name in modules if name.startswith("candor.cli.")} == {"candor.cli.app"}


def test_root_help_lists_every_command_without_importing_any() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _REPORT_MODULES, "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "250", "NO_COLOR": "1", "PATH": ""},
    )
    assert result.returncode == 0
    for name, lazy in COMMANDS.items():
        assert f" {name} " in result.stdout
        assert lazy.help in result.stdout
    modules = set(json.loads(result.stderr.rpartition("\nMODULES ")[2]))
    assert {name for name in modules if name.startswith("candor.cli.")} == {"candor.cli.app"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_table_says_what_the_command_itself_says(name: str) -> None:
    # The root lists commands from its table without importing them; a stale line there would mislead every reader
    # of `candor --help`, so each line must be the first line of the command's own help.
    command = load_command(name)
    assert command.name == name
    own_help = (command.short_help or command.help or "").strip().splitlines()[0]
    assert COMMANDS[name].help == own_help


def test_a_mistyped_command_is_suggested_from_the_table() -> None:
    result = CliRunner().invoke(app, ["chek", "x.md"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 2
    assert "Did you mean 'check'?" in result.output
