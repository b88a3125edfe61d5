"""A reader's path through the register in a real browser: home, developer, document, diff, verification."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from candor.tlog.merkle import leaf_hash
from candor.tlog.tiles import decode_bundle, entries_path
from tests.browser.conftest import ConsoleRecord, Shooter, Site


def served_leaf_hash(site: Site, log_index: int) -> str:
    """The leaf hash of an entry, computed here from the entry bundle the log serves (assumes one bundle)."""
    size = int(httpx.get(site.url("/log/checkpoint")).text.splitlines()[1])
    bundle = httpx.get(site.url("/log/" + entries_path(0, size))).content
    return leaf_hash(decode_bundle(bundle, "entries")[log_index]).hex()


def test_reader_browses_from_home_to_a_weakened_commitment_and_its_verification(
    site: Site, page: Page, console: ConsoleRecord, shoot: Shooter
) -> None:
    page.goto(site.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Frontier AI transparency register")
    shoot(page, "home")

    developers = page.locator("section[aria-labelledby=developers-heading]")
    developers.get_by_role("link", name="Borealis Research Ltd", exact=True).click()
    expect(page).to_have_url(site.url("/developers/borealis"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Borealis Research Ltd")
    shoot(page, "developer")

    current = page.locator("section[aria-labelledby=framework-heading]")
    current.get_by_role("link", name=re.compile("Secure Development Framework, version 2.0")).click()
    expect(page).to_have_url(site.url(site.page_of("borealis-sdf-2-weakened")))
    shoot(page, "document")

    changes = page.locator("section[aria-labelledby=changes-heading]")
    expect(changes.get_by_role("heading", level=2)).to_have_text("Changes since version 1.0")
    weakened = changes.get_by_role("note").filter(has=page.get_by_role("heading", name="Weakened commitments"))
    expect(weakened).to_be_visible()
    chemical = weakened.locator("ul.weakened li", has=page.locator("code", has_text="cbrn.chemical"))
    expect(chemical.locator("code")).to_have_text("cbrn.chemical")
    expect(chemical.locator("del")).to_have_text("must")
    expect(chemical.locator("ins")).to_have_text("may")
    # Highlighted: the warning stands out from the page around it.
    notice_background = weakened.evaluate("element => getComputedStyle(element).backgroundColor")
    page_background = page.locator("main").evaluate("element => getComputedStyle(element).backgroundColor")
    assert notice_background not in {page_background, "rgba(0, 0, 0, 0)"}
    removed = changes.locator("table.diff tr.diff-removed", has_text="strength: must")
    added = changes.locator("table.diff tr.diff-added", has_text="strength: may")
    expect(removed.first).to_be_visible()
    expect(added.first).to_be_visible()
    shoot(page, "weakened-commitments", weakened)
    changes.locator("table.diff").scroll_into_view_if_needed()
    shoot(page, "diff", scrolled=True)

    panel = page.locator("section.verify")
    panel.scroll_into_view_if_needed()
    log_index = site.filled.published["borealis-sdf-2-weakened"].log_index
    expect(panel.locator("dt:text-is('Log index') + dd")).to_have_text(str(log_index))
    expect(panel.locator("dt:text-is('Leaf hash') + dd")).to_have_text(served_leaf_hash(site, log_index))
    expect(panel.locator("dt:text-is('Checkpoint') + dd")).to_contain_text("size 9")
    command = panel.locator("pre.command code").first
    expect(command).to_have_text(
        f"candor verify borealis-secure-development-framework-2.0.md --registry {site.base_url}"
    )
    shoot(page, "verification", panel)

    page.get_by_role("link", name="version 1.0", exact=True).first.click()
    expect(page).to_have_url(site.url(site.page_of("borealis-sdf-1")))
    shoot(page, "previous-version")
    assert console.csp_violations() == []


def test_a_withdrawn_document_stays_readable_and_is_marked_withdrawn(site: Site, page: Page, shoot: Shooter) -> None:
    page.goto(site.url("/developers/acme-ai"))
    history = page.get_by_role("link", name=re.compile("Acme-3.5"))
    expect(history.first).to_be_visible()
    page.goto(site.url(site.page_of("acme-card-3-5")))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Withdrawn")
    withdrawal = site.filled.published["acme-withdrawal"].log_index
    notice = page.get_by_role("note").filter(has_text="The developer withdrew this document")
    expect(notice).to_be_visible()
    expect(notice.get_by_role("link")).to_have_attribute("href", f"/statements/{withdrawal}")
    expect(page.locator("section[aria-labelledby=text-heading] article")).to_be_visible()
    shoot(page, "withdrawn")


def test_comparison_shows_each_current_framework_and_its_commitment_strengths(
    site: Site, page: Page, shoot: Shooter
) -> None:
    page.goto(site.url("/"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compare").click()
    expect(page).to_have_url(site.url("/compare"))
    table = page.locator("main table").first
    headers = table.locator("thead th")
    for developer in ("Acme AI, Inc.", "Borealis Research Ltd", "Corvid Labs"):
        expect(headers.filter(has_text=developer)).to_have_count(1)
    chemical = table.locator("tbody tr", has=page.locator("code", has_text="cbrn.chemical"))
    expect(chemical.locator(".strength")).to_have_text(["must", "may", "must"], ignore_case=True)
    manipulation = table.locator("tbody tr", has=page.locator("code", has_text="manipulation"))
    expect(manipulation.locator(".strength-none")).to_have_count(1)
    shoot(page, "compare")


def test_log_page_shows_the_served_verifier_key_and_checkpoint(site: Site, page: Page, shoot: Shooter) -> None:
    page.goto(site.url("/"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log").click()
    expect(page).to_have_url(site.url("/log"))
    vkey = httpx.get(site.url("/log/vkey")).text.split()[-1]
    assert vkey.startswith("registry.test/log+")
    expect(page.locator("main")).to_contain_text(vkey)
    checkpoint = httpx.get(site.url("/log/checkpoint")).text
    expect(page.locator("main")).to_contain_text(checkpoint.splitlines()[2])
    shoot(page, "log")
