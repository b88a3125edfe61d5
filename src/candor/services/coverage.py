"""The coverage use case: a facts file on disk in, a coverage report out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from candor.domain.coverage import CoverageReport, report_coverage, select_regimes
from candor.domain.facts import DeveloperFacts, parse_facts
from candor.domain.regimes import load_regimes
from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.services.files import read_input_file


def read_facts(path: Path) -> DeveloperFacts:
    """Read and parse a facts file; an unreadable one is a :class:`SourceError` that names it."""
    return parse_facts(str(path), read_input_file(path, what="facts file", limit=MAX_DOCUMENT_BYTES))


def coverage_of_file(
    path: Path,
    *,
    regime_ids: Sequence[str] = (),
    as_of: date,
    parameters: Mapping[str, int | float] | None = None,
) -> CoverageReport:
    """The coverage report for the facts in ``path``, under the named regimes (all when none are named)."""
    regimes = select_regimes(load_regimes(), regime_ids)
    return report_coverage(read_facts(path), regimes, as_of, parameters)
