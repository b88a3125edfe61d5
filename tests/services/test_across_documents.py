"""Checks across documents on the registry: a finding shows on both documents it names, a withdrawn document binds
nothing, and the website shows it on both pages. Real databases (SQLite and PostgreSQL), real publication."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.orm import Session, sessionmaker

from candor.config import load_settings
from candor.services.across_documents import AcrossDocuments
from candor.services.integration import RegistryLog
from candor.services.version_diffs import VersionDiffs
from candor.store.documents import Documents
from candor.testing.registry import Registry, as_developer, example
from candor.web.app import create_app
from tests.services.tampering import tamper
from tests.web.conftest import serve_app

ORIGIN = "registry.test/log"


def _early_card() -> bytes:
    """Acme-3.5's card, released before framework 2.0 (which it says it applied) took effect."""
    raw = example("system-card-acme-3-5.md")
    assert b"release_date: 2026-03-10" in raw
    return raw.replace(b"release_date: 2026-03-10", b"release_date: 2026-01-10")


def _registry(sessions: sessionmaker[Session], data_dir: Path) -> Registry:
    registry = Registry(sessions, RegistryLog(sessions, data_dir, ORIGIN))
    registry.register("acme-ai", "Acme AI, Inc.", "acme-ai.example")
    return registry


def test_a_finding_names_both_documents_and_each_shows_it(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    registry = _registry(sessions, tmp_path)
    framework = registry.publish(example("sdf-v2.md"), "sdf-v2.md")
    card = registry.publish(_early_card())
    checks = AcrossDocuments(sessions)
    on_card = checks.for_statement(card.log_index)
    assert [(f.rule_id, f.falls_short, f.other_log_index) for f in on_card] == [
        ("across.deployed-before-framework", True, framework.log_index)
    ]
    assert on_card[0].other_title == "Secure Development Framework, version 2.0"
    on_framework = checks.for_statement(framework.log_index)
    assert [(f.rule_id, f.falls_short, f.other_log_index) for f in on_framework] == [
        ("across.deployed-before-framework", False, card.log_index)
    ]


def test_a_withdrawn_card_binds_nothing_and_a_true_card_raises_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    registry = _registry(sessions, tmp_path)
    framework = registry.publish(example("sdf-v2.md"), "sdf-v2.md")
    honest = registry.publish(example("system-card-acme-3-5.md"))
    checks = AcrossDocuments(sessions)
    assert checks.for_statement(honest.log_index) == []
    assert checks.for_statement(framework.log_index) == []
    # Publishing moves the developer's revision: the kept result is not served stale.
    early = registry.publish(_early_card().replace(b'version: "1.0"', b'version: "1.1"', 1))
    assert [f.rule_id for f in checks.for_statement(framework.log_index)] == ["across.deployed-before-framework"]
    registry.withdraw("acme-ai", early, series="Acme-3.5", version="1.1")
    assert checks.for_statement(framework.log_index) == []
    assert checks.for_statement(early.log_index) == []


def test_the_website_shows_the_finding_on_both_pages(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    registry = _registry(sessions, tmp_path)
    framework = registry.publish(example("sdf-v2.md"), "sdf-v2.md")
    card = registry.publish(_early_card())
    settings = load_settings(data_dir=tmp_path, database_url=database_url, log_origin=ORIGIN)
    with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        card_page = client.get(f"/statements/{card.log_index}").text
        framework_page = client.get(f"/statements/{framework.log_index}").text
    for page, other in ((card_page, framework), (framework_page, card)):
        section = page.split('id="across-heading"')[1].split("</section>")[0]
        assert "<code>across.deployed-before-framework</code>" in section
        assert f'<a href="/statements/{other.log_index}">' in section
    assert "<td>this document</td>" in card_page.split('id="across-heading"')[1].split("</tr>")[1]


def test_a_tampered_document_is_neither_diffed_nor_held_against_others_and_breaks_nothing_else(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    registry = _registry(sessions, tmp_path)
    first = registry.publish(example("sdf-v1.md"), "sdf-v1.md")
    second = registry.publish(example("sdf-v2.md"), "sdf-v2.md")
    card = registry.publish(_early_card())
    assert second.document_sha256 is not None
    with sessions() as session:
        original = Documents(session).get(second.document_sha256).content  # the public version, as stored
    # The attacker makes framework 2.0 take effect earlier, which would clear the card's finding, and weakens it.
    forged = original.replace(b"effective_date: 2026-01-15", b"effective_date: 2026-01-01").replace(b"must", b"may ", 1)
    tamper(database_url, "documents", "sha256", second.document_sha256, "content", forged)
    diffs = VersionDiffs(sessions)
    assert diffs.refresh() == 2  # the first framework and the card; never the forged bytes
    assert diffs.of(second.log_index) is None
    assert diffs.of(first.log_index) is not None
    # The damaged framework is not read, so the card is held to nothing rather than to forged dates.
    assert AcrossDocuments(sessions).for_statement(card.log_index) == []


def test_a_card_the_registry_received_before_its_framework_is_found_and_a_backfill_is_not(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    registry = _registry(sessions, tmp_path)
    # Acme-3's card applies framework 1.0; here it reaches the registry first, on the clock's 2026-01-01.
    card = registry.publish(example("system-card-acme-3.md"))
    framework = registry.publish(example("sdf-v1.md"), "sdf-v1.md")
    on_card = AcrossDocuments(sessions).for_statement(card.log_index)
    assert [(f.rule_id, f.other_log_index) for f in on_card] == [
        ("across.deployed-before-framework", framework.log_index)
    ]
    # Control: the same two documents, framework first, as a registry filled after the fact would hold them.
    registry.register("acme-two", "Acme Two", "acme-two.example")
    first = registry.publish(as_developer(example("sdf-v1.md"), "acme-two"), "sdf-v1.md")
    second = registry.publish(as_developer(example("system-card-acme-3.md"), "acme-two"))
    checks = AcrossDocuments(sessions)
    assert checks.for_statement(first.log_index) == []
    assert checks.for_statement(second.log_index) == []
