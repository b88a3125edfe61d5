"""Every rule of every bundled standard, shown to fire on a document that lacks what it requires.

Each case starts from an example disclosure that passes the rule's standard, removes or weakens the one thing the
rule requires, and asserts that exactly that rule id fires on the result, and not on the original. A final test
makes sure no rule is left without a case.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
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
    front.pop("third_party_involvement", None)


def third_parties_without_mitigations(front: FrontMatter) -> None:
    front["third_party_assessment"] = {"summary": "Independent evaluators test covered models before deployment."}


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
    ("SDF-PUBLISHED-WEBSITE", "candor-minimum-2026.1", SDF_V1, delete("website")),
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
    ("SB53-FW-RISK-CYBER", "ca-sb53-2026", SDF_V2, drop_domain("cyber")),
    ("SB53-FW-THIRD-PARTY", "ca-sb53-2026", SDF_V2, delete("third_party_assessment")),
    ("SB53-FW-THIRD-PARTY-MITIGATIONS", "ca-sb53-2026", SDF_V2, third_parties_without_mitigations),
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
    ("SB53-TR-RISK-CYBER", "ca-sb53-2026", CARD, card_without_evaluation("cyber")),
    ("SB53-TR-THIRD-PARTY", "ca-sb53-2026", CARD, card_without_third_parties),
    ("SB53-TR-FRAMEWORK-STEPS", "ca-sb53-2026", CARD, delete("framework_steps")),
    # ny-raise-2027
    ("NY-FW-PUBLISHED", "ny-raise-2027", SDF_V2, delete("website")),
    ("NY-FW-STANDARDS", "ny-raise-2027", SDF_V2, delete("standards_and_practices")),
    ("NY-FW-RISK-CYBER", "ny-raise-2027", SDF_V2, drop_domain("cyber")),
    ("NY-FW-THRESHOLDS-ASSESSED", "ny-raise-2027", SDF_V2, unlink_thresholds("cbrn.nuclear")),
    ("NY-FW-MITIGATION-RESPONSES", "ny-raise-2027", SDF_V2, clear_domain_part("cyber", "responses")),
    ("NY-FW-DEPLOYMENT-REVIEW", "ny-raise-2027", SDF_V2, delete("deployment_review")),
    ("NY-FW-THIRD-PARTY", "ny-raise-2027", SDF_V2, delete("third_party_assessment")),
    ("NY-FW-THIRD-PARTY-MITIGATIONS", "ny-raise-2027", SDF_V2, third_parties_without_mitigations),
    ("NY-FW-UPDATE-TRIGGERS", "ny-raise-2027", SDF_V2, delete("review", "update_triggers")),
    ("NY-FW-SUBSTANTIAL-MODIFICATION", "ny-raise-2027", SDF_V2, delete("scope", "substantially_modified")),
    ("NY-FW-WEIGHT-SECURITY", "ny-raise-2027", SDF_V2, weaken_commitments("weight_security")),
    ("NY-FW-INCIDENT-RESPONSE", "ny-raise-2027", SDF_V2, clear_commitments("incident_response")),
    ("NY-FW-GOVERNANCE", "ny-raise-2027", SDF_V2, clear_commitments("governance")),
    ("NY-FW-INTERNAL-USE", "ny-raise-2027", SDF_V2, clear_commitments("internal_use")),
    ("NY-FW-OVERSIGHT-CIRCUMVENTION", "ny-raise-2027", SDF_V2, internal_use_without_oversight),
    ("NY-FW-ANNUAL-REVIEW", "ny-raise-2027", SDF_V2, stale_review),
    ("NY-TR-CONTACT", "ny-raise-2027", CARD, delete("contact")),
    ("NY-TR-RESTRICTIONS", "ny-raise-2027", CARD, set_value([], "restricted_uses")),
    ("NY-TR-RISK-CYBER", "ny-raise-2027", CARD, card_without_evaluation("cyber")),
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


def test_a_framework_that_describes_its_approach_to_third_parties_passes_without_a_third_party_evaluation() -> None:
    # §22757.12(a)(5) asks how third parties are used; an all-internal framework that says so describes it.
    document = mutated(SDF_V2, all_internal)
    assert "SB53-FW-THIRD-PARTY" not in rule_ids("ca-sb53-2026", document)
    assert "NY-FW-THIRD-PARTY" not in rule_ids("ny-raise-2027", document)


def test_a_card_that_says_no_third_party_took_part_states_the_extent() -> None:
    # §22757.12(c)(2)(C) asks for the extent of third-party involvement, and none is an extent.
    def none_involved(front: FrontMatter) -> None:
        card_without_third_parties(front)
        front["third_party_involvement"] = "None: every assessment of this model was run by our own team."

    assert "SB53-TR-THIRD-PARTY" not in rule_ids("ca-sb53-2026", mutated(CARD, none_involved))


def test_every_rule_cites_a_pinpoint_and_links_the_official_text() -> None:
    # A pinpoint is a section sign with a number, a tenet number, or a Code of Practice commitment number.
    pinpoint = re.compile(r"§\s?\d|Tenets? \d|Commitments? \d")
    for pack_id in catalogue().ids():
        for rule in catalogue().load(pack_id).rules:
            assert pinpoint.search(rule.source), f"{pack_id} {rule.id}: no pinpoint in {rule.source!r}"
            assert rule.url is not None, f"{pack_id} {rule.id}: no link to the official text"
            assert rule.url.startswith("https://"), f"{pack_id} {rule.id}: {rule.url} is not https"


@pytest.mark.parametrize("standard", ["candor-minimum-2026.1", "ca-sb53-2026", "ny-raise-2027"])
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
