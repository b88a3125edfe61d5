"""How a list of statements is narrowed and ordered: by the day it was issued, and newest or oldest first.

The website's ``/statements`` and the API's ``/api/v1/statements`` take the same filters, so both are read into
one :class:`StatementListing`, which :class:`candor.store.statement_reader.StatementReader` turns into SQL. Days
are whole UTC days, the last one included, as in search.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from candor.errors import CandorError


class ListingError(CandorError):
    """A listing that cannot hold anything sensible: a date range that ends before it starts."""

    http_status = 400
    error_code = "bad_listing"


class ListingOrder(StrEnum):
    """The orders a list of statements can take. Publication order is the log's order."""

    NEWEST = "newest"
    OLDEST = "oldest"
    ISSUED_NEWEST = "issued-newest"
    ISSUED_OLDEST = "issued-oldest"

    @property
    def label(self) -> str:
        return _ORDER_TITLES[self]


_ORDER_TITLES = {
    ListingOrder.NEWEST: "newest published first",
    ListingOrder.OLDEST: "oldest published first",
    ListingOrder.ISSUED_NEWEST: "latest issue date first",
    ListingOrder.ISSUED_OLDEST: "earliest issue date first",
}


@dataclass(frozen=True)
class StatementListing:
    """A date range of issue (``from_day`` to ``to_day``, both included; None is open) and an order."""

    from_day: date | None = None
    to_day: date | None = None
    order: ListingOrder = ListingOrder.NEWEST

    def __post_init__(self) -> None:
        if self.from_day is not None and self.to_day is not None and self.to_day < self.from_day:
            raise ListingError(f"the date range ends ({self.to_day}) before it starts ({self.from_day})")

    @property
    def issued_from(self) -> datetime | None:
        """The first instant included."""
        return None if self.from_day is None else datetime.combine(self.from_day, time.min, tzinfo=UTC)

    @property
    def issued_before(self) -> datetime | None:
        """The first instant after the range (None when open, or when the last day is the last there is)."""
        if self.to_day is None or self.to_day >= date.max:
            return None
        return datetime.combine(self.to_day + timedelta(days=1), time.min, tzinfo=UTC)
