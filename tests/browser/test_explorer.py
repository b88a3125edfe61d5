"""A reader checks one log entry by hand in a real browser: looks it up, reads its signature, key and proof,
downloads its tlog-proof and verifies the document offline with it, then follows the consistency proof. And a
reader narrows the list of statements with the filter form."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from candor.services.verification import verify_document
from tests.browser.conftest import ConsoleRecord, Shooter, Site
from tests.browser.test_browse import checkpoint_size, served_leaf_hash

FRAMEWORK = "secure-development-framework"


def test_reader_looks_up_an_entry_checks_it_and_verifies_the_downloaded_proof(
    site: Site, page: Page, console: ConsoleRecord, shoot: Shooter
) -> None:
    statement = site.statement("borealis-labs", FRAMEWORK, "3.0")
    log_index = statement["log_index"]
    page.goto(site.url("/"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Explorer").click()
    expect(page).to_have_url(site.url("/explorer"))
    shoot(page, "explorer")

    page.get_by_label("Log index, SHA-256").fill(statement["id"])
    page.get_by_role("button", name="Look up").click()
    expect(page).to_have_url(site.url(f"/explorer/entries/{log_index}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Log entry {log_index}")
    expect(page.locator("#leaf-hash")).to_have_text(served_leaf_hash(site, log_index))
    expect(page.locator("#statement-sha256")).to_have_text(statement["id"])
    expect(page.locator("#signature-check")).to_contain_text("The signature verifies")
    expect(page.locator("#inclusion-check")).to_contain_text(f"size {checkpoint_size(site)}")
    shoot(page, "entry")

    with page.expect_download() as download_info:
        page.locator("#tlog-proof-link").click()
    proof = download_info.value.path().read_text(encoding="utf-8")
    assert proof.startswith("c2sp.org/tlog-proof@v1\n")
    document = httpx.get(site.url(f"/api/v1/documents/{statement['document_sha256']}")).content
    vkey = httpx.get(site.url("/log/vkey")).text.split()[-1]
    verified = verify_document("sdf.md", document, proof, vkey)
    assert verified.log_index == log_index

    page.get_by_role("link", name=re.compile("Consistency from size")).click()
    expect(page.locator("#consistency-check")).to_contain_text("The proof verifies")
    shoot(page, "consistency")

    page.goto(site.url("/explorer"))
    page.get_by_label("Log index, SHA-256").fill("no-such-developer")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("alert")).to_contain_text("no developer 'no-such-developer'")
    assert console.csp_violations() == []


def test_reader_filters_the_statements_by_developer_and_kind(site: Site, page: Page, shoot: Shooter) -> None:
    page.goto(site.url("/statements"))
    page.get_by_label("Developer").select_option("borealis-labs")
    page.get_by_label("Kind").select_option(FRAMEWORK)
    page.get_by_label("Order").select_option("oldest")
    page.get_by_role("button", name="Show statements").click()
    expect(page).to_have_url(re.compile(r"developer=borealis-labs"))
    rows = page.locator("main table tbody tr")
    expected = httpx.get(
        site.url("/api/v1/statements"), params={"developer": "borealis-labs", "kind": FRAMEWORK, "sort": "oldest"}
    ).json()["items"]
    assert len(expected) > 1
    expect(rows).to_have_count(len(expected))
    indexes = [int(text) for text in rows.locator("td.num").all_inner_texts()]
    assert indexes == sorted(indexes)
    assert indexes == [item["log_index"] for item in expected]
    shoot(page, "statements-filtered")
