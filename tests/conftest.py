"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

RunCandor = Callable[..., subprocess.CompletedProcess[str]]


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
