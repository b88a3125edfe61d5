"""The Changes page (every version across all developers on one timeline) and its Atom feed of weakenings."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from candor.services.version_diffs import CHANGE_KINDS, DIRECTION_FILTERS, ChangeFilters
from candor.web.api.changes import DeveloperFilter, Diffs, DirectionQuery, KindQuery, filters_of
from candor.web.deps import PageNumber, Templates
from candor.web.site.feeds import ATOM, FEED_PAGE_SIZE, rfc3339

#: Versions on one page of the timeline.
TIMELINE_PAGE_SIZE = 50
WEAKENINGS_FEED = "/changes/weakenings.atom"


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/changes", response_class=HTMLResponse)
    def changes(
        request: Request,
        diffs: Diffs,
        templates: Templates,
        developer: DeveloperFilter = None,
        direction: DirectionQuery = None,
        kind: KindQuery = None,
        page: PageNumber = 1,
    ) -> HTMLResponse:
        filters = filters_of(developer, direction, kind)
        timeline = diffs.timeline(filters, number=page, size=TIMELINE_PAGE_SIZE)
        context = {
            "timeline": timeline,
            "filters": filters,
            "developers": diffs.developers(),
            "directions": DIRECTION_FILTERS,
            "kinds": CHANGE_KINDS,
            "feed": WEAKENINGS_FEED,
        }
        response: HTMLResponse = templates.TemplateResponse(request, "changes.html", context)
        return response

    @router.get(WEAKENINGS_FEED)
    def weakenings_feed(request: Request, diffs: Diffs, templates: Templates, page: PageNumber = 1) -> Response:
        versions = diffs.timeline(ChangeFilters(direction="weakening"), number=page, size=FEED_PAGE_SIZE)
        base = str(request.base_url).rstrip("/")
        updated = versions.items[0].published_at if versions.items else datetime(1970, 1, 1, tzinfo=UTC)
        context = {
            "base": base,
            "feed_url": base + WEAKENINGS_FEED,
            "versions": versions,
            "updated": rfc3339(updated),
            "rfc3339": rfc3339,
        }
        return templates.TemplateResponse(request, "weakenings.xml", context, media_type=ATOM)

    return router
