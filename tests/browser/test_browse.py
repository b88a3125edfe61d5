"""A reader's path through the demo register in a real browser: home, developer, document, diff, verification."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from candor.tlog.merkle import leaf_hash
from candor.tlog.tiles import TILE_WIDTH, decode_bundle, entries_path
from tests.browser.conftest import ConsoleRecord, Shooter, Site

FRAMEWORK = "secure-development-framework"


def checkpoint_size(site: Site) -> int:
    return int(httpx.get(site.url("/log/checkpoint")).text.splitlines()[1])


def served_leaf_hash(site: Site, log_index: int) -> str:
    """The leaf hash of an entry, computed here from the entry bundle the log serves."""
    size = checkpoint_size(site)
    bundle = log_index // TILE_WIDTH
    width = min(TILE_WIDTH, size - bundle * TILE_WIDTH)
    entries = decode_bundle(httpx.get(site.url("/log/" + entries_path(bundle, width))).content, "entries")
    return leaf_hash(entries[log_index % TILE_WIDTH]).hex()


def test_reader_browses_from_home_to_a_weakened_commitment_and_its_verification(
    site: Site, page: Page, console: ConsoleRecord, shoot: Shooter
) -> None:
    page.goto(site.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Frontier AI transparency register")
    shoot(page, "home")

    developers = page.locator("section[aria-labelledby=developers-heading]")
    developers.get_by_role("link", name="Borealis Labs Ltd", exact=True).click()
    expect(page).to_have_url(site.url("/developers/borealis-labs"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Borealis Labs Ltd")
    shoot(page, "developer")

    current = page.locator("section[aria-labelledby=framework-heading]")
    current.get_by_role("link", name=re.compile("Secure Development Framework, version 4.0")).click()
    expect(page).to_have_url(site.url(site.page_of("borealis-labs", FRAMEWORK, "4.0")))
    page.locator("nav.versions").get_by_role("link", name="version 3.0", exact=True).click()
    expect(page).to_have_url(site.url(site.page_of("borealis-labs", FRAMEWORK, "3.0")))
    shoot(page, "document")

    semantic = page.locator("section[aria-labelledby=semantic-diff-heading]")
    expect(semantic.get_by_role("heading", level=2)).to_have_text("What changed since version 2.0")
    weakened = semantic.get_by_role("note").filter(has=page.get_by_role("heading", name=re.compile("^Weakenings")))
    expect(weakened).to_be_visible()
    biological = weakened.locator("li", has_text="cbrn.biological went from must to should")
    expect(biological.locator("code.change-kind")).to_have_text("commitment_strength_lowered")
    expect(biological.locator("del")).to_have_text("must")
    expect(biological.locator("ins")).to_have_text("should")
    changes = page.locator("section[aria-labelledby=changes-heading]")
    # Highlighted: the warning stands out from the page around it.
    notice_background = weakened.evaluate("element => getComputedStyle(element).backgroundColor")
    page_background = page.locator("main").evaluate("element => getComputedStyle(element).backgroundColor")
    assert notice_background not in {page_background, "rgba(0, 0, 0, 0)"}
    expect(changes.locator("table.diff tr.diff-removed", has_text="strength: must").first).to_be_visible()
    expect(changes.locator("table.diff tr.diff-added", has_text="strength: should").first).to_be_visible()
    shoot(page, "weakened-commitments", weakened)
    changes.locator("table.diff").scroll_into_view_if_needed()
    shoot(page, "diff", scrolled=True)

    panel = page.locator("section.verify")
    panel.scroll_into_view_if_needed()
    log_index = site.statement("borealis-labs", FRAMEWORK, "3.0")["log_index"]
    expect(panel.locator("dt:text-is('Log index') + dd")).to_have_text(str(log_index))
    expect(panel.locator("dt:text-is('Leaf hash') + dd")).to_have_text(served_leaf_hash(site, log_index))
    expect(panel.locator("dt:text-is('Checkpoint') + dd")).to_contain_text(f"size {checkpoint_size(site)}")
    command = panel.locator("pre.command code").first
    expect(command).to_have_text(
        f"candor verify borealis-labs-secure-development-framework-3.0.md --registry {site.base_url}"
    )
    shoot(page, "verification", panel)

    page.locator("nav.versions").get_by_role("link", name="version 2.0", exact=True).click()
    expect(page).to_have_url(site.url(site.page_of("borealis-labs", FRAMEWORK, "2.0")))
    shoot(page, "previous-version")
    assert console.csp_violations() == []


def test_a_withdrawn_document_stays_readable_and_is_marked_withdrawn(site: Site, page: Page, shoot: Shooter) -> None:
    page.goto(site.url("/developers/tessellate-ai"))
    page.get_by_role("link", name=re.compile("System card Tessera-1.5")).first.click()
    expect(page).to_have_url(site.url(site.page_of("tessellate-ai", "system-card", "1.0", "Tessera-1.5")))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Withdrawn")
    withdrawal = site.statement("tessellate-ai", "withdrawal", "1.0")["log_index"]
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
    developers = ["Acme AI, Inc.", "Borealis Labs Ltd", "Tessellate AI, Inc."]
    for developer in developers:
        expect(headers.filter(has_text=developer)).to_have_count(1)
    biological = table.locator("tbody tr", has=page.locator("code", has_text="cbrn.biological"))
    cells = biological.locator("td")
    expect(cells).to_have_count(len(developers))
    column = [header.strip() for header in headers.all_inner_texts()[1:]]
    borealis = next(number for number, text in enumerate(column) if text.startswith("Borealis Labs Ltd"))
    expect(cells.nth(borealis).locator(".strength")).to_have_text("should", ignore_case=True)
    shoot(page, "compare")


def test_log_page_shows_the_served_verifier_key_and_checkpoint(site: Site, page: Page, shoot: Shooter) -> None:
    page.goto(site.url("/"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log").click()
    expect(page).to_have_url(site.url("/log"))
    checkpoint = httpx.get(site.url("/log/checkpoint")).text.splitlines()
    vkey = httpx.get(site.url("/log/vkey")).text.split()[-1]
    assert vkey.startswith(checkpoint[0] + "+")
    expect(page.locator("main")).to_contain_text(vkey)
    expect(page.locator("main")).to_contain_text(checkpoint[2])
    shoot(page, "log")


def test_a_developer_page_shows_its_key_history_linked_to_the_log(site: Site, page: Page, shoot: Shooter) -> None:
    history = httpx.get(site.url("/api/v1/developers/borealis-labs/keys")).json()["keys"]
    (key,) = history
    page.goto(site.url("/developers/borealis-labs"))
    keys = page.locator("section[aria-labelledby=keys-heading]")
    expect(keys.get_by_role("table")).to_be_visible()
    row = keys.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("th code")).to_have_text(key["fingerprint"])
    link = row.get_by_role("link", name=re.compile("key-registration, log entry"))
    index = key["registered_by"]["log_index"]
    expect(link).to_have_attribute("href", f"/explorer/entries/{index}")
    shoot(page, "key-history", keys)
    # The link serves the entry the log holds at that index: the same bytes as the served entry bundle.
    linked = httpx.get(site.url(f"/api/v1/log/entries/{index}/raw")).content
    assert leaf_hash(linked).hex() == served_leaf_hash(site, index)
