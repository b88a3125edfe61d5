"""Atom feeds (RFC 4287) of published statements, one for the whole registry and one per developer; and each
developer's obligations as an iCalendar feed (RFC 5545)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from candor.domain.obligations_ical import calendar_ics
from candor.services.observed import ObservationView, ObservedSites
from candor.services.views import Page, StatementSummary
from candor.web.deps import PageNumber, Queries, Templates

ATOM = "application/atom+xml; charset=utf-8"
ICALENDAR = "text/calendar; charset=utf-8"
#: Entries per feed page; older entries are on later pages, linked with rel="next" (RFC 5005).
FEED_PAGE_SIZE = 50

Slug = Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_router() -> APIRouter:
    router = APIRouter()

    def feed(
        request: Request,
        templates: Templates,
        statements: Page[StatementSummary],
        title: str,
        path: str,
        observations: list[ObservationView] | None = None,
    ) -> Response:
        base = str(request.base_url).rstrip("/")
        moments = [item.published_at for item in statements.items[:1]]
        moments += [item.observed_at for item in (observations or [])[:1]]
        updated = max(moments) if moments else datetime(1970, 1, 1, tzinfo=UTC)
        context = {
            "base": base,
            "feed_url": base + path,
            "title": title,
            "statements": statements,
            "observations": observations or [],
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
        # What the watcher found on the developer's own site (silent edits, withdrawals...), on the first page.
        observed: ObservedSites = request.app.state.observed
        alerts = observed.observations(slug, limit=FEED_PAGE_SIZE, alerts_only=True) if page == 1 else []
        return feed(request, templates, statements, title, f"/developers/{slug}/feed.atom", alerts)

    @router.get("/developers/{slug}/obligations.ics")
    def developer_obligations(slug: Slug, request: Request, registry: Queries) -> Response:
        """The developer's obligations as an iCalendar feed (RFC 5545), for calendar clients to subscribe to."""
        view = registry.obligations(slug)
        if view.calendar is None:
            raise HTTPException(404, f"no obligations calendar for {slug}: {view.problem}")
        page = str(request.base_url).rstrip("/") + f"/developers/{slug}#obligations-heading"
        body = calendar_ics(view.calendar, stamp=view.calendar.as_of.astimezone(UTC).replace(microsecond=0), url=page)
        return Response(body, media_type=ICALENDAR)

    return router
