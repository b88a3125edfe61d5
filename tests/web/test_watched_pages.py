"""The watcher's findings on the developer page, its Atom feed, the API, and the observed version's diff page,
served over loopback by the real app from a registry whose watcher looked at a real loopback site."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.config import load_settings
from candor.services.integration import RegistryLog
from candor.services.watch_fetch import WatchLimits
from candor.services.watcher import Watcher
from candor.testing.publishing import ORIGIN, register
from candor.web.app import create_app
from tests.dbfixtures import database_url, migrated_engine, postgres_schema_url, sessions
from tests.sites import Page, Site
from tests.web.conftest import serve_app

__all__ = ["database_url", "migrated_engine", "postgres_schema_url", "sessions"]

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def served(sessions: sessionmaker[Session], database_url: str, tmp_path: Path) -> Iterator[httpx.Client]:
    data_dir = tmp_path / "data"
    register(sessions, "lab-x")
    log = RegistryLog(sessions, data_dir, ORIGIN)
    watcher = Watcher(sessions, log, WatchLimits(allow_hosts=("127.0.0.1",), host_interval=0))
    with Site() as site:
        site.pages["/framework"] = Page(b"<h1>Framework</h1><p>We will pause training at the threshold.</p>")
        watcher.add("lab-x", site.url("/framework"))
        watcher.run_once()
        site.pages["/framework"] = Page(b"<h1>Framework</h1><p>We may consider pausing training.</p>")
        watcher.run_once(force=True)
    log.integrate()
    settings = load_settings(data_dir=data_dir, database_url=database_url, log_origin=ORIGIN, watch_interval=0)
    with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def test_the_developer_page_feed_and_api_show_the_unannounced_revision(served: httpx.Client) -> None:
    page = served.get("/developers/lab-x")
    assert page.status_code == 200
    assert "Watched on the developer's own site" in page.text
    assert "Unannounced revision" in page.text
    assert "the developer did not sign them" in page.text
    api = served.get("/api/v1/developers/lab-x/observations").json()
    assert [item["finding"] for item in api] == ["unannounced-revision", "archived"]
    assert {item["signed_by_developer"] for item in api} == {False}
    alerts = served.get("/api/v1/developers/lab-x/observations", params={"alerts": "true"}).json()
    assert [item["finding"] for item in alerts] == ["unannounced-revision"]
    feed = ET.fromstring(served.get("/developers/lab-x/feed.atom").content)
    titles = [entry.findtext(f"{ATOM}title") or "" for entry in feed.iter(f"{ATOM}entry")]
    assert any(title.startswith("Unannounced revision on the developer's site") for title in titles)


def test_the_observed_version_page_shows_its_diff_labelled_not_signed(served: httpx.Client) -> None:
    api = served.get("/api/v1/developers/lab-x/observations").json()
    newest = api[0]["log_index"]
    page = served.get(f"/developers/lab-x/observations/{newest}")
    assert page.status_code == 200
    assert "Not signed by the developer." in page.text
    assert "1 line added, 1 removed." in page.text
    assert "We may consider pausing training." in page.text
    # Control: the first version has no diff, and an index that is no observation of this developer is a 404.
    first = served.get(f"/developers/lab-x/observations/{api[1]['log_index']}")
    assert "This is the first version observed at this URL." in first.text
    assert served.get("/developers/lab-x/observations/999").status_code == 404
    assert served.get("/developers/nobody/watched/1").status_code == 404
