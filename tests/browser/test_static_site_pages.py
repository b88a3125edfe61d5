"""The developer's own static site (``candor site build``), checked as the registry's pages are: every page it
writes fits a phone 390 px wide, axe-core finds no serious or critical violation, and the Nu HTML Checker no error.

The site is built from the demo registry for Acme AI, through the same code as the command, and opened from disk
(a static host serves the same files). The controls of each check are in ``test_every_page.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser

from candor.domain.developer_keys import private_key_pem
from candor.services.site_building import gather_site
from candor.web.static_site import write_static_site
from tests.browser.conftest import Site
from tests.browser.test_every_page import _blocking, _phone, _sideways
from tests.nuchecker import nu_errors


@pytest.fixture(scope="module")
def built_site(site: Site, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The HTML pages of Acme AI's static site: its index and one page per published document."""
    home = tmp_path_factory.mktemp("static-site")
    # Any key signs the manifest: the pages do not depend on which.
    (home / "site.key").write_bytes(private_key_pem(Ed25519PrivateKey.generate()))
    content = gather_site(site.base_url, "acme-ai", home / "site.key", "https://acme-ai.example")
    written = write_static_site(content, home / "site")
    pages = sorted(path for path in written if path.suffix == ".html")
    assert home / "site" / "index.html" in pages
    assert len(pages) > 1, pages
    return pages


def test_every_static_site_page_fits_a_phone_and_axe_finds_no_blocking_violation(
    browser: Browser, built_site: list[Path]
) -> None:
    page = _phone(browser)
    try:
        for path in built_site:
            page.goto(path.as_uri())
            assert _sideways(page) is None, path.name
            assert _blocking(Axe().run(page).response) == [], path.name
    finally:
        page.context.close()


def test_the_nu_html_checker_finds_no_error_on_the_static_site(built_site: list[Path], tmp_path: Path) -> None:
    pages = {path.name: path.read_text("utf-8") for path in built_site}
    assert {name: errors for name, errors in nu_errors(pages, tmp_path).items() if errors} == {}
