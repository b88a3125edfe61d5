"""What each published version changed, by ``candor diff``: worked out once per version and kept.

Every framework, system card and certification the registry publishes is compared with the version of the same
document (developer, kind, model) published before it, by :func:`candor.domain.diff.diff_documents`, the same
diff the CLI runs. The result is stored in ``version_diffs`` (see :class:`candor.store.tables.VersionDiff`), so
the document pages, the Changes page, its feed and the API read it instead of diffing on each request, and can
filter every version by direction and kind in the database.

Rows are filled lazily: each read first computes what is missing (versions published since, or rows computed by
an older :data:`DIFF_ALGORITHM`), which costs one cheap query when nothing is. Two servers filling the same row
compute the same thing from the same bytes; the second insert fails on the primary key and is dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.diff import KIND_DIRECTIONS, DiffResult, diff_documents
from candor.domain.parse import parse_bytes
from candor.domain.statement import KIND_TITLES, StatementKind
from candor.errors import CandorError
from candor.services.views import Page
from candor.store.database import SQLITE_BEGIN_IMMEDIATE
from candor.store.documents import Documents
from candor.store.version_diffs import DiffFilter, StoredDiffRow, VersionDiffRecords

logger = logging.getLogger(__name__)

#: The version of the diff whose results are stored. Raise it when ``candor.domain.diff`` changes what it reports,
#: so that rows computed before are computed again on the next read.
DIFF_ALGORITHM = "1"
#: The statement kinds that are versions of a document, and so have a version before them.
DIFFED_KINDS = (StatementKind.SECURE_DEVELOPMENT_FRAMEWORK, StatementKind.SYSTEM_CARD, StatementKind.CERTIFICATION)
#: The overall direction of a first version, which has nothing to be compared with.
FIRST = "first"
#: What the Changes page filters on. ``weakening`` and ``strengthening`` mean "has a change of that direction", so
#: a mixed version is found by both; ``mixed``, ``neutral`` and ``first`` match the overall direction exactly.
DirectionFilter = Literal["weakening", "strengthening", "mixed", "neutral", "first"]
DIRECTION_FILTERS: tuple[str, ...] = get_args(DirectionFilter)
#: Every change kind, for the kind filter: the diff's fixed vocabulary.
CHANGE_KINDS: tuple[str, ...] = tuple(KIND_DIRECTIONS)
#: The most versions one page of the timeline holds.
MAX_TIMELINE_PAGE = 100
#: The order a version's changes are shown in: what weakens first, then what strengthens, then the rest.
_SHOWN_FIRST = {"weakening": 0, "strengthening": 1, "neutral": 2}


@dataclass(frozen=True)
class ChangeView:
    """One change between two versions, as ``candor diff --format json`` prints it."""

    kind: str
    direction: str
    path: str
    before: Any
    after: Any
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "direction": self.direction,
            "path": self.path,
            "before": self.before,
            "after": self.after,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class VersionDiffView:
    """One published version and what it changed from the version before it."""

    log_index: int
    developer_slug: str
    developer_name: str
    kind: str
    series: str
    version: str
    published_at: datetime
    withdrawn: bool
    #: weakening, strengthening, mixed, neutral, or ``first`` for a first version.
    direction: str
    #: Weakenings first, then strengthenings, then neutral changes.
    changes: tuple[ChangeView, ...]
    previous_log_index: int | None = None
    previous_version: str | None = None

    @property
    def title(self) -> str:
        series = f" {self.series}" if self.series else ""
        return f"{KIND_TITLES.get(self.kind, self.kind)}{series}, version {self.version}"

    def of_direction(self, direction: str) -> list[ChangeView]:
        """The changes of one direction."""
        return [change for change in self.changes if change.direction == direction]

    @property
    def weakenings(self) -> list[ChangeView]:
        return self.of_direction("weakening")

    @property
    def strengthenings(self) -> list[ChangeView]:
        return self.of_direction("strengthening")

    @property
    def neutral(self) -> list[ChangeView]:
        return self.of_direction("neutral")

    def to_json(self) -> dict[str, Any]:
        return {
            "log_index": self.log_index,
            "developer": self.developer_slug,
            "developer_name": self.developer_name,
            "kind": self.kind,
            "series": self.series or None,
            "version": self.version,
            "published_at": self.published_at.isoformat(),
            "withdrawn": self.withdrawn,
            "previous": None
            if self.previous_log_index is None
            else {"log_index": self.previous_log_index, "version": self.previous_version},
            "direction": self.direction,
            "changes": [change.to_json() for change in self.changes],
        }


@dataclass(frozen=True)
class ChangeFilters:
    """What narrows the timeline; None means any."""

    developer: str | None = None
    direction: str | None = None
    kind: str | None = None

    def __post_init__(self) -> None:
        if self.direction is not None and self.direction not in DIRECTION_FILTERS:
            raise ChangeFilterError(f"direction must be one of {', '.join(DIRECTION_FILTERS)}, not {self.direction!r}")
        if self.kind is not None and self.kind not in KIND_DIRECTIONS:
            raise ChangeFilterError(f"{self.kind!r} is not a change kind; see docs/diff.md for the vocabulary")


class ChangeFilterError(CandorError):
    """A filter of the Changes page or API that names no direction or change kind."""

    http_status = 400
    error_code = "bad_filter"


def ordered(changes: Iterator[ChangeView] | list[ChangeView]) -> tuple[ChangeView, ...]:
    """Weakenings first, then strengthenings, then neutral changes; the diff's own order within each."""
    return tuple(sorted(changes, key=lambda change: _SHOWN_FIRST.get(change.direction, 3)))


