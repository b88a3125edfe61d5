"""One JSON error shape for the API and the served log, and HTML error pages for the website.

Every API error looks like ``{"error": {"code": "not_found", "message": "...", "detail": null}}``, whatever raised
it: a :class:`~candor.errors.CandorError`, a failed request validation, an unknown path, a wrong method or a body
over the size limit. A ``CandorError`` subclass chooses its HTTP status with an ``http_status`` class attribute
(and may name its code with ``error_code``); otherwise a missing thing gets 404, a clash 409, a document or
statement that does not parse 422, and the rest 400.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from candor.domain.statement import StatementError
from candor.errors import CandorError, ConflictError, DocumentError, NotFoundError, SourceError

logger = logging.getLogger(__name__)

#: Paths that machines read; everything else is the website, whose errors are HTML pages.
_MACHINE_PREFIXES = ("/api/", "/log/")

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    422: "invalid_request",
    500: "internal_error",
}


class ErrorBody(BaseModel):
    """What went wrong: a stable machine code, a one-line human message, and optional structured detail."""

    code: str = Field(description="Stable, snake_case error code, e.g. not_found or invalid_request.")
    message: str = Field(description="One line that tells a person what went wrong.")
    detail: Any = Field(default=None, description="Structured detail, e.g. the list of validation failures.")


class ErrorEnvelope(BaseModel):
    """The one JSON error shape of the API."""

    error: ErrorBody


#: For ``responses=`` in API route declarations, so that the OpenAPI document shows the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": HTTPStatus(status).phrase} for status in (404, 413, 422)
}


def error_response(
    status: int, code: str, message: str, detail: Any = None, *, headers: Sequence[tuple[str, str]] = ()
) -> JSONResponse:
    """A JSON response in the one error shape."""
    body = ErrorEnvelope(error=ErrorBody(code=code, message=message, detail=detail))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=dict(headers) or None)


def status_of(error: CandorError) -> int:
    """The HTTP status for a Candor error: its own ``http_status``, else by its kind, else 400."""
    declared = getattr(error, "http_status", None)
    if isinstance(declared, int):
        return declared
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, DocumentError | SourceError | StatementError):
        return 422
    return 400


def code_of(error: CandorError) -> str:
    """The machine code for a Candor error: its own ``error_code``, else its class name in snake_case."""
    declared = getattr(error, "error_code", None)
    if isinstance(declared, str):
        return declared
    name = type(error).__name__.removesuffix("Error") or "candor"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def wants_json(request: Request) -> bool:
    """Whether the request came to the API or the served log, rather than to a page of the website."""
    return request.url.path.startswith(_MACHINE_PREFIXES)


def install_error_handlers(app: FastAPI, *, headers_on_crash: Sequence[tuple[str, str]] = ()) -> None:
    """Register the handlers that give every error its JSON shape or its HTML page.

    ``headers_on_crash`` are added to the 500 response, which Starlette sends from outside all other middleware.
    """

    def respond(request: Request, status: int, code: str, message: str, detail: Any = None) -> Response:
        # A body over the limit is refused in the one JSON shape wherever it was sent.
        if wants_json(request) or status == 413:
            return error_response(status, code, message, detail)
        return error_page(request, status, message)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        code = _CODES_BY_STATUS.get(exc.status_code, f"http_{exc.status_code}")
        response = respond(request, exc.status_code, code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {"loc": [str(part) for part in error["loc"]], "msg": error["msg"], "type": error["type"]}
            for error in exc.errors()
        ]
        # A page whose address names nothing that can exist (/statements/abc) is a page that does not exist.
        if problems and not wants_json(request) and all(problem["loc"][:1] == ["path"] for problem in problems):
            return respond(request, 404, "not_found", f"there is no page at {request.url.path}")
        first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"]) or "request"
        return respond(request, 422, "invalid_request", f"{where}: {first['msg']}", problems)

    async def on_candor_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CandorError)
        return respond(request, status_of(exc), code_of(exc), exc.diagnostics())

    async def on_crash(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        response = respond(request, 500, "internal_error", "the registry failed to answer this request")
        response.headers.update(dict(headers_on_crash))
        return response

    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(CandorError, on_candor_error)
    app.add_exception_handler(Exception, on_crash)


def error_page(request: Request, status: int, message: str) -> Response:
    """The website's HTML page for an error."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "title": title, "message": message}, status_code=status
    )


def unavailable(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of a route's 503 answer (a part of the registry this one does not run), in the one shape."""
    return {503: {"model": ErrorEnvelope, "description": description}}


def bad_request(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of a route's 400 answer, in the one error shape."""
    return {400: {"model": ErrorEnvelope, "description": description}}
