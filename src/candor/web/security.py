"""Security headers on every response, and a limit on the size of every request body.

Both are plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``, so that responses stream through
untouched and the limit can be enforced while the body is still arriving.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from candor.web.errors import error_response

#: The site needs no script, no frame, no plugin and no third-party resource, so the policy allows none.
#: Inline styles are not allowed either: every style comes from the one stylesheet.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"),
    ("X-Frame-Options", "DENY"),
)


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response the wrapped app sends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def too_large(limit: int) -> HTTPException:
    """The 413 error for a body over ``limit`` bytes; the app's error handlers give it the one JSON shape."""
    return HTTPException(413, f"request body is over the limit of {limit:,} bytes")


class BodySizeLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413.

    A declared ``Content-Length`` over the limit is refused before the app runs. A body without one (chunked) or
    one that lies about its length is counted as it arrives, and reading past the limit raises the same 413
    inside the app, where the exception handlers render it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            if declared.isdigit():
                response = error_response(413, "request_too_large", too_large(self.max_bytes).detail)
            else:
                response = error_response(400, "bad_request", "Content-Length is not a number")
            await response(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)
