"""Every rule of every bundled standard, shown to fire on a document that lacks what it requires.

Each case starts from an example disclosure that passes the rule's standard, removes or weakens the one thing the
rule requires, and asserts that exactly that rule id fires on the result, and not on the original. A final test
makes sure no rule is left without a case.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from candor.domain.checks import CheckContext
from candor.domain.documents import SecureDevelopmentFramework
from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.standards import StandardCatalogue, run_standard

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme-ai"
SDF_V1 = "sdf-v1.md"
SDF_V2 = "sdf-v2.md"
CARD = "system-card-acme-3-5.md"
CERTIFICATION = "certification-2026.md"

FrontMatter = dict[str, Any]
Mutation = Callable[[FrontMatter], None]


def parse_example(name: str) -> ParsedDocument:
    path = EXAMPLES / name
    return parse_bytes(name, path.read_bytes())


def mutated(name: str, mutate: Mutation) -> ParsedDocument:
    """The example with its front matter changed by ``mutate`` and written back as YAML."""
    original = parse_example(name)
    front = copy.deepcopy(original.front_matter.value)
    mutate(front)
    text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n" + original.body
    return parse_bytes(name, text.encode())


@functools.cache
def catalogue() -> StandardCatalogue:
    return StandardCatalogue.bundled()


def rule_ids(standard: str, document: ParsedDocument, *companions: str) -> set[str]:
    """The rules that fire on ``document``, checked together with the ``companions`` examples."""
    context = CheckContext.of([document.model, *(parse_example(name).model for name in companions)])
    return {finding.rule_id for finding in run_standard(catalogue().load(standard), document, context)}


# --- Mutations ------------------------------------------------------------------------------------------------


def domain(front: FrontMatter, domain_id: str) -> dict[str, Any]:
    return next(entry for entry in front["risk_domains"] if entry["id"] == domain_id)


def drop_domain(domain_id: str) -> Mutation:
    def mutate(front: FrontMatter) -> None:
        front["risk_domains"] = [entry for entry in front["risk_domains"] if entry["id"] != domain_id]

    return mutate


def weaken_domain(domain_id: str) -> Mutation:
    def mutate(front: FrontMatter) -> None:
        domain(front, domain_id)["strength"] = "may"

    return mutate


def clear_thresholds(domain_id: str) -> Mutation:
    """Remove a domain's thresholds and every reference to them, so the document still parses."""

    def mutate(front: FrontMatter) -> None:
        entry = domain(front, domain_id)
        entry["thresholds"] = []
        for evaluation in entry.get("evaluations", []):
            evaluation.pop("thresholds", None)
        for response in entry.get("responses", []):
            response.pop("threshold", None)

    return mutate


def clear_domain_part(domain_id: str, part: str) -> Mutation:
    def mutate(front: FrontMatter) -> None:
        domain(front, domain_id)[part] = []

    return mutate


def delete(*path: str) -> Mutation:
    def mutate(front: FrontMatter) -> None:
        owner = front
        for key in path[:-1]:
            owner = owner[key]
        del owner[path[-1]]

    return mutate


def set_value(value: Any, *path: str) -> Mutation:
    def mutate(front: FrontMatter) -> None:
        owner = front
        for key in path[:-1]:
            owner = owner[key]
        owner[path[-1]] = value

    return mutate


def weaken_commitments(section: str) -> Mutation:
    def mutate(front: FrontMatter) -> None:
        for commitment in front[section]["commitments"]:
            commitment["strength"] = "should"

    return mutate


def clear_commitments(section: str) -> Mutation:
    return set_value([], section, "commitments")


def only_during_training(domain_id: str) -> Mutation:
    def mutate(front: FrontMatter) -> None:
        for evaluation in domain(front, domain_id)["evaluations"]:
            evaluation["timing"] = ["during-training"]

    return mutate


def unlink_thresholds(domain_id: str) -> Mutation:
    def mutate(front: FrontMatter) -> None:
        for evaluation in domain(front, domain_id)["evaluations"]:
            evaluation["thresholds"] = []

    return mutate


def all_internal(front: FrontMatter) -> None:
    for entry in front["risk_domains"]:
        for evaluation in entry.get("evaluations", []):
            evaluation["run_by"] = "internal"
            evaluation.pop("third_party", None)


