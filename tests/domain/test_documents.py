"""The disclosure models: strict fields, cross-field rules, commitments a diff can follow, and a lossless round trip.

The property tests build arbitrary valid models, write them with ``render_document`` and read them back with
``parse_document``: whatever a tool writes, Candor reads back as the same disclosure.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any, TypeVar, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from candor.domain.documents import (
    STRENGTHS,
    AppliedMitigation,
    CapabilityThreshold,
    Certification,
    ChangelogEntry,
    Commitment,
    DeploymentDecision,
    DeploymentOutcome,
    Disclosure,
    DomainEvaluation,
    Evaluation,
    Evaluator,
    Governance,
    Mitigation,
    MitigationCategory,
    Modalities,
    ModelIdentity,
    Officer,
    Period,
    Practice,
    ReleaseType,
    ResponseAction,
    Review,
    RiskDomain,
    Scope,
    SecureDevelopmentFramework,
    Strength,
    SystemCard,
    ThresholdDetermination,
    ThresholdResponse,
    Timing,
)
from candor.domain.parse import parse_document
from candor.domain.placeholders import is_placeholder
from candor.domain.render import render_document
from candor.domain.source import Source
from candor.domain.taxonomy import RISK_DOMAINS
from tests.conftest import EXAMPLES

T = TypeVar("T")

# --- Strategies ------------------------------------------------------------------------------------------------

_printable = st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc", "Zl", "Zp"))
texts = st.text(_printable, min_size=1, max_size=30).filter(
    lambda value: bool(value.strip()) and not is_placeholder(value)
)
multiline_texts = st.lists(texts, min_size=1, max_size=3).map("\n".join)
slugs = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
versions = st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,3}){0,2}", fullmatch=True)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))
domain_ids = st.sampled_from(list(RISK_DOMAINS)) | slugs.map(lambda slug: f"other:{slug}")
tokens = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
bodies = st.text(st.characters(codec="utf-8"), max_size=200)


def literal(alias: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(get_args(alias))


def optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def listed(strategy: st.SearchStrategy[T], min_size: int = 0) -> st.SearchStrategy[list[T]]:
    return st.lists(strategy, min_size=min_size, max_size=3)


def _id_source(stem: str) -> Callable[[], str]:
    """Unique commitment ids within one document: a drawn stem and a counter."""
    counter = itertools.count(1)
    return lambda: f"{stem}.{next(counter)}"


commitment_stems = st.from_regex(r"[a-z]{1,6}(-[a-z0-9]{1,4})?", fullmatch=True)


@st.composite
def practices(draw: st.DrawFn, new_id: Callable[[], str]) -> Practice:
    commitments = [
        Commitment(id=new_id(), strength=draw(literal(Strength)), statement=draw(texts))
        for _ in range(draw(st.integers(0, 2)))
    ]
    return Practice(summary=draw(multiline_texts), commitments=commitments)


@st.composite
def evaluations(draw: st.DrawFn, new_id: Callable[[], str], threshold_ids: list[str]) -> Evaluation:
    timing = draw(st.lists(literal(Timing), min_size=1, max_size=3, unique=True))
    run_by = draw(literal(Evaluator))
    return Evaluation(
        id=new_id(),
        strength=draw(literal(Strength)),
        method=draw(texts),
        timing=timing,
        cadence=draw(texts) if "periodic" in timing else None,
        elicitation=draw(texts),
        run_by=run_by,
        third_party=draw(texts) if run_by != "internal" else draw(optional(texts)),
        thresholds=draw(st.lists(st.sampled_from(threshold_ids), max_size=2)) if threshold_ids else [],
    )


@st.composite
def risk_domains(draw: st.DrawFn, domain_id: str, new_id: Callable[[], str]) -> RiskDomain:
    thresholds = [
        CapabilityThreshold(id=new_id(), description=draw(texts), measure=draw(texts), tier=draw(texts))
        for _ in range(draw(st.integers(0, 2)))
    ]
    threshold_ids = [threshold.id for threshold in thresholds]
    return RiskDomain(
        id=domain_id,
        strength=draw(literal(Strength)),
        description=draw(texts),
        thresholds=thresholds,
        evaluations=draw(listed(evaluations(new_id, threshold_ids))),
        mitigations=[
            Mitigation(
                id=new_id(),
                strength=draw(literal(Strength)),
                category=draw(literal(MitigationCategory)),
                description=draw(texts),
            )
            for _ in range(draw(st.integers(0, 2)))
        ],
        responses=[
            ThresholdResponse(
                id=new_id(),
                strength=draw(literal(Strength)),
                action=draw(literal(ResponseAction)),
                threshold=draw(optional(st.sampled_from(threshold_ids))) if threshold_ids else None,
                description=draw(texts),
            )
            for _ in range(draw(st.integers(0, 2)))
        ],
    )


def _header(draw: st.DrawFn) -> dict[str, Any]:
    version = draw(versions)
    return {
        "developer": draw(slugs),
        "version": version,
        "supersedes": draw(optional(versions.filter(lambda other: other != version))),
    }


changelogs = listed(st.builds(ChangelogEntry, version=versions, date=dates, changes=listed(texts, 1)))


@st.composite
def frameworks(draw: st.DrawFn) -> SecureDevelopmentFramework:
    new_id = _id_source(draw(commitment_stems))
    chosen = draw(st.lists(domain_ids, min_size=1, max_size=4, unique=True))
    return SecureDevelopmentFramework(
        kind="secure-development-framework",
        **_header(draw),
        title=draw(texts),
        effective_date=draw(dates),
        website=draw(optional(slugs.map(lambda slug: f"https://{slug}.example/framework"))),
        scope=Scope(models=draw(listed(texts, 1)), criteria=draw(texts), substantially_modified=draw(optional(texts))),
        standards_and_practices=draw(listed(texts)),
        assessment=draw(practices(new_id)),
        mitigation=draw(practices(new_id)),
        risk_domains=[draw(risk_domains(domain_id, new_id)) for domain_id in chosen],
        deployment_review=draw(optional(practices(new_id))),
        weight_security=draw(practices(new_id)),
        third_party_assessment=draw(practices(new_id)),
        governance=Governance(
            responsible_officer=draw(texts),
            board_oversight=draw(texts),
            commitments=draw(practices(new_id)).commitments,
        ),
        incident_response=draw(practices(new_id)),
        internal_use=draw(practices(new_id)),
        whistleblower_process=draw(practices(new_id)),
        review=Review(
            cadence_months=draw(st.integers(1, 60)), last_reviewed=draw(dates), update_triggers=draw(listed(texts))
        ),
        changelog=draw(changelogs),
    )


@st.composite
def system_cards(draw: st.DrawFn) -> SystemCard:
    release_type = draw(literal(ReleaseType))
    return SystemCard(
        kind="system-card",
        **_header(draw),
        model=ModelIdentity(name=draw(texts), version=draw(versions), identifier=draw(texts)),
        release_type=release_type,
        revises=None if release_type == "new-model" else draw(texts),
        release_date=draw(dates),
        framework=draw(versions),
        website=draw(optional(slugs.map(lambda slug: f"https://{slug}.example"))),
        contact=draw(optional(texts)),
        modalities=Modalities(input=draw(listed(tokens, 1)), output=draw(listed(tokens, 1))),
        languages=draw(listed(texts, 1)),
        intended_uses=draw(listed(texts, 1)),
        restricted_uses=draw(listed(texts)),
        evaluations=draw(
            listed(
                st.builds(
                    DomainEvaluation,
                    domain=domain_ids,
                    procedure=multiline_texts,
                    timing=st.lists(literal(Timing), min_size=1, max_size=2, unique=True),
                    elicitation=texts,
                    results=multiline_texts,
                    determination=literal(ThresholdDetermination),
                    thresholds=listed(commitment_stems),
                    third_party=optional(texts),
                ),
                1,
            )
        ),
        mitigations=draw(
            listed(
                st.builds(
                    AppliedMitigation,
                    category=literal(MitigationCategory),
                    description=texts,
                    domains=listed(domain_ids, 1),
                )
            )
        ),
        deployment=DeploymentDecision(
            outcome=draw(literal(DeploymentOutcome)), rationale=draw(texts), decided_by=draw(optional(texts))
        ),
        changelog=draw(changelogs),
    )


@st.composite
def certifications(draw: st.DrawFn) -> Certification:
    start = draw(dates)
    return Certification(
        kind="certification",
        **_header(draw),
        framework=draw(versions),
        period=Period(start=start, end=draw(dates.filter(lambda end: end >= start))),
        statement=draw(multiline_texts),
        officer=Officer(name=draw(texts), title=draw(texts)),
        date=draw(dates),
        exceptions=draw(listed(texts)),
    )


def _round_trip(model: Any, body: str) -> None:
    text = render_document(model, body)
    parsed = parse_document(Source("round-trip.md", text))
    assert parsed.model == model
    assert parsed.body == body
    assert parsed.line_of(("kind",)) == 2


_property = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


@_property
@given(frameworks(), bodies)
def test_any_framework_renders_and_parses_back_to_itself(model: SecureDevelopmentFramework, body: str) -> None:
    _round_trip(model, body)


@_property
@given(system_cards(), bodies)
def test_any_system_card_renders_and_parses_back_to_itself(model: SystemCard, body: str) -> None:
    _round_trip(model, body)


@_property
@given(certifications(), bodies)
def test_any_certification_renders_and_parses_back_to_itself(model: Certification, body: str) -> None:
    _round_trip(model, body)


# --- Behaviour of the models -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def acme_framework() -> SecureDevelopmentFramework:
    parsed = parse_document(Source("sdf-v1.md", (EXAMPLES / "acme-ai" / "sdf-v1.md").read_text(encoding="utf-8")))
    assert isinstance(parsed.model, SecureDevelopmentFramework)
    return parsed.model


def _certification(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": "certification",
        "developer": "acme-ai",
        "version": "2026",
        "framework": "2.0",
        "period": {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 6, 30)},
        "statement": "We complied.",
        "officer": {"name": "Dana Okafor", "title": "Responsible Scaling Officer"},
        "date": dt.date(2026, 7, 20),
    }
    return {**fields, **changes}


def _problems(model: type[Any], fields: dict[str, Any]) -> list[tuple[tuple[int | str, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(fields)
    return [(tuple(error["loc"]), error["type"]) for error in caught.value.errors()]


def test_a_disclosure_is_told_apart_by_its_kind() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(Disclosure)
    assert isinstance(adapter.validate_python(_certification()), Certification)
    with pytest.raises(ValidationError, match=r"does not match any of the expected tags"):
        adapter.validate_python(_certification(kind="press-release"))


def test_unknown_keys_are_errors_not_silently_dropped() -> None:
    assert _problems(Certification, _certification(statment="typo")) == [(("statment",), "extra_forbidden")]


def test_numbers_are_not_coerced_into_versions() -> None:
    assert _problems(Certification, _certification(framework=2.0)) == [(("framework",), "string_type")]


def test_dates_must_be_dates_not_text() -> None:
    assert _problems(Certification, _certification(date="2026-07-20")) == [(("date",), "date_type")]


@pytest.mark.parametrize("slug", ["Acme", "acme_ai", "acme--ai", "-acme", "acme ai", ""])
def test_a_developer_is_a_lower_case_slug(slug: str) -> None:
    assert _problems(Certification, _certification(developer=slug)) == [(("developer",), "value_error")]


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_prose_must_say_something(text: str) -> None:
    assert _problems(Certification, _certification(statement=text)) == [(("statement",), "value_error")]


def test_a_period_cannot_end_before_it_starts() -> None:
    problems = _problems(
        Certification, _certification(period={"start": dt.date(2026, 2, 1), "end": dt.date(2026, 1, 1)})
    )
    assert problems == [(("period",), "value_error")]


def test_a_version_cannot_supersede_itself() -> None:
    assert _problems(Certification, _certification(supersedes="2026")) == [((), "value_error")]


def _evaluation(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "bio.eval",
        "strength": "must",
        "method": "Uplift trial.",
        "timing": ["pre-deployment"],
        "elicitation": "Helpful-only.",
        "run_by": "internal",
    }
    return {**fields, **changes}


def test_a_periodic_evaluation_needs_a_cadence_and_only_then() -> None:
    assert _problems(Evaluation, _evaluation(timing=["periodic"])) == [((), "value_error")]
    assert _problems(Evaluation, _evaluation(cadence="monthly")) == [((), "value_error")]
    assert Evaluation.model_validate(_evaluation(timing=["periodic"], cadence="monthly")).cadence == "monthly"


def test_a_third_party_evaluation_names_the_third_party() -> None:
    assert _problems(Evaluation, _evaluation(run_by="third-party")) == [((), "value_error")]
    assert Evaluation.model_validate(_evaluation(run_by="third-party", third_party="An institute.")).third_party


@pytest.mark.parametrize("strength", ["required", "MUST", "shall", ""])
def test_a_commitment_strength_is_must_should_or_may(strength: str) -> None:
    assert STRENGTHS == ("must", "should", "may")
    problems = _problems(Commitment, {"id": "a.b", "strength": strength, "statement": "We do."})
    assert problems == [(("strength",), "literal_error")]


def test_a_system_card_revision_names_what_it_revises() -> None:
    card = SystemCard.model_validate(
        {
            "kind": "system-card",
            "developer": "acme-ai",
            "version": "1.0",
            "model": {"name": "Acme-3.5", "version": "3.5", "identifier": "acme-3-5"},
            "release_type": "substantial-revision",
            "revises": "acme-3",
            "release_date": dt.date(2026, 3, 10),
            "framework": "2.0",
            "modalities": {"input": ["text"], "output": ["text"]},
            "languages": ["English"],
            "intended_uses": ["Assistant"],
            "evaluations": [
                {
                    "domain": "cyber",
                    "procedure": "CTF.",
                    "timing": ["pre-deployment"],
                    "elicitation": "Scaffold.",
                    "results": "Low.",
                    "determination": "below",
                }
            ],
            "mitigations": [{"category": "deployment", "description": "Monitoring.", "domains": ["cyber"]}],
            "deployment": {"outcome": "deploy", "rationale": "Below all thresholds."},
        }
    )
    assert card.evaluation("cyber") is not None
    assert card.evaluation("autonomy") is None
    assert [m.description for m in card.mitigations_for("cyber")] == ["Monitoring."]
    fields = card.model_dump()
    fields["revises"] = None
    assert _problems(SystemCard, fields) == [((), "value_error")]


def test_framework_commitments_are_listed_with_paths_for_diffs(acme_framework: SecureDevelopmentFramework) -> None:
    refs = list(acme_framework.commitments())
    ids = [ref.id for ref in refs]
    assert len(ids) == len(set(ids))
    by_id = {ref.id: ref for ref in refs}
    assert by_id["cbrn.biological"].path == ("risk_domains", 1)
    assert by_id["bio.uplift-trial"].path == ("risk_domains", 1, "evaluations", 1)
    assert by_id["bio.uplift-trial"].strength == "should"
    assert by_id["security.level-3"].path == ("weight_security", "commitments", 0)
    assert by_id["governance.board-briefing"].path == ("governance", "commitments", 0)
    assert {ref.strength for ref in refs} <= set(STRENGTHS)
    assert acme_framework.domain("autonomy") is not None
    assert acme_framework.domain("manipulation") is None


def test_ids_are_unique_across_a_framework(acme_framework: SecureDevelopmentFramework) -> None:
    fields = acme_framework.model_dump()
    fields["weight_security"]["commitments"][0]["id"] = "bio.uplift-trial"
    assert _problems(SecureDevelopmentFramework, fields) == [((), "value_error")]


def test_a_commitment_cannot_take_a_domain_id(acme_framework: SecureDevelopmentFramework) -> None:
    fields = acme_framework.model_dump()
    fields["weight_security"]["commitments"][0]["id"] = "autonomy"
    assert _problems(SecureDevelopmentFramework, fields) == [((), "value_error")]


def test_a_risk_domain_is_listed_once(acme_framework: SecureDevelopmentFramework) -> None:
    fields = acme_framework.model_dump()
    fields["risk_domains"].append(fields["risk_domains"][0])
    assert _problems(SecureDevelopmentFramework, fields) == [((), "value_error")]


def test_threshold_references_must_resolve(acme_framework: SecureDevelopmentFramework) -> None:
    fields = acme_framework.model_dump()
    fields["risk_domains"][0]["responses"][0]["threshold"] = "chem.nothing"
    assert _problems(SecureDevelopmentFramework, fields) == [(("risk_domains", 0), "value_error")]


def test_parsed_models_are_frozen(acme_framework: SecureDevelopmentFramework) -> None:
    with pytest.raises(ValidationError, match="frozen"):
        acme_framework.title = "Changed"  # type: ignore[misc]
