"""``/healthz``, ``/metrics`` and the JSON log line of a refused publication, over real HTTP.

What an operator relies on: a registry whose log refuses to sign (a restored database) answers 503 with the
reason, counters move on each accepted and refused publication, latency is labelled by route template (so a
client cannot grow the label set with made-up paths), and the log of a refusal names its reason and developer
but never the token or the document.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from candor.config import load_settings, sqlite_url
from candor.logs import JsonLinesFormatter
from candor.services.audit import AuditStatus
from candor.services.health import assess_health
from candor.services.publishing import Publication
from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.tables import LogEntry
from candor.testing.publishing import Signer, framework, register, request_body, signed
from candor.web.app import create_app
from tests.dbfixtures import database_url, migrated_engine, postgres_schema_url, sessions
from tests.web.conftest import serve_app
from tests.web.test_log_fork import Registry, _publish_x1_backup_then_x2_x3, _sqlite_copy, sqlite_registry

__all__ = ["database_url", "migrated_engine", "postgres_schema_url", "sessions", "sqlite_registry"]


@dataclass
class Ops:
    client: httpx.Client
    acme: Signer


@pytest.fixture
def ops(sessions: sessionmaker[Session], database_url: str, tmp_path: Path) -> Iterator[Ops]:
    acme = register(sessions, "acme-ai")
    settings = load_settings(data_dir=tmp_path, database_url=database_url, audit_interval=0)
    with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield Ops(client, acme)


def _post(client: httpx.Client, publication: Publication, token: str) -> httpx.Response:
    return client.post(
        "/api/v1/statements", json=request_body(publication), headers={"Authorization": f"Bearer {token}"}
    )


def _samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, parsed by prometheus_client's own parser, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _count(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _wait_for(client: httpx.Client, path: str, status: int) -> httpx.Response:
    deadline = time.monotonic() + 30
    while (response := client.get(path)).status_code != status:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.1)
    return response


def test_healthz_is_ok_once_every_publication_is_signed(ops: Ops) -> None:
    assert _post(ops.client, signed(ops.acme, framework("acme-ai", 1)), ops.acme.token).status_code == 201
    health = _wait_for(ops.client, "/healthz", 200).json()
    deadline = time.monotonic() + 30
    while health["log"]["unsigned_entries"]:
        assert time.monotonic() < deadline, health
        health = ops.client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["reasons"] == []
    assert health["database"] == {"reachable": True}
    assert health["log"]["entries"] == health["log"]["signed_entries"] == 1
    assert health["log"]["refusing"] is None
    assert health["log"]["checkpoint_age_seconds"] >= 0
    assert health["audit"]["state"] == "disabled"


def test_metrics_count_an_accepted_and_each_refused_publication_by_reason(ops: Ops) -> None:
    before = _samples(ops.client)
    first = signed(ops.acme, framework("acme-ai", 1))
    assert _post(ops.client, first, ops.acme.token).status_code == 201
    assert _post(ops.client, first, ops.acme.token).status_code == 200
    assert _post(ops.client, first, "not-a-token").status_code == 401
    assert _post(ops.client, replace(first, signature=b"\0" * 64), ops.acme.token).status_code == 403
    # Version 1.0 again with other bytes: the series refuses a second, different 1.0.
    other = signed(ops.acme, framework("acme-ai", 1).replace(b"Acme AI", b"Acme AI Ltd", 1), minutes=1)
    conflict = _post(ops.client, other, ops.acme.token)
    assert conflict.status_code == 409
    after = _samples(ops.client)

    def moved(name: str, **labels: str) -> float:
        return _count(after, name, **labels) - _count(before, name, **labels)

    assert moved("candor_publications_accepted_total", result="created") == 1
    assert moved("candor_publications_accepted_total", result="existing") == 1
    assert moved("candor_publications_refused_total", reason="unauthorized") == 1
    assert moved("candor_publications_refused_total", reason="forbidden") == 1
    assert moved("candor_publications_refused_total", reason=conflict.json()["error"]["code"]) == 1
    refused = sum(value for (name, _), value in after.items() if name == "candor_publications_refused_total")
    assert refused == 3


def test_metrics_and_healthz_are_never_served_from_the_page_cache(ops: Ops) -> None:
    # A refusal changes no page of the registry (nothing is logged), so a page cache keyed by the registry's
    # version would serve the old counters: operators must see each scrape as of now.
    before = _samples(ops.client)
    assert _post(ops.client, signed(ops.acme, framework("acme-ai", 1)), "not-a-token").status_code == 401
    after = _samples(ops.client)
    assert _count(after, "candor_publications_refused_total", reason="unauthorized") == (
        _count(before, "candor_publications_refused_total", reason="unauthorized") + 1
    )
    for path in ("/metrics", "/healthz"):
        assert "etag" not in ops.client.get(path).headers


def test_latency_is_labelled_by_route_template_never_by_a_clients_path(ops: Ops) -> None:
    made_up = [f"/api/v1/statements/{secrets.token_hex(32)}" for _ in range(3)]
    for path in made_up:
        assert ops.client.get(path).status_code == 404
    assert ops.client.get(f"/no-such-page-{secrets.token_hex(4)}").status_code == 404
    exposition = ops.client.get("/metrics").text
    samples = _samples(ops.client)
    counted = _count(
        samples, "candor_http_request_duration_seconds_count", method="GET", route="/api/v1/statements/{statement_id}"
    )
    assert counted == len(made_up)
    assert _count(samples, "candor_http_request_duration_seconds_count", method="GET", route="unmatched") >= 1
    assert not any(path in exposition for path in made_up)
    assert "no-such-page" not in exposition


def test_a_refusal_is_logged_as_one_json_line_with_reason_and_developer_and_no_token_or_text(ops: Ops) -> None:
    canary = "canary-" + secrets.token_hex(16)
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonLinesFormatter())
    candor_logger = logging.getLogger("candor")
    candor_logger.addHandler(handler)
    level = candor_logger.level
    candor_logger.setLevel(logging.INFO)
    try:
        publication = signed(ops.acme, framework("acme-ai", 1))
        # The statement names one document; the body carries another, holding the canary.
        assert publication.document is not None
        carrying = replace(publication, document=publication.document + f"\n{canary}\n".encode())
        refused = _post(ops.client, carrying, ops.acme.token)
    finally:
        candor_logger.removeHandler(handler)
        candor_logger.setLevel(level)
    assert refused.status_code >= 400
    refusals = [json.loads(line) for line in lines if "publication_refused" in line]
    assert len(refusals) == 1, lines
    (refusal,) = refusals
    assert refusal["reason"] == refused.json()["error"]["code"]
    assert refusal["developer"] == "acme-ai"
    assert refusal["status"] == refused.status_code
    assert refusal["level"] == "info"
    everything = "\n".join(lines)
    assert ops.acme.token not in everything
    assert canary not in everything


def test_a_log_that_refuses_to_sign_after_a_restore_is_unhealthy(sqlite_registry: Registry, tmp_path: Path) -> None:
    backup = tmp_path / "backup.sqlite3"
    _publish_x1_backup_then_x2_x3(sqlite_registry, backup)
    _sqlite_copy(backup, sqlite_registry.data_dir / "candor.sqlite3")
    with sqlite_registry.serve() as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        health = _wait_for(client, "/healthz", 503).json()
        samples = _samples(client)
    assert health["status"] == "unhealthy"
    assert any(reason.startswith("the log refuses to sign") for reason in health["reasons"]), health
    assert health["log"]["refusing"]
    assert _count(samples, "candor_log_refusing") == 1
    assert _count(samples, "candor_healthy") == 0


def test_an_entry_left_unsigned_too_long_makes_the_checkpoint_stale(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, log_append_lock(session):
        append_log_entry(session, b"an entry no integrator signed")
    with sessions.begin() as session:
        appended = session.get(LogEntry, 0)
        assert appended is not None
        appended_at = appended.appended_at
    fresh = assess_health(
        sessions, refusal=None, audit=AuditStatus.disabled(), now=appended_at, max_unsigned_seconds=60
    )
    assert fresh.healthy, fresh.reasons
    assert fresh.lag is not None
    assert fresh.lag.unsigned == 1
    later = assess_health(
        sessions,
        refusal=None,
        audit=AuditStatus.disabled(),
        now=appended_at + timedelta(minutes=5),
        max_unsigned_seconds=60,
    )
    assert not later.healthy
    assert later.reasons == ("1 entry not in a signed checkpoint for 300 s (limit 60 s): the checkpoint is stale",)


def test_a_failed_audit_or_findings_make_the_registry_unhealthy(sessions: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    for state, healthy in (("pending", True), ("clean", True), ("findings", False), ("failed", False)):
        health = assess_health(sessions, refusal=None, audit=AuditStatus(state, 60.0), now=now, max_unsigned_seconds=60)
        assert health.healthy is healthy, state


def test_a_database_that_does_not_answer_makes_the_registry_unhealthy(tmp_path: Path) -> None:
    engine = create_database_engine(sqlite_url(tmp_path / "no-such-directory" / "candor.sqlite3"))
    try:
        health = assess_health(
            session_factory(engine),
            refusal=None,
            audit=AuditStatus.disabled(),
            now=datetime.now(UTC),
            max_unsigned_seconds=60,
        )
    finally:
        engine.dispose()
    assert not health.database_reachable
    assert health.lag is None
    assert len(health.reasons) == 1
    assert health.reasons[0].startswith("the database is unreachable: ")
