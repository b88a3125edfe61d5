"""The Changes page, its feed of weakenings and /api/v1/changes: candor diff's result for every version, kept once.

Each promise is tried against a real registry served over HTTP, on SQLite and PostgreSQL: the data served is
exactly what ``candor diff`` says of the same bytes, every filter narrows to what it names and nothing else, and
the diffs are computed once per version, not per request.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx
from sqlalchemy import text

from candor.services.version_diffs import VersionDiffs, diff_stored_documents
from candor.store.database import create_database_engine, session_factory
from tests.web.conftest import Served

ATOM = "{http://www.w3.org/2005/Atom}"
#: The fill's versions of documents (frameworks, cards, certifications), not its withdrawal.
VERSIONS = {
    "acme-sdf-1",
    "borealis-sdf-1",
    "acme-sdf-2",
    "acme-card-3",
    "acme-card-3-5",
    "acme-certification",
    "borealis-sdf-2-weakened",
    "corvid-sdf-hostile",
}


def _all(served: Served, **params: str) -> list[dict[str, object]]:
    response = served.client.get("/api/v1/changes", params={**params, "per_page": "100"})
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def _by_index(served: Served) -> dict[int, str]:
    return {published.log_index: name for name, published in served.filled.published.items()}


def test_every_version_is_on_the_timeline_newest_first(served: Served) -> None:
    items = _all(served)
    names = _by_index(served)
    assert {names[int(str(item["log_index"]))] for item in items} == VERSIONS
    indexes = [int(str(item["log_index"])) for item in items]
    assert indexes == sorted(indexes, reverse=True)
    firsts = {names[int(str(item["log_index"]))] for item in items if item["direction"] == "first"}
    assert firsts == {
        "acme-sdf-1",
        "borealis-sdf-1",
        "acme-card-3",
        "acme-card-3-5",
        "acme-certification",
        "corvid-sdf-hostile",
    }


def test_the_api_serves_exactly_what_candor_diff_says_of_the_same_bytes(served: Served) -> None:
    published = served.filled.published
    before, after = published["borealis-sdf-1"], published["borealis-sdf-2-weakened"]
    assert before.document_sha256
    assert after.document_sha256
    old = served.client.get(f"/api/v1/documents/{before.document_sha256}").content
    new = served.client.get(f"/api/v1/documents/{after.document_sha256}").content
    expected = json.loads(json.dumps(diff_stored_documents(("a.md", old), ("b.md", new)).to_json(), default=str))
    served_one = served.client.get(f"/api/v1/changes/{after.log_index}").json()
    assert served_one["direction"] == expected["direction"] == "mixed"
    assert served_one["previous"] == {"log_index": before.log_index, "version": "1.0"}
    # The same changes, shown weakenings first: the order is the page's, the content candor diff's.
    key = lambda change: json.dumps(change, sort_keys=True)  # noqa: E731
    assert sorted(served_one["changes"], key=key) == sorted(expected["changes"], key=key)
    directions = [change["direction"] for change in served_one["changes"]]
    assert directions == sorted(directions, key=["weakening", "strengthening", "neutral"].index)
    assert {
        "kind": "commitment_strength_lowered",
        "direction": "weakening",
        "path": "risk_domains[0].strength",
        "before": "must",
        "after": "may",
    }.items() <= next(
        change for change in served_one["changes"] if change["path"] == "risk_domains[0].strength"
    ).items()


def test_filters_narrow_to_what_they_name_and_nothing_else(served: Served) -> None:
    names = _by_index(served)

    def found(**params: str) -> set[str]:
        return {names[int(str(item["log_index"]))] for item in _all(served, **params)}

    assert found(developer="borealis") == {"borealis-sdf-1", "borealis-sdf-2-weakened"}
    # "weakening" finds every version that weakens something, mixed ones included; never a first version.
    assert found(direction="weakening") == {"acme-sdf-2", "borealis-sdf-2-weakened"}
    assert found(direction="first") == VERSIONS - {"acme-sdf-2", "borealis-sdf-2-weakened"}
    assert found(direction="neutral") == set()
    # Only the borealis version lowers the chemical domain, but both 2.0s lower chem.expert-red-team.
    assert found(kind="commitment_strength_lowered") == {"acme-sdf-2", "borealis-sdf-2-weakened"}
    assert found(kind="commitment_strength_lowered", developer="acme-ai") == {"acme-sdf-2"}
    assert found(kind="threshold_raised") == set()


def test_filters_that_name_nothing_known_are_refused(served: Served) -> None:
    # "_" and "%" are LIKE wildcards: a kind is matched literally or refused, never used as a pattern.
    for params in (
        {"kind": "commitment%"},
        {"kind": "commitment_strength_lowere_"},
        {"direction": "worse"},
        {"developer": "../x"},
    ):
        response = served.client.get("/api/v1/changes", params=params)
        assert response.status_code == 422, params
        assert served.client.get("/changes", params=params).status_code == 422, params
    assert served.client.get("/api/v1/changes", params={"kind": "commitment_removed"}).status_code == 200
    assert served.client.get("/api/v1/changes/999999").status_code == 404


def test_the_changes_page_lists_and_filters_without_javascript(served: Served) -> None:
    published = served.filled.published
    page = served.client.get("/changes").text
    assert "<script" not in page
    assert '<a href="/changes/weakenings.atom">' in page

    def entry(name: str) -> str:
        return f'<h2 class="timeline-title"><a href="/statements/{published[name].log_index}">'

    for name in VERSIONS:
        assert entry(name) in page, name
    filtered = served.client.get("/changes", params={"developer": "borealis", "direction": "weakening"}).text
    assert entry("borealis-sdf-2-weakened") in filtered
    assert entry("acme-sdf-2") not in filtered
    assert entry("borealis-sdf-1") not in filtered
    assert '<option value="borealis" selected>' in filtered
    # An empty select means "any": the form submits blank values.
    blank = served.client.get("/changes", params={"developer": "", "direction": "", "kind": ""})
    assert blank.status_code == 200
    assert entry("acme-sdf-1") in blank.text


def test_the_feed_of_weakenings_holds_only_versions_that_weaken(served: Served) -> None:
    published = served.filled.published
    response = served.client.get("/changes/weakenings.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    links = {entry.find(f"{ATOM}link").get("href") for entry in entries}  # type: ignore[union-attr]
    expected = {
        f"{served.base_url}/statements/{published[name].log_index}"
        for name in ("acme-sdf-2", "borealis-sdf-2-weakened")
    }
    assert links == expected
    for entry in entries:
        terms = {category.get("term") for category in entry.findall(f"{ATOM}category")}
        assert "commitment_strength_lowered" in terms
        assert "commitment_added" not in terms  # strengthenings are not what this feed is about


def test_each_version_is_diffed_once_and_an_outdated_row_is_computed_again(served: Served) -> None:
    _all(served)  # fills what is missing
    engine = create_database_engine(served.database_url)
    try:
        diffs = VersionDiffs(session_factory(engine))
        assert diffs.refresh() == 0  # nothing left to compute: pages and API read the stored rows
        weakened = served.filled.published["borealis-sdf-2-weakened"]
        with engine.begin() as connection:
            count = connection.execute(text("SELECT count(*) FROM version_diffs")).scalar_one()
            assert count == len(VERSIONS)
            # A row left by an older diff is recomputed, not trusted.
            connection.execute(
                text(
                    "UPDATE version_diffs SET algorithm = '0', changes = '[]', direction = 'neutral', kinds = ' ' "
                    "WHERE statement_id = (SELECT id FROM statements WHERE log_index = :index)"
                ),
                {"index": weakened.log_index},
            )
        assert diffs.refresh() == 1
        again = diffs.of(weakened.log_index)
        assert again is not None
        assert again.direction == "mixed"
        assert any(change.kind == "commitment_strength_lowered" for change in again.weakenings)
    finally:
        engine.dispose()


def test_the_document_page_and_the_api_agree(served: Served) -> None:
    weakened = served.filled.published["borealis-sdf-2-weakened"]
    page = served.client.get(f"/statements/{weakened.log_index}").text
    section = page.split('id="semantic-diff-heading"')[1].split("</section>")[0]
    served_one = served.client.get(f"/api/v1/changes/{weakened.log_index}").json()
    shown = [kind for kind in section.split('<code class="change-kind">')[1:]]
    assert [entry.split("</code>")[0] for entry in shown] == [change["kind"] for change in served_one["changes"]]
    first = served.filled.published["acme-sdf-1"]
    assert 'id="semantic-diff-heading"' not in served.client.get(f"/statements/{first.log_index}").text


def test_a_head_request_and_a_conditional_get_of_the_feed_work(served: Served) -> None:
    response = served.client.head("/changes")
    assert response.status_code == 200
    assert isinstance(served.client, httpx.Client)
