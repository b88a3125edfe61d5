"""The filters and orders of a list of statements, as the API's ``/api/v1/statements`` and the site's
``/statements`` both take them from the query string.

The page's form sends every field, the empty ones as "": an empty filter means "any", so each is read as text that
may be empty, as search does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from candor.domain.statement import StatementKind
from candor.store.statement_listing import ListingError, ListingOrder, StatementListing
from candor.web.api.search import DAY_PATTERN, query_day

_KINDS = "|".join(kind.value for kind in StatementKind)
_ORDERS = "|".join(order.value for order in ListingOrder)


@dataclass(frozen=True)
class StatementFilters:
    """Whose statements, of which kind, issued when, in which order."""

    developer: str | None
    kind: str | None
    listing: StatementListing

    @property
    def narrowed(self) -> bool:
        """Whether anything is filtered out (the page says so, and offers to clear it)."""
        listing = self.listing
        return bool(self.developer or self.kind or listing.from_day or listing.to_day)

    def query(self, **changes: object) -> dict[str, str]:
        """These filters as query parameters (empty ones left out), with ``changes`` applied: for links."""
        params = {
            "developer": self.developer or "",
            "kind": self.kind or "",
            "issued_from": "" if self.listing.from_day is None else self.listing.from_day.isoformat(),
            "issued_to": "" if self.listing.to_day is None else self.listing.to_day.isoformat(),
            "sort": "" if self.listing.order is ListingOrder.NEWEST else self.listing.order.value,
        }
        params.update({name: str(value) for name, value in changes.items()})
        return {name: value for name, value in params.items() if value}


def statement_filters(
    developer: Annotated[
        str | None,
        Query(pattern=r"^(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)?$", description="Only this developer's; empty: any."),
    ] = None,
    kind: Annotated[str | None, Query(pattern=f"^(?:{_KINDS})?$", description="Only this kind; empty: any.")] = None,
    issued_from: Annotated[
        str | None, Query(pattern=DAY_PATTERN, description="Issued on or after this day (YYYY-MM-DD, UTC); empty: any.")
    ] = None,
    issued_to: Annotated[
        str | None,
        Query(pattern=DAY_PATTERN, description="Issued on or before this day (YYYY-MM-DD, UTC); empty: any."),
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            pattern=f"^(?:{_ORDERS})?$",
            description="newest (default) or oldest published first, or issued-newest / issued-oldest by issue date.",
        ),
    ] = None,
) -> StatementFilters:
    return StatementFilters(
        developer or None,
        kind or None,
        StatementListing(
            query_day("issued_from", issued_from, ListingError),
            query_day("issued_to", issued_to, ListingError),
            ListingOrder(sort) if sort else ListingOrder.NEWEST,
        ),
    )


Filters = Annotated[StatementFilters, Depends(statement_filters)]
