"""Attacks on ``POST /api/v1/statements`` through what a statement binds: its sealed original, its log, its time.

Over real HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.orm import Session, sessionmaker

from candor.config import load_settings
from candor.domain.parse import parse_bytes
from candor.domain.sealing import open_sealed, seal_original
from candor.domain.statement import Statement, parse_statement
from candor.services.publishing import Publication, statement_for_document
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.store.sealed import SealedOriginals
from candor.store.statements import Statements
from candor.testing.publishing import (
    ORIGIN,
    REGULATOR_KEY,
    framework,
    public_version,
    register,
    request_body,
    sealed_original,
    signed,
    statement_signed,
)
from candor.web.app import create_app
from tests.dbfixtures import database_url, migrated_engine, new_postgres_schema, postgres_schema_url, sessions
from tests.web.conftest import serve_app
from tests.web.test_publish_api import Api, _error, _post, api

__all__ = ["api", "database_url", "migrated_engine", "postgres_schema_url", "sessions"]

_ISSUED = datetime(2026, 3, 1, tzinfo=UTC)


def _with_sealed(api: Api, document: bytes, sealed: bytes) -> Publication:
    """``document`` published with ``sealed`` as its sealed original, signed by acme."""
    statement = statement_for_document(parse_bytes("sdf.md", document), document, _ISSUED, origin=ORIGIN, sealed=sealed)
    return statement_signed(api.acme, statement, document, sealed)


def _resealed(sealed: bytes) -> bytes:
    """The same original and salts sealed again: a sealed original as valid as ``sealed``, with other bytes."""
    opened = open_sealed(sealed, REGULATOR_KEY, "sealed")
    return seal_original(opened.header, opened.original, list(opened.salts), REGULATOR_KEY.public_key())


def test_a_truncated_sealed_original_gets_422_and_is_not_kept(api: Api, sessions: sessionmaker[Session]) -> None:
    raw = framework("acme-ai", 1)
    document, sealed = public_version(raw), sealed_original(raw)
    assert sealed is not None
    header_end = sealed.index(b"\n", sealed.index(b"\n") + 1) + 1
    for cut in (header_end, header_end + 20, header_end + 200, len(sealed) // 2):
        message = _error(_post(api, _with_sealed(api, document, sealed[:cut]), api.acme.token), 422, "publish")
        assert "cut short" in message
    assert api.client.get("/api/v1/statements").json()["total"] == 0
    with sessions() as session:
        assert SealedOriginals(session).find(hashlib.sha256(sealed[: len(sealed) // 2]).hexdigest()) is None


def test_a_second_sealed_original_for_a_published_document_gets_409_naming_both(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    # The attack: a slightly truncated original (its length still plausible) is published first; when the complete
    # one follows for the same document, the registry must not answer "already published".
    raw = framework("acme-ai", 1)
    document, complete = public_version(raw), sealed_original(raw)
    assert complete is not None
    truncated = complete[:-5]
    first = _post(api, _with_sealed(api, document, truncated), api.acme.token)
    assert first.status_code == 201, first.text
    for other in (complete, _resealed(complete)):
        message = _error(_post(api, _with_sealed(api, document, other), api.acme.token), 409, "version_conflict")
        assert hashlib.sha256(truncated).hexdigest() in message
        assert hashlib.sha256(other).hexdigest() in message
    # The very same publication again is still the entry on record.
    again = _post(api, _with_sealed(api, document, truncated), api.acme.token)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    with sessions() as session:
        assert [record.version for record in Statements(session).latest()] == ["1.0"]


def test_a_statement_signed_for_another_registry_is_refused_naming_both_origins(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    # The same developer key is registered with both registries; a statement made for one replays into the other.
    publication = signed(api.acme, framework("acme-ai", 1))
    assert _post(api, publication, api.acme.token).status_code == 201
    with ExitStack() as stack:
        # Another registry: its own database (a SQLite file in its data directory, or its own PostgreSQL schema).
        other_url = None if database_url.startswith("sqlite") else stack.enter_context(new_postgres_schema())
        other = load_settings(data_dir=tmp_path / "other", database_url=other_url, log_origin="other.example/log")
        (tmp_path / "other").mkdir()
        engine = create_database_engine(other.database_url)
        upgrade_database(engine)
        there = register(session_factory(engine), "acme-ai", key=api.acme.key)
        engine.dispose()
        with serve_app(create_app(other)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
            response = client.post(
                "/api/v1/statements", json=request_body(publication), headers={"Authorization": f"Bearer {there.token}"}
            )
    message = _error(response, 422, "wrong_origin")
    assert ORIGIN in message
    assert "other.example/log" in message


def test_a_new_statement_without_an_origin_is_refused(api: Api) -> None:
    # A statement made before origins existed could be replayed anywhere; only those already logged stay valid.
    publication = signed(api.acme, framework("acme-ai", 1))
    statement = parse_statement(publication.statement_bytes)
    unbound = Statement.model_validate({**statement.model_dump(), "origin": None})
    assert b'"origin"' not in unbound.canonical_bytes()
    sent = statement_signed(api.acme, unbound, publication.document, publication.sealed)
    message = _error(_post(api, sent, api.acme.token), 422, "wrong_origin")
    assert "names no log origin" in message
    assert ORIGIN in message


def test_a_statement_issued_in_the_future_is_refused(api: Api) -> None:
    raw = public_version(framework("acme-ai", 1))
    sealed = sealed_original(framework("acme-ai", 1))
    parsed = parse_bytes("sdf.md", raw)
    for issued in (datetime(9999, 12, 31, tzinfo=UTC), datetime.now(UTC) + timedelta(hours=1)):
        statement = statement_for_document(parsed, raw, issued, origin=ORIGIN, sealed=sealed)
        message = _error(_post(api, statement_signed(api.acme, statement, raw, sealed), api.acme.token), 422, "publish")
        assert "ahead of the registry's clock" in message
    # A clock a minute fast is within the skew the registry allows.
    statement = statement_for_document(
        parsed, raw, datetime.now(UTC) + timedelta(minutes=1), origin=ORIGIN, sealed=sealed
    )
    assert _post(api, statement_signed(api.acme, statement, raw, sealed), api.acme.token).status_code == 201
