"""Checks across documents: each rule has a minimal pair that breaks it and a control in which nothing lies.

The pairs are the Acme examples with one edit each, so every test changes exactly what its rule is about.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from candor.domain.across import (
    CARD_OMITS_REQUIRED_DOMAIN,
    CERTIFIED_WHILE_LAPSED,
    CROSSED_WITHOUT_RESPONSE,
    DEPLOYED_BEFORE_FRAMEWORK,
    AcrossDocument,
    check_across,
    review_lapses,
)
from candor.domain.documents import SecureDevelopmentFramework
from candor.domain.parse import parse_bytes
from tests.conftest import EXAMPLES

ACME = EXAMPLES / "acme-ai"
FRAMEWORK = (ACME / "sdf-v2.md").read_text(encoding="utf-8")
CARD = (ACME / "system-card-acme-3-5.md").read_text(encoding="utf-8")
CERTIFICATION = (ACME / "certification-2026.md").read_text(encoding="utf-8")


def _doc(name: str, text: str) -> AcrossDocument:
    return AcrossDocument(name, parse_bytes(name, text.encode("utf-8")).model)


def _edit(text: str, before: str, after: str) -> str:
    assert text.count(before) == 1, before
    return text.replace(before, after)


def _rules(*documents: AcrossDocument) -> list[str]:
    return [finding.rule_id for finding in check_across(documents)]


def test_the_examples_contradict_nothing() -> None:
    # The control for every rule below: the published pair as it is.
    assert _rules(_doc("sdf.md", FRAMEWORK), _doc("card.md", CARD), _doc("cert.md", CERTIFICATION)) == []


def test_a_card_that_omits_a_domain_its_framework_requires_before_deployment() -> None:
    nuclear = CARD[CARD.index("  - domain: cbrn.nuclear") : CARD.index("  - domain: autonomy")]
    card = _doc("card.md", _edit(CARD, nuclear, ""))
    findings = check_across([_doc("sdf.md", FRAMEWORK), card])
    assert [finding.rule_id for finding in findings] == [CARD_OMITS_REQUIRED_DOMAIN.id]
    assert "cbrn.nuclear" in findings[0].message
    assert "nuc.government-evaluation" in findings[0].message
    # Shown on both documents: the card that falls short and the framework it falls short of.
    assert (findings[0].subject, findings[0].other) == ("card.md", "sdf.md")


def test_a_domain_the_framework_only_studies_or_evaluates_later_is_not_required() -> None:
    nuclear = CARD[CARD.index("  - domain: cbrn.nuclear") : CARD.index("  - domain: autonomy")]
    card = _doc("card.md", _edit(CARD, nuclear, ""))
    research = _edit(
        FRAMEWORK,
        "  - id: cbrn.nuclear\n    strength: must\n",
        "  - id: cbrn.nuclear\n    strength: must\n    status: research-only\n",
    )
    assert _rules(_doc("sdf.md", research), card) == []
    # Manipulation's persuasion study is a should: leaving it out contradicts no must.
    manipulation = CARD[CARD.index("  - domain: manipulation") : CARD.index("\nmitigations:") + 1]
    assert _rules(_doc("sdf.md", FRAMEWORK), _doc("card.md", _edit(CARD, manipulation, ""))) == []


def test_a_card_held_only_to_the_framework_version_it_names() -> None:
    nuclear = CARD[CARD.index("  - domain: cbrn.nuclear") : CARD.index("  - domain: autonomy")]
    card = _doc("card.md", _edit(_edit(CARD, nuclear, ""), 'framework: "2.0"', 'framework: "1.5"'))
    assert _rules(_doc("sdf.md", FRAMEWORK), card) == []  # version 1.5 is not among the files: no guess


def test_a_crossed_threshold_deployed_without_the_frameworks_halt() -> None:
    crossed = _edit(
        CARD,
        "    determination: below\n    thresholds: [chem.novice-uplift]",
        "    determination: crossed\n    thresholds: [chem.novice-uplift]",
    )
    findings = check_across([_doc("sdf.md", FRAMEWORK), _doc("card.md", crossed)])
    assert [finding.rule_id for finding in findings] == [CROSSED_WITHOUT_RESPONSE.id]
    assert "halt-deployment (chem.halt-deployment)" in findings[0].message
    # Control: the same crossing, and the model kept internal as the framework requires.
    kept = _edit(crossed, "  outcome: deploy-with-restrictions", "  outcome: internal-only")
    assert _rules(_doc("sdf.md", FRAMEWORK), _doc("card.md", kept)) == []


def test_a_crossed_threshold_whose_safeguards_the_card_does_not_name() -> None:
    framework = _edit(
        FRAMEWORK,
        "action: additional-safeguards\n        threshold: cyber.autonomous-exploitation",
        "action: additional-safeguards\n        threshold: cyber.autonomous-exploitation\n"
        "        safeguards: [security level 4]",
    )
    crossed = _edit(
        CARD, "    determination: below\n    thresholds: [cyber", "    determination: crossed\n    thresholds: [cyber"
    )
    findings = check_across([_doc("sdf.md", framework), _doc("card.md", crossed)])
    assert [finding.rule_id for finding in findings] == [CROSSED_WITHOUT_RESPONSE.id]
    assert "security level 4" in findings[0].message
    named = _edit(
        crossed,
        "Trusted-access programme for offensive-security",
        "Security level 4 weights; trusted-access programme for offensive-security",
    )
    assert _rules(_doc("sdf.md", framework), _doc("card.md", named)) == []


def test_a_model_released_before_the_framework_it_applied_took_effect() -> None:
    early = _edit(CARD, "release_date: 2026-03-10", "release_date: 2026-01-10")
    findings = check_across([_doc("sdf.md", FRAMEWORK), _doc("card.md", early)])
    assert [finding.rule_id for finding in findings] == [DEPLOYED_BEFORE_FRAMEWORK.id]
    assert "2026-01-15" in findings[0].message
    on_the_day = _edit(CARD, "release_date: 2026-03-10", "release_date: 2026-01-15")
    assert _rules(_doc("sdf.md", FRAMEWORK), _doc("card.md", on_the_day)) == []


def test_a_certification_covering_months_after_the_framework_missed_its_yearly_review() -> None:
    # Reviewed in January 2025 and never again: the review fell due in January 2026, inside the period.
    stale = _edit(FRAMEWORK, "  last_reviewed: 2026-01-08", "  last_reviewed: 2025-01-08")
    findings = check_across([_doc("sdf.md", stale), _doc("cert.md", CERTIFICATION)])
    assert [finding.rule_id for finding in findings] == [CERTIFIED_WHILE_LAPSED.id]
    assert "from 2026-01-15" in findings[0].message  # the period's start: it was already past review then
    assert (findings[0].subject, findings[0].other) == ("cert.md", "sdf.md")
    # A cadence longer than a year does not stretch the yearly review.
    slow = _edit(
        _edit(FRAMEWORK, "  cadence_months: 12", "  cadence_months: 24"),
        "  last_reviewed: 2026-01-08",
        "  last_reviewed: 2025-03-01",
    )
    assert _rules(_doc("sdf.md", slow), _doc("cert.md", CERTIFICATION)) == [CERTIFIED_WHILE_LAPSED.id]


def test_a_lapse_ends_when_a_reviewed_version_takes_effect() -> None:
    old = parse_bytes("v1.md", (ACME / "sdf-v1.md").read_bytes()).model
    new = parse_bytes("v2.md", FRAMEWORK.encode()).model
    assert isinstance(old, SecureDevelopmentFramework)
    assert isinstance(new, SecureDevelopmentFramework)
    # Version 1.0 (reviewed 2025-05-20) gave way to 2.0 on 2026-01-15, before its review fell due: only 2.0,
    # still in force, will lapse, the day after its review falls due unless a reviewed version follows.
    assert [(framework.version, start, end) for framework, start, end in review_lapses([old, new])] == [
        ("2.0", date(2027, 1, 9), None)
    ]
    late = _edit(CERTIFICATION, "  start: 2026-01-15", "  start: 2025-07-01")
    assert (
        _rules(_doc("v1.md", (ACME / "sdf-v1.md").read_text()), _doc("sdf.md", FRAMEWORK), _doc("cert.md", late)) == []
    )


def test_on_a_registry_a_card_published_before_the_framework_it_cites_is_found() -> None:
    framework = parse_bytes("sdf.md", FRAMEWORK.encode()).model
    card = parse_bytes("card.md", CARD.encode()).model
    # The card (released 2026-03-10) reached the registry on 2026-03-10, the framework only in April.
    early_card = AcrossDocument("card", card, datetime(2026, 3, 10, 9, tzinfo=UTC))
    late_framework = AcrossDocument("sdf", framework, datetime(2026, 4, 2, 9, tzinfo=UTC))
    findings = check_across([late_framework, early_card])
    assert [finding.rule_id for finding in findings] == [DEPLOYED_BEFORE_FRAMEWORK.id]
    assert "only published on 2026-04-02" in findings[0].message
    # A registry filled after the fact: the framework published first, the card after, both long after release.
    backfilled = [
        AcrossDocument("sdf", framework, datetime(2026, 11, 1, 9, tzinfo=UTC)),
        AcrossDocument("card", card, datetime(2026, 11, 1, 10, tzinfo=UTC)),
    ]
    assert check_across(backfilled) == []
    # Files carry no publication date: only the documents' own dates count.
    assert check_across([AcrossDocument("sdf", framework), AcrossDocument("card", card)]) == []
