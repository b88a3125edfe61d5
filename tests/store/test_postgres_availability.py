"""Without PostgreSQL the store tests skip, visibly; under CI=true they fail instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = "tests/store/test_migrations.py::test_models_and_migrations_agree"


def run_probe(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["CANDOR_TEST_POSTGRES_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("ci", [None, "false"])
def test_unreachable_postgres_skips_with_the_reason_off_ci(ci: str | None) -> None:
    result = run_probe(ci)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped" in result.stdout
    assert "PostgreSQL not reachable" in result.stdout


def test_unreachable_postgres_fails_under_ci() -> None:
    result = run_probe("true")
    assert result.returncode == 1, result.stdout
    assert "PostgreSQL is required under CI=true" in result.stdout
