"""Full-text search for the readers' site and the API: runs the store's search and makes its snippets safe to show.

A snippet is document text, written by a developer: it is HTML-escaped first, and only then are the store's match
markers turned into ``<mark>`` elements, so nothing in a document can become markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from markupsafe import Markup, escape
from sqlalchemy.orm import Session, sessionmaker

from candor.store.search import MARK_END, MARK_START, SearchFilters, SearchHit, SearchQueryError, search

__all__ = ["RegistrySearch", "SearchQueryError", "SearchResult"]


@dataclass(frozen=True)
class SearchResult:
    """One matching document version, with its snippet as plain text and as safe highlighted HTML."""

    hit: SearchHit
    snippet_text: str
    snippet_html: Markup


def highlighted(snippet: str) -> Markup:
    """``snippet`` HTML-escaped, then with each marked match wrapped in ``<mark>``."""
    escaped = str(escape(snippet))
    # The markers are private-use characters the index never holds in text, and escaping leaves them as they are.
    return Markup(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))  # noqa: S704 - escaped above


def plain(snippet: str) -> str:
    """``snippet`` without its match markers."""
    return snippet.replace(MARK_START, "").replace(MARK_END, "")


class RegistrySearch:
    """Searches the registry's published documents."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def search(
        self,
        query: str,
        *,
        developer: str | None = None,
        kind: str | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
        current: bool | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> list[SearchResult]:
        """Document versions matching every word of ``query``; dates are whole UTC days, ``issued_to`` included."""
        if issued_from is not None and issued_to is not None and issued_to < issued_from:
            raise SearchQueryError(f"the date range ends ({issued_to}) before it starts ({issued_from})")
        filters = SearchFilters(
            developer=developer,
            kind=kind,
            issued_from=_start_of(issued_from),
            issued_before=_start_of(issued_to + timedelta(days=1)) if issued_to and issued_to < date.max else None,
            current=current,
        )
        with self._sessions() as session:
            hits = search(session, query, filters, limit=limit, offset=offset)
        return [SearchResult(hit, plain(hit.snippet), highlighted(hit.snippet)) for hit in hits]


def _start_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)
