"""What ``POST /api/v1/statements`` and the tlog-proof route need: bodies, the publisher, and the integrator.

The publisher and the registry log are built once per app, from ``app.state.settings`` and ``app.state.sessions``,
on first use; the integrator thread runs for the app's lifetime (started by the statements router's lifespan).
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from candor.config import Settings
from candor.domain.standards import DEFAULT_STANDARD, load_standard
from candor.errors import CandorError
from candor.services.evidence import statement_evidence, statements_of_document
from candor.services.integration import AppendGate, Integrator, IntegratorLease, RegistryLog
from candor.services.publishing import Publication, Publisher, UnauthenticatedError
from candor.services.queries import RegistryQueries
from candor.services.registration import Registration
from candor.services.watcher import start_watcher
from candor.tlog.proof import format_tlog_proof
from candor.web.errors import ErrorEnvelope
from candor.web.operations import publication_accepted, publication_refused

logger = logging.getLogger(__name__)

#: ``Authorization: Bearer <token>``.
Authorization = Annotated[str | None, Header(description="Bearer token of the publishing developer.")]

PUBLISH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Published before: the existing entry."},
    **{
        status: {"model": ErrorEnvelope, "description": description}
        for status, description in (
            (401, "Missing, unknown or revoked token."),
            (403, "The token or key may not publish this statement."),
            (409, "The statement breaks the series' version rules, or republishes with another sealed original."),
            (413, "The document or request is too large."),
            (422, "A malformed statement, one for another log origin, or a document that does not parse or match it."),
            (503, "The log refuses to sign: its database disagrees with what it has signed (an operator restores it)."),
        )
    },
}

_BUILD_LOCK = threading.Lock()


class BadEncodingError(CandorError):
    """A request field that is not valid base64."""

    http_status = 422
    error_code = "invalid_request"


class PublicationIn(BaseModel):
    """A statement signed by the developer, and the document it names."""

    statement: str = Field(description="The canonical (RFC 8785) statement bytes, base64.", max_length=32 * 1024)
    signature: str = Field(description="The developer's Ed25519 signature over those bytes, base64.", max_length=200)
    document: str | None = Field(default=None, description="The document bytes, base64; none for a withdrawal.")
    sealed_original: str | None = Field(
        default=None,
        description="For a redacted document: its original sealed to the regulator (`candor redact`), base64. "
        "Kept, and served only as sealed at /api/v1/sealed/{sha256}, its SHA-256, the statement's sealed_sha256.",
    )


class PublishedOut(BaseModel):
    """Where the statement sits in the log. The inclusion proof follows within a second, at ``proof_url``."""

    id: str = Field(description="SHA-256 (hex) of the statement's canonical bytes.")
    log_index: int
    leaf_hash: str = Field(description="RFC 6962 leaf hash of the entry, hex.")
    developer: str
    kind: str
    version: str
    created: bool = Field(description="False when the same statement or document was published before.")
    url: str = Field(description="The statement's page on the registry's website.")
    proof_url: str = Field(description="Its c2sp.org/tlog-proof, once integrated.")


def _decode(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise BadEncodingError(f"{field}: not valid base64") from exc


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


class TokenFirstRoute(APIRoute):
    """A route that checks the bearer token before FastAPI reads, parses or validates the request body.

    A FastAPI dependency would run only after the body is parsed as JSON, so a request without a valid token could
    still learn from a 422 what a publication must hold. Here a missing, unknown or powerless token gets its 401 or
    403 first, whatever the body; the publisher checks the token again inside its transaction.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_with_token(request: Request) -> Response:
            publisher, _ = _state(request.app)
            developer = None
            try:
                # The token lookup is a blocking database read: off the event loop, like a plain ``def`` route.
                developer = await run_in_threadpool(
                    publisher.token_holder, _bearer(request.headers.get("authorization"))
                )
                response = await handle(request)
            except (CandorError, RequestValidationError) as exc:
                # The one place every refusal of a publication passes, whoever raised it: counted and logged once.
                publication_refused(request.app, exc, developer)
                raise
            publication_accepted(request.app, response.status_code)
            return response

        return handle_with_token


