"""Cached pages never go stale: whatever the registry records next shows on the very next request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from candor.config import load_settings
from candor.services.integration import RegistryLog
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.web.app import create_app
from tests.conftest import EXAMPLES
from tests.web.conftest import serve_app
from tests.web.registry import Published, Registry, example


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[httpx.Client, Registry, Published]]:
    """A registry that the test can publish to while its server runs; its data directory is ``tmp_path``."""
    settings = load_settings(data_dir=tmp_path, log_origin="registry.test/live")
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    registry = Registry(sessions, RegistryLog(sessions, tmp_path, settings.log_origin))
    registry.register("acme-ai", "Acme AI, Inc.", "acme-ai.example")
    first = registry.publish(example("sdf-v1.md"))
    try:
        with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
            yield client, registry, first
    finally:
        engine.dispose()


def test_a_cached_document_page_shows_new_versions_and_withdrawals_at_once(
    live: tuple[httpx.Client, Registry, Published],
) -> None:
    client, registry, first = live
    path = f"/statements/{first.log_index}"
    before = client.get(path).text
    assert client.get(path).text == before  # served again from the cache
    assert 'aria-label="Versions"' not in before
    assert "Withdrawn" not in before

    second = registry.publish(example("sdf-v2.md"))
    with_versions = client.get(path).text
    assert 'aria-label="Versions"' in with_versions
    assert f'href="/statements/{second.log_index}">version 2.0</a>' in with_versions

    withdrawal = registry.withdraw("acme-ai", first, series=None, version="1.0-withdrawn")
    withdrawn = client.get(path).text
    assert "Withdrawn" in withdrawn
    assert f'/statements/{withdrawal.log_index}"' in withdrawn


def test_cached_lists_show_a_new_statement_at_once(live: tuple[httpx.Client, Registry, Published]) -> None:
    client, registry, _ = live
    pages = ["/", "/statements", "/developers/acme-ai", "/compare"]
    before = {path: client.get(path).text for path in pages}
    second = registry.publish(example("sdf-v2.md"))
    for path in pages:
        after = client.get(path).text
        assert after != before[path], path
        assert f'/statements/{second.log_index}"' in after, path


def test_a_cached_developer_page_follows_its_facts_file(
    live: tuple[httpx.Client, Registry, Published], tmp_path: Path
) -> None:
    client, _, _ = live
    assert "No facts are on file" in client.get("/developers/acme-ai").text
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "acme-ai.yaml").write_bytes((EXAMPLES / "acme-ai" / "facts.yaml").read_bytes())
    assert "Determinations from the latest facts on file" in client.get("/developers/acme-ai").text
