"""`candor watch add/list/run` and `candor serve`'s watcher, through the real entry point, against a loopback site."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from candor.config import load_settings, sqlite_url
from candor.services.watch_fetch import _HostPacer
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.testing.publishing import register
from candor.web.app import create_app
from tests.conftest import RunCandor
from tests.sites import Page, Site
from tests.web.conftest import serve_app


def _registry(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_database_engine(sqlite_url(data_dir / "candor.sqlite3"))
    upgrade_database(engine)
    register(session_factory(engine), "lab-x")
    engine.dispose()


def test_watch_add_list_and_run_once(tmp_path: Path, run_candor: RunCandor, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    _registry(data_dir)
    with Site() as site:
        site.pages["/framework"] = Page(b"<p>We will pause.</p>")
        added = run_candor("watch", "add", "lab-x", site.url("/framework"), "--data-dir", str(data_dir))
        assert added.returncode == 0, added.stderr
        again = run_candor("watch", "add", "lab-x", site.url("/framework"), "--data-dir", str(data_dir))
        assert again.returncode == 2
        assert "already watched" in again.stderr
        bad = run_candor("watch", "add", "lab-x", "file:///etc/passwd", "--data-dir", str(data_dir))
        assert bad.returncode == 2
        assert "not an http(s) URL" in bad.stderr
        assert "Traceback" not in bad.stderr
        # Loopback is refused by default, and the refusal is an observation, not a crash.
        refused = run_candor("watch", "run", "--once", "--data-dir", str(data_dir))
        assert refused.returncode == 0, refused.stderr
        assert "refused:" in refused.stdout
        assert site.requests == []
        monkeypatch.setenv("CANDOR_WATCH_ALLOW_HOSTS", "127.0.0.1")
        monkeypatch.setenv("CANDOR_WATCH_HOST_INTERVAL", "0")
        allowed = run_candor("watch", "run", "--once", "--force", "--data-dir", str(data_dir))
        assert allowed.returncode == 0, allowed.stderr
        assert "archived:" in allowed.stdout
        listed = run_candor("watch", "list", "--data-dir", str(data_dir))
        assert "2 observation(s), last: archived" in listed.stdout


def test_serve_runs_the_watcher_every_interval(tmp_path: Path, run_candor: RunCandor) -> None:
    data_dir = tmp_path / "data"
    _registry(data_dir)
    with Site() as site:
        site.pages["/framework"] = Page(b"<p>We will pause.</p>")
        assert run_candor("watch", "add", "lab-x", site.url("/framework"), "--data-dir", str(data_dir)).returncode == 0
        settings = load_settings(
            data_dir=data_dir, watch_interval=3600, watch_allow_hosts="127.0.0.1", watch_host_interval=0
        )
        with serve_app(create_app(settings)) as base_url:
            found: list[object] = []
            for _ in range(300):  # the first round starts with the server; wait for it, however slow the machine
                found = httpx.get(f"{base_url}/api/v1/developers/lab-x/observations").json()
                if found:
                    break
                time.sleep(0.1)
    assert [item["finding"] for item in found] == ["archived"]  # type: ignore[index]


def test_the_pacer_spaces_requests_to_one_host() -> None:
    slept: list[float] = []
    pacer = _HostPacer(10.0, sleep=slept.append)
    pacer.wait("a.example")
    pacer.wait("b.example")
    pacer.wait("a.example")
    assert len(slept) == 1
    assert 9.0 < slept[0] <= 10.0
