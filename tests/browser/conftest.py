"""The demo registry, seeded by ``candor demo --seed-only`` and served by ``candor serve``, and Debian's Chromium.

Both commands run as child processes through the real entry point, so the browser sees exactly what a visitor of
``make demo`` sees: three fictional developers published through the real signing and publication path.

The browser is the system's Chromium (``/usr/bin/chromium``), never a downloaded one. Where it is missing the
browser tests skip with the reason, except under ``CI=true``, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, sync_playwright

from tests.conftest import REPO
from tests.processes import free_port

CHROMIUM = Path("/usr/bin/chromium")
#: Quiet, offline Chromium: no sandbox (containers), no GPU, no update or sync traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


@dataclass
class Site:
    """The served demo registry."""

    base_url: str
    data_dir: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def statement(self, developer: str, kind: str, version: str, series: str | None = None) -> dict[str, Any]:
        """A published statement, as the JSON API describes it."""
        found = httpx.get(
            self.url("/api/v1/statements"), params={"developer": developer, "kind": kind, "per_page": 100}
        ).json()["items"]
        matching = [item for item in found if item["version"] == version and item["series"] == series]
        assert len(matching) == 1, f"{developer} has no single {kind} {series or ''} {version}: {found}"
        statement: dict[str, Any] = matching[0]
        return statement

    def page_of(self, developer: str, kind: str, version: str, series: str | None = None) -> str:
        """The path of a published statement's page."""
        return f"/statements/{self.statement(developer, kind, version, series)['log_index']}"


class ConsoleRecord:
    """Every console message of a page, so that a test can assert that none reports a CSP violation."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def listen(self, page: Page) -> None:
        page.on("console", self._record)

    def _record(self, message: ConsoleMessage) -> None:
        self.messages.append(f"{message.type}: {message.text}")

    def csp_violations(self) -> list[str]:
        return [message for message in self.messages if "Content Security Policy" in message]


# Package scope, not session: Playwright's sync API keeps an asyncio loop running in the main thread while it is
# open, and later tests that call asyncio.run() fail if the browser outlives this package.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium); the browser tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo registry in a fresh data directory, served by ``candor serve`` on a free loopback port."""
    data_dir = tmp_path_factory.mktemp("browser") / "demo"
    # Only the defaults: a CANDOR_DATABASE_URL meant for other tests must not point the server elsewhere.
    env = {name: value for name, value in os.environ.items() if not name.startswith("CANDOR_")}
    # The demo's watched site lives only while seeding; the served demo shows what was watched then.
    env["CANDOR_WATCH_INTERVAL"] = "0"
    seeded = subprocess.run(
        [sys.executable, "-m", "candor", "demo", "--seed-only", "--data-dir", str(data_dir)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert seeded.returncode == 0, f"candor demo --seed-only failed:\n{seeded.stdout}\n{seeded.stderr}"
    port = free_port()
    command = [sys.executable, "-m", "candor", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    log_path = data_dir.parent / "serve.log"
    with log_path.open("wb") as server_log:
        server = subprocess.Popen(command, stdout=server_log, stderr=subprocess.STDOUT, env=env, cwd=data_dir.parent)
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_serving(server, base_url, log_path)
            yield Site(base_url, data_dir)
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1280, "height": 900})
    yield opened
    opened.close()


@pytest.fixture
def console() -> ConsoleRecord:
    return ConsoleRecord()


@pytest.fixture
def page(context: BrowserContext, console: ConsoleRecord) -> Page:
    opened = context.new_page()
    console.listen(opened)
    return opened


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Shooter:
    return Shooter(request.node.name)


class Shooter:
    """Saves numbered screenshots of one test under ``test-artifacts/screenshots/<test>/``."""

    def __init__(self, test_name: str) -> None:
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.taken = 0

    def __call__(self, page: Page, step: str, part: Locator | None = None, *, scrolled: bool = False) -> Path:
        """The whole page; or only ``part`` of it; or, when ``scrolled``, what the window shows now (a long
        document's full page is too tall to look at)."""
        self.taken += 1
        path = self.folder / f"{self.taken:02d}-{step}.png"
        if part is not None:
            part.screenshot(path=path)
        else:
            page.screenshot(path=path, full_page=not scrolled)
        return path


def _wait_until_serving(server: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"candor serve exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(base_url + "/log/checkpoint", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"candor serve did not answer within 60 s:\n{log_path.read_text()}")
