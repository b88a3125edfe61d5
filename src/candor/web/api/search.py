"""``/api/v1/search``: full-text search over published documents, and the query parameters the page shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from candor.domain.statement import StatementKind
from candor.errors import CandorError
from candor.services.search import RegistrySearch, SearchQueryError, SearchResult
from candor.web.deps import PageNumber
from candor.web.errors import ERROR_RESPONSES, bad_request

DAY_PATTERN = r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2})?$"
#: Results per page, on the site and in the API.
RESULTS_PER_PAGE = 20


async def registry_search(request: Request) -> RegistrySearch:
    found: RegistrySearch = request.app.state.search
    return found


@dataclass(frozen=True)
class SearchParams:
    """A search as asked in a URL; malformed dates, slugs and kinds are refused with a 422 before searching."""

    q: str
    developer: str | None
    kind: StatementKind | None
    issued_from: date | None
    issued_to: date | None
    current: bool | None
    page: int

    @property
    def asked(self) -> bool:
        """Whether any words were asked for: the page shows only the form until they are."""
        return bool(self.q.strip())

    def run(self, searcher: RegistrySearch) -> list[SearchResult]:
        return searcher.search(
            self.q,
            developer=self.developer,
            kind=None if self.kind is None else self.kind.value,
            issued_from=self.issued_from,
            issued_to=self.issued_to,
            current=self.current,
            limit=RESULTS_PER_PAGE,
            offset=(self.page - 1) * RESULTS_PER_PAGE,
        )


_KINDS = "|".join(kind.value for kind in StatementKind)


def search_params(
    # Optional, so that /search with no words shows the empty form; the API answers a search with no word 400.
    q: Annotated[str, Query(description="Words to find, all of them; operators and punctuation are ignored.")] = "",
    # The page's form sends every field, the empty ones as "": an empty filter means "any", so each filter is
    # taken as text that may be empty, and read here.
    developer: Annotated[
        str | None,
        Query(pattern=r"^(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)?$", description="Developer slug; empty: any."),
    ] = None,
    kind: Annotated[str | None, Query(pattern=f"^(?:{_KINDS})?$", description="Statement kind; empty: any.")] = None,
    issued_from: Annotated[
        str | None, Query(pattern=DAY_PATTERN, description="Issued on or after this day (YYYY-MM-DD, UTC); empty: any.")
    ] = None,
    issued_to: Annotated[
        str | None,
        Query(pattern=DAY_PATTERN, description="Issued on or before this day (YYYY-MM-DD, UTC); empty: any."),
    ] = None,
    current: Annotated[
        str | None,
        Query(
            pattern="^(?:true|false)?$",
            description="true: only versions not superseded; false: only superseded ones; empty: both.",
        ),
    ] = None,
    page: PageNumber = 1,
) -> SearchParams:
    return SearchParams(
        q,
        developer or None,
        StatementKind(kind) if kind else None,
        query_day("issued_from", issued_from),
        query_day("issued_to", issued_to),
        None if not current else current == "true",
        page,
    )


def query_day(name: str, value: str | None, error: type[CandorError] = SearchQueryError) -> date | None:
    """A day given in a query (already matching :data:`DAY_PATTERN`), or None when empty; ``error`` (a 400) for a
    day the calendar does not have."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise error(f"{name}: {value!r} is not a day of the calendar (YYYY-MM-DD)") from None


Searcher = Annotated[RegistrySearch, Depends(registry_search)]
Params = Annotated[SearchParams, Depends(search_params)]


class SearchHitOut(BaseModel):
    """One matching document version."""

    log_index: int = Field(description="The statement's log index; its page is /statements/{log_index}.")
    url: str = Field(description="Path of the exact document version's page.")
    developer: str
    developer_name: str
    kind: str
    series: str | None
    version: str
    issued_at: datetime
    superseded: bool = Field(description="A later version supersedes this one.")
    snippet: str = Field(description="Text around the matches, as plain text.")
    snippet_html: str = Field(description="The snippet HTML-escaped, with each match in <mark>.")

    @classmethod
    def of(cls, result: SearchResult) -> SearchHitOut:
        hit = result.hit
        return cls(
            log_index=hit.log_index,
            url=f"/statements/{hit.log_index}",
            developer=hit.developer_slug,
            developer_name=hit.developer_name,
            kind=hit.kind,
            series=hit.series or None,
            version=hit.version,
            issued_at=hit.issued_at,
            superseded=hit.superseded,
            snippet=result.snippet_text,
            snippet_html=str(result.snippet_html),
        )


class SearchOut(BaseModel):
    """One page of search results."""

    query: str
    page: int
    per_page: int
    results: list[SearchHitOut]


def build_router() -> APIRouter:
    bad_query = bad_request("A query with no word, or too long")
    router = APIRouter(prefix="/search", tags=["search"], responses={**ERROR_RESPONSES, **bad_query})

    @router.get(
        "",
        summary="Full-text search over published documents and developer names",
        description=(
            "Finds document versions holding every word of `q` (in their public text or front matter, or in their "
            "developer's name), best match first. Only public text is searched: redacted passages are not indexed. "
            "400 for a query with no word or over the length limit; 422 for malformed filters."
        ),
    )
    def search(params: Params, searcher: Searcher) -> SearchOut:
        results = params.run(searcher)
        return SearchOut(
            query=params.q,
            page=params.page,
            per_page=RESULTS_PER_PAGE,
            results=[SearchHitOut.of(result) for result in results],
        )

    return router
