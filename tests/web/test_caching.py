"""Cached pages never go stale: whatever the registry records next shows on the very next request.

And a client that already has an answer is told so (304, no body) until something it shows changes: a
publication, a facts file, the day.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from candor.config import load_settings
from candor.services.audit import PeriodicAudit
from candor.services.integration import RegistryLog
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.testing.registry import Published, Registry, example
from candor.web.app import create_app
from candor.web.security import CONTENT_SECURITY_POLICY
from candor.web.site.fragments import CachedAnswer, PageCache
from tests.conftest import EXAMPLES
from tests.web.conftest import serve_app


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[tuple[httpx.Client, Registry, Published, FastAPI]]:
    """A registry that the test can publish to while its server runs; its data directory is ``tmp_path``."""
    settings = load_settings(data_dir=tmp_path, log_origin="registry.test/live")
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    registry = Registry(sessions, RegistryLog(sessions, tmp_path, settings.log_origin))
    registry.register("acme-ai", "Acme AI, Inc.", "acme-ai.example")
    first = registry.publish(example("sdf-v1.md"))
    app = create_app(settings)
    try:
        with serve_app(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
            yield client, registry, first, app
    finally:
        engine.dispose()


@pytest.fixture
def live(
    live_app: tuple[httpx.Client, Registry, Published, FastAPI],
) -> tuple[httpx.Client, Registry, Published]:
    client, registry, first, _ = live_app
    return client, registry, first


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


#: Pages and API answers whose ETag follows the registry version.
TAGGED = ["/", "/statements", "/developers/acme-ai", "/compare", "/log", "/api/v1/statements", "/api/v1/developers"]


def _etags(client: httpx.Client, paths: list[str]) -> dict[str, str]:
    tags = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        tags[path] = response.headers["etag"]
    return tags


def test_a_matching_if_none_match_gets_304_with_no_body_and_the_security_headers(
    live: tuple[httpx.Client, Registry, Published],
) -> None:
    client, _, first = live
    for path in [*TAGGED, f"/statements/{first.log_index}", f"/api/v1/statements/{first.statement_sha256}"]:
        answer = client.get(path)
        etag = answer.headers["etag"]
        assert etag.startswith('"'), path  # strong, not W/
        for method in ("GET", "HEAD"):
            again = client.request(method, path, headers={"If-None-Match": etag})
            assert again.status_code == 304, (method, path)
            assert again.content == b"", path
            assert again.headers["etag"] == etag
            assert again.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            assert again.headers["x-content-type-options"] == "nosniff"
        listed = client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
        assert listed.status_code == 304, path


def test_a_stale_or_foreign_etag_gets_the_full_answer(live: tuple[httpx.Client, Registry, Published]) -> None:
    client, _, _ = live
    home = client.get("/", headers={"If-None-Match": '"not-this-one"'})
    assert home.status_code == 200
    assert "<html" in home.text
    # An ETag belongs to one URL: the home page's does not stand for the list of statements.
    assert client.get("/statements", headers={"If-None-Match": home.headers["etag"]}).status_code == 200


def test_etags_stay_put_while_nothing_changes(live: tuple[httpx.Client, Registry, Published]) -> None:
    client, _, _ = live
    assert _etags(client, TAGGED) == _etags(client, TAGGED)


def test_a_publication_changes_every_etag_and_the_new_statement_shows_at_once(
    live: tuple[httpx.Client, Registry, Published],
) -> None:
    client, registry, _ = live
    before = _etags(client, TAGGED)
    second = registry.publish(example("sdf-v2.md"))
    for path in TAGGED:
        answer = client.get(path, headers={"If-None-Match": before[path]})
        assert answer.status_code == 200, path
        assert answer.headers["etag"] != before[path], path
    assert f'/statements/{second.log_index}"' in client.get("/", headers={"If-None-Match": before["/"]}).text


def test_a_facts_file_written_in_place_changes_the_etag(
    live: tuple[httpx.Client, Registry, Published], tmp_path: Path
) -> None:
    client, _, _ = live
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "acme-ai.yaml").write_bytes((EXAMPLES / "acme-ai" / "facts.yaml").read_bytes())
    before = client.get("/developers/acme-ai")
    # Rewritten in place (no rename, so the folder's own mtime stays): the file's mtime must still count.
    folder_mtime = facts.stat().st_mtime_ns
    (facts / "acme-ai.yaml").write_text("developer: acme-ai\nlegal_name: [unclosed\n")
    os.utime(facts / "acme-ai.yaml", ns=(folder_mtime + 1_000_000_000, folder_mtime + 1_000_000_000))
    os.utime(facts, ns=(folder_mtime, folder_mtime))
    after = client.get("/developers/acme-ai", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert after.text != before.text


def test_the_next_day_changes_the_etag_of_pages_shown_as_of_today(
    live_app: tuple[httpx.Client, Registry, Published, FastAPI],
) -> None:
    client, _, first, app = live_app
    paths = ["/developers/acme-ai", f"/statements/{first.log_index}", "/standards"]
    app.state.today = lambda: date(2026, 12, 6)
    today = _etags(client, paths)
    assert _etags(client, paths) == today
    app.state.today = lambda: date(2026, 12, 7)
    for path in paths:
        answer = client.get(path, headers={"If-None-Match": today[path]})
        assert answer.status_code == 200, path
        assert answer.headers["etag"] != today[path], path


def test_content_addressed_documents_are_immutable_and_revalidate_by_digest(
    live: tuple[httpx.Client, Registry, Published],
) -> None:
    client, registry, first = live
    path = f"/api/v1/documents/{first.document_sha256}"
    document = client.get(path)
    assert document.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert document.headers["etag"] == f'"{first.document_sha256}"'
    registry.publish(example("sdf-v2.md"))  # a new registry version does not touch a document's tag
    again = client.get(path, headers={"If-None-Match": document.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_what_can_change_is_never_marked_immutable(live: tuple[httpx.Client, Registry, Published]) -> None:
    client, _, first = live
    # The checkpoint grows with the log; a statement's JSON gains ``withdrawn_by`` when it is withdrawn.
    # (Full tiles are immutable and partial ones short-lived: tests/web/test_log.py.)
    for path in ["/log/checkpoint", f"/api/v1/statements/{first.statement_sha256}", "/", "/api/v1/log/checkpoint"]:
        assert "immutable" not in client.get(path).headers["cache-control"], path


def test_errors_carry_no_etag(live: tuple[httpx.Client, Registry, Published]) -> None:
    client, _, _ = live
    missing = client.get("/developers/nobody")
    assert missing.status_code == 404
    assert "etag" not in missing.headers
    # "*" stands for any current answer, and there is none here.
    assert client.get("/developers/nobody", headers={"If-None-Match": "*"}).status_code == 404
    assert client.get("/developers/acme-ai", headers={"If-None-Match": "*"}).status_code == 304


def test_a_head_request_does_not_leave_an_empty_page_in_the_cache(
    live: tuple[httpx.Client, Registry, Published],
) -> None:
    client, registry, first = live
    registry.publish(example("sdf-v2.md"))  # a version no GET has seen yet
    for path in ["/", f"/statements/{first.log_index}", "/api/v1/statements"]:
        head = client.head(path)
        assert head.status_code == 200, path
        assert head.content == b""
        page = client.get(path)
        assert len(page.content) == int(head.headers["content-length"]) > 0, path
        assert client.head(path).headers["content-length"] == head.headers["content-length"], path


def test_the_api_never_answers_from_the_cache_once_a_statement_is_published(
    live: tuple[httpx.Client, Registry, Published],
) -> None:
    client, registry, first = live
    before = client.get("/api/v1/statements").json()
    assert client.get("/api/v1/statements").json() == before
    second = registry.publish(example("sdf-v2.md"))
    ids = [item["id"] for item in client.get("/api/v1/statements").json()["items"]]
    assert ids[:2] == [second.statement_sha256, first.statement_sha256]


def test_a_page_kept_for_one_host_is_not_served_to_another(live: tuple[httpx.Client, Registry, Published]) -> None:
    client, _, _ = live
    mine = client.get("/log", headers={"Host": "registry.one.test"})
    theirs = client.get("/log", headers={"Host": "registry.two.test"})
    assert mine.headers["etag"] != theirs.headers["etag"]
    assert "registry.one.test" in mine.text
    assert "registry.two.test" in theirs.text
    assert "registry.one.test" not in theirs.text


def test_the_obligations_feed_follows_the_hour_so_it_is_never_tagged(
    live: tuple[httpx.Client, Registry, Published], tmp_path: Path
) -> None:
    client, _, _ = live
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "acme-ai.yaml").write_bytes((EXAMPLES / "acme-ai" / "facts.yaml").read_bytes())
    for path in ["/api/v1/developers/acme-ai/obligations", "/developers/acme-ai/obligations.ics"]:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "etag" not in answer.headers, path


def test_the_page_cache_keeps_within_its_byte_budget() -> None:
    pages = PageCache(size=10, max_bytes=100)
    for key in range(5):
        pages.put(key, CachedAnswer((), bytes(40)))
    assert [key for key in range(5) if pages.get(key) is not None] == [3, 4]
    pages.put("huge", CachedAnswer((), bytes(101)))
    assert pages.get("huge") is None
    assert pages.get(4) is not None


def test_a_new_audit_result_changes_the_log_page_and_nothing_else(
    live_app: tuple[httpx.Client, Registry, Published, FastAPI], tmp_path: Path
) -> None:
    client, _, _, app = live_app
    auditor = PeriodicAudit(app.state.sessions, tmp_path, 3600)  # never started: the test runs it once
    app.state.audit = auditor
    audited = ["/log", "/api/v1/log/audit"]
    before = _etags(client, [*audited, "/"])
    assert "pending" in client.get("/api/v1/log/audit").text
    assert auditor.audit_once().state != "pending"
    after = _etags(client, [*audited, "/"])
    for path in audited:
        assert after[path] != before[path], path
    assert after["/"] == before["/"]
    assert "pending" not in client.get("/api/v1/log/audit").text
