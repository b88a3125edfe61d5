"""``candor admin facts set``: the operator records a developer's facts, and its page shows the coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, RunCandor

ACME_FACTS = str(EXAMPLES / "acme-ai" / "facts.yaml")


@pytest.fixture
def data_dir(invoke_candor: RunCandor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated registry (SQLite in its data directory) with acme-ai and borealis-labs registered."""
    monkeypatch.delenv("CANDOR_DATABASE_URL", raising=False)
    data = str(tmp_path / "data")
    assert invoke_candor("db", "upgrade", "--data-dir", data).returncode == 0
    for slug in ("acme-ai", "borealis-labs"):
        key = tmp_path / f"{slug}.key"
        assert invoke_candor("keygen", str(key)).returncode == 0
        added = invoke_candor(
            "admin", "developer", "add", slug, "--name", f"{slug} Inc.", "--domain", f"{slug}.example",
            "--public-key", f"{key}.pub", "--data-dir", data,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    return data


def test_recorded_facts_decide_the_coverage_on_the_developer_page(invoke_candor: RunCandor, data_dir: str) -> None:
    before = invoke_candor("serve", "--get", "/developers/acme-ai", "--data-dir", data_dir)
    assert "No facts are on file for this developer." in before.stdout
    recorded = invoke_candor("admin", "facts", "set", "acme-ai", ACME_FACTS, "--data-dir", data_dir)
    assert recorded.returncode == 0, recorded.stderr
    assert "recorded the facts of acme-ai (Acme AI, Inc., revenue years on file: 2024, 2025, 2026)" in recorded.stdout
    after = invoke_candor("serve", "--get", "/developers/acme-ai", "--data-dir", data_dir)
    assert after.returncode == 0, after.stderr
    assert "Determinations from the latest facts on file" in after.stdout
    assert "No facts are on file" not in after.stdout


def test_facts_of_another_developer_are_refused_in_one_line(invoke_candor: RunCandor, data_dir: str) -> None:
    result = invoke_candor("admin", "facts", "set", "borealis-labs", ACME_FACTS, "--data-dir", data_dir)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert "these facts are for 'acme-ai', not 'borealis-labs'" in result.stderr
    assert not (Path(data_dir) / "facts" / "borealis-labs.yaml").exists()


def test_facts_of_an_unregistered_developer_are_refused(invoke_candor: RunCandor, data_dir: str) -> None:
    result = invoke_candor("admin", "facts", "set", "nobody", ACME_FACTS, "--data-dir", data_dir)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "nobody" in result.stderr
    assert not (Path(data_dir) / "facts").exists()


def test_recording_facts_rechecks_the_current_documents_under_the_standards_they_bring(
    invoke_candor: RunCandor, data_dir: str
) -> None:
    from candor.config import load_settings
    from candor.services.integration import RegistryLog
    from candor.store.database import create_database_engine, session_factory
    from candor.testing.registry import Registry, as_developer, example

    settings = load_settings(data_dir=Path(data_dir))
    engine = create_database_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        registry = Registry(sessions, RegistryLog(sessions, Path(data_dir), settings.log_origin))
        registry.register("ungoverned-ai", "Ungoverned AI", "ungoverned.example")
        framework = as_developer(example("sdf-v2.md"), "ungoverned-ai")
        registry.publish(
            framework.replace(
                b"      strength: must\n      statement: The Safety and Security",
                b"      strength: should\n      statement: The Safety and Security",
                1,
            )
        )
    finally:
        engine.dispose()
    facts = Path(data_dir) / "ungoverned.yaml"
    facts.write_bytes(Path(ACME_FACTS).read_bytes().replace(b"developer: acme-ai", b"developer: ungoverned-ai", 1))
    recorded = invoke_candor("admin", "facts", "set", "ungoverned-ai", str(facts), "--data-dir", data_dir)
    assert recorded.returncode == 0, recorded.stderr
    (line,) = [line for line in recorded.stdout.splitlines() if line.startswith("re-checked ")]
    assert "Secure Development Framework, version 2.0" in line
    assert "candor-minimum-2026.1: 0 errors" in line
    assert "ca-sb53-2026: 1 errors" in line  # SB53-FW-GOVERNANCE: the only governance commitment is a 'should'
