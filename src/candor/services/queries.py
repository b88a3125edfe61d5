"""The read side of the registry: what the website, the feeds and the JSON API show.

Every method opens its own short read-only session and returns view models (:mod:`candor.services.views`), never
ORM rows, so nothing lazy-loads after the session is gone. Parsed documents are cached by their SHA-256: the bytes
behind a digest never change, so neither does what they parse to.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from candor.domain.coverage import report_coverage
from candor.domain.documents import (
    KIND_CERTIFICATION,
    KIND_FRAMEWORK,
    KIND_SYSTEM_CARD,
    SecureDevelopmentFramework,
)
from candor.domain.facts import DeveloperFacts, parse_facts
from candor.domain.obligations import LOGGED_KINDS, LoggedStatement, obligations_calendar
from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.regimes import load_regimes
from candor.domain.taxonomy import RISK_DOMAINS, risk_domain_title
from candor.errors import CandorError, NotFoundError
from candor.services.changes import Disclosure, risk_domain_rows, text_diff, weakened_commitments
from candor.services.findings import FindingsByStandard
from candor.services.statement_listing import StatementListing
from candor.services.views import (
    CheckpointView,
    CommitmentChange,
    ComparisonCell,
    ComparisonView,
    CoverageView,
    DeveloperSummary,
    DeveloperView,
    DiffLine,
    DocumentView,
    HomeView,
    ObligationsView,
    Page,
    SeriesView,
    StandardApplication,
    StandardFindings,
    StatementSummary,
    VersionChanges,
)
from candor.store.tables import Checkpoint, Developer, Document, LogEntry, StatementRecord
from candor.tlog.merkle import inclusion_proof
from candor.tlog.proof import format_tlog_proof
from candor.tlog.tilereader import DirectoryFetcher, TileReader

logger = logging.getLogger(__name__)

#: The most items any one page of a list may hold, whatever the caller asks for.
MAX_PAGE_SIZE = 100
LATEST_ON_HOME = 10
#: Developers side by side on one page of the comparison: more columns would not fit a screen.
COMPARED_PER_PAGE = 8
#: Facts files in the facts directory are named after the developer: ``acme-ai.yaml``.
FACTS_SUFFIX = ".yaml"
#: How many parsed documents one query service keeps.
PARSED_CACHE_SIZE = 512

_WITHDRAWAL = "withdrawal"
#: The statement kinds that can meet an obligation, as stored.
_LOGGED_KIND_VALUES = sorted(kind.value for kind in LOGGED_KINDS)
_CORRECTION = "correction"


@dataclass(frozen=True, eq=False)
class ParsedBody:
    """What a stored document reads as: its model (None if it no longer parses) and its Markdown body.

    Compared by identity, so that it can ride along in cache keys whose digests already identify it.
    """

    disclosure: Disclosure | None
    body: str
    text: str


@dataclass(frozen=True)
class InclusionProof:
    """An entry's RFC 9162 inclusion proof against the latest checkpoint, and the same as a tlog-proof file."""

    log_index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]
    checkpoint: str
    tlog_proof: str


@lru_cache(maxsize=256)
def _compare(
    before_sha256: str, before: ParsedBody, after_sha256: str, after: ParsedBody
) -> tuple[list[DiffLine], int, int, list[CommitmentChange]]:
    # Keyed by both digests (the parsed bodies ride along): two fixed byte strings always compare the same way.
    lines, added, removed = text_diff(before.text, after.text)
    return lines, added, removed, weakened_commitments(before.disclosure, after.disclosure)


def _parse(sha256: str, raw: bytes) -> ParsedBody:
    text = raw.decode("utf-8", errors="replace")
    try:
        parsed: ParsedDocument = parse_bytes(f"{sha256[:12]}.md", raw)
    except CandorError:
        # Published documents stay readable even if a later parser is stricter than the one that accepted them.
        return ParsedBody(None, text, text)
    return ParsedBody(parsed.model, parsed.body, text)


def clamp_page(number: int, size: int) -> tuple[int, int]:
    """A page number of at least 1 and a page size between 1 and :data:`MAX_PAGE_SIZE`."""
    return max(1, number), min(max(1, size), MAX_PAGE_SIZE)