def internal_use_without_oversight(front: FrontMatter) -> None:
    front["internal_use"] = {
        "summary": "Internal use follows the same assessments as external deployment.",
        "commitments": [
            {"id": "internal.same-assessments", "strength": "must", "statement": "Internal use is assessed first."}
        ],
    }


def card_without_evaluation(domain_id: str) -> Mutation:
    def mutate(front: FrontMatter) -> None:
        front["evaluations"] = [entry for entry in front["evaluations"] if entry["domain"] != domain_id]

    return mutate


def card_without_third_parties(front: FrontMatter) -> None:
    for evaluation in front["evaluations"]:
        evaluation.pop("third_party", None)


def crossed_and_deployed(front: FrontMatter) -> None:
    front["evaluations"][0]["determination"] = "crossed"
    front["deployment"]["outcome"] = "deploy"


def superseding_card_without_changelog(front: FrontMatter) -> None:
    front["supersedes"] = "0.9"
    front["changelog"] = []


def certified_before_period_ends(front: FrontMatter) -> None:
    front["date"] = front["period"]["end"] - dt.timedelta(days=1)


def stale_review(front: FrontMatter) -> None:
    front["review"]["last_reviewed"] = front["effective_date"] - dt.timedelta(days=400)


def redacted(justification: str | None, text: str, *path: str) -> Mutation:
    """Replace the text at ``path`` by a redaction of ``text``, with or without a justification."""
    marked: dict[str, Any] = {"category": "trade-secret", "value": text}
    if justification is not None:
        marked["justification"] = justification
    return set_value({"redact": marked}, *path)


def redact_most_of_the_text(front: FrontMatter) -> None:
    # An optional field, so that only the share rule fires: three times the body's length, redacted.
    body = parse_example(SDF_V1).body
    redacted("Names a supplier", "x" * (3 * len(body)), "scope", "substantially_modified")(front)


