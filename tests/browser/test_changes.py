"""The Changes page in a real browser: the demo's weakening left out of its changelog, its escape clause and its
strengthening, found on one timeline and narrowed with the filters, without JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleRecord, Shooter, Site

FRAMEWORK = "secure-development-framework"


def entry(page: Page, name: str):  # type: ignore[no-untyped-def]
    """The timeline entry whose title is ``name``."""
    return page.locator("li.timeline-entry", has=page.get_by_role("heading", name=name, exact=True))


def test_a_reader_finds_the_demo_weakenings_and_strengthening_on_the_changes_page(
    site: Site, page: Page, console: ConsoleRecord, shoot: Shooter
) -> None:
    page.goto(site.url("/"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Changes").click()
    expect(page).to_have_url(site.url("/changes"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes")

    unlisted = entry(page, "Tessellate AI, Inc.: Secure Development Framework, version 3.0")
    expect(unlisted.locator(".timeline-meta .direction")).to_have_text("weakening")
    expect(unlisted.locator("code.change-kind", has_text="changelog_omits_change")).to_be_visible()
    expect(unlisted.locator("li", has_text="threshold_raised")).to_contain_text("auto.self-exfiltration")
    escape = entry(page, "Borealis Labs Ltd: Secure Development Framework, version 4.0")
    expect(escape.locator("code.change-kind", has_text="escape_clause_added")).to_be_visible()
    stronger = entry(page, "Acme AI, Inc.: Secure Development Framework, version 3.0")
    expect(stronger.locator(".timeline-meta .direction")).to_have_text("strengthening")
    # A version with no weakening is folded; one with a weakening is open, so the warning is read first.
    expect(stronger.locator("details")).not_to_have_attribute("open", "")
    stronger.locator("summary").click()
    expect(stronger.locator("code.change-kind", has_text="threshold_lowered")).to_be_visible()
    shoot(page, "changes")

    # Filter by direction with the form (a plain GET, no script): the strengthening goes, the weakenings stay.
    page.get_by_label("Direction").select_option("weakening")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/changes\?.*direction=weakening"))
    expect(unlisted).to_be_visible()
    expect(escape).to_be_visible()
    expect(stronger).to_have_count(0)
    shoot(page, "weakenings")

    page.get_by_label("Direction").select_option("")
    page.get_by_label("Kind of change").select_option("escape_clause_added")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("li.timeline-entry")).to_have_count(1)
    expect(escape).to_be_visible()

    page.get_by_label("Kind of change").select_option("")
    page.get_by_label("Developer").select_option("tessellate-ai")
    page.get_by_role("button", name="Filter").click()
    titles = page.locator("li.timeline-entry h2").all_inner_texts()
    assert titles, "the Tessellate AI filter shows nothing"
    assert all(title.startswith("Tessellate AI, Inc.:") for title in titles), titles

    # The entry leads to the document page, where the same result is shown, weakenings first.
    unlisted.get_by_role("link", name=re.compile("version 3.0")).first.click()
    expect(page).to_have_url(site.url(site.page_of("tessellate-ai", FRAMEWORK, "3.0")))
    semantic = page.locator("section[aria-labelledby=semantic-diff-heading]")
    groups = semantic.locator("h3").all_inner_texts()
    assert groups == ["Weakenings (2)"], groups
    expect(semantic.get_by_role("note")).to_contain_text("does not mention auto.self-exfiltration")
    shoot(page, "unlisted-weakening", semantic)
    assert console.csp_violations() == []