def _state(app: FastAPI) -> tuple[Publisher, RegistryLog]:
    with _BUILD_LOCK:
        if getattr(app.state, "publisher", None) is None:
            settings: Settings = app.state.settings
            standard = load_standard(DEFAULT_STANDARD)
            # Publishers and the integrator of this process queue for the database's append lock together.
            gate = AppendGate()
            registry_log = RegistryLog(
                app.state.sessions, settings.data_dir, settings.log_origin, key_file=settings.log_key, gate=gate
            )
            app.state.publisher = Publisher(
                app.state.sessions,
                standard,
                max_document_bytes=settings.max_document_bytes,
                gate=gate,
                regulator_key=app.state.regulator_key,
                # The log key's name, which wins over the setting: it is what the checkpoints say.
                origin=registry_log.origin,
                sequencing_check=registry_log.check_sequencing,
            )
            app.state.registry_log = registry_log
            app.state.registration = Registration.of_log(app.state.sessions, registry_log)
    return app.state.publisher, app.state.registry_log


def registration(app: FastAPI) -> Registration:
    """The registry's registration use case: key changes logged by this process's registry log."""
    _state(app)
    found: Registration = app.state.registration
    return found


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header; '' when there is none (refused as unauthenticated)."""
    return _bearer(authorization) or ""


def publish_statement(
    request: Request, response: Response, publication: PublicationIn, authorization: str | None
) -> PublishedOut:
    """Publish, wake the integrator, and describe the entry (201 when new, 200 when it existed)."""
    token = _bearer(authorization)
    publisher, _ = _state(request.app)
    document = None if publication.document is None else _decode(publication.document, "document")
    sealed = None if publication.sealed_original is None else _decode(publication.sealed_original, "sealed_original")
    entry = publisher.publish(
        token,
        Publication(
            _decode(publication.statement, "statement"), _decode(publication.signature, "signature"), document, sealed
        ),
    )
    # Committed: pages this server kept are stale now, even where the database gives no signal of its own.
    request.app.state.data_version.touch()
    integrator: Integrator | None = getattr(request.app.state, "integrator", None)
    if integrator is not None:
        integrator.wake()
    if not entry.created:
        response.status_code = 200
    base = str(request.base_url).rstrip("/")
    return PublishedOut(
        id=entry.statement_sha256,
        log_index=entry.log_index,
        leaf_hash=entry.leaf_hash.hex(),
        developer=entry.developer,
        kind=entry.kind,
        version=entry.version,
        created=entry.created,
        url=f"{base}/statements/{entry.log_index}",
        proof_url=f"{base}/api/v1/statements/{entry.statement_sha256}/tlog-proof",
    )


def statement_ids(request: Request, document_sha256: str) -> list[str]:
    """The digests of the statements publishing a document."""
    return statements_of_document(request.app.state.sessions, document_sha256)


def tlog_proof_text(request: Request, registry: RegistryQueries, statement_sha256: str) -> str:
    """The statement's tlog-proof against the latest checkpoint, its evidence in the extra line."""
    log_index, evidence = statement_evidence(request.app.state.sessions, statement_sha256)
    proof = registry.inclusion_proof(log_index)
    return format_tlog_proof(log_index, proof.hashes, proof.checkpoint.encode("utf-8"), extra=evidence.to_extra())


@asynccontextmanager
async def registry_log_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Integrate the log in the background while the app serves: signing while this server holds the lease, else
    serving what the server that holds it signed (docs/operations.md, "Several app servers")."""
    _, log = _state(app)
    _log_keys(app)
    integrator = Integrator(log, lease=IntegratorLease(app.state.engine))
    app.state.integrator = integrator
    app.state.queries.log_queries.catch_up = log.catch_up
    integrator.start()
    data_version = app.state.data_version

    def appended() -> None:
        # The watcher logged an observation: this server's kept pages are stale, whatever the database signals.
        data_version.touch()
        integrator.wake()

    watcher = start_watcher(app.state.settings, app.state.sessions, log, appended)
    app.state.watcher = watcher
    try:
        yield
    finally:
        if watcher is not None:
            watcher.stop()
        app.state.integrator = None
        integrator.stop()


def _log_keys(app: FastAPI) -> None:
    """Log the keys of developers registered before key events were logged (migration 0008); never stop the
    server for it: a log that refuses to sign is reported by the integrator, and a later start tries again."""
    try:
        logged = registration(app).log_keys()
    except CandorError as exc:
        logger.error("could not log the developers' keys: %s", exc.diagnostics())
        return
    except Exception:
        # A database not migrated yet, or unreachable for a moment: the server still serves what it can.
        logger.exception("could not log the developers' keys; the next start tries again")
        return
    for change in logged.changes:
        logger.info(
            "logged %s of %s's key %s at log index %s",
            change.kind.value,
            change.developer,
            change.key_fingerprint,
            change.log_index,
        )
    for developer, fingerprint in logged.unlogged:
        logger.warning(
            "%s's key %s is not in the log; it signs nothing new until %s endorses it",
            developer,
            fingerprint,
            developer,
        )