# (rule id, standard, passing example, mutation that removes what the rule requires)
CASES: list[tuple[str, str, str, Mutation]] = [
    # candor-minimum-2026.1
    ("SDF-RISK-CBRN", "candor-minimum-2026.1", SDF_V1, drop_domain("cbrn.nuclear")),
    ("SDF-RISK-AUTONOMY", "candor-minimum-2026.1", SDF_V1, drop_domain("autonomy")),
    ("SDF-RISK-COMMITTED", "candor-minimum-2026.1", SDF_V1, weaken_domain("cbrn.nuclear")),
    ("SDF-DOMAIN-THRESHOLDS", "candor-minimum-2026.1", SDF_V1, clear_thresholds("cyber")),
    ("SDF-DOMAIN-EVALUATIONS", "candor-minimum-2026.1", SDF_V1, clear_domain_part("autonomy", "evaluations")),
    ("SDF-DOMAIN-MITIGATIONS", "candor-minimum-2026.1", SDF_V1, clear_domain_part("cbrn.biological", "mitigations")),
    ("SDF-EVAL-PRE-DEPLOYMENT", "candor-minimum-2026.1", SDF_V1, only_during_training("cbrn.chemical")),
    ("SDF-ASSESSMENT-COMMITMENT", "candor-minimum-2026.1", SDF_V1, weaken_commitments("assessment")),
    ("SDF-MITIGATION-COMMITMENT", "candor-minimum-2026.1", SDF_V1, clear_commitments("mitigation")),
    ("SDF-WHISTLEBLOWER-COMMITMENT", "candor-minimum-2026.1", SDF_V1, clear_commitments("whistleblower_process")),
    ("DOC-CHANGELOG", "candor-minimum-2026.1", SDF_V2, set_value([], "changelog")),
    ("DOC-CHANGELOG", "candor-minimum-2026.1", CARD, superseding_card_without_changelog),
    ("SC-EVAL-DOMAINS", "candor-minimum-2026.1", CARD, card_without_evaluation("cbrn.radiological")),
    ("SC-MITIGATIONS", "candor-minimum-2026.1", CARD, set_value([], "mitigations")),
    ("SC-CROSSED-UNRESTRICTED", "candor-minimum-2026.1", CARD, crossed_and_deployed),
    ("CERT-PERIOD-ENDED", "candor-minimum-2026.1", CERTIFICATION, certified_before_period_ends),
    ("CERT-FRAMEWORK-ENTRY", "candor-minimum-2026.1", CERTIFICATION, delete("framework_entry")),
    ("DOC-REDACTION-JUSTIFIED", "candor-minimum-2026.1", SDF_V1, redacted(None, "Our supplier", "scope", "criteria")),
    ("DOC-REDACTED-SHARE", "candor-minimum-2026.1", SDF_V1, redact_most_of_the_text),
    ("DOC-REDACTED-MANDATORY", "candor-minimum-2026.1", CARD, redacted("Unreleased", "Acme-3.5", "model", "name")),
    # ca-sb53-2026
    ("SB53-FW-PUBLISHED", "ca-sb53-2026", SDF_V2, delete("website")),
    ("SB53-FW-STANDARDS", "ca-sb53-2026", SDF_V2, delete("standards_and_practices")),
    ("SB53-FW-THRESHOLDS-ASSESSED", "ca-sb53-2026", SDF_V2, unlink_thresholds("cbrn.nuclear")),
    ("SB53-FW-MITIGATION-RESPONSES", "ca-sb53-2026", SDF_V2, clear_domain_part("cyber", "responses")),
    ("SB53-FW-DEPLOYMENT-REVIEW", "ca-sb53-2026", SDF_V2, delete("deployment_review")),
    ("SB53-FW-THIRD-PARTY", "ca-sb53-2026", SDF_V2, all_internal),
    ("SB53-FW-UPDATE-TRIGGERS", "ca-sb53-2026", SDF_V2, delete("review", "update_triggers")),
    ("SB53-FW-SUBSTANTIAL-MODIFICATION", "ca-sb53-2026", SDF_V2, delete("scope", "substantially_modified")),
    ("SB53-FW-WEIGHT-SECURITY", "ca-sb53-2026", SDF_V2, weaken_commitments("weight_security")),
    ("SB53-FW-INCIDENT-RESPONSE", "ca-sb53-2026", SDF_V2, clear_commitments("incident_response")),
    ("SB53-FW-GOVERNANCE", "ca-sb53-2026", SDF_V2, clear_commitments("governance")),
    ("SB53-FW-INTERNAL-USE", "ca-sb53-2026", SDF_V2, clear_commitments("internal_use")),
    ("SB53-FW-OVERSIGHT-CIRCUMVENTION", "ca-sb53-2026", SDF_V2, internal_use_without_oversight),
    ("SB53-FW-ANNUAL-REVIEW", "ca-sb53-2026", SDF_V2, set_value(18, "review", "cadence_months")),
    ("SB53-FW-ANNUAL-REVIEW", "ca-sb53-2026", SDF_V2, stale_review),
    ("SB53-TR-WEBSITE", "ca-sb53-2026", CARD, delete("website")),
    ("SB53-TR-CONTACT", "ca-sb53-2026", CARD, delete("contact")),
    ("SB53-TR-RESTRICTIONS", "ca-sb53-2026", CARD, set_value([], "restricted_uses")),
    ("SB53-TR-THIRD-PARTY", "ca-sb53-2026", CARD, card_without_third_parties),
    # eu-cop-2025
    ("EU-COP-RISK-CBRN", "eu-cop-2025", SDF_V2, drop_domain("cbrn.biological")),
    ("EU-COP-RISK-LOSS-OF-CONTROL", "eu-cop-2025", SDF_V2, drop_domain("autonomy")),
    ("EU-COP-RISK-CYBER", "eu-cop-2025", SDF_V2, drop_domain("cyber")),
    ("EU-COP-RISK-MANIPULATION", "eu-cop-2025", SDF_V2, drop_domain("manipulation")),
    ("EU-COP-RISK-TIERS", "eu-cop-2025", SDF_V2, clear_thresholds("manipulation")),
    ("EU-COP-MODEL-REPORT", "eu-cop-2025", CARD, card_without_evaluation("cyber")),
]


# Rules that compare documents: (rule id, passing example, mutation, examples checked alongside it).
CONTEXT_CASES: list[tuple[str, str, Mutation, tuple[str, ...]]] = [
    ("SC-FRAMEWORK-DOMAINS", CARD, card_without_evaluation("cyber"), (SDF_V2,)),
    ("DOC-FRAMEWORK-VERSION", CARD, set_value("1.5", "framework"), (SDF_V1, SDF_V2)),
    ("DOC-FRAMEWORK-VERSION", CERTIFICATION, set_value("3.0", "framework"), (SDF_V2,)),
]


