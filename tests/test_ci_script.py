""".ci/run never hides a service that is missing or did not start: it stops with the service's own message.

The services are stood in for by small scripts on PATH (the CI script's own logic is what is under test, not
PostgreSQL's), and ``make`` by one that records that it ran and with which ``CI``; each failure is paired with the
control in which the service answers and the tests run.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = REPO / ".ci" / "run"


def _tool(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/usr/bin/env bash\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A bin directory with chromium, a PostgreSQL that answers once ``pg-up`` exists, and a recording make."""
    tools = tmp_path / "bin"
    tools.mkdir()
    _tool(tools, "chromium", "exit 0")
    _tool(tools, "pg_isready", f'[ -e "{tmp_path}/pg-up" ]')
    _tool(tools, "make", f'echo "make $* CI=$CI" > "{tmp_path}/make-ran"')
    (tmp_path / "conf" / "15").mkdir(parents=True)
    return tools


def _run(tools: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{tools}:/usr/bin:/bin",
        "HOME": str(tools.parent),
        "POSTGRES_CONF_DIR": str(tools.parent / "conf"),
        "POSTGRES_START_SECONDS": "2",
    }
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False)


def _make_ran(tools: Path) -> str | None:
    marker = tools.parent / "make-ran"
    return marker.read_text().strip() if marker.exists() else None


def test_a_running_postgres_goes_straight_to_the_tests_with_ci_set(machine: Path) -> None:
    (machine.parent / "pg-up").touch()
    result = _run(machine)
    assert result.returncode == 0, result.stderr
    # CI=true makes an unreachable PostgreSQL fail the database tests rather than skip them.
    assert _make_ran(machine) == "make test CI=true"


def test_a_cluster_that_starts_is_waited_for_then_tested(machine: Path) -> None:
    _tool(machine, "pg_ctlcluster", f'touch "{machine.parent}/pg-up"')
    result = _run(machine)
    assert result.returncode == 0, result.stderr
    assert _make_ran(machine) == "make test CI=true"


def test_a_failed_start_stops_the_run_with_its_own_message(machine: Path) -> None:
    _tool(machine, "pg_ctlcluster", 'echo "Error: could not bind IPv4 address" >&2; exit 1')
    result = _run(machine)
    assert result.returncode != 0
    assert "could not bind IPv4 address" in result.stderr
    assert _make_ran(machine) is None


def test_a_start_that_never_answers_stops_the_run(machine: Path) -> None:
    _tool(machine, "pg_ctlcluster", "exit 0")
    result = _run(machine)
    assert result.returncode != 0
    assert "was started but does not answer" in result.stderr
    assert _make_ran(machine) is None


def test_no_cluster_to_start_stops_the_run(machine: Path) -> None:
    _tool(machine, "pg_ctlcluster", "exit 0")
    (machine.parent / "conf" / "15").rmdir()
    result = _run(machine)
    assert result.returncode != 0
    assert "holds no cluster" in result.stderr
    assert _make_ran(machine) is None


def test_missing_postgres_tools_stop_the_run(machine: Path) -> None:
    (machine / "pg_isready").unlink()
    hidden = machine.parent / "no-postgres-bin"
    hidden.mkdir()
    # Only the stand-ins and the shell's basics: the machine's own pg_isready must not be found either.
    for name in ("bash", "ls", "sort", "tail", "seq", "sleep", "dirname", "env"):
        target = Path("/usr/bin", name) if Path("/usr/bin", name).exists() else Path("/bin", name)
        os.symlink(target, hidden / name)
    env = {"PATH": f"{machine}:{hidden}", "HOME": str(machine.parent)}
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "pg_isready is missing" in result.stderr
    assert _make_ran(machine) is None


def test_make_clean_never_removes_the_data_directory() -> None:
    dry = subprocess.run(["make", "-n", "clean"], cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    removed = [word for line in dry.stdout.splitlines() if line.startswith("rm ") for word in line.split()[2:]]
    assert removed, dry.stdout  # the control: clean does remove things
    assert ".venv" in removed
    # Nothing that is, or could expand to, candor-data (where `candor db upgrade` keeps the log's signing key).
    assert all("candor-data" not in word and "*" not in word and word not in {".", "..", "/"} for word in removed)
