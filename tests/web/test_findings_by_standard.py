"""Findings under every standard that applies, over real HTTP, on SQLite and PostgreSQL.

A developer whose facts put it under SB 53 publishes a framework with no governance commitment. The minimum
standard has nothing to say about that; SB 53 does (§22757.12(a)(9)). The registry must show the SB 53 finding on
the document page and in the API, stop showing it when the facts change, and show the true findings whatever
anyone writes into the findings table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from candor.config import load_settings, sqlite_url
from candor.services.integration import RegistryLog
from candor.services.registry_facts import record_facts
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.testing.registry import Published, Registry, as_developer, example
from candor.web.app import create_app
from tests.conftest import EXAMPLES
from tests.web.conftest import _postgres_schema, serve_app

SLUG = "ungoverned-ai"
GOVERNANCE = b"""  commitments:
    - id: governance.board-briefing
      strength: must
      statement: The Safety and Security Committee is briefed before any model crossing a threshold is deployed.
"""


@dataclass
class Ungoverned:
    client: httpx.Client
    engine: Engine
    facts_dir: Path
    framework: Published


def facts_of(source: Path) -> bytes:
    raw = source.read_bytes()
    developer = raw.split(b"developer: ", 1)[1].split(b"\n", 1)[0]
    return raw.replace(b"developer: " + developer, f"developer: {SLUG}".encode(), 1)


#: Over SB 53's thresholds (the Acme example's facts), and under every regime's (a small start-up's).
COVERED = facts_of(EXAMPLES / "acme-ai" / "facts.yaml")
NOT_COVERED = facts_of(EXAMPLES / "facts" / "pebble-ai.yaml")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def ungoverned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ungoverned]:
    data_dir = tmp_path_factory.mktemp("ungoverned")
    if request.param == "sqlite":
        yield from _serve(data_dir, sqlite_url(data_dir / "candor.sqlite3"))
    else:
        with _postgres_schema() as url:
            yield from _serve(data_dir, url)


def _serve(data_dir: Path, database_url: str) -> Iterator[Ungoverned]:
    settings = load_settings(data_dir=data_dir, database_url=database_url, log_origin="registry.test/log")
    engine = create_database_engine(database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    registry = Registry(sessions, RegistryLog(sessions, data_dir, settings.log_origin))
    registry.register(SLUG, "Ungoverned AI", "ungoverned.example")
    framework = as_developer(example("sdf-v2.md"), SLUG)
    assert GOVERNANCE in framework
    published = registry.publish(framework.replace(GOVERNANCE, b"", 1), "sdf-v2.md")
    facts_dir = data_dir / "facts"
    try:
        with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
            yield Ungoverned(client, engine, facts_dir, published)
    finally:
        engine.dispose()


def set_facts(registry: Ungoverned, raw: bytes) -> None:
    record_facts(registry.facts_dir, SLUG, "facts.yaml", raw)


def findings_api(registry: Ungoverned) -> dict[str, Any]:
    response = registry.client.get(f"/api/v1/statements/{registry.framework.statement_sha256}/findings")
    assert response.status_code == 200, response.text
    return {group["standard"]: group for group in response.json()}


def rule_ids(group: dict[str, Any]) -> set[str]:
    return {finding["rule"] for finding in group["findings"]}


def document_page(registry: Ungoverned) -> str:
    return registry.client.get(f"/statements/{registry.framework.log_index}").text


def test_a_developer_covered_by_sb53_shows_its_sb53_findings(ungoverned: Ungoverned) -> None:
    set_facts(ungoverned, COVERED)
    groups = findings_api(ungoverned)
    assert next(iter(groups)) == "candor-minimum-2026.1"
    assert "SB53-FW-GOVERNANCE" not in rule_ids(groups["candor-minimum-2026.1"])
    sb53 = groups["ca-sb53-2026"]
    assert "SB53-FW-GOVERNANCE" in rule_ids(sb53)
    assert sb53["errors"] >= 1
    assert sb53["applies_because"].startswith("the developer is covered by ")
    page = document_page(ungoverned)
    assert "<code>SB53-FW-GOVERNANCE</code>" in page
    assert 'href="/standards/ca-sb53-2026"' in page


def test_the_sb53_findings_go_when_the_facts_no_longer_cover_the_developer(ungoverned: Ungoverned) -> None:
    set_facts(ungoverned, COVERED)
    assert "<code>SB53-FW-GOVERNANCE</code>" in document_page(ungoverned)  # and the page is now in the cache
    set_facts(ungoverned, NOT_COVERED)
    assert list(findings_api(ungoverned)) == ["candor-minimum-2026.1"]
    assert "SB53-FW-GOVERNANCE" not in document_page(ungoverned)
    set_facts(ungoverned, COVERED)
    assert "SB53-FW-GOVERNANCE" in rule_ids(findings_api(ungoverned)["ca-sb53-2026"])


def test_the_standards_page_says_whose_documents_each_standard_is_applied_to(ungoverned: Ungoverned) -> None:
    set_facts(ungoverned, COVERED)
    row = ungoverned.client.get("/standards").text.split('href="/standards/ca-sb53-2026"')[1].split("</tr>")[0]
    assert "covered by the <code>ca-sb53</code> regime" in row
    assert f'href="/developers/{SLUG}"' in row
    set_facts(ungoverned, NOT_COVERED)
    row = ungoverned.client.get("/standards").text.split('href="/standards/ca-sb53-2026"')[1].split("</tr>")[0]
    assert f'href="/developers/{SLUG}"' not in row


def insert_finding(registry: Ungoverned, message: str) -> None:
    with registry.engine.begin() as connection:
        statement_id = connection.execute(
            text("SELECT id FROM statements WHERE log_index = :index"), {"index": registry.framework.log_index}
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO findings (statement_id, standard_id, standard_version, rule_id, severity, message) "
                "VALUES (:id, 'ca-sb53-2026', '2026', 'SB53-FORGED', 'error', :message)"
            ),
            {"id": statement_id, "message": message},
        )


def test_rewriting_a_stored_finding_is_refused(ungoverned: Ungoverned) -> None:
    insert_finding(ungoverned, "recorded at publication")
    with pytest.raises(DBAPIError, match="append-only"), ungoverned.engine.begin() as connection:
        connection.execute(text("UPDATE findings SET message = 'nothing to see', severity = 'notice'"))
    with pytest.raises(DBAPIError, match="append-only"), ungoverned.engine.begin() as connection:
        connection.execute(text("DELETE FROM findings"))


def test_a_forged_finding_row_changes_nothing_shown(ungoverned: Ungoverned) -> None:
    # Inserting is what an append-only table allows; the registry shows findings worked out from the signed
    # document, never rows read back, so a forged row (or a row added to hide behind) is never shown.
    set_facts(ungoverned, COVERED)
    before = findings_api(ungoverned)
    insert_finding(ungoverned, "forged by the attacker")
    assert findings_api(ungoverned) == before
    assert "forged by the attacker" not in document_page(ungoverned)
