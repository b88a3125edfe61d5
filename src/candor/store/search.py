"""Full-text search over published documents: one interface, SQLite FTS5 or PostgreSQL ``tsvector`` behind it.

The index holds, per published statement with a document, the developer's names and the document's stored text
(front matter and body). The stored text is the *public* version: redacted passages are only placeholders there,
and the sealed original is never given to the index, so redacted text cannot be found by searching.

The index is derived data: migration 0007 creates and backfills it, and :func:`index_statement` adds each new
publication in the publishing transaction. It is not one of the SQLAlchemy models (an FTS5 virtual table cannot
be), so ``candor db check`` leaves the tables named in :data:`INDEX_TABLES` out of its comparison.

User input never reaches the query language as syntax: :func:`search_terms` keeps only words, and each becomes a
quoted FTS5 string or a ``plainto_tsquery`` word, so ``NEAR(``, ``*``, ``-``, quotes and parentheses are inert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

from candor.errors import CandorError
from candor.store.columns import UTCDateTime
from candor.store.tables import Developer, Document, StatementRecord

#: The index's table and, on SQLite, the FTS5 shadow tables that hold its data.
INDEX_TABLE = "search_text"
INDEX_TABLES = frozenset(
    {INDEX_TABLE, *(f"{INDEX_TABLE}_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config"))}
)

#: Longest query accepted, in characters; longer is refused rather than cut (a cut query finds other things).
MAX_QUERY_CHARS = 500
#: Most words a query may hold (each becomes one term the index must intersect).
MAX_TERMS = 16
#: Most results one page returns.
MAX_RESULTS = 50

#: Markers put around matched words in snippets: private-use characters, removed from indexed text, so that
#: highlighting can be added after the snippet is HTML-escaped (see ``candor.services.search``).
MARK_START = "\ue000"
MARK_END = "\ue001"

_WORD = re.compile(r"\w+", re.UNICODE)


class SearchQueryError(CandorError):
    """A search query the registry cannot run: too long, or holding no word."""


@dataclass(frozen=True)
class SearchFilters:
    """What narrows a search besides its words; None means "any"."""

    developer: str | None = None
    kind: str | None = None
    issued_from: datetime | None = None
    issued_before: datetime | None = None
    #: True: only versions no later version supersedes; False: only superseded ones; None: both.
    current: bool | None = None


@dataclass(frozen=True)
class SearchHit:
    """One matching document version."""

    log_index: int
    developer_slug: str
    developer_name: str
    kind: str
    series: str
    version: str
    issued_at: datetime
    superseded: bool
    #: Text around the matches, with MARK_START/MARK_END around each match; not HTML-escaped.
    snippet: str


def search_terms(query: str) -> list[str]:
    """The words of a user's query, which alone are searched; :class:`SearchQueryError` if none or too many."""
    if len(query) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"search query is {len(query):,} characters, over the limit of {MAX_QUERY_CHARS}")
    terms = _WORD.findall(query.replace("\x00", " "))
    if not terms:
        raise SearchQueryError("search query has no words to look for")
    if len(terms) > MAX_TERMS:
        raise SearchQueryError(f"search query has {len(terms)} words, over the limit of {MAX_TERMS}")
    return terms


def indexable_text(content: bytes) -> str:
    """The text a stored document contributes to the index (its whole public text, front matter included)."""
    return content.decode("utf-8", errors="replace").replace(MARK_START, " ").replace(MARK_END, " ")


def create_index(connection: Connection) -> None:
    """Create the index's tables (migration 0007)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                f"CREATE TABLE {INDEX_TABLE} ("
                " statement_id INTEGER PRIMARY KEY REFERENCES statements(id),"
                " developer TEXT NOT NULL, body TEXT NOT NULL, terms TSVECTOR NOT NULL)"
            )
        )
        connection.execute(text(f"CREATE INDEX {INDEX_TABLE}_terms ON {INDEX_TABLE} USING GIN (terms)"))
    else:
        # rowid is the statement's id. Porter stemming matches PostgreSQL's 'english' configuration roughly.
        connection.execute(
            text(
                f"CREATE VIRTUAL TABLE {INDEX_TABLE} USING fts5(developer, body, "
                "tokenize = 'porter unicode61 remove_diacritics 2')"
            )
        )


def drop_index(connection: Connection) -> None:
    """Drop the index's tables (migration 0007 downgraded)."""
    connection.execute(text(f"DROP TABLE {INDEX_TABLE}"))


def index_statement(connection: Connection | Session, statement_id: int, developer: str, content: bytes) -> None:
    """Add one published document version to the index; ``developer`` holds the names to find it by."""
    body = indexable_text(content)
    params = {"id": statement_id, "developer": developer, "body": body}
    if _dialect(connection) == "postgresql":
        connection.execute(
            text(
                "INSERT INTO search_text (statement_id, developer, body, terms) VALUES (:id, :developer, :body,"
                " setweight(to_tsvector('english', :developer), 'A') || to_tsvector('english', :body))"
            ),
            params,
        )
    else:
        connection.execute(
            text("INSERT INTO search_text (rowid, developer, body) VALUES (:id, :developer, :body)"),
            params,
        )


