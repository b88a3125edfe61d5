"""``/api/v1/developers``: who is registered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from candor.web.api.models import DeveloperDetailOut, DeveloperOut, PageOut, page_out
from candor.web.deps import PageNumber, PageSize, Queries
from candor.web.errors import ERROR_RESPONSES

Slug = Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$", description="Developer slug.")]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/developers", tags=["developers"], responses=ERROR_RESPONSES)

    @router.get("", summary="Registered developers, by slug")
    def list_developers(registry: Queries, page: PageNumber = 1, per_page: PageSize = 50) -> PageOut[DeveloperOut]:
        found = registry.developers(number=page, size=per_page)
        return page_out(found, [DeveloperOut.of(item) for item in found.items])

    @router.get("/{slug}", summary="One developer, with its current framework, system cards and certifications")
    def get_developer(slug: Slug, registry: Queries) -> DeveloperDetailOut:
        return DeveloperDetailOut.of_view(registry.developer(slug, size=1))

    return router
