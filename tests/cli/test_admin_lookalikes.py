"""``candor admin developer add`` refuses lookalikes in one line that names the developer they imitate."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_db import migrated_registry_env, registry_env
from tests.conftest import RunCandor

__all__ = ["migrated_registry_env", "registry_env"]


def test_admin_refuses_a_lookalike_slug_naming_the_registered_developer(
    invoke_candor: RunCandor, migrated_registry_env: str, tmp_path: Path
) -> None:
    key = str(tmp_path / "acme.pub")
    added = invoke_candor(
        "admin", "developer", "add", "acme-ai", "--name", "Acme AI Inc.", "--domain", "acme.example",
        "--public-key", key,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    impostor = invoke_candor(
        "admin", "developer", "add", "acrne-ai", "--name", "Acrne Inc.", "--domain", "acrne.example",
        "--public-key", key,
    )  # fmt: skip
    assert impostor.returncode == 2
    assert impostor.stderr.startswith("error: the slug 'acrne-ai' reads like 'acme-ai'")
    assert "registered developer 'acme-ai'" in impostor.stderr
    assert "Traceback" not in impostor.stderr
    doubled = invoke_candor(
        "admin", "developer", "add", "nova--ai", "--name", "Nova", "--domain", "nova.example", "--public-key", key
    )
    assert doubled.returncode == 2
    assert "slug 'nova--ai' is not valid" in doubled.stderr
