"""Bulk data at /data/, over real HTTP on SQLite and PostgreSQL: every file holds exactly what the API and pages
show, CSV and JSON Lines agree, batches neither drop nor repeat a row, and the documented schema is the served one."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from candor.services import bulk_data
from candor.services.bulk_data import DATASETS, csv_lines
from tests.conftest import REPO
from tests.web.conftest import Served
from tests.web.htmlcheck import check_html


def _jsonl(served: Served, name: str) -> list[dict[str, Any]]:
    response = served.client.get(f"/data/{name}.jsonl")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/jsonl")
    assert "attachment" in response.headers["content-disposition"]
    return [json.loads(line) for line in response.text.splitlines()]


def _csv(served: Served, name: str) -> list[dict[str, str]]:
    response = served.client.get(f"/data/{name}.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.text))
    assert reader.fieldnames == [column.name for column in DATASETS[name].columns]
    return list(reader)


def _as_csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(value)
    return str(value)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_csv_and_json_lines_hold_the_same_rows(served: Served, name: str) -> None:
    rows = _jsonl(served, name)
    assert rows, f"{name} is empty in a filled registry"
    assert [list(row) for row in rows] == [[column.name for column in DATASETS[name].columns]] * len(rows)
    as_csv = _csv(served, name)
    if name == "obligations":  # worked out at the moment of download: compare what does not follow the clock
        rows = [{k: v for k, v in row.items() if k != "as_of"} for row in rows]
        as_csv = [{k: v for k, v in row.items() if k != "as_of"} for row in as_csv]
    assert as_csv == [{key: _as_csv(value) for key, value in row.items()} for row in rows]


def test_the_statements_file_is_every_statement_as_the_api_lists_it(served: Served) -> None:
    rows = _jsonl(served, "statements")
    api = served.client.get("/api/v1/statements", params={"per_page": 100, "sort": "oldest"}).json()["items"]
    assert [row["log_index"] for row in rows] == [item["log_index"] for item in api]
    assert len(rows) == len(served.filled.published)
    for row, item in zip(rows, api, strict=True):
        for field in ("id", "developer", "kind", "series", "version", "document_sha256", "target", "leaf_hash"):
            assert row[field] == item[field], field
        assert row["withdrawn_by"] == item["withdrawn_by"]
    withdrawn = served.filled.published["acme-card-3-5"].log_index
    assert next(row for row in rows if row["log_index"] == withdrawn)["withdrawn_by"] is not None


def test_batches_neither_drop_nor_repeat_a_row(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _jsonl(served, "statements")
    for batch in (1, 2, 3, len(whole), len(whole) + 1):
        monkeypatch.setattr(bulk_data, "BATCH", batch)  # the server runs in this process
        assert _jsonl(served, "statements") == whole, batch


def test_the_findings_file_is_what_each_document_page_finds(served: Served) -> None:
    rows = _jsonl(served, "findings")
    for name, published in served.filled.published.items():
        api = served.client.get(f"/api/v1/statements/{published.statement_sha256}/findings").json()
        expected = [
            (standard["standard"], finding["rule"], finding["severity"], finding["message"])
            for standard in api
            for finding in standard["findings"]
        ]
        found = [
            (row["standard"], row["rule"], row["severity"], row["message"])
            for row in rows
            if row["log_index"] == published.log_index
        ]
        assert found == expected, name
    assert {row["severity"] for row in rows} >= {"error"}, "the test registry's documents have error findings"


def test_coverage_and_obligations_follow_the_facts_on_file(served: Served) -> None:
    coverage = _jsonl(served, "coverage")
    by_developer: dict[str, list[dict[str, Any]]] = {}
    for row in coverage:
        by_developer.setdefault(row["developer"], []).append(row)
    assert set(by_developer) == {"acme-ai", "borealis", "corvid-labs"}
    assert {row["regime"] for row in by_developer["acme-ai"]} >= {"ca-sb53"}
    assert all(row["problem"] is None for row in by_developer["acme-ai"])
    # Without readable facts, one row says why, rather than no row at all.
    assert [row["regime"] for row in by_developer["borealis"]] == [None]
    assert "cannot be read" in by_developer["borealis"][0]["problem"]
    assert "no facts" in by_developer["corvid-labs"][0]["problem"]

    obligations = _jsonl(served, "obligations")
    api = served.client.get("/api/v1/developers/acme-ai/obligations").json()
    assert [row["uid"] for row in obligations if row["developer"] == "acme-ai"] == [e["uid"] for e in api["entries"]]
    assert {row["developer"] for row in obligations} == {"acme-ai"}


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text() -> None:
    dataset = DATASETS["statements"]
    row = {column.name: None for column in dataset.columns} | {"version": '=HYPERLINK("https://evil.example")'}
    lines = b"".join(csv_lines(dataset, iter([row, row | {"version": "2.0"}]))).decode()
    values = [line["version"] for line in csv.DictReader(io.StringIO(lines))]
    assert values == ['\'=HYPERLINK("https://evil.example")', "2.0"]


def test_the_data_page_lists_every_file_with_its_columns(served: Served) -> None:
    page = served.client.get("/data/")
    assert page.status_code == 200
    assert not check_html(page.text).errors
    for name, dataset in DATASETS.items():
        for fmt in ("csv", "jsonl"):
            assert f'href="/data/{name}.{fmt}"' in page.text
        for column in dataset.columns:
            assert f"<code>{column.name}</code>" in page.text
    for missing in ("/data/secrets.csv", "/data/statements.xlsx", "/data/..%2Fcandor.sqlite3"):
        assert served.client.get(missing).status_code == 404


def test_docs_bulk_data_documents_exactly_the_served_columns() -> None:
    text = (REPO / "docs" / "bulk-data.md").read_text(encoding="utf-8")
    for name, dataset in DATASETS.items():
        section = text.split(f"`{name}.csv`", 1)[1].split("\n## ", 1)[0]
        documented = re.findall(r"^\| `([a-z0-9_]+)` \| ([^|]+) \|", section, flags=re.MULTILINE)
        assert [(column, kind.strip()) for column, kind in documented] == [
            (column.name, column.type) for column in dataset.columns
        ], name


def test_a_file_of_an_unchanged_registry_answers_304_but_obligations_follow_the_clock(served: Served) -> None:
    first = served.client.get("/data/statements.csv")
    etag = first.headers["etag"]
    again = served.client.get("/data/statements.csv", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = served.client.get("/data/statements.jsonl", headers={"If-None-Match": etag})
    assert other.status_code == 200  # another file, another tag
    for fmt in ("csv", "jsonl"):
        assert "etag" not in served.client.get(f"/data/obligations.{fmt}").headers
