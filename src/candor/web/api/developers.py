"""``/api/v1/developers``: who is registered."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from candor.domain.obligations import ObligationsCalendar, as_of_day
from candor.errors import NotFoundError
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

    @router.get(
        "/{slug}/obligations",
        summary="The developer's obligations calendar: each duty of each covering regime, its due date and state",
        description=(
            "Worked out from the developer's facts on file and its published statements, at the moment asked "
            "(now, or noon UTC of `as_of`). Each entry names its trigger, recurrence, due date (a day, ending at "
            "midnight in the law's time zone, or an instant for hour clocks) and state: `met` (naming the "
            "statement that meets it), `due`, `overdue`, `unknown` (naming the missing fact) or `ongoing` (no "
            "date). The same calendar is served as iCalendar at `/developers/{slug}/obligations.ics`. 404 when "
            "the developer is unknown or has no readable facts on file."
        ),
    )
    def get_obligations(
        slug: Slug,
        registry: Queries,
        as_of: Annotated[
            date | None, Query(description="The day to work the states out on (YYYY-MM-DD); default: now.")
        ] = None,
    ) -> ObligationsCalendar:
        view = registry.obligations(slug, None if as_of is None else as_of_day(as_of))
        if view.calendar is None:
            raise NoObligationsError(f"{slug}: {view.problem}")
        return view.calendar

    return router


class NoObligationsError(NotFoundError):
    """A developer with no facts on file (or unreadable ones), so no calendar can be worked out."""
