"""What a browser review of the demo register asked for: dated history, coverage for every developer, the API
reference, tables that scroll on a phone, and commands that never wrap inside a token."""

from __future__ import annotations

import hashlib
from datetime import datetime

import httpx
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.conftest import ConsoleRecord, Shooter, Site

FRAMEWORK = "secure-development-framework"
DEMO_DEVELOPERS = ("acme-ai", "borealis-labs", "tessellate-ai")
PHONE: ViewportSize = {"width": 375, "height": 812}


def test_the_demo_history_is_dated_over_2025_and_2026_in_log_order(site: Site) -> None:
    items = httpx.get(site.url("/api/v1/statements"), params={"per_page": 100}).json()["items"]
    by_index = sorted(items, key=lambda item: item["log_index"])
    published = [datetime.fromisoformat(item["published_at"]) for item in by_index]
    assert published == sorted(published)
    assert len(set(published)) == len(published)
    assert {moment.year for moment in published} == {2025, 2026}
    assert (published[-1] - published[0]).days > 365


def test_every_demo_developer_shows_its_own_coverage(site: Site, page: Page, shoot: Shooter) -> None:
    verdicts = {}
    for slug in DEMO_DEVELOPERS:
        page.goto(site.url(f"/developers/{slug}"))
        coverage = page.locator("section[aria-labelledby=coverage-heading]")
        expect(coverage.get_by_role("table")).to_be_visible()
        covered = coverage.locator("tbody tr td:nth-child(3)").all_inner_texts()
        tiers = coverage.locator("tbody tr td:nth-child(4)").all_inner_texts()
        verdicts[slug] = tuple(zip(covered, tiers, strict=True))
        shoot(page, slug)
    # A large frontier developer, a frontier developer that is not large, and one just under the thresholds.
    assert len(set(verdicts.values())) == 3, verdicts
    near = page.locator("section[aria-labelledby=coverage-heading] tbody td:nth-child(5)").all_inner_texts()
    assert any("training_compute_flop" in cell for cell in near)


def test_the_api_reference_is_a_readable_page_with_no_script(
    site: Site, page: Page, console: ConsoleRecord, shoot: Shooter
) -> None:
    page.goto(site.url("/"))
    page.locator("footer").get_by_role("link", name="JSON API").click()
    expect(page).to_have_url(site.url("/api"))
    expect(page.get_by_role("heading", level=1)).to_have_text("JSON API")
    publish = page.locator("article.operation", has=page.locator("code.path", has_text="/api/v1/statements"))
    expect(publish.filter(has_text="POST")).to_contain_text("Publish a signed statement")
    assert page.locator("script").count() == 0
    shoot(page, "api")
    assert console.csp_violations() == []


def test_wide_tables_scroll_in_their_own_region_at_phone_width(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        shoot = Shooter("test_wide_tables_scroll_in_their_own_region_at_phone_width")
        overflowing = 0
        for path in ("/", "/compare"):
            page.goto(site.url(path))
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
            for region in page.locator("div.table-scroll").all():
                wide = region.evaluate("element => element.scrollWidth > element.clientWidth")
                overflowing += wide
                expect(region).to_have_attribute("role", "region")
                expect(region).to_have_attribute("tabindex", "0")
                caption = region.locator("caption")
                box = caption.bounding_box()
                assert box is not None
                assert box["x"] >= 0, (path, box)
                assert box["x"] + box["width"] <= PHONE["width"], (path, box)
            shoot(page, path.strip("/") or "home")
        assert overflowing >= 2
        region = page.locator("div.table-scroll").first
        assert region.evaluate("element => element.scrollWidth > element.clientWidth")
        region.focus()
        page.keyboard.press("ArrowRight")
        # Keyboard scrolling may be smooth: wait for it to move rather than read it at once.
        page.wait_for_function("element => element.scrollLeft > 0", arg=region.element_handle(), timeout=5000)
    finally:
        context.close()


def test_the_offline_verify_command_never_embeds_the_key_it_would_check(site: Site, page: Page, shoot: Shooter) -> None:
    # A key copied from the page under check checks nothing: the page shows the key's fingerprint to compare out of
    # band, and the command relies on the key pinned on first use (or one passed with --vkey).
    page.goto(site.url(site.page_of("acme-ai", FRAMEWORK, "2.0")))
    panel = page.locator("section.verify")
    offline = panel.locator("pre.command code").filter(has_text="--proof")
    vkey = httpx.get(site.url("/log/vkey")).text.strip().splitlines()[-1]
    expect(offline).to_contain_text("candor verify")
    expect(offline).not_to_contain_text(vkey)
    expect(offline).not_to_contain_text("--vkey")
    expect(panel).not_to_contain_text(vkey)
    fingerprint = hashlib.sha256(vkey.encode()).hexdigest()
    expect(panel.locator("code.hash").filter(has_text=fingerprint)).to_have_count(1)
    # The command is one line: a wrap inside an argument would add a line box.
    lines = offline.evaluate(
        "element => { const range = document.createRange(); range.selectNodeContents(element);"
        " return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size; }"
    )
    assert lines == 1
    shoot(page, "verification", panel)
