"""The data behind the charts page: commitment strength by domain and lab, versions by direction, rules passed.

Each chart is built from what the other pages already show, so a chart never says anything a table on the site
does not: the comparison (current frameworks), the stored diffs (every version) and the standards' findings on each
developer's current documents. The charts page renders them as SVG and as tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from candor.domain.standards import Severity, StandardCatalogue
from candor.domain.statement import StatementKind
from candor.services.queries import RegistryQueries
from candor.services.version_diffs import ChangeFilters, VersionDiffs
from candor.services.views import MAX_PAGE_SIZE

#: Findings that count against a rule: a notice is advice, not a shortfall.
FAILING_SEVERITIES = frozenset({Severity.ERROR.value, Severity.WARNING.value})
#: The most framework versions the timeline draws; older ones are left out, and the page says so.
MAX_TIMELINE_VERSIONS = 500


@dataclass(frozen=True)
class Lab:
    slug: str
    name: str


@dataclass(frozen=True)
class StrengthMatrix:
    """Risk domains against labs: the strength of each lab's commitment to assess each domain."""

    domains: list[tuple[str, str]]
    labs: list[Lab]
    #: (lab slug, domain id) -> must, should or may; absent when the framework does not cover the domain.
    strengths: dict[tuple[str, str], str] = field(default_factory=dict)

    def strength(self, slug: str, domain_id: str) -> str | None:
        return self.strengths.get((slug, domain_id))


@dataclass(frozen=True)
class VersionMark:
    """One framework version on the timeline."""

    log_index: int
    version: str
    published_at: datetime
    direction: str


@dataclass(frozen=True)
class LabTimeline:
    lab: Lab
    versions: list[VersionMark]


@dataclass(frozen=True)
class RulesPassed:
    """One lab's result under one standard: rules evaluated on its current documents, and rules passed."""

    lab: Lab
    evaluated: int
    passed: int

    @property
    def share(self) -> float:
        return self.passed / self.evaluated if self.evaluated else 0.0


@dataclass(frozen=True)
class StandardRules:
    standard_id: str
    title: str
    labs: list[RulesPassed]


@dataclass(frozen=True)
class ChartsData:
    matrix: StrengthMatrix
    timelines: list[LabTimeline]
    #: True when more framework versions exist than the timeline draws.
    timeline_cut: bool
    standards: list[StandardRules]


def charts_data(registry: RegistryQueries, diffs: VersionDiffs) -> ChartsData:
    """Everything the charts page draws."""
    return ChartsData(_matrix(registry), *_timelines(diffs), _rules_passed(registry))


def _matrix(registry: RegistryQueries) -> StrengthMatrix:
    comparison = registry.comparison(number=1, size=MAX_PAGE_SIZE)
    labs = [Lab(s.developer_slug, s.developer_name) for s in comparison.frameworks.items]
    strengths: dict[tuple[str, str], str] = {
        key: cell.strength for key, cell in comparison.cells.items() if cell.strength is not None
    }
    return StrengthMatrix(comparison.domains, labs, strengths)


def _timelines(diffs: VersionDiffs) -> tuple[list[LabTimeline], bool]:
    by_lab: dict[str, LabTimeline] = {}
    page, seen = 1, 0
    while seen < MAX_TIMELINE_VERSIONS:
        found = diffs.timeline(ChangeFilters(), number=page, size=MAX_PAGE_SIZE)
        for version in found.items:
            seen += 1
            if version.kind != StatementKind.SECURE_DEVELOPMENT_FRAMEWORK:
                continue
            lab = by_lab.setdefault(
                version.developer_slug, LabTimeline(Lab(version.developer_slug, version.developer_name), [])
            )
            lab.versions.append(
                VersionMark(version.log_index, version.version, version.published_at, version.direction)
            )
        if not found.has_next:
            break
        page += 1
    else:
        return _sorted(by_lab), True
    return _sorted(by_lab), False


def _sorted(by_lab: dict[str, LabTimeline]) -> list[LabTimeline]:
    for timeline in by_lab.values():
        timeline.versions.sort(key=lambda mark: mark.log_index)
    return [by_lab[slug] for slug in sorted(by_lab)]


def _rules_passed(registry: RegistryQueries) -> list[StandardRules]:
    catalogue = StandardCatalogue.bundled()
    #: standard id -> lab slug -> (rules evaluated, rules failed)
    results: dict[str, dict[str, tuple[set[str], set[str]]]] = {}
    labs: dict[str, Lab] = {}
    titles: dict[str, str] = {}
    page = 1
    while True:
        developers = registry.developers(number=page, size=MAX_PAGE_SIZE)
        for developer in developers.items:
            lab = labs.setdefault(developer.slug, Lab(developer.slug, developer.legal_name))
            for document in registry.current_documents(lab.slug):
                for group in registry.findings(document.log_index):
                    if group.problem is not None:
                        continue
                    pack = catalogue.load(group.standard_id)
                    titles[pack.id] = pack.title
                    evaluated, failed = results.setdefault(pack.id, {}).setdefault(lab.slug, (set(), set()))
                    evaluated.update(rule.id for rule in pack.rules if rule.applies(document.kind))
                    failed.update(f.rule_id for f in group.findings if f.severity in FAILING_SEVERITIES)
        if not developers.has_next:
            break
        page += 1
    return [
        StandardRules(
            standard_id,
            titles[standard_id],
            [
                RulesPassed(labs[slug], len(evaluated), len(evaluated - failed))
                for slug, (evaluated, failed) in sorted(by_lab.items())
            ],
        )
        for standard_id, by_lab in sorted(results.items())
    ]
