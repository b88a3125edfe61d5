"""A developer's obligations over real HTTP, on SQLite and PostgreSQL: the API, the page and the iCalendar feed
say ``overdue`` before the statement that meets a duty is published, and ``met``, naming it, after."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy.orm import Session, sessionmaker

from candor.config import load_settings
from candor.services.publishing import Publication
from candor.testing.publishing import Signer, framework, register, signed, withdrawal
from candor.web.app import create_app
from tests.conftest import EXAMPLES, RunCandor
from tests.dbfixtures import database_url, migrated_engine, postgres_schema_url, sessions
from tests.web.conftest import serve_app

ACME_FACTS = str(EXAMPLES / "acme-ai" / "facts.yaml")

__all__ = ["database_url", "migrated_engine", "postgres_schema_url", "sessions"]


@dataclass
class Site:
    client: httpx.Client
    acme: Signer
    base_url: str


@pytest.fixture
def site(sessions: sessionmaker[Session], database_url: str, tmp_path: Path) -> Iterator[Site]:
    acme = register(sessions, "acme-ai")
    register(sessions, "no-facts")
    (tmp_path / "facts").mkdir()
    shutil.copyfile(EXAMPLES / "acme-ai" / "facts.yaml", tmp_path / "facts" / "acme-ai.yaml")
    settings = load_settings(data_dir=tmp_path, database_url=database_url)
    with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield Site(client, acme, base_url)


def framework_duty(calendar: dict[str, Any]) -> dict[str, Any]:
    duties: list[dict[str, Any]] = [
        e for e in calendar["entries"] if (e["regime"], e["obligation"]) == ("ca-sb53", "frontier-ai-framework")
    ]
    (duty,) = duties
    return duty


def publish_framework(site: Site) -> dict[str, Any]:
    return post(site, signed(site.acme, framework("acme-ai", 1)))


def post(site: Site, publication: Publication) -> dict[str, Any]:
    body: dict[str, Any] = {
        "statement": base64.b64encode(publication.statement_bytes).decode(),
        "signature": base64.b64encode(publication.signature).decode(),
        "document": None if publication.document is None else base64.b64encode(publication.document).decode(),
    }
    if publication.sealed is not None:
        body["sealed_original"] = base64.b64encode(publication.sealed).decode()
    created = site.client.post("/api/v1/statements", json=body, headers={"Authorization": f"Bearer {site.acme.token}"})
    assert created.status_code == 201, created.text
    entry: dict[str, Any] = created.json()
    return entry


def test_the_framework_duty_is_overdue_until_published_then_met_naming_the_statement(site: Site) -> None:
    before = site.client.get("/api/v1/developers/acme-ai/obligations")
    assert before.status_code == 200, before.text
    duty = framework_duty(before.json())
    assert (duty["state"], duty["due_date"], duty["time_zone"]) == ("overdue", "2026-01-01", "America/Los_Angeles")
    page = site.client.get("/developers/acme-ai").text
    overdue = page[page.index('id="overdue-heading"') : page.index('id="due-soon-heading"')]
    assert "frontier-ai-framework" in overdue

    published = publish_framework(site)
    after = site.client.get("/api/v1/developers/acme-ai/obligations").json()
    duty = framework_duty(after)
    assert duty["state"] == "met"
    assert duty["met_by"]["statement"] == published["id"]
    assert duty["met_by"]["log_index"] == published["log_index"]
    page = site.client.get("/developers/acme-ai").text
    overdue = page[page.index('id="overdue-heading"') : page.index('id="due-soon-heading"')]
    assert "ca-sb53</strong> frontier-ai-framework:" not in overdue
    assert f'<a href="/statements/{published["log_index"]}">secure-development-framework version 1.0</a>' in page


def test_a_withdrawn_framework_meets_nothing_again(site: Site) -> None:
    published = publish_framework(site)
    assert framework_duty(site.client.get("/api/v1/developers/acme-ai/obligations").json())["state"] == "met"
    post(site, withdrawal(site.acme, published["id"]))
    assert framework_duty(site.client.get("/api/v1/developers/acme-ai/obligations").json())["state"] == "overdue"


def test_a_calendar_as_of_a_day_before_publication_still_says_overdue(site: Site) -> None:
    publish_framework(site)
    then = site.client.get("/api/v1/developers/acme-ai/obligations", params={"as_of": "2026-06-01"}).json()
    assert then["as_of"] == "2026-06-01T12:00:00Z"
    assert framework_duty(then)["state"] == "overdue"


def test_the_ical_feed_is_linked_from_the_page_and_parses_back(site: Site) -> None:
    page = site.client.get("/developers/acme-ai").text
    assert 'href="/developers/acme-ai/obligations.ics"' in page
    feed = site.client.get("/developers/acme-ai/obligations.ics")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    parsed = Calendar.from_ical(feed.content)
    events = list(parsed.walk("VEVENT"))
    assert events
    uids = [str(event["UID"]) for event in events]
    assert len(set(uids)) == len(uids)
    assert "acme-ai.ca-sb53.frontier-ai-framework.-.1@candor" in uids
    # Fetched again after a publication, the same events come back, updated rather than duplicated.
    publish_framework(site)
    again = Calendar.from_ical(site.client.get("/developers/acme-ai/obligations.ics").content)
    assert sorted(str(event["UID"]) for event in again.walk("VEVENT")) == sorted(uids)


def test_unknown_developers_and_missing_facts_get_404(site: Site) -> None:
    assert site.client.get("/api/v1/developers/nobody/obligations").status_code == 404
    no_facts = site.client.get("/api/v1/developers/no-facts/obligations")
    assert no_facts.status_code == 404
    assert "no facts are on file" in no_facts.text
    assert site.client.get("/developers/no-facts/obligations.ics").status_code == 404
    assert site.client.get("/api/v1/developers/acme-ai/obligations", params={"as_of": "2026-02-30"}).status_code == 422


def test_the_route_is_in_the_openapi_document(site: Site) -> None:
    spec = site.client.get("/api/v1/openapi.json")
    if spec.status_code == 404:
        spec = site.client.get("/openapi.json")
    paths = spec.json()["paths"]
    assert any(path.endswith("/developers/{slug}/obligations") for path in paths)


def test_the_cli_reads_statements_from_the_registry_over_http(site: Site, invoke_candor: RunCandor) -> None:
    def framework_state() -> dict[str, Any]:
        result = invoke_candor("obligations", ACME_FACTS, "--registry", site.base_url, "-f", "json")
        assert result.returncode == 0, result.stderr
        return framework_duty(json.loads(result.stdout))

    assert framework_state()["state"] == "overdue"
    published = publish_framework(site)
    duty = framework_state()
    assert duty["state"] == "met"
    assert (duty["met_by"]["statement"], duty["met_by"]["where"]) == (
        published["id"],
        f"log index {published['log_index']}",
    )