class RegistryQueries:
    """Read-only use cases over the registry's database and its log directory.

    Each public method uses one session, and so one connection and one consistent snapshot where the database
    gives one, however many queries it runs.
    """

    def __init__(self, sessions: sessionmaker[Session], log_dir: Path, facts_dir: Path) -> None:
        self._sessions = sessions
        self._log_dir = log_dir
        self._facts_dir = facts_dir
        self._regimes = list(load_regimes().values())
        self._checker = FindingsByStandard()
        # The bytes behind a digest never change, so neither does what they parse to.
        self._parsed_by_digest: OrderedDict[str, ParsedBody] = OrderedDict()
        # Built once: constructing a select (and its aliases) costs more than running it on a small page.
        self._summary_select = self._summaries()
        self._developer_select = self._developer_rows()
        self._revision_select = select(
            select(func.coalesce(func.max(LogEntry.log_index) + 1, 0)).scalar_subquery(),
            select(func.coalesce(func.max(Checkpoint.size), 0)).scalar_subquery(),
            select(func.count(Developer.id)).scalar_subquery(),
        )

    # --- statements ------------------------------------------------------------------------------------------

    @staticmethod
    def _summaries() -> Select[*tuple[Any, ...]]:
        withdrawal = aliased(StatementRecord)
        withdrawn_by = (
            select(func.min(withdrawal.log_index))
            .where(withdrawal.target_sha256 == StatementRecord.statement_sha256, withdrawal.kind == _WITHDRAWAL)
            .scalar_subquery()
        )
        # Columns, not whole rows: a list never needs the signed bytes or the signature.
        return (
            select(
                StatementRecord.log_index,
                StatementRecord.statement_sha256,
                Developer.slug,
                Developer.legal_name,
                StatementRecord.kind,
                StatementRecord.series,
                StatementRecord.version,
                StatementRecord.document_sha256,
                StatementRecord.supersedes,
                StatementRecord.target_sha256,
                StatementRecord.issued_at,
                StatementRecord.published_at,
                LogEntry.leaf_hash,
                withdrawn_by,
            )
            .join(Developer, StatementRecord.developer_id == Developer.id)
            .join(StatementRecord.log_entry)
        )

    @staticmethod
    def _summary(row: Any) -> StatementSummary:
        (index, digest, slug, name, kind, series, version, document, supersedes, target, issued, published) = row[:12]
        return StatementSummary(
            log_index=index,
            statement_sha256=digest,
            developer_slug=slug,
            developer_name=name,
            kind=kind,
            series=series,
            version=version,
            document_sha256=document,
            supersedes=supersedes,
            target_sha256=target,
            issued_at=issued,
            published_at=published,
            leaf_hash=row[12].hex(),
            withdrawn_by=row[13],
        )

    def _list(self, session: Session, query: Select[*tuple[Any, ...]]) -> list[StatementSummary]:
        return [self._summary(row) for row in session.execute(query).all()]

    def _one(self, session: Session, condition: Any, missing: str) -> StatementSummary:
        row = session.execute(self._summary_select.where(condition)).first()
        if row is None:
            raise NotFoundError(missing)
        return self._summary(row)

    def statements(
        self,
        *,
        number: int = 1,
        size: int = 20,
        developer: str | None = None,
        kind: str | None = None,
        listing: StatementListing | None = None,
    ) -> Page[StatementSummary]:
        """Published statements, newest first, optionally of one developer or one kind; ``listing`` adds the
        list's date range and order (see :mod:`candor.services.statement_listing`)."""
        with self._sessions() as session:
            developer_id = None if developer is None else self._developer_id(session, developer)
            return self._statements(session, number, size, developer_id, kind, listing)

    def _statements(
        self,
        session: Session,
        number: int,
        size: int,
        developer_id: int | None,
        kind: str | None = None,
        listing: StatementListing | None = None,
    ) -> Page[StatementSummary]:
        number, size = clamp_page(number, size)
        query = self._summary_select
        count = select(func.count()).select_from(StatementRecord)
        conditions = []
        if developer_id is not None:
            conditions.append(StatementRecord.developer_id == developer_id)
        if kind is not None:
            conditions.append(StatementRecord.kind == kind)
        order = [StatementRecord.log_index.desc()]
        if listing is not None:
            if listing.issued_from is not None:
                conditions.append(StatementRecord.issued_at >= listing.issued_from)
            if listing.issued_before is not None:
                conditions.append(StatementRecord.issued_at < listing.issued_before)
            order = listing.order_by(StatementRecord.log_index, StatementRecord.issued_at)
        if conditions:
            query = query.where(*conditions)
            count = count.where(*conditions)
        total = session.scalar(count) or 0
        query = query.order_by(*order).offset((number - 1) * size).limit(size)
        return Page(self._list(session, query), number, size, total)

    def corrections(self, statement_sha256: str) -> list[StatementSummary]:
        """The corrections published of the statement with this digest, oldest first."""
        with self._sessions() as session:
            return self._list(
                session,
                self._summary_select.where(
                    StatementRecord.target_sha256 == statement_sha256, StatementRecord.kind == _CORRECTION
                ).order_by(StatementRecord.log_index),
            )

    def statement_by_digest(self, statement_sha256: str) -> StatementSummary:
        """The statement whose canonical bytes have this SHA-256."""
        with self._sessions() as session:
            return self._one(
                session, StatementRecord.statement_sha256 == statement_sha256, f"no statement {statement_sha256}"
            )

    def document_bytes(self, sha256: str) -> bytes:
        """The exact bytes of a published document."""
        with self._sessions() as session:
            return self._document_bytes(session, sha256)

    @staticmethod
    def _document_bytes(session: Session, sha256: str) -> bytes:
        content = session.scalar(select(Document.content).where(Document.sha256 == sha256))
        if content is None:
            raise NotFoundError(f"no document with SHA-256 {sha256}")
        # Triggers do not stop whoever owns the database: never hand on bytes that are not the ones addressed.
        # Every page and API answer built from a document reads it here, so this is the one place to check.
        found = hashlib.sha256(content).hexdigest()
        if found != sha256:
            logger.error("INTEGRITY: document %s in the database hashes to %s; refusing to serve it", sha256, found)
            raise TamperedDocumentError(sha256, found)
        return content

    def findings(self, log_index: int, as_of: date | None = None) -> list[StandardFindings]:
        """What each standard that applies to the developer finds in the statement's document, default first.

        Recomputed from the document's bytes under the shipped packs (see :mod:`candor.services.findings`), so a
        change of the developer's facts, or a tampered row in the findings table, changes nothing but the coverage.
        """
        with self._sessions() as session:
            statement = self._one(session, StatementRecord.log_index == log_index, f"no statement at {log_index}")
            return self._standard_findings(session, statement, as_of)

    def _standard_findings(
        self, session: Session, statement: StatementSummary, as_of: date | None = None
    ) -> list[StandardFindings]:
        if statement.document_sha256 is None:
            return []
        as_of = as_of or datetime.now(UTC).date()
        applied = self._checker.applicable(self.coverage(statement.developer_slug, as_of).report, as_of)
        raw = self._document_bytes(session, statement.document_sha256)
        name = f"{statement.developer_slug}/{statement.kind}/{statement.version}"
        return self._checker.check(name, statement.document_sha256, raw, applied)

    def standards_applied(self, as_of: date | None = None) -> list[StandardApplication]:
        """Each shipped standard, and the registered developers whose documents the registry holds to it."""
        as_of = as_of or datetime.now(UTC).date()
        with self._sessions() as session:
            developers = [
                DeveloperSummary(*row) for row in session.execute(self._developer_select.order_by(Developer.slug)).all()
            ]
        held: dict[str, list[DeveloperSummary]] = {}
        for developer in developers:
            report = self.coverage(developer.slug, as_of).report
            for standard in self._checker.applicable(report, as_of):
                held.setdefault(standard.pack.id, []).append(developer)
        catalogue = self._checker.catalogue
        packs = [catalogue.load(pack_id) for pack_id in catalogue.ids()]
        return [
            StandardApplication(
                pack, held.get(pack.id, []), pack.effective_from is None or pack.effective_from <= as_of
            )
            for pack in packs
        ]

    def current_documents(self, slug: str) -> list[StatementSummary]:
        """The developer's current documents: its framework, the latest card of each model, its certifications."""
        view = self.developer(slug)
        current = [view.current_framework] if view.current_framework else []
        return current + [series.latest for series in view.system_cards] + list(view.certifications)

    # --- developers ------------------------------------------------------------------------------------------

    @staticmethod
    def _developer_id(session: Session, slug: str) -> int:
        developer_id = session.scalar(select(Developer.id).where(Developer.slug == slug))
        if developer_id is None:
            raise NotFoundError(f"no developer {slug!r} is registered")
        return developer_id

    def developers(self, *, number: int = 1, size: int = 50) -> Page[DeveloperSummary]:
        """Registered developers by slug, with how many statements each has published."""
        with self._sessions() as session:
            return self._developers(session, number, size)

    @staticmethod
    def _developer_rows() -> Select[*tuple[Any, ...]]:
        counts = (
            select(StatementRecord.developer_id, func.count().label("statements"))
            .group_by(StatementRecord.developer_id)
            .subquery()
        )
        return select(
            Developer.slug,
            Developer.legal_name,
            Developer.website_domain,
            Developer.status,
            Developer.registered_at,
            func.coalesce(counts.c.statements, 0),
        ).outerjoin(counts, counts.c.developer_id == Developer.id)

    def _developers(self, session: Session, number: int, size: int) -> Page[DeveloperSummary]:
        number, size = clamp_page(number, size)
        total = session.scalar(select(func.count()).select_from(Developer)) or 0
        rows = session.execute(
            self._developer_select.order_by(Developer.slug).offset((number - 1) * size).limit(size)
        ).all()
        return Page([DeveloperSummary(*row) for row in rows], number, size, total)

    def developer_summary(self, slug: str) -> DeveloperSummary:
        """One developer, with its statement count."""
        with self._sessions() as session:
            return self._developer_summary(session, slug)

    def _developer_summary(self, session: Session, slug: str) -> DeveloperSummary:
        row = session.execute(self._developer_select.where(Developer.slug == slug)).first()
        if row is None:
            raise NotFoundError(f"no developer {slug!r} is registered")
        return DeveloperSummary(*row)

    def developer(self, slug: str, *, number: int = 1, size: int = 20) -> DeveloperView:
        """The developer page: current framework, system cards by model, certifications, full history."""
        with self._sessions() as session:
            summary = self._developer_summary(session, slug)
            developer_id = self._developer_id(session, slug)
            # What is current is decided per series, from each series' statements and the withdrawals.
            everything = self._list(
                session,
                self._summary_select.where(
                    StatementRecord.developer_id == developer_id, StatementRecord.kind != _WITHDRAWAL
                ).order_by(StatementRecord.log_index.desc()),
            )
            history = self._statements(session, number, size, developer_id)
            current = _current_by_series(everything)
            framework = current.get((KIND_FRAMEWORK, ""))
            framework_changes = None
            if framework is not None:
                # The same comparison the framework's own page shows, so both flag the same weakened commitments.
                frameworks = [s for s in everything if (s.kind, s.series) == (KIND_FRAMEWORK, framework.series)]
                framework_changes = self._changes_since_previous(session, framework, frameworks)
        versions = Counter((s.kind, s.series) for s in everything)
        cards = [
            SeriesView(latest, versions[(KIND_SYSTEM_CARD, series)])
            for (kind, series), latest in sorted(current.items())
            if kind == KIND_SYSTEM_CARD
        ]
        certifications = [s for s in everything if s.kind == KIND_CERTIFICATION]
        return DeveloperView(summary, framework, cards, certifications, history, self.coverage(slug), framework_changes)

    def coverage(self, slug: str, as_of: date | None = None) -> CoverageView:
        """The developer's coverage under every regime, from its facts file (``<facts_dir>/<slug>.yaml``)."""
        facts = self._facts_on_file(slug)
        if isinstance(facts, str):
            return CoverageView(None, facts)
        return CoverageView(report_coverage(facts, self._regimes, as_of or datetime.now(UTC).date()))

    def _facts_on_file(self, slug: str) -> DeveloperFacts | str:
        """The developer's facts, or why there are none to use."""
        path = self._facts_dir / f"{slug}{FACTS_SUFFIX}"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return "no facts are on file for this developer"
        try:
            facts = parse_facts(path.name, raw)
        except CandorError as exc:
            return f"the facts on file cannot be read: {exc.diagnostics()}"
        if facts.developer != slug:
            return f"the facts on file are for {facts.developer!r}, not {slug!r}"
        return facts

    def obligations(self, slug: str, as_of: datetime | None = None) -> ObligationsView:
        """The developer's obligations calendar at ``as_of`` (now by default), matched against its statements."""
        with self._sessions() as session:
            developer_id = self._developer_id(session, slug)
            published = self._list(
                session,
                self._summary_select.where(
                    StatementRecord.developer_id == developer_id, StatementRecord.kind.in_(_LOGGED_KIND_VALUES)
                ).order_by(StatementRecord.log_index),
            )
        facts = self._facts_on_file(slug)
        if isinstance(facts, str):
            return ObligationsView(None, facts)
        statements = [
            LoggedStatement(
                id=s.statement_sha256,
                kind=s.kind,
                series=s.series or None,
                version=s.version,
                published_at=s.published_at,
                where=f"log index {s.log_index}",
                log_index=s.log_index,
                withdrawn=s.withdrawn,
            )
            for s in published
        ]
        moment = as_of or datetime.now(UTC)
        report = report_coverage(facts, self._regimes, moment.astimezone(UTC).date())
        regimes = {regime.id: regime for regime in self._regimes}
        return ObligationsView(obligations_calendar(facts, report, regimes, statements, moment))

    # --- documents -------------------------------------------------------------------------------------------

    def _parsed(self, session: Session, sha256: str) -> ParsedBody:
        cached = self._parsed_by_digest.get(sha256)
        if cached is not None:
            return cached
        parsed = _parse(sha256, self._document_bytes(session, sha256))
        self._parsed_by_digest[sha256] = parsed
        if len(self._parsed_by_digest) > PARSED_CACHE_SIZE:
            self._parsed_by_digest.popitem(last=False)
        return parsed

    def _changes_since_previous(
        self, session: Session, statement: StatementSummary, versions: Sequence[StatementSummary]
    ) -> VersionChanges | None:
        """How ``statement``'s document differs from the latest earlier version in ``versions`` that has one."""
        previous = next((v for v in versions if v.log_index < statement.log_index and v.document_sha256), None)
        if previous is None or previous.document_sha256 is None or statement.document_sha256 is None:
            return None
        before = self._parsed(session, previous.document_sha256)
        after = self._parsed(session, statement.document_sha256)
        lines, added, removed, weakened = _compare(previous.document_sha256, before, statement.document_sha256, after)
        return VersionChanges(previous, lines, weakened, added, removed)

    def document(self, log_index: int) -> DocumentView:
        """The document page: the text, its summary, findings, versions, changes and where it is in the log."""
        with self._sessions() as session:
            statement = self._one(session, StatementRecord.log_index == log_index, f"no statement at {log_index}")
            developer_id = self._developer_id(session, statement.developer_slug)
            versions = self._list(
                session,
                self._summary_select.where(
                    StatementRecord.developer_id == developer_id,
                    StatementRecord.kind == statement.kind,
                    StatementRecord.series == statement.series,
                ).order_by(StatementRecord.log_index.desc()),
            )
            findings = self._standard_findings(session, statement)
            target = None
            if statement.target_sha256 is not None:
                row = session.execute(
                    self._summary_select.where(StatementRecord.statement_sha256 == statement.target_sha256)
                ).first()
                target = None if row is None else self._summary(row)
            checkpoint = self._checkpoint(session)
            empty = ParsedBody(None, "", "")
            parsed = self._parsed(session, statement.document_sha256) if statement.document_sha256 else empty
            changes = self._changes_since_previous(session, statement, versions)
        return DocumentView(
            statement=statement,
            disclosure=parsed.disclosure,
            body=parsed.body,
            risk_domains=risk_domain_rows(parsed.disclosure),
            findings=findings,
            versions=versions,
            changes=changes,
            checkpoint=checkpoint,
            target=target,
        )

    # --- comparison and home ---------------------------------------------------------------------------------

    def comparison(self, *, number: int = 1, size: int = COMPARED_PER_PAGE) -> ComparisonView:
        """Risk domains against developers (a page of them, by slug), from each one's current framework."""
        number, size = clamp_page(number, size)
        with self._sessions() as session:
            frameworks = self._list(
                session,
                self._summary_select.where(StatementRecord.kind == KIND_FRAMEWORK).order_by(
                    StatementRecord.log_index.desc()
                ),
            )
            everyone = sorted(_current_by_developer(frameworks).values(), key=lambda s: s.developer_slug)
            current = everyone[(number - 1) * size : number * size]
            parsed = {s.developer_slug: self._parsed(session, s.document_sha256 or "") for s in current}
        cells: dict[tuple[str, str], ComparisonCell] = {}
        domain_ids: list[str] = list(RISK_DOMAINS)
        for statement in current:
            disclosure = parsed[statement.developer_slug].disclosure
            if not isinstance(disclosure, SecureDevelopmentFramework):
                continue
            for domain in disclosure.risk_domains:
                if domain.id not in domain_ids:
                    domain_ids.append(domain.id)
                cells[(statement.developer_slug, domain.id)] = ComparisonCell(
                    domain.strength, len(domain.evaluations), len(domain.mitigations)
                )
        domains = [(domain_id, risk_domain_title(domain_id)) for domain_id in domain_ids]
        return ComparisonView(domains, Page(current, number, size, len(everyone)), cells)

    def home(self, *, number: int = 1, size: int = 50) -> HomeView:
        """The home page: developers, the latest statements, and the log's size."""
        with self._sessions() as session:
            developers = self._developers(session, number, size)
            latest = self._list(
                session, self._summary_select.order_by(StatementRecord.log_index.desc()).limit(LATEST_ON_HOME)
            )
            last_index = session.scalar(select(func.max(LogEntry.log_index)))
            checkpoint = self._checkpoint(session)
        return HomeView(developers, latest, checkpoint, 0 if last_index is None else last_index + 1)

    # --- the log ---------------------------------------------------------------------------------------------

    def revision(self) -> tuple[int, int, int]:
        """What every page built from the database depends on: the log's size, the signed size, the developers.

        Statements, their findings, withdrawals and documents only ever arrive with a new log entry, checkpoints
        only with a larger size, and developers are only ever added, so equal revisions mean equal pages.
        """
        with self._sessions() as session:
            # Asked on every request (web/conditional.py): a select built once, run on the connection, which skips
            # the ORM's statement handling, costs a third of building it each time through the session.
            row = session.connection().execute(self._revision_select).one()
            return (int(row[0]), int(row[1]), int(row[2]))

    def checkpoint(self) -> CheckpointView | None:
        """The latest signed checkpoint, or None before the first one."""
        with self._sessions() as session:
            return self._checkpoint(session)

    @staticmethod
    def _checkpoint(session: Session) -> CheckpointView | None:
        row = session.execute(
            select(Checkpoint.size, Checkpoint.root_hash, Checkpoint.note, Checkpoint.signed_at)
            .order_by(Checkpoint.size.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        size, root_hash, note, signed_at = row
        return CheckpointView(size, root_hash.hex(), note, signed_at)

    def inclusion_proof(self, log_index: int) -> InclusionProof:
        """The inclusion proof of the entry at ``log_index`` in the latest checkpoint, built from the tiles."""
        with self._sessions() as session:
            statement = self._one(session, StatementRecord.log_index == log_index, f"no statement at {log_index}")
            checkpoint = self._checkpoint(session)
        if checkpoint is None or checkpoint.size <= log_index:
            raise NotYetIntegratedError(log_index)
        # The tiles are authenticated against the checkpoint's root before any hash is taken from them.
        reader = TileReader(DirectoryFetcher(self._log_dir), checkpoint.size, bytes.fromhex(checkpoint.root_hash))
        hashes = inclusion_proof(reader, log_index, checkpoint.size)
        return InclusionProof(
            log_index=log_index,
            tree_size=checkpoint.size,
            leaf_hash=bytes.fromhex(statement.leaf_hash),
            hashes=hashes,
            checkpoint=checkpoint.note,
            tlog_proof=format_tlog_proof(log_index, hashes, checkpoint.note.encode("utf-8")),
        )


class TamperedDocumentError(CandorError):
    """A stored document whose bytes no longer hash to the SHA-256 they are stored under: served to nobody."""

    http_status = 500
    error_code = "tampered_document"

    def __init__(self, sha256: str, found: str) -> None:
        super().__init__(
            f"the registry's copy of document {sha256} is damaged (its bytes hash to {found}); it is not served",
            hint="the operator is alerted; `candor audit` lists every damaged row",
        )
        self.sha256 = sha256
        self.found = found


class NotYetIntegratedError(CandorError):
    """An entry that is in the log's database but not yet under a signed checkpoint."""

    http_status = 404
    error_code = "not_integrated"

    def __init__(self, log_index: int) -> None:
        super().__init__(f"log entry {log_index} is not yet covered by a signed checkpoint", hint="retry in a second")


def _current_by_series(statements: Sequence[StatementSummary]) -> dict[tuple[str, str], StatementSummary]:
    """The newest statement of each (kind, series) that is not withdrawn; ``statements`` is newest first."""
    current: dict[tuple[str, str], StatementSummary] = {}
    for statement in statements:
        if statement.kind == _WITHDRAWAL or statement.withdrawn:
            continue
        current.setdefault((statement.kind, statement.series), statement)
    return current


def _current_by_developer(statements: Sequence[StatementSummary]) -> dict[str, StatementSummary]:
    """The newest statement of each developer that is not withdrawn; ``statements`` is newest first."""
    current: dict[str, StatementSummary] = {}
    for statement in statements:
        if not statement.withdrawn and statement.document_sha256:
            current.setdefault(statement.developer_slug, statement)
    return current
