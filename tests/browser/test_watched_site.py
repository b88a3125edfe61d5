"""A reader finds the silent edit the watcher caught on Acme AI's own site, and opens the observed version's diff."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleRecord, Shooter, Site


def test_reader_opens_the_diff_of_a_silently_edited_framework(
    site: Site, page: Page, shoot: Shooter, console: ConsoleRecord
) -> None:
    page.goto(site.url("/developers/acme-ai"))
    section = page.get_by_role("region", name="Findings on the developer's site")
    expect(section).to_contain_text("Silent edit")
    expect(section).to_contain_text("not the bytes logged for the statement")
    section.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Observed version of")
    expect(page.get_by_text("Not signed by the developer.")).to_be_visible()
    diff = page.get_by_role("region", name=re.compile("Differences from version observed"))
    expect(diff.locator("tr.diff-added")).to_contain_text("strength: should")
    expect(diff.locator("tr.diff-removed")).to_contain_text("strength: must")
    shoot(page, "observed-version-diff", diff)
    assert console.csp_violations() == []
