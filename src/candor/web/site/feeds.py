"""Atom feeds (RFC 4287) of published statements: one for the whole registry, one per developer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from candor.services.views import Page, StatementSummary
from candor.web.deps import PageNumber, Queries, Templates

ATOM = "application/atom+xml; charset=utf-8"
#: Entries per feed page; older entries are on later pages, linked with rel="next" (RFC 5005).
FEED_PAGE_SIZE = 50

Slug = Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_router() -> APIRouter:
    router = APIRouter()

    def feed(
        request: Request, templates: Templates, statements: Page[StatementSummary], title: str, path: str
    ) -> Response:
        base = str(request.base_url).rstrip("/")
        updated = statements.items[0].published_at if statements.items else datetime(1970, 1, 1, tzinfo=UTC)
        context = {
            "base": base,
            "feed_url": base + path,
            "title": title,
            "statements": statements,
            "updated": _rfc3339(updated),
            "rfc3339": _rfc3339,
        }
        response = templates.TemplateResponse(request, "feed.xml", context, media_type=ATOM)
        return response

    @router.get("/feed.atom")
    def registry_feed(request: Request, registry: Queries, templates: Templates, page: PageNumber = 1) -> Response:
        statements = registry.statements(number=page, size=FEED_PAGE_SIZE)
        return feed(request, templates, statements, "Candor registry: all statements", "/feed.atom")

    @router.get("/developers/{slug}/feed.atom")
    def developer_feed(
        slug: Slug, request: Request, registry: Queries, templates: Templates, page: PageNumber = 1
    ) -> Response:
        developer = registry.developer_summary(slug)
        statements = registry.statements(number=page, size=FEED_PAGE_SIZE, developer=slug)
        title = f"Candor registry: {developer.legal_name}"
        return feed(request, templates, statements, title, f"/developers/{slug}/feed.atom")

    return router
