"""``POST /api/v1/statements`` and the tlog-proof route over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.config import load_settings
from candor.domain.parse import parse_bytes
from candor.domain.statement import Statement, StatementKind
from candor.services.publishing import Publication, statement_for_document
from candor.services.verification import verify_document
from candor.store.tokens import ApiTokens
from candor.store.vocabulary import TokenScope
from candor.testing.publishing import (
    ORIGIN,
    Signer,
    framework,
    public_version,
    register,
    request_body,
    sealed_original,
    signed,
    statement_signed,
)
from candor.web.app import create_app
from tests.conftest import EXAMPLES
from tests.dbfixtures import database_url, migrated_engine, postgres_schema_url, sessions
from tests.web.conftest import serve_app

__all__ = ["database_url", "migrated_engine", "postgres_schema_url", "sessions"]


@dataclass
class Api:
    client: httpx.Client
    acme: Signer
    rival: Signer


@pytest.fixture
def api(sessions: sessionmaker[Session], database_url: str, tmp_path: Path) -> Iterator[Api]:
    acme, rival = register(sessions, "acme-ai"), register(sessions, "rival-ai")
    settings = load_settings(data_dir=tmp_path, database_url=database_url)
    with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield Api(client, acme, rival)


def _post(api: Api, publication: Publication, token: str | None) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return api.client.post("/api/v1/statements", json=request_body(publication), headers=headers)


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    message: str = error["message"]
    return message


def test_publish_returns_the_entry_and_the_proof_follows(api: Api) -> None:
    raw = framework("acme-ai", 1)
    publication = signed(api.acme, raw)
    # The example marks passages for redaction, so what is published and proved is its public version.
    document = public_version(raw)
    created = _post(api, publication, api.acme.token)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["log_index"] == 0
    assert entry["id"] == hashlib.sha256(publication.statement_bytes).hexdigest()
    assert entry["url"].endswith("/statements/0")
    again = _post(api, publication, api.acme.token)
    assert again.status_code == 200
    assert again.json()["created"] is False
    # The integrator signs promptly; poll rather than time it.
    proof = api.client.get(f"/api/v1/statements/{entry['id']}/tlog-proof")
    for _ in range(100):
        if proof.status_code == 200:
            break
        time.sleep(0.1)
        proof = api.client.get(f"/api/v1/statements/{entry['id']}/tlog-proof")
    assert proof.status_code == 200, proof.text
    vkey = api.client.get("/log/vkey").text.split()[-1]
    assert verify_document("sdf.md", document, proof.text, vkey).log_index == 0
    found = api.client.get(f"/api/v1/statements/by-document/{hashlib.sha256(document).hexdigest()}").json()
    assert [item["id"] for item in found] == [entry["id"]]


def test_missing_or_bad_tokens_get_401(api: Api) -> None:
    publication = signed(api.acme, framework("acme-ai", 1))
    assert "bearer token" in _error(_post(api, publication, None), 401, "unauthorized")
    _error(_post(api, publication, "candor_nope"), 401, "unauthorized")
    response = api.client.post(
        "/api/v1/statements", json=request_body(publication), headers={"Authorization": "Basic x"}
    )
    _error(response, 401, "unauthorized")


BAD_BODIES: list[dict[str, Any]] = [
    {"json": {}},
    {"json": {"statement": 1, "signature": ["x"], "unexpected": True}},
    {"content": b'{"statement": ', "headers": {"Content-Type": "application/json"}},
    {"content": b"not json at all", "headers": {"Content-Type": "text/plain"}},
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=["empty", "wrong-types", "truncated-json", "not-json"])
def test_the_token_is_checked_before_the_body_so_a_bad_body_reveals_nothing(
    api: Api, sessions: sessionmaker[Session], body: dict[str, Any]
) -> None:
    def post(authorization: str | None) -> httpx.Response:
        headers = {**body.get("headers", {}), **({"Authorization": authorization} if authorization else {})}
        return api.client.post("/api/v1/statements", **{**body, "headers": headers})

    for authorization in (None, "Bearer candor_nope", "Basic x"):
        response = post(authorization)
        _error(response, 401, "unauthorized")
        # Not a word about what the body should hold.
        assert response.json()["error"]["detail"] is None
        assert "statement" not in response.text
    with sessions.begin() as session:
        admin_token, _ = ApiTokens(session).issue(TokenScope.ADMIN)
    assert "cannot publish" in _error(post(f"Bearer {admin_token}"), 403, "forbidden")
    # With a publish token, the body is validated as before.
    _error(post(f"Bearer {api.acme.token}"), 422, "invalid_request")


def test_developer_cannot_publish_as_another_developer_over_the_api(api: Api) -> None:
    forged = signed(api.rival, framework("acme-ai", 1))
    assert "not for acme-ai" in _error(_post(api, forged, api.rival.token), 403, "forbidden")
    assert "signature" in _error(_post(api, forged, api.acme.token), 403, "forbidden")


def test_version_conflicts_get_409(api: Api) -> None:
    assert _post(api, signed(api.acme, framework("acme-ai", 2)), api.acme.token).status_code == 201
    older = signed(api.acme, framework("acme-ai", 1, supersedes=2))
    assert "does not increase" in _error(_post(api, older, api.acme.token), 409, "version_conflict")


def test_a_document_that_does_not_parse_gets_422_with_the_parsers_message(api: Api) -> None:
    raw = framework("acme-ai", 1).replace(b"effective_date:", b"effective_dat:", 1)
    statement = Statement(
        origin=ORIGIN,
        developer="acme-ai",
        kind=StatementKind.SECURE_DEVELOPMENT_FRAMEWORK,
        version="1.0",
        document_sha256=hashlib.sha256(raw).hexdigest(),
        issued_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    message = _error(_post(api, statement_signed(api.acme, statement, raw), api.acme.token), 422, "document")
    assert "effective_dat" in message


def test_a_document_over_5_mib_gets_413(api: Api) -> None:
    raw = framework("acme-ai", 1)
    raw += b"\n" + b"x" * (5 * 1024 * 1024 + 1 - len(raw) - 1)
    statement = Statement(
        origin=ORIGIN,
        developer="acme-ai",
        kind=StatementKind.SECURE_DEVELOPMENT_FRAMEWORK,
        version="1.0",
        document_sha256=hashlib.sha256(raw).hexdigest(),
        issued_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    response = _post(api, statement_signed(api.acme, statement, raw), api.acme.token)
    assert "over the limit" in _error(response, 413, "request_too_large")


def _marked_original(api: Api, *, sealed: bytes | None) -> Publication:
    """The example framework as written, passages still marked, signed as it stands (naming ``sealed`` if given)."""
    raw = framework("acme-ai", 1)
    statement = statement_for_document(
        parse_bytes("sdf.md", raw), raw, datetime(2026, 3, 1, tzinfo=UTC), origin=ORIGIN, sealed=sealed
    )
    return statement_signed(api.acme, statement, raw, sealed)


def test_a_document_still_marked_for_redaction_gets_422_and_is_not_published(api: Api) -> None:
    # Without a sealed original (the leak once let through) and with one sealed to the marked original itself.
    sealed = sealed_original(framework("acme-ai", 1))
    for publication in (_marked_original(api, sealed=None), _marked_original(api, sealed=sealed)):
        message = _error(_post(api, publication, api.acme.token), 422, "publish")
        assert "framework/1.0:451: this passage is still marked for redaction and would be published" in message
        assert "run `candor redact`" in message
    assert api.client.get("/api/v1/statements").json()["total"] == 0


def test_a_public_version_without_its_sealed_original_gets_422(api: Api) -> None:
    public = public_version(framework("acme-ai", 1))
    statement = statement_for_document(
        parse_bytes("sdf.md", public), public, datetime(2026, 3, 1, tzinfo=UTC), origin=ORIGIN
    )
    response = _post(api, statement_signed(api.acme, statement, public), api.acme.token)
    assert "placeholder comes without the sealed original" in _error(response, 422, "publish")
    assert api.client.get("/api/v1/statements").json()["total"] == 0


def test_fields_that_are_not_base64_get_422(api: Api) -> None:
    body = {"statement": "not base64!", "signature": "", "document": None}
    response = api.client.post("/api/v1/statements", json=body, headers={"Authorization": f"Bearer {api.acme.token}"})
    _error(response, 422, "invalid_request")


def test_a_certification_that_skips_the_framework_binding_gets_422_with_a_hint(api: Api) -> None:
    certification = (EXAMPLES / "acme-ai" / "certification-2026.md").read_text()
    start = certification.index("framework_entry:\n")
    unbound = certification[:start] + certification[certification.index("period:\n", start) :]
    response = _post(api, signed(api.acme, unbound.encode()), api.acme.token)
    message = _error(response, 422, "certified_framework_missing")
    assert "not its published entry" in message
    assert "add framework_entry" in message
