"""Every page of the website over real HTTP: 200, well-formed, accessible structure, and the right content."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
import yaml

from candor.services.queries import RegistryQueries
from candor.store.database import create_database_engine, session_factory
from candor.tlog.note import parse_verifier_key
from tests.web.conftest import Served
from tests.web.htmlcheck import check_html

STATIC_PAGES = [
    "/",
    "/statements",
    "/statements?page=1",
    "/developers/acme-ai",
    "/developers/borealis",
    "/developers/corvid-labs",
    "/compare",
    "/log",
    "/standards",
    "/standards/candor-minimum-2026.1",
    "/api",
]

STANDARDS = Path(__file__).resolve().parents[2] / "src" / "candor" / "standards"


def all_pages(served: Served) -> list[str]:
    return STATIC_PAGES + [f"/statements/{item.log_index}" for item in served.filled.published.values()]


def test_every_page_is_well_formed_and_accessible(served: Served) -> None:
    for path in all_pages(served):
        response = served.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        page = check_html(response.text)
        assert page.errors == [], (path, page.errors)
        assert page.html_lang == "en", path
        assert page.count("main") == 1, path
        assert page.count("nav") >= 1, path
        assert page.headings[0] == 1, (path, page.headings)
        assert page.headings.count(1) == 1, (path, page.headings)
        for before, after in zip(page.headings, page.headings[1:], strict=False):
            assert after <= before + 1, f"{path}: heading h{before} is followed by h{after}"
        assert page.tables == page.captions, f"{path}: every table needs a caption"
        assert all(attrs.get("scope") in ("col", "row") for name, attrs in page.tags if name == "th"), path
        assert ("a", {"class": "skip-link", "href": "#main"}) in page.tags, path
        # No script of any kind, and no inline style (the CSP would block it anyway).
        assert page.count("script") == 0, path
        assert page.with_attribute("style") == [], path
        assert not [name for name, attrs in page.tags if any(key.startswith("on") for key in attrs)], path


def test_home_lists_developers_latest_statements_and_log_size(served: Served) -> None:
    text = served.client.get("/").text
    for name in ("Acme AI, Inc.", "Borealis Research Ltd", "Corvid Labs"):
        assert name in text
    entries = served.filled.log_size
    assert f"<dt>Log entries</dt><dd>{entries}</dd>" in text
    assert f"/statements/{entries - 1}" in text


def test_developer_page_shows_current_framework_cards_certifications_and_history(served: Served) -> None:
    published = served.filled.published
    text = served.client.get("/developers/acme-ai").text
    framework_section = text.split('id="framework-heading"')[1].split("</section>")[0]
    assert f'/statements/{published["acme-sdf-2"].log_index}"' in framework_section
    cards_section = text.split('id="cards-heading"')[1].split("</section>")[0]
    assert "Acme-3" in cards_section
    # The withdrawn card is no longer current, so its model has no current card.
    assert "Acme-3.5" not in cards_section
    certifications = text.split('id="certifications-heading"')[1].split("</section>")[0]
    assert f'/statements/{published["acme-certification"].log_index}"' in certifications
    history = text.split('id="history-heading"')[1]
    for key in ("acme-sdf-1", "acme-sdf-2", "acme-card-3", "acme-card-3-5", "acme-withdrawal"):
        assert f'/statements/{published[key].log_index}"' in history


def test_developer_page_shows_coverage_by_regime_from_the_facts_on_file(served: Served) -> None:
    acme = served.client.get("/developers/acme-ai").text.split('id="coverage-heading"')[1].split("</section>")[0]
    assert "Determinations from the latest facts on file" in acme
    assert "<strong>Yes</strong>" in acme  # Acme's example facts put it above the SB 53 thresholds
    borealis = served.client.get("/developers/borealis").text.split('id="coverage-heading"')[1]
    assert "The facts on file cannot be read: borealis.yaml:" in borealis.split("</section>")[0]
    corvid = served.client.get("/developers/corvid-labs").text.split('id="coverage-heading"')[1]
    assert "No facts are on file for this developer." in corvid.split("</section>")[0]


def test_document_page_has_summary_findings_versions_and_verification(served: Served) -> None:
    published = served.filled.published["acme-sdf-2"]
    text = served.client.get(f"/statements/{published.log_index}").text
    assert "Summary by risk domain" in text
    assert "<code>cbrn.biological</code>" in text
    assert "Findings of the transparency standards" in text
    assert 'aria-label="Versions"' in text
    assert "version 1.0" in text
    assert "version 2.0" in text
    file_name = "acme-ai-secure-development-framework-2.0.md"
    assert f"candor verify {file_name} --registry {served.base_url}" in text
    vkey = served.client.get("/log/vkey").text.strip().splitlines()[-1]
    assert f"candor verify {file_name} --proof {file_name}.tlog-proof</code>" in text
    # The page shows the key's fingerprint, to compare out of band, and never the key for a command to take on
    # trust: a key read from the page it checks would make the check circular.
    assert parse_verifier_key(vkey).fingerprint() in text
    assert "compare" in text
    # name+hash+key: the key itself is base64 and may hold "+" too, so split off only the first two fields.
    assert vkey.split("+", 2)[2] not in text
    assert published.document_sha256 is not None
    assert published.document_sha256 in text
    assert published.statement_sha256 in text
    assert "Signed checkpoint note" in text


def test_a_weakened_commitment_is_highlighted_in_the_diff(served: Served) -> None:
    published = served.filled.published["borealis-sdf-2-weakened"]
    text = served.client.get(f"/statements/{published.log_index}").text
    section = text.split('id="semantic-diff-heading"')[1].split("</section>")[0]
    weakened = section.split("<h3>Weakenings (")[1].split("</div>")[0]
    assert "risk_domains[0].strength</code>: cbrn.chemical went from must to may." in weakened
    assert "<del>must</del> → <ins>may</ins>" in weakened
    # Weakenings come first, then strengthenings, then neutral changes (the fill's 2.0 strengthens much too).
    assert section.index("<h3>Weakenings (") < section.index("<h3>Strengthenings (")
    assert '<tr class="diff-added"><td class="diff-mark"><span>+</span>' in text
    assert 'class="diff-removed"' in text


def test_a_withdrawn_document_stays_readable_and_is_marked(served: Served) -> None:
    published = served.filled.published
    card = served.client.get(f"/statements/{published['acme-card-3-5'].log_index}").text
    assert "Withdrawn" in card
    assert f'/statements/{published["acme-withdrawal"].log_index}"' in card
    assert "Summary by risk domain" in card  # still rendered in full
    withdrawal = served.client.get(f"/statements/{published['acme-withdrawal'].log_index}").text
    assert f'/statements/{published["acme-card-3-5"].log_index}"' in withdrawal


def test_comparison_shows_each_current_framework_with_commitment_strength(served: Served) -> None:
    text = served.client.get("/compare").text
    for name in ("Acme AI, Inc.", "Borealis Research Ltd", "Corvid Labs"):
        assert name in text
    assert 'class="strength strength-must"' in text
    borealis_row = text.split("<code>cbrn.chemical</code>")[1].split("</tr>")[0]
    assert 'class="strength strength-may"' in borealis_row  # Borealis weakened its chemical commitment
    # Current frameworks only: version 2.0 for Acme, not 1.0.
    acme_column = text.split("Acme AI, Inc.")[1].split("</th>")[0]
    assert "version 2.0" in acme_column


def test_log_page_shows_checkpoint_vkey_and_how_to_verify(served: Served) -> None:
    text = served.client.get("/log").text
    vkey = served.client.get("/log/vkey").text.strip().splitlines()[-1]
    assert vkey in text
    assert parse_verifier_key(vkey).fingerprint() in text
    assert "registry.test/log" in text
    assert f"--registry {served.base_url}" in text


@pytest.mark.parametrize(
    "path",
    [
        "/developers/nobody",
        "/statements/999999",
        "/standards/no-such-pack",
        # Addresses that name nothing that could exist are pages that do not exist, not invalid requests.
        "/statements/abc",
        "/statements/-1",
        "/statements/99999999999999999999",
        "/developers/Not_A_Slug",
        "/standards/..%2Fsecret",
    ],
)
def test_unknown_things_get_an_html_404_page(served: Served, path: str) -> None:
    response = served.client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert check_html(response.text).errors == []
    assert "validation" not in response.text.lower()


def test_the_api_still_names_a_malformed_path_parameter(served: Served) -> None:
    """The control: a program calling the API learns which parameter it got wrong."""
    response = served.client.get("/api/v1/developers/Not_A_Slug")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_the_comparison_is_paginated_by_developer(served: Served) -> None:
    engine = create_database_engine(served.database_url)
    try:
        queries = RegistryQueries(session_factory(engine), served.data_dir / "log", served.data_dir / "facts")
        first, second = queries.comparison(number=1, size=2), queries.comparison(number=2, size=2)
    finally:
        engine.dispose()
    assert [s.developer_slug for s in first.frameworks.items] == ["acme-ai", "borealis"]
    assert [s.developer_slug for s in second.frameworks.items] == ["corvid-labs"]
    assert (first.frameworks.total, first.frameworks.count) == (3, 2)
    past_the_end = served.client.get("/compare?page=9")
    assert past_the_end.status_code == 404
    assert "page 9 does not exist: the list has 1 page" in past_the_end.text


def test_the_site_has_an_icon_and_a_robots_file(served: Served) -> None:
    icon = served.client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/vnd.microsoft.icon"
    # An ICO directory of one 32 x 32 image, stored as PNG.
    reserved, kind, count = struct.unpack("<HHH", icon.content[:6])
    assert (reserved, kind, count) == (0, 1, 1)
    assert icon.content[6:8] == bytes([32, 32])
    assert icon.content[22:30] == b"\x89PNG\r\n\x1a\n"
    robots = served.client.get("/robots.txt")
    assert robots.status_code == 200
    assert robots.headers["content-type"].startswith("text/plain")
    lines = robots.text.splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /search" in lines
    # Documents are meant to be found: nothing under /statements or /developers is disallowed.
    assert not [line for line in lines if line.startswith("Disallow: /statements") or line == "Disallow: /"]


def test_a_standards_page_marks_the_rules_it_adds_and_says_what_the_tenets_are(served: Served) -> None:
    own = yaml.safe_load((STANDARDS / "ca-sb53-2026.yaml").read_text())
    parent = yaml.safe_load((STANDARDS / "candor-minimum-2026.1.yaml").read_text())
    html = served.client.get("/standards/ca-sb53-2026").text
    assert html.count('<span class="tag tag-added">added by this standard</span>') == len(own["rules"])
    assert html.count('<span class="tag tag-inherited">from candor-minimum-2026.1</span>') == len(parent["rules"])
    assert f"This standard adds {len(own['rules'])} rules to the\n{len(parent['rules'])} of" in html
    # Each added rule's heading carries the mark; an inherited one names the standard that defines it.
    for rule in own["rules"]:
        heading = re.search(rf"<code>{rule['id']}</code>.*?</h3>", html, re.S)
        assert heading is not None
        assert "added by this standard" in heading.group(0)
    # "Tenet 2" is explained on the page, with the framework's own words linked.
    assert '<div id="tenet-2"><dt>Tenet 2: Create a Secure Development Framework</dt>' in html
    assert '(<a href="#tenets-heading">what the tenets say</a>)' in html
    # The standard that extends nothing marks no rule as added, and still explains its tenets.
    minimum = served.client.get("/standards/candor-minimum-2026.1").text
    assert "tag-added" not in minimum
    assert "tag-inherited" not in minimum
    assert '<div id="tenet-5">' in minimum
