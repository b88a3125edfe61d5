"""Every page template, checked whole: it fits a phone 390 px wide, axe-core finds no serious or critical
accessibility violation, and the Nu HTML Checker finds no error.

The pages are those of ``tests/browser/templates.py``, rendered by the demo registry. Each check has a control
in which the same measure is shown a page that breaks it, so that a check that could not fail cannot pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page

from tests.browser.conftest import Shooter, Site
from tests.browser.templates import PAGES, html_of, open_page, page_names, page_templates
from tests.nuchecker import nu_errors

#: A common phone's width in CSS pixels (an iPhone 12 to 15).
PHONE_WIDTH = 390
#: The impacts axe-core gives a violation that blocks a reader outright.
BLOCKING = {"serious", "critical"}


def test_every_page_template_has_pages_to_check() -> None:
    assert page_templates() == set(PAGES), "add each new page template, with pages that render it, to templates.py"


def _open(page: Page, site: Site, name: str) -> None:
    open_page(page, site, name)


def _sideways(page: Page) -> str | None:
    """Why the page scrolls sideways on the phone, or None if it fits."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    # A page wider than the screen makes a mobile browser zoom out, widening the window itself: check both.
    if widths[1] != PHONE_WIDTH:
        return f"the window widened to {widths[1]} px"
    if widths[0] > widths[1]:
        return f"{widths[0]} px of page on a {widths[1]} px screen"
    return None


def _phone(browser: Browser) -> Page:
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True
    )
    return context.new_page()


@pytest.mark.parametrize("name", page_names())
def test_no_page_scrolls_sideways_on_a_phone(site: Site, browser: Browser, shoot: Shooter, name: str) -> None:
    page = _phone(browser)
    missing: list[str] = []
    # Whatever the page loads by itself (the stylesheet, the icon the browser asks for) must be there.
    page.on(
        "response",
        lambda answer: (
            missing.append(answer.url) if answer.status >= 400 and answer.request.resource_type != "document" else None
        ),
    )
    try:
        _open(page, site, name)
        shoot(page, f"{PHONE_WIDTH}px", scrolled=True)
        assert _sideways(page) is None, name
        assert missing == [], name
    finally:
        page.context.close()


def test_the_phone_check_sees_a_page_that_scrolls_sideways(site: Site, browser: Browser) -> None:
    page = _phone(browser)
    try:
        _open(page, site, "home")
        # One element wider than the screen, as a table that does not fold or scroll in its own region would be.
        page.evaluate("""() => {
            const wide = Object.assign(document.createElement('div'), {textContent: 'wide'});
            wide.style.width = '1000px';
            document.querySelector('main').append(wide);
        }""")
        assert _sideways(page) is not None
    finally:
        page.context.close()


def _blocking(results: dict[str, Any]) -> list[str]:
    return [
        f"{violation['impact']} {violation['id']}: {[node['target'] for node in violation['nodes']]}"
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("name", page_names())
def test_axe_finds_no_serious_or_critical_violation(site: Site, page: Page, name: str) -> None:
    _open(page, site, name)
    results = Axe().run(page).response
    assert _blocking(results) == [], name
    # Named regions that repeat their section's name made every developer page a duplicate landmark.
    assert [violation["id"] for violation in results["violations"] if violation["id"] == "landmark-unique"] == []


def test_axe_sees_a_serious_violation(site: Site, page: Page) -> None:
    _open(page, site, "home")
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")  # an image without alt
    blocking = _blocking(Axe().run(page).response)
    assert any("image-alt" in found for found in blocking), blocking


def test_the_nu_html_checker_finds_no_error_on_any_page(site: Site, tmp_path: Path) -> None:
    pages = {name: html_of(site, name).text for name in page_names()}
    # The control: a page the checker must refuse, checked in the same run.
    pages["control"] = pages["home"].replace("<main", "<main><div><main", 1)
    found = nu_errors(pages, tmp_path)
    assert found.pop("control"), "the checker missed a nested main"
    assert {name: errors for name, errors in found.items() if errors} == {}


def test_a_wide_tables_row_headings_stay_in_view_as_it_scrolls_on_a_phone(site: Site, browser: Browser) -> None:
    page = _phone(browser)
    try:
        _open(page, site, "compare")
        region = page.locator(".table-scroll").first
        heading = region.locator("tbody th[scope=row]").first
        cell = region.locator("tbody tr").first.locator("td").last
        assert region.evaluate("element => element.scrollWidth > element.clientWidth"), "the table is not wide"
        heading_x, cell_x = _left(heading), _left(cell)
        region.evaluate("element => { element.scrollLeft = element.scrollWidth; }")
        # The cells moved left under the heading; the heading stayed where it was.
        assert _left(cell) < cell_x - 50
        assert _left(heading) == pytest.approx(heading_x, abs=1)
    finally:
        page.context.close()


def _left(element: Locator) -> float:
    box = element.bounding_box()
    assert box is not None
    return box["x"]
