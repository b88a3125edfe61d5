"""``/api/v1/changes``: every published version and what it changed, the data of the Changes page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from candor.errors import NotFoundError
from candor.services.version_diffs import (
    CHANGE_KINDS,
    DIRECTION_FILTERS,
    ChangeFilters,
    ChangeView,
    VersionDiffs,
    VersionDiffView,
)
from candor.web.api.models import PageOut, page_out
from candor.web.deps import PageNumber, PageSize
from candor.web.errors import ERROR_RESPONSES


def version_diffs_of(request: Request) -> VersionDiffs:
    """The app's stored diffs."""
    found: VersionDiffs = request.app.state.version_diffs
    return found


async def version_diffs(request: Request) -> VersionDiffs:
    return version_diffs_of(request)


Diffs = Annotated[VersionDiffs, Depends(version_diffs)]
# Blank values mean "any": the Changes page's form submits its "any" options as empty strings.
DeveloperFilter = Annotated[str | None, Query(pattern=r"^[a-z0-9-]{0,64}$", description="Only this developer's.")]
DirectionQuery = Annotated[
    str | None,
    Query(
        pattern="^(?:" + "|".join(DIRECTION_FILTERS) + ")?$",
        description="weakening or strengthening: versions with a change of that direction (mixed ones included); "
        "mixed, neutral or first: versions whose overall direction is that.",
    ),
]
LogIndex = Annotated[int, Path(ge=0, le=(1 << 63) - 1, description="The version's log index.")]
KindQuery = Annotated[
    str | None,
    Query(pattern="^(?:" + "|".join(CHANGE_KINDS) + ")?$", description="Only versions with a change of this kind."),
]


def filters_of(developer: str | None, direction: str | None, kind: str | None) -> ChangeFilters:
    """The filters of a request; blank values (an empty select on the page) mean any."""
    return ChangeFilters(developer or None, direction or None, kind or None)


class ChangeOut(BaseModel):
    """One change, exactly as ``candor diff --format json`` prints it."""

    kind: str
    direction: str
    path: str
    before: Any
    after: Any
    explanation: str

    @classmethod
    def of(cls, view: ChangeView) -> ChangeOut:
        return cls(**view.to_json())


class PreviousOut(BaseModel):
    log_index: int
    version: str | None


class VersionChangesOut(BaseModel):
    """A published version and what it changed from the version of the same document before it."""

    log_index: int
    developer: str
    developer_name: str
    kind: str
    series: str | None
    version: str
    published_at: datetime
    withdrawn: bool
    previous: PreviousOut | None = Field(description="The version compared with; null for a first version.")
    direction: str = Field(description="weakening, strengthening, mixed, neutral, or first for a first version.")
    changes: list[ChangeOut] = Field(description="Weakenings first, then strengthenings, then neutral changes.")

    @classmethod
    def of(cls, view: VersionDiffView) -> VersionChangesOut:
        previous = None
        if view.previous_log_index is not None:
            previous = PreviousOut(log_index=view.previous_log_index, version=view.previous_version)
        return cls(
            log_index=view.log_index,
            developer=view.developer_slug,
            developer_name=view.developer_name,
            kind=view.kind,
            series=view.series or None,
            version=view.version,
            published_at=view.published_at,
            withdrawn=view.withdrawn,
            previous=previous,
            direction=view.direction,
            changes=[ChangeOut.of(change) for change in view.changes],
        )


def build_router() -> APIRouter:
    router = APIRouter(prefix="/changes", tags=["changes"], responses=ERROR_RESPONSES)

    @router.get("", summary="Every published version and what it changed, newest first")
    def list_changes(
        diffs: Diffs,
        developer: DeveloperFilter = None,
        direction: DirectionQuery = None,
        kind: KindQuery = None,
        page: PageNumber = 1,
        per_page: PageSize = 50,
    ) -> PageOut[VersionChangesOut]:
        found = diffs.timeline(filters_of(developer, direction, kind), number=page, size=per_page)
        return page_out(found, [VersionChangesOut.of(view) for view in found.items])

    @router.get("/{log_index}", summary="What the version at a log index changed from the version before it")
    def version_changes(log_index: LogIndex, diffs: Diffs) -> VersionChangesOut:
        found = diffs.of(log_index)
        if found is None:
            raise NotFoundError(f"the statement at log index {log_index} is not a version of a document")
        return VersionChangesOut.of(found)

    return router
