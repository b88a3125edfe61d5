"""What the read side shows: small immutable view models, built by the query services (:mod:`candor.services.queries`).

The website's templates and the JSON API both read these, and nothing else, so neither depends on how the store
lays out its tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from candor.domain.coverage import CoverageReport
from candor.domain.documents import Certification, SecureDevelopmentFramework, Strength, SystemCard
from candor.domain.obligations import ObligationsCalendar
from candor.domain.standards import RulePack
from candor.errors import NotFoundError

# The store's summaries are part of what the read side shows: views compose them, and re-export them.
from candor.store.summaries import CheckpointView as CheckpointView
from candor.store.summaries import DeveloperSummary as DeveloperSummary
from candor.store.summaries import StatementSummary as StatementSummary

Item = TypeVar("Item")

#: The most items any one page of a list may hold, whatever the caller asks for.
MAX_PAGE_SIZE = 100


def clamp_page(number: int, size: int) -> tuple[int, int]:
    """A page number of at least 1 and a page size between 1 and :data:`MAX_PAGE_SIZE`."""
    return max(1, number), min(max(1, size), MAX_PAGE_SIZE)


class PageNotFoundError(NotFoundError):
    """A page past the last page of a list: the website and the API answer it with 404, like any missing thing."""

    error_code = "not_found"


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a list that grows; ``number`` counts from 1.

    Only pages that exist can be made: page 1 always does (an empty list shows its empty state), and a later page
    only while the list reaches it, so that a link past the end is a 404 rather than a blank 200.
    """

    items: list[Item]
    number: int
    size: int
    total: int

    def __post_init__(self) -> None:
        if self.number > self.count:
            raise PageNotFoundError(
                f"page {self.number} does not exist: the list has {self.count} page{'s' if self.count > 1 else ''}"
            )

    @property
    def count(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


@dataclass(frozen=True)
class FindingView:
    """What a transparency standard found in a document."""

    standard_id: str
    standard_version: str
    rule_id: str
    severity: str
    location: str | None
    message: str


@dataclass(frozen=True)
class StandardFindings:
    """What one standard found in one document, and why the registry holds the document to that standard."""

    standard_id: str
    standard_version: str
    title: str
    #: Why the standard applies, to follow "because": "it applies to every document", or the covering regime.
    reason: str
    #: Worst first.
    findings: list[FindingView] = field(default_factory=list)
    #: Set when the document could not be checked at all (a later parser no longer reads it).
    problem: str | None = None

    def count(self, severity: str) -> int:
        """How many findings there are of ``severity`` (error, warning or notice)."""
        return sum(1 for finding in self.findings if finding.severity == severity)


@dataclass(frozen=True)
class StandardApplication:
    """A shipped standard and the registered developers whose documents the registry holds to it."""

    pack: RulePack
    developers: list[DeveloperSummary]
    #: False before the pack's ``effective_from``: no document is held to it yet.
    in_force: bool = True


@dataclass(frozen=True)
class RiskDomainRow:
    """One row of a document's summary table: a risk domain with what the document says about it."""

    domain_id: str
    title: str
    strength: Strength | None
    thresholds: list[str]
    evaluations: list[str]
    mitigations: list[str]


@dataclass(frozen=True)
class CommitmentChange:
    """A commitment whose strength went down, or that disappeared, between two versions of a framework."""

    commitment_id: str
    before: Strength
    #: None when the later version dropped the commitment altogether.
    after: Strength | None
    text: str


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff: ``kind`` is ``added``, ``removed``, ``context`` or ``hunk``."""

    kind: str
    text: str


@dataclass(frozen=True)
class VersionChanges:
    """How a document differs from the version before it."""

    previous: StatementSummary
    lines: list[DiffLine]
    weakened: list[CommitmentChange]
    added: int
    removed: int


@dataclass(frozen=True)
class DocumentView:
    """Everything the document page shows about one published statement."""

    statement: StatementSummary
    #: The parsed disclosure; None for a withdrawal or a document the current parser no longer reads.
    disclosure: SecureDevelopmentFramework | SystemCard | Certification | None
    body: str
    risk_domains: list[RiskDomainRow]
    #: Each standard that applies to the developer, with what it found; the default standard first.
    findings: list[StandardFindings]
    #: Every version in the same series, newest first.
    versions: list[StatementSummary]
    changes: VersionChanges | None
    checkpoint: CheckpointView | None
    #: The statement this withdrawal acts on, for a withdrawal.
    target: StatementSummary | None = None

    @property
    def integrated(self) -> bool:
        """Whether a signed checkpoint already covers this statement's log entry."""
        return self.checkpoint is not None and self.checkpoint.size > self.statement.log_index


@dataclass(frozen=True)
class SeriesView:
    """The latest statement of one series (e.g. one model's system cards) and how many versions it has."""

    latest: StatementSummary
    versions: int


@dataclass(frozen=True)
class CoverageView:
    """Which regimes cover a developer, from the facts on file; ``problem`` says why there is no report."""

    report: CoverageReport | None
    problem: str | None = None


@dataclass(frozen=True)
class ObligationsView:
    """A developer's obligations calendar, from the facts on file and its published statements; ``problem`` says
    why there is none."""

    calendar: ObligationsCalendar | None
    problem: str | None = None


@dataclass(frozen=True)
class DeveloperView:
    """Everything the developer page shows."""

    developer: DeveloperSummary
    current_framework: StatementSummary | None
    system_cards: list[SeriesView]
    certifications: list[StatementSummary]
    history: Page[StatementSummary]
    coverage: CoverageView
    #: How the current framework differs from its previous version, when there is one.
    framework_changes: VersionChanges | None = None


@dataclass(frozen=True)
class HomeView:
    """The home page: who is covered, what was published lately, how large the log is."""

    developers: Page[DeveloperSummary]
    latest: list[StatementSummary]
    checkpoint: CheckpointView | None
    log_size: int


@dataclass(frozen=True)
class ComparisonCell:
    """What one developer's current framework says about one risk domain."""

    strength: Strength | None
    evaluations: int = 0
    mitigations: int = 0


@dataclass(frozen=True)
class ComparisonView:
    """Risk domains against developers, from each developer's current framework."""

    domains: list[tuple[str, str]]
    frameworks: Page[StatementSummary]
    cells: dict[tuple[str, str], ComparisonCell] = field(default_factory=dict)

    def cell(self, developer_slug: str, domain_id: str) -> ComparisonCell:
        return self.cells.get((developer_slug, domain_id), ComparisonCell(strength=None))