def index_publication(session: Session, record: StatementRecord, developer: Developer, document: Document) -> None:
    """Index a statement being published with its document, in the publishing transaction."""
    session.flush()  # the record's id is the index's key
    index_statement(session, record.id, developer_names(developer.slug, developer.legal_name), document.content)


def backfill_index(connection: Connection) -> int:
    """Index every published document version not yet indexed; returns how many were added."""
    rows = connection.execute(
        text(
            "SELECT s.id, d.slug, d.legal_name, doc.content FROM statements s"
            " JOIN developers d ON d.id = s.developer_id JOIN documents doc ON doc.sha256 = s.document_sha256"
            " ORDER BY s.id"
        )
    ).all()
    for statement_id, slug, legal_name, content in rows:
        index_statement(connection, statement_id, developer_names(slug, legal_name), content)
    return len(rows)


def developer_names(slug: str, legal_name: str) -> str:
    """What a developer can be found by: its legal name and its slug."""
    return f"{legal_name} {slug}"


def search(
    session: Session, query: str, filters: SearchFilters, *, limit: int = 20, offset: int = 0
) -> list[SearchHit]:
    """The document versions matching every word of ``query``, best match first."""
    terms = search_terms(query)
    limit = max(1, min(limit, MAX_RESULTS))
    conditions, params = _filter_sql(filters)
    params.update({"limit": limit, "offset": max(0, offset)})
    if _dialect(session) == "postgresql":
        params["words"] = " ".join(terms)
        sql = (
            "WITH matched AS (SELECT i.statement_id, i.body, ts_rank(i.terms, q) AS rank, q"  # noqa: S608
            f" FROM {INDEX_TABLE} i, plainto_tsquery('english', :words) q WHERE i.terms @@ q)"
            f" SELECT {_COLUMNS}, ts_headline('english', m.body, m.q, :headline) AS snippet"
            " FROM matched m JOIN statements s ON s.id = m.statement_id JOIN developers d ON d.id = s.developer_id"
            f" WHERE {conditions} ORDER BY m.rank DESC, s.log_index DESC LIMIT :limit OFFSET :offset"
        )
        params["headline"] = (
            f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2,"
            ' FragmentDelimiter=" … "'
        )
    else:
        # Each word becomes a quoted FTS5 string (words hold no quote), so no user text is read as syntax.
        # ORDER BY the FTS5 rank column (bm25, the developer's names weighted 10x) lets FTS5 sort the matches
        # itself, so snippet() runs only for the rows returned, not for every match (1 s -> ms for common words).
        params["match"] = " ".join(f'"{term}"' for term in terms)
        sql = (
            f"SELECT {_COLUMNS}, snippet({INDEX_TABLE}, 1, '{MARK_START}', '{MARK_END}', ' … ', 24) AS snippet"  # noqa: S608
            f" FROM {INDEX_TABLE} JOIN statements s ON s.id = {INDEX_TABLE}.rowid"
            " JOIN developers d ON d.id = s.developer_id"
            f" WHERE {INDEX_TABLE} MATCH :match AND {INDEX_TABLE}.rank MATCH 'bm25(10.0, 1.0)' AND {conditions}"
            " ORDER BY rank LIMIT :limit OFFSET :offset"
        )
    statement = text(sql).bindparams(
        *(bindparam(name, type_=UTCDateTime()) for name in ("issued_from", "issued_before") if name in params)
    )
    # S608: the SQL is built from constants and fixed filter clauses; user input goes only into bound parameters.
    rows = session.execute(statement.columns(issued_at=UTCDateTime()), params).all()
    return [
        SearchHit(
            log_index=row.log_index,
            developer_slug=row.slug,
            developer_name=row.legal_name,
            kind=row.kind,
            series=row.series,
            version=row.version,
            issued_at=row.issued_at,
            superseded=bool(row.superseded),
            snippet=row.snippet or "",
        )
        for row in rows
    ]


# A statement names the version it supersedes within its series (same developer, kind and series).
_SUPERSEDED = (
    "EXISTS (SELECT 1 FROM statements later WHERE later.developer_id = s.developer_id AND later.kind = s.kind"
    " AND later.series = s.series AND later.supersedes = s.version)"
)
_COLUMNS = f"s.log_index, d.slug, d.legal_name, s.kind, s.series, s.version, s.issued_at, {_SUPERSEDED} AS superseded"


def _filter_sql(filters: SearchFilters) -> tuple[str, dict[str, object]]:
    conditions = ["1 = 1"]
    params: dict[str, object] = {}
    if filters.developer is not None:
        conditions.append("d.slug = :developer")
        params["developer"] = filters.developer
    if filters.kind is not None:
        conditions.append("s.kind = :kind")
        params["kind"] = filters.kind
    if filters.issued_from is not None:
        conditions.append("s.issued_at >= :issued_from")
        params["issued_from"] = filters.issued_from
    if filters.issued_before is not None:
        conditions.append("s.issued_at < :issued_before")
        params["issued_before"] = filters.issued_before
    if filters.current is True:
        conditions.append(f"NOT {_SUPERSEDED}")
    elif filters.current is False:
        conditions.append(_SUPERSEDED)
    return " AND ".join(conditions), params


def _dialect(connection: Connection | Session) -> str:
    return connection.get_bind().dialect.name if isinstance(connection, Session) else connection.dialect.name
