"""The confidential channel on the web: a report form that works without JavaScript, a receipt page, the reviewers'
key fingerprints, and the JSON API that ``candor report`` uses.

The form's body is parsed in memory by python-multipart's streaming parser, within :data:`MAX_FORM_BYTES`, and
sealed before the request ends: Starlette's own form parsing spools files over 1 MiB to a temporary file, which
would put plaintext on disk. Nothing here logs, and the access log drops these paths (``candor.logs``). Rate
limits key on an HMAC of the client's address under a key drawn at start and kept only in memory, renewed daily,
so not even the counters can be turned back into addresses. No page of the channel sets a cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from candor.domain.report_sealing import MAX_ATTACHMENTS, MAX_REPORT_BYTES, Attachment, ReportContents
from candor.services.reports import ReportChannel, ReportRefusedError
from candor.web.deps import Templates
from candor.web.errors import unavailable

#: The whole form: the largest report, base64 can't occur here (multipart carries bytes), plus headers and fields.
MAX_FORM_BYTES = MAX_REPORT_BYTES + 256 * 1024
#: The JSON submission carries the ciphertext in base64 (4/3), plus the wrapped keys and fields.
MAX_SEALED_REQUEST_BYTES = (MAX_REPORT_BYTES * 2 + 2) // 3 * 4 + 256 * 1024
_MAX_STATEMENTS_FIELD = 200
HONEYPOT = "website"


class _RateLimit:
    """Per-day counters keyed by an HMAC of the address under a key that lives in memory only."""

    def __init__(self, per_day: int) -> None:
        self.per_day = per_day
        self._day = -1
        self._key = b""
        self._counts: Counter[str] = Counter()

    def allow(self, address: str) -> bool:
        day = int(time.time() // 86400)
        if day != self._day:
            self._day, self._key, self._counts = day, secrets.token_bytes(32), Counter()
        tag = hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()
        self._counts[tag] += 1
        return self._counts[tag] <= self.per_day


def channel_of(request: Request) -> ReportChannel:
    channel: ReportChannel | None = request.app.state.report_channel
    if channel is None:
        raise HTTPException(503, "the confidential channel is not configured on this registry")
    return channel


class _Form:
    """A multipart form read into memory: fields as text, files as (name, bytes)."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.files: list[tuple[str, str, bytes]] = []


async def read_form(request: Request) -> _Form:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise HTTPException(415, "send the form as multipart/form-data")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise HTTPException(413, f"a report holds at most {MAX_REPORT_BYTES:,} bytes")
    form = _Form()
    part: dict[str, Any] = {}
    header: dict[str, bytes] = {}

    def on_part_begin() -> None:
        part.clear()
        part["data"] = bytearray()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header["field"] = header.get("field", b"") + data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header["value"] = header.get("value", b"") + data[start:end]

    def on_header_end() -> None:
        if header.get("field", b"").lower() == b"content-disposition":
            _, disposition = parse_options_header(header.get("value", b""))
            part["name"] = disposition.get(b"name", b"").decode("utf-8", "replace")
            if b"filename" in disposition:
                part["filename"] = disposition[b"filename"].decode("utf-8", "replace")
        header.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part["data"] += data[start:end]

    def on_part_end() -> None:
        name, data = part.get("name", ""), bytes(part["data"])
        if "filename" in part:
            if part["filename"]:
                form.files.append((name, part["filename"], data))
        else:
            form.fields[name] = data.decode("utf-8", "replace")

    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
        max_size=MAX_FORM_BYTES,
    )
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_FORM_BYTES:
            raise HTTPException(413, f"a report holds at most {MAX_REPORT_BYTES:,} bytes")
        parser.write(chunk)
    parser.finalize()
    return form


def _statements(text: str) -> list[int]:
    if len(text) > _MAX_STATEMENTS_FIELD:
        raise ReportRefusedError("list at most a few log indexes, separated by commas or spaces")
    indexes = text.replace(",", " ").split()
    if not all(item.isdigit() and len(item) < 19 for item in indexes):
        raise ReportRefusedError("the statements are log indexes: whole numbers, separated by commas or spaces")
    return [int(item) for item in indexes]


