"""The coverage use case: a facts file on disk in, a coverage report out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from candor.domain.coverage import CoverageReport, report_coverage, select_regimes
from candor.domain.facts import DeveloperFacts, parse_facts
from candor.domain.regimes import load_regimes
from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.errors import SourceError


def read_facts(path: Path) -> DeveloperFacts:
    """Read and parse a facts file; an unreadable one is a :class:`SourceError` that names it."""
    name = str(path)
    if path.is_dir():
        raise SourceError(name, "is a directory, not a facts file")
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise SourceError(name, f"file is {size:,} bytes, over the limit of {MAX_DOCUMENT_BYTES:,} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(name, "no such file") from None
    except OSError as exc:
        raise SourceError(name, f"cannot be read: {exc.strerror or exc}") from None
    return parse_facts(name, raw)


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
