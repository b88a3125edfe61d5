"""``candor admin`` without a registry refuses, naming the database and ``candor db upgrade``; it never creates an
empty ``./candor-data/candor.sqlite3`` in the directory it happens to run in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, RunCandor


@pytest.fixture
def no_configured_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the defaults, as a new operator has them."""
    for name in list(os.environ):
        if name.startswith("CANDOR_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("no_configured_database")
def test_every_admin_command_refuses_without_a_registry_and_creates_nothing(
    run_candor: RunCandor, tmp_path: Path
) -> None:
    key = tmp_path / "acme-ai.key"
    assert run_candor("keygen", str(key)).returncode == 0
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    commands = [
        (
            "developer",
            "add",
            "acme-ai",
            "--name",
            "Acme AI",
            "--domain",
            "acme-ai.example",
            "--public-key",
            f"{key}.pub",
        ),
        ("developer", "log-keys"),
        ("developer", "revoke-key", "acme-ai", "--public-key", f"{key}.pub"),
        ("token", "create", "acme-ai"),
        ("facts", "set", "acme-ai", str(EXAMPLES / "acme-ai" / "facts.yaml")),
    ]
    expected = workdir / "candor-data" / "candor.sqlite3"
    for command in commands:
        refused = run_candor("admin", *command, cwd=workdir)
        assert refused.returncode == 2, (command, refused.stdout, refused.stderr)
        assert refused.stderr.splitlines() == [
            f"error: no registry database at {expected} (check --data-dir, or make one with "
            "`candor db upgrade --data-dir candor-data`)"
        ], command
        assert list(workdir.iterdir()) == [], f"{command} created {list(workdir.rglob('*'))}"


@pytest.mark.usefixtures("no_configured_database")
def test_after_db_upgrade_the_same_command_works(run_candor: RunCandor, tmp_path: Path) -> None:
    """The control: with the registry the message points to, admin does its work."""
    key = tmp_path / "acme-ai.key"
    assert run_candor("keygen", str(key)).returncode == 0
    assert run_candor("db", "upgrade", cwd=tmp_path).returncode == 0
    added = run_candor(
        "admin", "developer", "add", "acme-ai", "--name", "Acme AI", "--domain", "acme-ai.example",
        "--public-key", f"{key}.pub", cwd=tmp_path,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
