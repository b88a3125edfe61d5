"""A registry whose database was tampered with never serves the tampered bytes, and its periodic audit says so.

The server here audits every fraction of a second. The attack is the one triggers cannot stop: the database's owner
replacing a document's bytes (INSERT OR REPLACE from their own SQLite connection, or a PostgreSQL superuser with
triggers silenced). Everything runs over real HTTP against uvicorn on loopback.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from candor.config import sqlite_url
from candor.store.database import create_database_engine
from tests.services.tampering import tamper
from tests.web.conftest import Served, _postgres_schema, _serve

AUDIT_INTERVAL = 0.3
TAMPERED = "acme-sdf-2"
UNTOUCHED = "acme-sdf-1"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def audited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("audited")
    if request.param == "sqlite":
        yield from _serve(data_dir, sqlite_url(data_dir / "candor.sqlite3"), audit_interval=AUDIT_INTERVAL)
    else:
        with _postgres_schema() as url:
            yield from _serve(data_dir, url, audit_interval=AUDIT_INTERVAL)


@pytest.fixture(scope="module")
def tampered(audited: Served) -> tuple[str, bytes]:
    """The SHA-256 of the document whose stored bytes were replaced, and the bytes put in their place."""
    sha256 = audited.filled.published[TAMPERED].document_sha256
    assert sha256 is not None
    # Read from the database, not over HTTP: a document served once is kept by the page cache as verified then
    # (tests/web/test_page_cache.py), and this test is about the server reading the tampered row.
    engine = create_database_engine(audited.database_url)
    try:
        with engine.connect() as connection:
            original = connection.execute(
                text("SELECT content FROM documents WHERE sha256 = :sha256"), {"sha256": sha256}
            ).scalar_one()
    finally:
        engine.dispose()
    forged = original.replace(b"must", b"may ", 1)
    assert forged != original
    tamper(audited.database_url, "documents", "sha256", sha256, "content", forged)
    return sha256, forged


def _audit_when(served: Served, state: str) -> dict[str, Any]:
    """The audit status once it is ``state``; a bounded wait for the background thread, not a timing assertion."""
    deadline = time.monotonic() + 60
    while True:
        status: dict[str, Any] = served.client.get("/api/v1/log/audit").json()
        if status["state"] == state or time.monotonic() > deadline:
            return status
        time.sleep(AUDIT_INTERVAL / 3)


def test_the_periodic_audit_finds_an_untouched_registry_clean(audited: Served) -> None:
    status = _audit_when(audited, "clean")
    assert status["state"] == "clean", status
    assert status["finding_count"] == 0
    assert status["interval_seconds"] == AUDIT_INTERVAL
    assert "log entries" in status["summary"]
    assert "found the database matching the signed log" in audited.client.get("/log").text


def test_an_untouched_document_is_served_byte_for_byte(audited: Served, tampered: tuple[str, bytes]) -> None:
    sha256 = audited.filled.published[UNTOUCHED].document_sha256
    response = audited.client.get(f"/api/v1/documents/{sha256}")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == sha256


def test_a_tampered_document_is_never_served(audited: Served, tampered: tuple[str, bytes]) -> None:
    sha256, forged = tampered
    response = audited.client.get(f"/api/v1/documents/{sha256}")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "tampered_document"
    assert sha256 in error["message"]
    assert hashlib.sha256(forged).hexdigest() in error["message"]
    assert forged not in response.content


def test_a_tampered_documents_page_is_an_error_not_the_forgery(audited: Served, tampered: tuple[str, bytes]) -> None:
    sha256, _ = tampered
    index = audited.filled.published[TAMPERED].log_index
    response = audited.client.get(f"/statements/{index}")
    assert response.status_code == 500
    assert "text/html" in response.headers["content-type"]
    assert f"document {sha256} is damaged" in response.text


def test_the_periodic_audit_reports_the_tampering(audited: Served, tampered: tuple[str, bytes]) -> None:
    sha256, forged = tampered
    status = _audit_when(audited, "findings")
    assert status["state"] == "findings", status
    assert status["findings"] == [
        f"documents sha256 {sha256}: the content does not hash to its SHA-256: "
        f"expected {sha256}, found {hashlib.sha256(forged).hexdigest()}"
    ]
    page = audited.client.get("/log")
    assert page.status_code == 200
    assert "found 1" in page.text
    assert f"documents sha256 {sha256}" in page.text


def test_the_server_keeps_serving_after_the_audit_found_tampering(audited: Served, tampered: tuple[str, bytes]) -> None:
    assert _audit_when(audited, "findings")["state"] == "findings"
    assert audited.client.get("/").status_code == 200