def diff_stored_documents(before: tuple[str, bytes], after: tuple[str, bytes]) -> DiffResult:
    """``candor diff`` of two stored documents, each given as (name, bytes).

    A document that no longer parses (a later parser stricter than the one that accepted it) is compared as plain
    text, and so is its pair: the diff then says less, but never compares front matter with prose.
    """
    (before_name, before_raw), (after_name, after_raw) = before, after
    try:
        old = parse_bytes(before_name, before_raw)
        new = parse_bytes(after_name, after_raw)
    except CandorError:
        return diff_documents(
            None,
            None,
            before_raw.decode("utf-8", errors="replace"),
            after_raw.decode("utf-8", errors="replace"),
        )
    if old.model.kind != new.model.kind:
        return diff_documents(
            None,
            None,
            before_raw.decode("utf-8", errors="replace"),
            after_raw.decode("utf-8", errors="replace"),
        )
    return diff_documents(old.model, new.model, old.body, new.body)


class VersionDiffs:
    """The stored diffs of every published version: filled on demand, read by pages, feeds and the API."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # --- filling ---------------------------------------------------------------------------------------------

    def refresh(self) -> int:
        """Compute and store the diff of every version that has none, or an outdated one; how many were stored."""
        with self._sessions() as session:
            due = VersionDiffRecords(session).due(DIFFED_KINDS, DIFF_ALGORITHM)
        computed = 0
        for statement_id in due:
            try:
                self._compute(statement_id)
            except CandorError as exc:
                # A damaged or missing document leaves its version without a diff (tried again on the next read),
                # never every page without one: the audit names the damaged row.
                logger.error("statement %s is not diffed: %s", statement_id, exc.diagnostics())
                continue
            except OperationalError as exc:
                # The database is too busy to take the write now: the page is served without the missing diffs,
                # and the next read stores them.
                logger.warning("diffs not stored this time (%s); the next read tries again", exc.orig)
                break
            computed += 1
        return computed

    def _compute(self, statement_id: int) -> None:
        # Read and diff in one session, then write in another that takes SQLite's write lock up front: a deferred
        # transaction that has read fails at once ("database is locked") if another writer (a publication, the
        # integrator) committed in between, whatever the busy timeout.
        with self._sessions() as session:
            version = VersionDiffRecords(session).to_diff(statement_id)
            if version is None:
                return
            if version.previous_sha256 is None:
                direction, changes = FIRST, []
            else:
                documents = Documents(session)
                result = diff_stored_documents(
                    (f"{version.previous_version}.md", _verified(documents, version.previous_sha256)),
                    (f"{version.version}.md", _verified(documents, version.document_sha256)),
                )
                direction, changes = result.direction, [change.to_json() for change in result.changes]
        kinds = " " + " ".join(sorted({change["kind"] for change in changes})) + " "
        encoded = json.dumps(changes, ensure_ascii=False, default=str)
        try:
            with self._sessions.begin() as session:
                session.connection(execution_options={SQLITE_BEGIN_IMMEDIATE: True})
                VersionDiffRecords(session).save(
                    statement_id, version.previous_id, DIFF_ALGORITHM, direction, kinds, encoded
                )
        except IntegrityError:
            # Another server stored the same version's diff first: the same bytes give the same result.
            logger.info("the diff of statement %s was stored by another process", statement_id)

    # --- reading ---------------------------------------------------------------------------------------------

    def of(self, log_index: int) -> VersionDiffView | None:
        """What the version at ``log_index`` changed; None for a statement that is not a version of a document."""
        self.refresh()
        with self._sessions() as session:
            row = VersionDiffRecords(session).at_log_index(log_index)
        return None if row is None else _view(row)

    def timeline(self, filters: ChangeFilters, *, number: int = 1, size: int = 50) -> Page[VersionDiffView]:
        """Every version across all developers, newest first, narrowed by ``filters``."""
        self.refresh()
        number, size = max(1, number), min(max(1, size), MAX_TIMELINE_PAGE)
        directions: tuple[str, ...] = ()
        if filters.direction in ("weakening", "strengthening"):
            directions = (filters.direction, "mixed")
        elif filters.direction is not None:
            directions = (filters.direction,)
        wanted = DiffFilter(filters.developer, directions, filters.kind)
        with self._sessions() as session:
            rows, total = VersionDiffRecords(session).page(wanted, (number - 1) * size, size)
        return Page([_view(row) for row in rows], number, size, total)

    def developers(self) -> list[tuple[str, str]]:
        """The developers with at least one version, as (slug, name), for the developer filter."""
        self.refresh()
        with self._sessions() as session:
            return VersionDiffRecords(session).developers()


def _view(row: StoredDiffRow) -> VersionDiffView:
    return VersionDiffView(
        log_index=row.log_index,
        developer_slug=row.developer_slug,
        developer_name=row.developer_name,
        kind=row.kind,
        series=row.series,
        version=row.version,
        published_at=row.published_at,
        withdrawn=row.withdrawn,
        direction=row.direction,
        changes=ordered([ChangeView(**change) for change in json.loads(row.changes_json)]),
        previous_log_index=row.previous_log_index,
        previous_version=row.previous_version,
    )


def _verified(documents: Documents, sha256: str) -> bytes:
    content = documents.get(sha256).content
    # Never read a diff out of bytes that are not the ones addressed (see RegistryQueries.document_bytes).
    found = hashlib.sha256(content).hexdigest()
    if found != sha256:
        logger.error("INTEGRITY: document %s in the database hashes to %s; not diffing it", sha256, found)
        raise CandorError(f"the registry's copy of document {sha256} is damaged; it is not diffed")
    return content