class SealedReportIn(BaseModel):
    """A report sealed on the reporter's machine (``candor report submit``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[0-9a-f]{32}$")
    kind: str = Field(pattern=r"^(whistleblower|incident)$")
    ciphertext: str = Field(max_length=MAX_SEALED_REQUEST_BYTES)
    wrapped_keys: dict[str, str] = Field(max_length=20)
    nonce: str = Field(max_length=40)
    statements: list[Annotated[int, Field(ge=0, lt=1 << 63)]] = Field(default_factory=list, max_length=20)
    discovered_at: datetime | None = None
    obligations: list[Annotated[str, Field(max_length=120)]] = Field(default_factory=list, max_length=10)


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    receipt: str = Field(max_length=10_000)


def build_router() -> APIRouter:
    router = APIRouter()
    limits: dict[str, _RateLimit] = {}

    def _limited(request: Request) -> None:
        # One counter per app, sized by its settings; made on first use because the router is built before them.
        limit = limits.setdefault("posts", _RateLimit(request.app.state.settings.report_posts_per_day))
        if not limit.allow(request.client.host if request.client else ""):
            raise HTTPException(429, "too many reports from here today; try again tomorrow")

    @router.get("/report", response_class=HTMLResponse, include_in_schema=False)
    def report_form(request: Request, templates: Templates) -> HTMLResponse:
        channel = channel_of(request)
        context = {"fingerprints": channel.reviewer_fingerprints(), "max_attachments": MAX_ATTACHMENTS}
        response: HTMLResponse = templates.TemplateResponse(request, "report.html", context)
        return response

    @router.post("/report", response_class=HTMLResponse, include_in_schema=False)
    async def submit_form(request: Request, templates: Templates) -> HTMLResponse:
        channel = channel_of(request)
        _limited(request)
        form = await read_form(request)
        if form.fields.get(HONEYPOT):
            # A bot filled the field people cannot see: answer as if accepted, keep nothing.
            return templates.TemplateResponse(request, "report_receipt.html", {"receipt": None})
        try:
            contents = ReportContents(
                form.fields.get("body", ""),
                tuple(Attachment(filename, data) for _, filename, data in form.files),
            )
            statements = _statements(form.fields.get("statements", ""))
            if not contents.body.strip():
                raise ReportRefusedError("write what you want to report")
            receipt = await run_in_threadpool(channel.submit, contents, "whistleblower", statements=statements)
        except ReportRefusedError as error:
            return templates.TemplateResponse(
                request, "report.html", {"error": error.message, "fingerprints": channel.reviewer_fingerprints(),
                                         "max_attachments": MAX_ATTACHMENTS}, status_code=422)  # fmt: skip
        return templates.TemplateResponse(request, "report_receipt.html", {"receipt": receipt}, status_code=201)

    @router.get("/report/status", response_class=HTMLResponse, include_in_schema=False)
    def status_form(request: Request, templates: Templates) -> HTMLResponse:
        channel_of(request)
        response: HTMLResponse = templates.TemplateResponse(request, "report_status.html", {"asked": False})
        return response

    @router.post("/report/status", response_class=HTMLResponse, include_in_schema=False)
    async def status(request: Request, templates: Templates) -> HTMLResponse:
        channel = channel_of(request)
        form = await read_form(request)
        view = await run_in_threadpool(channel.status, form.fields.get("receipt", "")[:10_000])
        context = {"asked": True, "view": view}
        return templates.TemplateResponse(request, "report_status.html", context, status_code=200 if view else 404)

    # A registry without the channel configured answers 503 on each of its API routes: declared, so clients and
    # the OpenAPI conformance test know it.
    not_configured = unavailable("The confidential channel is not configured on this registry")

    @router.get(
        "/api/v1/reports/reviewers",
        tags=["reports"],
        summary="The keys reports are sealed to",
        responses=not_configured,
    )
    def reviewers(request: Request) -> dict[str, list[dict[str, str]]]:
        channel = channel_of(request)
        from cryptography.hazmat.primitives import serialization

        return {
            "reviewers": [
                {
                    "fingerprint": fingerprint,
                    "public_key": base64.b64encode(
                        key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                    ).decode("ascii"),
                }
                for fingerprint, key in zip(channel.reviewer_fingerprints(), channel.reviewers, strict=True)
            ]
        }

    @router.post(
        "/api/v1/reports",
        tags=["reports"],
        status_code=201,
        summary="Submit a report sealed on your machine",
        responses=not_configured,
    )
    async def submit_sealed(request: Request, body: SealedReportIn) -> dict[str, str]:
        channel = channel_of(request)
        _limited(request)
        try:
            ciphertext = base64.b64decode(body.ciphertext, validate=True)
            wrapped = {name: base64.b64decode(value, validate=True) for name, value in body.wrapped_keys.items()}
        except ValueError:
            raise HTTPException(422, "ciphertext and wrapped keys are base64") from None
        try:
            receipt = await run_in_threadpool(
                channel.submit_sealed, body.id, body.kind, ciphertext, wrapped, body.nonce,
                statements=body.statements, discovered_at=body.discovered_at, obligations=body.obligations,
            )  # fmt: skip
        except ReportRefusedError as error:
            raise HTTPException(422, error.message) from None
        return {"receipt": receipt}

    @router.post(
        "/api/v1/reports/status",
        tags=["reports"],
        summary="What a receipt shows: state and replies",
        responses=not_configured,
    )
    async def api_status(request: Request, body: ReceiptIn) -> JSONResponse:
        view = await run_in_threadpool(channel_of(request).status, body.receipt)
        if view is None:
            raise HTTPException(404, "no report matches that receipt")
        return JSONResponse(
            {
                "kind": view.kind,
                "state": view.state,
                "received_on": view.received_on.isoformat(),
                "replies": [{"on": day.isoformat(), "text": text} for day, text in view.replies],
            }
        )

    return router
