"""Keyboard-only use, and pages without JavaScript under the strict CSP. (Phone widths: test_every_page.py.)"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ConsoleRecord, Shooter, Site

#: The pages a reader reaches from the main navigation, plus one developer.
PAGES = ["/", "/statements", "/compare", "/changes", "/charts", "/standards", "/log", "/developers/acme-ai"]
#: The log explorer, the filtered list of statements, the developers index and the bulk data page.
PAGES += [
    "/developers",
    "/statements?developer=acme-ai&sort=oldest",
    "/explorer",
    "/explorer/entries/3",
    "/explorer/consistency?old=2&new=9",
    "/data/",
]
#: Two documents: a framework version that weakens a commitment, and a withdrawn system card.
DOCUMENTS = {
    "weakened-framework": ("borealis-labs", "secure-development-framework", "3.0", None),
    "withdrawn-card": ("tessellate-ai", "system-card", "1.0", "Tessera-1.5"),
}
#: The links of the main navigation, in order.
MAIN_LINKS = ["/", "/statements", "/compare", "/changes", "/charts", "/standards", "/log"]


def every_page(site: Site) -> list[str]:
    return PAGES + [site.page_of(*document) for document in DOCUMENTS.values()]


def focused_href(page: Page) -> str | None:
    href: str | None = page.evaluate("document.activeElement && document.activeElement.getAttribute('href')")
    return href


def test_the_first_tab_reaches_the_skip_link_which_moves_focus_to_the_main_content(
    site: Site, page: Page, shoot: Shooter
) -> None:
    document = site.page_of(*DOCUMENTS["weakened-framework"])
    page.goto(site.url(document))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # hidden until focused, then shown
    shoot(page, "skip-link-focused")
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.url(document + "#main"))
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside the main content, past the header's navigation.
    page.keyboard.press("Tab")
    inside_main = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside_main is True


def test_tabbing_reaches_every_main_link_and_a_developer_and_enter_follows_it(
    site: Site, page: Page, shoot: Shooter
) -> None:
    page.goto(site.url("/"))
    reached: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        href = focused_href(page)
        if href is not None:
            reached.append(href)
        if href == "/developers/borealis-labs":
            break
    # The site name links home too, before the navigation: each main link counts once, in the order reached.
    assert [href for href in dict.fromkeys(reached) if href in MAIN_LINKS] == MAIN_LINKS
    assert "/developers/acme-ai" in reached
    assert reached[-1] == "/developers/borealis-labs"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused link must show a focus indicator"
    shoot(page, "developer-link-focused")
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.url("/developers/borealis-labs"))


def test_pages_work_without_javascript_and_break_no_content_security_policy(
    site: Site, browser: Browser, console: ConsoleRecord, shoot: Shooter
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        console.listen(page)
        for path in every_page(site):
            response = page.goto(site.url(path))
            assert response is not None
            assert response.status == 200, path
            expect(page.locator("main h1")).to_be_visible()
            stylesheet_applied = page.locator("header.site-header").evaluate(
                "element => getComputedStyle(element).display"
            )
            assert stylesheet_applied != "inline", f"{path}: the stylesheet did not load"
            shoot(page, "no-js" + path.replace("/", "-"))
        # The version list and the verification panel are plain links and details: they work without script.
        page.goto(site.url(site.page_of(*DOCUMENTS["weakened-framework"])))
        page.get_by_text("Signed checkpoint note").click()
        expect(page.locator("section.verify details pre")).to_be_visible()
    finally:
        context.close()
    assert console.csp_violations() == []


def test_pages_with_javascript_log_no_content_security_policy_violation(
    site: Site, page: Page, console: ConsoleRecord
) -> None:
    for path in every_page(site):
        page.goto(site.url(path))
        expect(page.locator("main h1")).to_be_visible()
    assert console.csp_violations() == []
