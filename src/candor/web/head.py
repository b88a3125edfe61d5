"""HEAD wherever GET is served: pages, feeds, the API, the log's checkpoint and tiles.

FastAPI routes answer only the methods they declare, so a HEAD (what link checkers, caches and ``curl -I`` send)
would get 405 everywhere. Rather than declare HEAD route by route, this middleware answers a HEAD as the GET of
the same URL, with the same status and headers (Content-Length included) and no body. The OpenAPI document keeps
one operation per GET.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    """Send a HEAD request to the app as a GET, and drop the body of its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