@pytest.mark.parametrize(
    ("rule_id", "example", "mutate", "companions"),
    CONTEXT_CASES,
    ids=[f"{rule_id}-{index}" for index, (rule_id, *_rest) in enumerate(CONTEXT_CASES)],
)
def test_cross_document_rule_fires_when_its_requirement_is_removed(
    rule_id: str, example: str, mutate: Mutation, companions: tuple[str, ...]
) -> None:
    standard = "candor-minimum-2026.1"
    document = mutated(example, mutate)
    assert rule_id not in rule_ids(standard, parse_example(example), *companions)
    assert rule_id in rule_ids(standard, document, *companions)
    # Alone, the document gives these rules nothing to compare with, so they stay silent.
    assert rule_id not in rule_ids(standard, document)


@pytest.mark.parametrize(
    ("rule_id", "standard", "example", "mutate"),
    CASES,
    ids=[f"{rule_id}-{index}" for index, (rule_id, *_rest) in enumerate(CASES)],
)
def test_rule_fires_when_its_requirement_is_removed(
    rule_id: str, standard: str, example: str, mutate: Mutation
) -> None:
    assert rule_id not in rule_ids(standard, parse_example(example))
    assert rule_id in rule_ids(standard, mutated(example, mutate))


def test_every_bundled_rule_has_a_case() -> None:
    bundled = {rule.id for pack_id in catalogue().ids() for rule in catalogue().load(pack_id).rules}
    assert bundled == {rule_id for rule_id, *_ in CASES} | {rule_id for rule_id, *_ in CONTEXT_CASES}


@pytest.mark.parametrize("standard", ["candor-minimum-2026.1", "ca-sb53-2026"])
@pytest.mark.parametrize("example", sorted(path.name for path in EXAMPLES.glob("*.md")))
def test_examples_pass_minimum_and_sb53(standard: str, example: str) -> None:
    assert rule_ids(standard, parse_example(example)) == set()


def test_missing_domain_finding_points_at_risk_domains() -> None:
    document = mutated(SDF_V1, drop_domain("cbrn.nuclear"))
    pack = catalogue().load("candor-minimum-2026.1")
    (finding,) = [finding for finding in run_standard(pack, document) if finding.rule_id == "SDF-RISK-CBRN"]
    assert finding.field == "risk_domains"
    assert finding.line == document.line_of(("risk_domains",))
    assert finding.file == SDF_V1
    assert "cbrn.nuclear" in finding.message
    assert finding.hint is not None
    assert "cbrn.nuclear" in finding.hint


def test_missing_domains_are_reported_one_by_one() -> None:
    def drop_two(front: FrontMatter) -> None:
        drop_domain("cbrn.nuclear")(front)
        drop_domain("cbrn.chemical")(front)

    document = mutated(SDF_V1, drop_two)
    pack = catalogue().load("candor-minimum-2026.1")
    messages = [finding.message for finding in run_standard(pack, document) if finding.rule_id == "SDF-RISK-CBRN"]
    assert len(messages) == 2
    assert any("cbrn.chemical" in message for message in messages)


def test_weak_domain_finding_points_at_its_strength_line() -> None:
    document = mutated(SDF_V1, weaken_domain("autonomy"))
    pack = catalogue().load("candor-minimum-2026.1")
    (finding,) = [finding for finding in run_standard(pack, document) if finding.rule_id == "SDF-RISK-COMMITTED"]
    assert isinstance(document.model, SecureDevelopmentFramework)
    index = [entry.id for entry in document.model.risk_domains].index("autonomy")
    assert finding.field == f"risk_domains[{index}].strength"
    assert finding.line == document.line_of(("risk_domains", index, "strength"))


@pytest.mark.parametrize("standard", ["candor-minimum-2026.1", "ca-sb53-2026"])
def test_examples_pass_when_checked_together(standard: str) -> None:
    names = sorted(path.name for path in EXAMPLES.glob("*.md"))
    for name in names:
        assert rule_ids(standard, parse_example(name), *names) == set(), name
