"""The website's pages of the watcher: a watched URL's observations, and one observed version with its diff.

Observed versions are what the registry saw on a developer's own site; every page says the developer did not sign
them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse

from candor.services.observed import ObservedSites
from candor.web.deps import Templates

Slug = Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]
Id = Annotated[int, Path(ge=0, le=(1 << 63) - 1)]


def observed_sites(request: Request) -> ObservedSites:
    sites: ObservedSites = request.app.state.observed
    return sites


Observed = Annotated[ObservedSites, Depends(observed_sites)]


def build_router() -> APIRouter:
    router = APIRouter(default_response_class=HTMLResponse)

    @router.get("/developers/{slug}/watched/{watch_id}")
    def watched(slug: Slug, watch_id: Id, request: Request, observed: Observed, templates: Templates) -> HTMLResponse:
        view = observed.watched_url(slug, watch_id)
        response: HTMLResponse = templates.TemplateResponse(request, "watched.html", {"view": view})
        return response

    @router.get("/developers/{slug}/observations/{log_index}")
    def observed_version(
        slug: Slug, log_index: Id, request: Request, observed: Observed, templates: Templates
    ) -> HTMLResponse:
        view = observed.observed_version(slug, log_index)
        response: HTMLResponse = templates.TemplateResponse(request, "observed.html", {"view": view})
        return response

    return router
