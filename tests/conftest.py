"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from candor.cli.app import main
from candor.testing import EXAMPLES as EXAMPLES  # the tests import it from here

REPO = Path(__file__).resolve().parent.parent

RunCandor = Callable[..., subprocess.CompletedProcess[str]]

#: Fixtures that mean a test talks to PostgreSQL (``database_url`` does only for its "postgresql" parameter).
_POSTGRES_FIXTURES = {"postgres_schema_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what each test needs, so ``make test-fast`` can leave out the slow parts (``-m "not postgres"``).

    Every test under tests/browser is ``browser`` and shares one xdist group: the demo registry and Chromium they
    share are package-scoped fixtures, so under ``pytest -n --dist loadgroup`` one worker builds them once rather
    than every worker building its own.
    """
    for item in items:
        if item.path.is_relative_to(REPO / "tests" / "browser"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _POSTGRES_FIXTURES or "postgresql" in params.values():
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def private_state_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's verifiers pin keys and checkpoints in its own state directory, never the user's: tests make
    many logs under one origin with different keys, which a shared state directory would rightly refuse."""
    state = tmp_path / "xdg-state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state / "candor"


@pytest.fixture
def run_candor() -> RunCandor:
    """Run the real ``candor`` entry point in a child process and capture its output."""

    def run(
        *args: str, cwd: Path | None = None, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
        return subprocess.run(
            [sys.executable, "-m", "candor", *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )

    return run


@pytest.fixture
def invoke_candor() -> RunCandor:
    """Run ``candor`` in this process, through the same ``main`` as the entry point, and capture its output.

    For tests of what a command does; an order of magnitude faster than :func:`run_candor`, whose child process
    is for what only the real entry point shows (start-up, the console script, stdin and stdout as pipes).
    Returns the same ``CompletedProcess`` shape, so a test can move between the two by changing the fixture;
    ``columns`` is the terminal width the command sees (``COLUMNS``). ``timeout`` is accepted and not enforced.
    """

    def invoke(
        *args: str, cwd: Path | None = None, input: str | None = None, timeout: float = 120, columns: int = 200
    ) -> subprocess.CompletedProcess[str]:
        runner = CliRunner()
        previous = Path.cwd()
        with runner.isolation(input=input, env={"COLUMNS": str(columns), "NO_COLOR": "1"}) as (stdout, stderr, _):
            try:
                if cwd is not None:
                    os.chdir(cwd)
                main(list(args), prog_name="candor")
                code: int = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            finally:
                os.chdir(previous)
                # What a command wrote with sys.stdout.write rather than echo may still sit in the wrappers.
                sys.stdout.flush()
                sys.stderr.flush()
            return subprocess.CompletedProcess(
                ["candor", *args], code, stdout.getvalue().decode(), stderr.getvalue().decode()
            )

    return invoke
