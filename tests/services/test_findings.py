"""Which standards apply to a developer, and the findings the registry works out from the signed bytes."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from candor.domain.coverage import CoverageReport, report_coverage
from candor.domain.regimes import load_regimes
from candor.services.coverage import read_facts
from candor.services.findings import DocumentIntegrityError, FindingsByStandard
from tests.conftest import EXAMPLES

SDF = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_bytes()
SDF_SHA256 = hashlib.sha256(SDF).hexdigest()


def coverage(facts: str, as_of: date) -> CoverageReport:
    return report_coverage(read_facts(EXAMPLES / facts), list(load_regimes().values()), as_of)


def applied_ids(facts: str | None, as_of: date) -> list[str]:
    report = coverage(facts, as_of) if facts else None
    return [standard.pack.id for standard in FindingsByStandard().applicable(report, as_of)]


def test_without_facts_only_the_minimum_standard_applies() -> None:
    assert applied_ids(None, date(2026, 12, 6)) == ["candor-minimum-2026.1"]


def test_a_developer_under_no_regime_is_held_to_the_minimum_only() -> None:
    assert applied_ids("facts/pebble-ai.yaml", date(2026, 12, 6)) == ["candor-minimum-2026.1"]


def test_each_covering_regime_brings_its_standard() -> None:
    assert applied_ids("acme-ai/facts.yaml", date(2026, 12, 6)) == [
        "candor-minimum-2026.1",
        "ca-sb53-2026",
        "eu-cop-2025",
    ]


def test_the_new_york_standard_applies_from_2027() -> None:
    # GBL article 44-B as replaced by S8828 takes effect on 2027-01-01; before that the pack does not bind.
    assert "ny-raise-2027" not in applied_ids("acme-ai/facts.yaml", date(2026, 12, 31))
    assert "ny-raise-2027" in applied_ids("acme-ai/facts.yaml", date(2027, 1, 1))


def test_stored_bytes_that_do_not_match_the_statement_are_refused() -> None:
    checker = FindingsByStandard()
    applied = checker.applicable(None, date(2026, 12, 6))
    tampered = SDF.replace(b"strength: must", b"strength: may", 1)
    with pytest.raises(DocumentIntegrityError, match="hash to"):
        checker.check("sdf-v1.md", SDF_SHA256, tampered, applied)


def test_findings_are_the_same_from_the_memo_as_worked_out_afresh() -> None:
    checker = FindingsByStandard()
    applied = checker.applicable(coverage("acme-ai/facts.yaml", date(2026, 12, 6)), date(2026, 12, 6))
    weakened = SDF.replace(
        b"  - id: cbrn.chemical\n    strength: must\n", b"  - id: cbrn.chemical\n    strength: may\n"
    )
    digest = hashlib.sha256(weakened).hexdigest()
    first = checker.check("sdf.md", digest, weakened, applied)
    assert checker.check("sdf.md", digest, weakened, applied) == first
    assert FindingsByStandard().check("sdf.md", digest, weakened, applied) == first
    (minimum,) = [group for group in first if group.standard_id == "candor-minimum-2026.1"]
    assert "SDF-RISK-COMMITTED" in {finding.rule_id for finding in minimum.findings}
