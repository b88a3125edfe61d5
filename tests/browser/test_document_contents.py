"""A long document's page opens with a table of contents, and its parts come in the order a reader needs them:
the summary, the document itself, its redactions, the diff against the previous version, and the verification
panel. The redactions and the text used to come after a diff thousands of pixels long."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Shooter, Site

FRAMEWORK = "secure-development-framework"
#: The table of contents of a redacted framework with a previous version, in order.
CONTENTS = [
    ("summary-heading", "Summary by risk domain"),
    ("findings-heading", "Findings of the transparency standards"),
    ("text-heading", "The document"),
    ("redactions-heading", "Redactions"),
    ("changes-heading", "Changes since version 1.0"),
    ("verify-heading", "Verify this statement"),
]


def test_a_long_document_has_contents_in_reading_order(site: Site, page: Page, shoot: Shooter) -> None:
    page.goto(site.url(site.page_of("acme-ai", FRAMEWORK, "2.0")))
    contents = page.get_by_role("navigation", name="On this page")
    links = contents.get_by_role("link")
    expect(links).to_have_count(len(CONTENTS))
    listed = [(link.get_attribute("href"), link.inner_text()) for link in links.all()]
    assert listed == [(f"#{anchor}", label) for anchor, label in CONTENTS]
    # The parts stand on the page in the same order, each below the one before.
    tops = [
        page.locator(f"#{anchor}").evaluate("element => element.getBoundingClientRect().top") for anchor, _ in CONTENTS
    ]
    assert tops == sorted(tops)
    assert len(set(tops)) == len(tops)
    # The contents come before every part they list.
    assert contents.evaluate("element => element.getBoundingClientRect().top") < tops[0]
    shoot(page, "contents", contents)

    contents.get_by_role("link", name="Redactions").click()
    expect(page).to_have_url(site.url(site.page_of("acme-ai", FRAMEWORK, "2.0") + "#redactions-heading"))
    expect(page.locator("#redactions-heading")).to_be_in_viewport()
    shoot(page, "after-following-redactions", scrolled=True)


def test_a_withdrawal_has_no_contents_for_parts_it_lacks(site: Site, page: Page) -> None:
    page.goto(site.url(site.page_of("tessellate-ai", "withdrawal", "1.0")))
    expect(page.locator("main h1")).to_be_visible()
    # Nothing but the verification panel: no list of one entry, and no link to a part that is not there.
    expect(page.get_by_role("navigation", name="On this page")).to_have_count(0)
    for anchor in ("text-heading", "redactions-heading", "changes-heading"):
        expect(page.locator(f"#{anchor}")).to_have_count(0)
    expect(page.locator("#verify-heading")).to_be_visible()
