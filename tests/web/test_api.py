"""The JSON API over real HTTP: developers, statements, documents, findings, checkpoint; OpenAPI; pagination."""

from __future__ import annotations

import hashlib

from candor.domain.statement import parse_statement
from tests.web.conftest import Served


def test_developers_are_listed_by_slug_with_counts(served: Served) -> None:
    body = served.client.get("/api/v1/developers").json()
    assert [item["slug"] for item in body["items"]] == ["acme-ai", "borealis", "corvid-labs"]
    assert body["total"] == 3
    assert body["pages"] == 1
    counts = {item["slug"]: item["statement_count"] for item in body["items"]}
    assert counts == {"acme-ai": 6, "borealis": 2, "corvid-labs": 1}
    one = served.client.get("/api/v1/developers/borealis").json()
    assert one["legal_name"] == "Borealis Research Ltd"
    assert one["website_domain"] == "borealis.example"


def test_developer_detail_names_what_is_current(served: Served) -> None:
    published = served.filled.published
    acme = served.client.get("/api/v1/developers/acme-ai").json()
    assert acme["current_framework"]["id"] == published["acme-sdf-2"].statement_sha256
    # The Acme-3.5 card was withdrawn, so only Acme-3 has a current card.
    assert [card["series"] for card in acme["system_cards"]] == ["Acme-3"]
    assert [item["id"] for item in acme["certifications"]] == [published["acme-certification"].statement_sha256]


def test_statements_page_newest_first_and_filter(served: Served) -> None:
    total = len(served.filled.published)
    first = served.client.get("/api/v1/statements", params={"per_page": 4}).json()
    assert first["total"] == total
    assert first["pages"] == -(-total // 4)
    assert len(first["items"]) == 4
    indexes = [item["log_index"] for item in first["items"]]
    assert indexes == sorted(indexes, reverse=True)
    assert indexes[0] == served.filled.log_size - 1
    seen: list[int] = []
    for page in range(1, first["pages"] + 1):
        items = served.client.get("/api/v1/statements", params={"per_page": 4, "page": page}).json()["items"]
        seen += [item["log_index"] for item in items]
    assert sorted(seen) == sorted(published.log_index for published in served.filled.published.values())
    cards = served.client.get("/api/v1/statements", params={"developer": "acme-ai", "kind": "system-card"}).json()
    assert {item["series"] for item in cards["items"]} == {"Acme-3", "Acme-3.5"}


def test_a_statement_by_id_matches_what_the_developer_signed(served: Served) -> None:
    published = served.filled.published["acme-card-3-5"]
    body = served.client.get(f"/api/v1/statements/{published.statement_sha256}").json()
    assert body["id"] == published.statement_sha256
    assert body["log_index"] == published.log_index
    assert body["kind"] == "system-card"
    assert body["series"] == "Acme-3.5"
    assert body["withdrawn_by"] == served.filled.published["acme-withdrawal"].log_index
    # The log entry holds exactly the statement whose digest is the id.
    entries = served.client.get(f"/log/tile/entries/000.p/{served.filled.log_size}").content
    assert hashlib.sha256(_entry(entries, published.log_index)).hexdigest() == published.statement_sha256
    assert parse_statement(_entry(entries, published.log_index)).document_sha256 == body["document_sha256"]


def _entry(bundle: bytes, index: int) -> bytes:
    offset = 0
    for _ in range(index):
        offset += 2 + int.from_bytes(bundle[offset : offset + 2], "big")
    length = int.from_bytes(bundle[offset : offset + 2], "big")
    return bundle[offset + 2 : offset + 2 + length]


def test_documents_are_served_byte_for_byte_by_digest(served: Served) -> None:
    published = served.filled.published["acme-sdf-1"]
    assert published.document_sha256 is not None
    response = served.client.get(f"/api/v1/documents/{published.document_sha256}")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == published.document_sha256
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert "immutable" in response.headers["cache-control"]


def test_findings_are_grouped_by_standard_and_listed_worst_first(served: Served) -> None:
    published = served.filled.published["borealis-sdf-2-weakened"]
    groups = served.client.get(f"/api/v1/statements/{published.statement_sha256}/findings").json()
    # No facts of Borealis are on file, so only the minimum standard applies.
    (minimum,) = groups
    assert minimum["standard"] == "candor-minimum-2026.1"
    assert minimum["applies_because"] == "it applies to every document"
    findings = minimum["findings"]
    assert findings, "a framework that only 'may' assess chemical risk falls short of the minimum standard"
    order = {"error": 0, "warning": 1, "notice": 2}
    ranks = [order[finding["severity"]] for finding in findings]
    assert ranks == sorted(ranks)
    assert minimum["warnings"] == sum(1 for finding in findings if finding["severity"] == "warning")
    assert {finding["standard"] for finding in findings} == {"candor-minimum-2026.1"}


def test_checkpoint_and_proof_by_log_index(served: Served) -> None:
    checkpoint = served.client.get("/api/v1/log/checkpoint").json()
    assert checkpoint["size"] == served.filled.log_size
    assert checkpoint["note"] == served.client.get("/log/checkpoint").text
    first = served.filled.published["acme-sdf-1"].log_index
    proof = served.client.get(f"/api/v1/log/proof/{first}").json()
    assert proof["log_index"] == first
    assert proof["tree_size"] == checkpoint["size"]
    beyond = served.client.get(f"/api/v1/log/proof/{checkpoint['size']}")
    assert beyond.status_code == 404


def test_the_openapi_document_describes_the_api_and_its_error_shape(served: Served) -> None:
    document = served.client.get("/api/v1/openapi.json").json()
    paths = set(document["paths"])
    for path in (
        "/api/v1/developers",
        "/api/v1/developers/{slug}",
        "/api/v1/statements",
        "/api/v1/statements/{statement_id}",
        "/api/v1/statements/{statement_id}/findings",
        "/api/v1/statements/{statement_id}/proof",
        "/api/v1/documents/{sha256}",
        "/api/v1/log/checkpoint",
        "/api/v1/log/proof/{log_index}",
    ):
        assert path in paths, path
    assert not [path for path in paths if not path.startswith("/api/v1/") and not path.startswith("/log/")]
    assert "ErrorEnvelope" in document["components"]["schemas"]
