"""``/api/v1/developers/{slug}/observations``: what the registry's watcher saw on a developer's own site."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from candor.services.observed import ObservationView, ObservedSites
from candor.web.errors import ERROR_RESPONSES

Slug = Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$", description="Developer slug.")]


class ObservationOut(BaseModel):
    """One observation the watcher logged. Signed by the registry's log key, never by the developer."""

    log_index: int
    id: str = Field(description="SHA-256 (hex) of the observation's canonical bytes.")
    url: str
    observed_at: datetime
    finding: str = Field(
        description="archived, silent-edit, withdrawal, unannounced-revision, divergence, unreachable or refused."
    )
    reason: str | None
    status: int | None
    media_type: str | None
    content_sha256: str | None
    text_sha256: str | None
    statement: str | None = Field(description="The statement the bytes were compared with, if any.")
    previous: str | None = Field(description="The id of the URL's previous observation.")
    signed_by_developer: bool = Field(description="Always false: observations are the registry's word.")

    @classmethod
    def of(cls, view: ObservationView) -> ObservationOut:
        return cls(
            log_index=view.log_index,
            id=view.observation_sha256,
            url=view.url,
            observed_at=view.observed_at,
            finding=view.finding,
            reason=view.reason,
            status=view.status,
            media_type=view.media_type,
            content_sha256=view.content_sha256,
            text_sha256=view.text_sha256,
            statement=view.statement_sha256,
            previous=view.previous_sha256,
            signed_by_developer=False,
        )


def build_router() -> APIRouter:
    router = APIRouter(prefix="/developers", tags=["developers"], responses=ERROR_RESPONSES)

    @router.get(
        "/{slug}/observations",
        summary="What the registry's watcher saw on the developer's own site, newest first",
    )
    def list_observations(
        slug: Slug,
        request: Request,
        alerts: Annotated[bool, Query(description="Only findings (everything but `archived`).")] = False,
        limit: Annotated[int, Query(ge=1, le=1000, description="How many, newest first.")] = 100,
    ) -> list[ObservationOut]:
        observed: ObservedSites = request.app.state.observed
        return [ObservationOut.of(view) for view in observed.observations(slug, limit=limit, alerts_only=alerts)]

    return router
