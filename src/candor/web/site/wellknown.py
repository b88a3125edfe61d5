"""The files browsers and crawlers ask every site for: ``/favicon.ico`` and ``/robots.txt``.

Without them each page view logged a 404 for the icon, and crawlers had no word on what to leave alone.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

#: The site's icon: a 32 x 32 ICO holding one PNG, in the site's colours.
FAVICON = Path(__file__).parent.parent / "static" / "favicon.ico"

#: Every page is public and meant to be found. Search results are an endless space of queries, and the log's tiles
#: are binary: crawlers are asked to leave both alone.
ROBOTS = """\
# Candor registry: every statement, page and feed here is public.
User-agent: *
Disallow: /search
Disallow: /log/tile/
"""

#: Both change only with a new release of the site.
_CACHE = "public, max-age=86400"


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    icon = FAVICON.read_bytes()

    @router.get("/favicon.ico")
    def favicon() -> Response:
        return Response(icon, media_type="image/vnd.microsoft.icon", headers={"Cache-Control": _CACHE})

    @router.get("/robots.txt")
    def robots() -> Response:
        return Response(ROBOTS, media_type="text/plain; charset=utf-8", headers={"Cache-Control": _CACHE})

    return router
