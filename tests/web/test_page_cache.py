"""The page cache in front of the app answers fast, and never stale.

Each test first proves that the page it watches is answered from the cache (``candor_page_cache_answers`` moves
and the route does not run), then changes the registry the way it changes in life, then checks that the very
next request shows the change. The writers are not the app that serves: a second app on the same database, a
``candor admin`` process, the registry log integrating in the test's own connection. So what keeps the cache
honest is the database's own signal, not a hook in the code path that wrote.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from candor.config import load_settings
from candor.domain.developer_keys import public_key_pem
from candor.services.integration import RegistryLog
from candor.services.witnessing import parse_witness_setting
from candor.store.cosignatures import record_cosignature
from candor.store.data_version import DataVersion
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.testing.publishing import ORIGIN, Signer, framework, request_body, signed
from candor.testing.publishing import register as register_signer
from candor.testing.registry import Published, Registry, example
from candor.tlog.checkpoint import check_cosignatures, parse_checkpoint
from candor.tlog.errors import TlogError
from candor.tlog.note import CosignatureSigner, NoteSignature, parse_note
from candor.web.app import create_app
from tests.conftest import EXAMPLES
from tests.dbfixtures import postgres_schema_url
from tests.processes import free_port
from tests.services.tampering import tamper
from tests.web.conftest import serve_app

__all__ = ["postgres_schema_url"]


@dataclass
class Served:
    """An app served over loopback, the registry under it, and its data directory."""

    client: httpx.Client
    app: FastAPI
    registry: Registry
    first: Published
    data_dir: Path
    database_url: str


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    settings = load_settings(data_dir=tmp_path, log_origin=ORIGIN, audit_interval=0, max_request_bytes=1 << 20)
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    # The test signs checkpoints itself, when it chooses: a new checkpoint is one of the changes it makes.
    registry = Registry(sessions, RegistryLog(sessions, tmp_path, settings.log_origin), integrate_each=False)
    registry.register("acme-ai", "Acme AI, Inc.", "acme-ai.example")
    first = registry.publish(example("sdf-v1.md"))
    registry.integrate()
    app = create_app(settings)
    try:
        with serve_app(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
            yield Served(client, app, registry, first, tmp_path, settings.database_url)
    finally:
        engine.dispose()


def cache_answers(client: httpx.Client) -> dict[str, float]:
    """``candor_page_cache_answers`` by result, from the served /metrics."""
    exposition = client.get("/metrics").text
    return {
        sample.labels["result"]: sample.value
        for family in text_string_to_metric_families(exposition)
        if family.name == "candor_page_cache_answers"
        for sample in family.samples
        if sample.name.endswith("_total")
    }


def answered_from_cache(client: httpx.Client, path: str) -> httpx.Response:
    """GET ``path`` twice; the second answer must come from the page cache, and equal the first."""
    first = client.get(path)
    assert first.status_code == 200, path
    hits = cache_answers(client).get("hit", 0)
    second = client.get(path)
    assert cache_answers(client).get("hit", 0) == hits + 1, f"{path} was not answered from the page cache"
    assert second.content == first.content
    return second


def test_a_page_is_rendered_once_and_then_answered_from_the_cache(served: Served) -> None:
    client = served.client
    for path in ["/", f"/statements/{served.first.log_index}", "/developers/acme-ai", "/api/v1/statements"]:
        answered_from_cache(client, path)
    # HEAD is answered from the same kept page: its headers, no body.
    hits = cache_answers(client)["hit"]
    head = client.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(client.get("/").content)
    assert cache_answers(client)["hit"] == hits + 2


def test_a_kept_page_carries_the_security_headers_and_its_etag(served: Served) -> None:
    kept = answered_from_cache(served.client, "/developers/acme-ai")
    assert kept.headers["content-security-policy"].startswith("default-src 'none'")
    assert kept.headers["x-frame-options"] == "DENY"
    assert kept.headers["etag"].startswith('"')
    revalidated = served.client.get("/developers/acme-ai", headers={"If-None-Match": kept.headers["etag"]})
    assert revalidated.status_code == 304
    assert revalidated.headers["content-security-policy"] == kept.headers["content-security-policy"]


def test_a_publication_through_another_server_shows_on_this_one_at_once(served: Served, tmp_path: Path) -> None:
    """Two apps on one SQLite database, as ``candor serve --workers 2`` runs them: each its own cache."""
    client = served.client
    signer = register_signer(served.registry.sessions, "borealis", served.registry.log)
    # Its key event signed under a checkpoint before the pages are kept, so that only the publication moves them.
    served.registry.integrate()
    pages = ["/", "/statements", "/api/v1/statements", "/developers/borealis"]
    before = {path: answered_from_cache(client, path).text for path in pages}
    other = create_app(load_settings(data_dir=served.data_dir, log_origin=ORIGIN, audit_interval=0))
    with serve_app(other) as other_url, httpx.Client(base_url=other_url, timeout=30) as other_client:
        answer = other_client.post(
            "/api/v1/statements",
            json=request_body(signed(signer, framework("borealis", 1))),
            headers={"Authorization": f"Bearer {signer.token}"},
        )
        assert answer.status_code == 201, answer.text
    digest = answer.json()["id"]
    for path in pages:
        after = client.get(path)
        assert after.status_code == 200, path
        assert after.text != before[path], path
    assert digest in client.get("/api/v1/statements").text
    assert "borealis Inc." in client.get("/").text


def test_a_developer_registered_by_another_process_shows_at_once(served: Served) -> None:
    client = served.client
    answered_from_cache(client, "/")
    answered_from_cache(client, "/api/v1/developers")
    key = served.data_dir / "corvid.pub"
    key.write_bytes(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    command = [
        sys.executable, "-m", "candor", "admin", "developer", "add", "corvid-labs", "--name", "Corvid Labs",
        "--domain", "corvid.example", "--public-key", str(key), "--data-dir", str(served.data_dir),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "CANDOR_LOG_ORIGIN": ORIGIN})
    assert done.returncode == 0, done.stderr
    assert "Corvid Labs" in client.get("/").text
    assert "corvid-labs" in client.get("/api/v1/developers").text


def test_a_withdrawal_shows_on_a_kept_document_page_at_once(served: Served) -> None:
    client = served.client
    path = f"/statements/{served.first.log_index}"
    assert "Withdrawn" not in answered_from_cache(client, path).text
    withdrawal = served.registry.withdraw("acme-ai", served.first, series=None, version="1.0-withdrawn")
    page = client.get(path).text
    assert "Withdrawn" in page
    assert f'/statements/{withdrawal.log_index}"' in page


def test_a_new_checkpoint_alone_shows_at_once(served: Served) -> None:
    client = served.client
    served.app.state.integrator.stop()  # the test signs, when it chooses
    served.registry.publish(example("sdf-v2.md"))  # logged, not yet under a signed checkpoint
    unsigned = answered_from_cache(client, "/api/v1/log/checkpoint").json()
    served.registry.integrate()  # the same entries; only the signed checkpoint moves
    signed_now = client.get("/api/v1/log/checkpoint").json()
    assert unsigned["size"] == served.first.log_index + 1
    assert signed_now["size"] == served.first.log_index + 2


def test_a_facts_file_shows_on_a_kept_developer_page_at_once(served: Served) -> None:
    client = served.client
    assert "No facts are on file" in answered_from_cache(client, "/developers/acme-ai").text
    facts = served.data_dir / "facts"
    facts.mkdir()
    (facts / "acme-ai.yaml").write_bytes((EXAMPLES / "acme-ai" / "facts.yaml").read_bytes())
    assert "Determinations from the latest facts on file" in client.get("/developers/acme-ai").text


def test_the_next_day_is_never_answered_from_yesterdays_page(served: Served) -> None:
    client, app = served.client, served.app
    app.state.today = lambda: date(2026, 12, 6)
    yesterday = answered_from_cache(client, "/developers/acme-ai")
    app.state.today = lambda: date(2026, 12, 7)
    hits = cache_answers(client)["hit"]
    today = client.get("/developers/acme-ai")
    assert cache_answers(client)["hit"] == hits  # rendered afresh, not replayed
    assert today.headers["etag"] != yesterday.headers["etag"]


def test_a_document_by_digest_is_kept_by_its_path_across_publications(served: Served) -> None:
    client = served.client
    path = f"/api/v1/documents/{served.first.document_sha256}"
    document = answered_from_cache(client, path)
    assert document.headers["cache-control"] == "public, max-age=31536000, immutable"
    served.registry.publish(example("sdf-v2.md"))
    hits = cache_answers(client)["hit"]
    again = client.get(path)
    assert cache_answers(client)["hit"] == hits + 1  # immutable: a new registry version does not touch it
    assert again.content == document.content
    assert client.get(path, headers={"If-None-Match": document.headers["etag"]}).status_code == 304


def test_what_is_not_immutable_under_log_is_never_kept(served: Served) -> None:
    client = served.client
    for path in ["/log/checkpoint", f"/log/tile/0/000.p/{served.first.log_index + 1}"]:
        assert client.get(path).status_code == 200, path
        hits = cache_answers(client).get("hit", 0)
        assert client.get(path).status_code == 200, path
        assert cache_answers(client).get("hit", 0) == hits, path


def test_a_request_with_a_body_is_never_answered_from_the_cache(served: Served) -> None:
    """A body is for the app below the cache to judge (its size limit among others), never skipped over."""
    client = served.client
    answered_from_cache(client, "/")
    hits = cache_answers(client)["hit"]
    with_body = client.request("GET", "/", content=b"x" * 10)
    assert with_body.status_code == 200
    assert cache_answers(client)["hit"] == hits
    assert client.request("GET", "/", content=b"x" * (2 << 20)).status_code == 413  # over the size limit


def test_sqlite_data_version_moves_with_another_connections_commit_and_only_then(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, log_origin=ORIGIN)
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    watch = DataVersion(settings.database_url)
    try:
        assert watch.strict
        quiet = watch.token()
        assert watch.token() == quiet  # control: nothing committed, nothing moved
        register_signer(session_factory(engine), "acme-ai")
        assert watch.token() != quiet
    finally:
        watch.close()
        engine.dispose()


def test_without_a_local_signal_every_request_asks_the_database(postgres_schema_url: str) -> None:
    watch = DataVersion(postgres_schema_url)
    assert not watch.strict
    assert watch.token() != watch.token()
    polled = DataVersion(postgres_schema_url, poll_interval=3600)
    before = polled.token()
    polled.touch()  # a write through this process moves it whatever the clock says
    assert polled.token() != before


def registered_and_signed(sessions: sessionmaker[Session], data_dir: Path) -> Signer:
    """acme-ai registered by the log in ``data_dir`` and its key event under a signed checkpoint, before any app
    serves: so that no integrator signs it while a test watches a kept page."""
    log = RegistryLog(sessions, data_dir, ORIGIN)
    signer = register_signer(sessions, "acme-ai", log)
    log.integrate()
    return signer


def test_on_postgresql_a_kept_page_follows_a_publication_at_once(postgres_schema_url: str, tmp_path: Path) -> None:
    engine = create_database_engine(postgres_schema_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    signer = registered_and_signed(sessions, tmp_path)
    settings = load_settings(data_dir=tmp_path, database_url=postgres_schema_url, log_origin=ORIGIN, audit_interval=0)
    try:
        with (
            serve_app(create_app(settings)) as base_url,
            httpx.Client(base_url=base_url, timeout=30) as client,
        ):
            before = answered_from_cache(client, "/api/v1/statements").json()
            registry = Registry(sessions, RegistryLog(sessions, tmp_path / "other", ORIGIN), integrate_each=False)
            registry.keys["acme-ai"] = signer.key
            published = registry.publish(framework("acme-ai", 1))
            after = client.get("/api/v1/statements").json()
            assert after != before
            assert after["items"][0]["id"] == published.statement_sha256
    finally:
        engine.dispose()


def test_a_statements_canonical_bytes_are_immutable_and_hash_to_its_id(served: Served) -> None:
    client = served.client
    path = f"/api/v1/statements/{served.first.statement_sha256}/canonical"
    signed_bytes = answered_from_cache(client, path)
    assert hashlib.sha256(signed_bytes.content).hexdigest() == served.first.statement_sha256
    assert signed_bytes.headers["content-type"] == "application/json"
    assert signed_bytes.headers["cache-control"] == "public, max-age=31536000, immutable"
    # A withdrawal changes what the registry says about the statement, never the statement itself.
    served.registry.withdraw("acme-ai", served.first, series=None, version="1.0-withdrawn")
    assert client.get(path).content == signed_bytes.content
    assert client.get(f"/api/v1/statements/{served.first.statement_sha256}").json()["withdrawn_by"] is not None
    missing = client.get(f"/api/v1/statements/{'0' * 64}/canonical")
    assert missing.status_code == 404
    assert "immutable" not in missing.headers.get("cache-control", "")


def test_on_postgresql_with_polling_a_publication_through_this_server_shows_at_once(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    """With ``revision_poll_interval`` a server trusts its cache between polls; its own publications still count."""
    engine = create_database_engine(postgres_schema_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    signer = registered_and_signed(sessions, tmp_path)
    settings = load_settings(
        data_dir=tmp_path, database_url=postgres_schema_url, log_origin=ORIGIN, audit_interval=0,
        revision_poll_interval=1e9,  # never polls again within this test
    )  # fmt: skip
    try:
        with (
            serve_app(create_app(settings)) as base_url,
            httpx.Client(base_url=base_url, timeout=30) as client,
        ):
            answered_from_cache(client, "/api/v1/statements")
            # Control: a publication this server did not make stays unseen until the next poll, as documented.
            registry = Registry(sessions, RegistryLog(sessions, tmp_path / "other", ORIGIN), integrate_each=False)
            registry.keys["acme-ai"] = signer.key
            elsewhere = registry.publish(framework("acme-ai", 1))
            assert elsewhere.statement_sha256 not in client.get("/api/v1/statements").text
            answer = client.post(
                "/api/v1/statements",
                json=request_body(signed(signer, framework("acme-ai", 2, supersedes=1), minutes=1)),
                headers={"Authorization": f"Bearer {signer.token}"},
            )
            assert answer.status_code == 201, answer.text
            ids = [item["id"] for item in client.get("/api/v1/statements").json()["items"]]
            assert ids == [answer.json()["id"], elsewhere.statement_sha256]
    finally:
        engine.dispose()


def test_a_document_kept_before_its_row_was_tampered_with_is_served_as_verified_then(served: Served) -> None:
    """The cache keeps bytes that hashed to their address when read; a forged row later never reaches a reader."""
    client = served.client
    sha256 = served.first.document_sha256
    assert sha256 is not None
    path = f"/api/v1/documents/{sha256}"
    genuine = answered_from_cache(client, path).content
    forged = genuine.replace(b"must", b"may ", 1)
    tamper(served.database_url, "documents", "sha256", sha256, "content", forged)
    kept = client.get(path)
    assert kept.status_code == 200
    assert hashlib.sha256(kept.content).hexdigest() == sha256
    # Control: a server that had not read it yet reads the forged row, and refuses to serve it.
    cold = create_app(load_settings(data_dir=served.data_dir, log_origin=ORIGIN, audit_interval=0))
    with serve_app(cold) as cold_url, httpx.Client(base_url=cold_url, timeout=30) as cold_client:
        refused = cold_client.get(path)
    assert refused.status_code == 500
    assert refused.json()["error"]["code"] == "tampered_document"


def test_a_cosignature_that_arrives_shows_on_the_checkpoint_and_the_log_page_at_once(tmp_path: Path) -> None:
    """A witness's cosignature is kept in the database (by whichever server collected it) and moves no part of the
    registry version, so neither ``/log/checkpoint`` nor the log page that shows it may be answered from memory."""
    witness = CosignatureSigner("witness.test/w1", Ed25519PrivateKey.generate())
    # Nothing listens there: this server's own collector never gets an answer; the cosignature comes from another.
    setting = parse_witness_setting(f"http://127.0.0.1:{free_port()} {witness.vkey()}")
    settings = load_settings(
        data_dir=tmp_path, log_origin=ORIGIN, audit_interval=0, witnesses=[f"{setting.url} {witness.vkey()}"]
    )
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    registry = Registry(sessions, RegistryLog(sessions, tmp_path, settings.log_origin), integrate_each=False)
    registry.register("acme-ai", "Acme AI, Inc.", "acme-ai.example")
    registry.publish(example("sdf-v1.md"))
    registry.integrate()
    app = create_app(settings)
    try:
        with serve_app(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
            bare = client.get("/log/checkpoint")
            assert bare.status_code == 200
            with pytest.raises(TlogError):
                check_cosignatures(bare.content, [witness.verifier()], 1)
            assert client.get("/log").status_code == 200
            answered_from_cache(client, "/")  # control: the page cache is on
            revision = app.state.queries.revision()
            text = parse_note(bare.content).text
            line = NoteSignature(witness.name, witness.key_id, witness.sign(text.encode())).line()
            with sessions.begin() as session:
                record_cosignature(session, parse_checkpoint(text).size, setting.name, line)
            # The registry version did not move: a page keyed on it is still answered from the cache...
            assert app.state.queries.revision() == revision
            hits = cache_answers(client)["hit"]
            assert client.get("/").status_code == 200
            assert cache_answers(client)["hit"] == hits + 1
            # ...but the checkpoint and the log page show the cosignature on the very next request.
            cosigned = client.get("/log/checkpoint")
            assert cosigned.content == bare.content + line.encode()
            assert check_cosignatures(cosigned.content, [witness.verifier()], 1) == 1
            assert line.split()[-1] in client.get("/log").text
            assert cache_answers(client)["hit"] == hits + 1
    finally:
        engine.dispose()
