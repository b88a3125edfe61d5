"""The coverage engine against the shipped regimes: a matrix of facts below, at and above every threshold, before
and after every effective date, with and without every exemption; and properties that must hold for any facts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from candor.domain.coverage import (
    Determination,
    UnknownParameterError,
    UnknownRegimeError,
    determine,
    report_coverage,
    select_regimes,
)
from candor.domain.deadlines import add_period
from candor.domain.facts import DeveloperFacts, ModelFacts, parse_facts
from candor.domain.regimes import PINPOINT, Citation, Period, Regime, load_regime, load_regimes
from candor.errors import DocumentError
from tests.conftest import EXAMPLES

REGIMES = load_regimes()
SOON = date(2026, 6, 1)
LATER = date(2027, 6, 1)


def model(
    name: str = "M-1",
    flop: float = 3e26,
    cost: float | None = 200_000_000,
    started: date = date(2025, 3, 1),
    released: date | None = date(2026, 2, 1),
    eu_intent: bool = True,
    eu_placed: date | None = None,
) -> ModelFacts:
    return ModelFacts(
        name=name,
        training_compute_flop=flop,
        training_compute_cost_usd=cost,
        training_started=started,
        released=released,
        eu_market_intent=eu_intent,
        eu_placed_on=eu_placed,
    )


def developer(
    *models: ModelFacts,
    revenue: float | None = 900_000_000,
    rnd: float | None = 0,
    capex: float | None = 0,
    **flags: Any,
) -> DeveloperFacts:
    years = None if revenue is None else {year: revenue for year in range(2024, 2028)}
    defaults: dict[str, Any] = {
        "academic_institution": False,
        "located_in_new_york": False,
        "empire_ai_consortium": False,
        "new_york_operations": True,
        "eu_established": False,
    }
    return DeveloperFacts(
        developer="test-ai",
        legal_name="Test AI, Inc.",
        revenue_usd_by_year=years,
        rnd_usd=rnd,
        capex_usd=capex,
        models=list(models),
        **{**defaults, **flags},
    )


def under(regime_id: str, facts: DeveloperFacts, as_of: date = SOON, **parameters: float) -> Determination:
    return determine(facts, REGIMES[regime_id], as_of, parameters)


def due_of(found: Determination) -> dict[tuple[str, str | None], str]:
    return {(obligation.id, obligation.model): obligation.due for obligation in found.obligations}


def test_every_regime_the_issue_names_is_shipped() -> None:
    assert set(REGIMES) == {"anthropic-2025", "ca-sb53", "ny-raise", "eu-ai-act-gpai"}


def _citations_within(value: object) -> list[Citation]:
    """Every Citation anywhere inside ``value``, found by walking the models, so that none can hide."""
    if isinstance(value, Citation):
        return [value]
    if isinstance(value, BaseModel):
        return [found for field in type(value).model_fields for found in _citations_within(getattr(value, field))]
    if isinstance(value, list | tuple):
        return [found for item in value for found in _citations_within(item)]
    return []


def test_every_citation_has_a_pinpoint_and_an_official_url() -> None:
    for regime in REGIMES.values():
        for version in regime.versions:
            citations = version.citations()
            assert len(citations) > 5
            # version.citations() (which the docs and a calendar rely on) misses none of them.
            assert sorted(map(repr, citations)) == sorted(map(repr, _citations_within(version)))
            for citation in citations:
                assert PINPOINT.search(citation.pinpoint), (regime.id, citation.pinpoint)
                assert citation.url.startswith("https://"), (regime.id, citation.url)


@pytest.mark.parametrize("bare", ["Cal. Bus. & Prof. Code §22757.12", "Regulation (EU) 2024/1689, Art. 55", "ibid."])
def test_a_citation_without_a_pinpoint_is_refused(bare: str) -> None:
    text = (EXAMPLES.parent / "src" / "candor" / "regimes" / "ca-sb53.yaml").read_text(encoding="utf-8")
    broken = text.replace("pinpoint: Cal. Bus. & Prof. Code §22757.11(j)\n", f"pinpoint: {bare}\n", 1)
    assert broken != text
    with pytest.raises(DocumentError) as caught:
        load_regime("ca-sb53.yaml", broken.encode())
    assert "names no subdivision" in caught.value.message


def test_a_citation_without_a_url_is_refused() -> None:
    text = (EXAMPLES.parent / "src" / "candor" / "regimes" / "ca-sb53.yaml").read_text(encoding="utf-8")
    broken = text.replace("url: https://leginfo", "url: leginfo", 1)
    with pytest.raises(DocumentError) as caught:
        load_regime("ca-sb53.yaml", broken.encode())
    assert caught.value.field is not None
    assert caught.value.field.endswith(".url")


def test_acme_ai_is_covered_by_every_regime_in_force() -> None:
    path = EXAMPLES / "acme-ai" / "facts.yaml"
    report = report_coverage(parse_facts(str(path), path.read_bytes()), list(REGIMES.values()), LATER)
    assert [found.regime for found in report.determinations] == list(REGIMES)
    assert {found.regime: found.tier for found in report.determinations} == {
        "anthropic-2025": "covered-developer",
        "ca-sb53": "large-frontier-developer",
        "eu-ai-act-gpai": "systemic-risk",
        "ny-raise": "large-frontier-developer",
    }


# The matrix: each row is one developer on one day under one regime, and what the law says of it.
D = date
MATRIX: list[tuple[str, str, dict[str, Any], date, tuple[bool, str | None, str]]] = [
    # California SB 53: "greater than 10^26", "in excess of $500,000,000", operative 2026-01-01.
    ("sb53 below compute", "ca-sb53", {"flop": 9.99e25}, SOON, (False, None, "not-covered")),
    ("sb53 at compute", "ca-sb53", {"flop": 1.0e26}, SOON, (False, None, "not-covered")),
    ("sb53 above compute", "ca-sb53", {"flop": 1.0000001e26}, SOON, (True, "large-frontier-developer", "covered")),
    ("sb53 revenue at limit", "ca-sb53", {"revenue": 500_000_000}, SOON, (True, "frontier-developer", "covered")),
    ("sb53 revenue above", "ca-sb53", {"revenue": 500_000_001}, SOON, (True, "large-frontier-developer", "covered")),
    ("sb53 revenue below", "ca-sb53", {"revenue": 210_000_000}, SOON, (True, "frontier-developer", "covered")),
    ("sb53 before 2026", "ca-sb53", {}, D(2025, 12, 31), (False, None, "not-in-effect")),
    ("sb53 on 2026-01-01", "ca-sb53", {}, D(2026, 1, 1), (True, "large-frontier-developer", "covered")),
    (
        "sb53 academic",
        "ca-sb53",
        {"academic_institution": True, "located_in_new_york": True},
        SOON,
        (True, "large-frontier-developer", "covered"),
    ),
    ("sb53 revenue unknown", "ca-sb53", {"revenue": None}, SOON, (True, "frontier-developer", "covered")),
    # New York: nothing before 2027-01-01; two tiers; nexus; two exemptions.
    ("ny 2026 large", "ny-raise", {}, D(2026, 12, 31), (False, None, "not-in-effect")),
    ("ny 2025 text's own start", "ny-raise", {}, D(2026, 3, 19), (False, None, "not-in-effect")),
    ("ny 2027 large", "ny-raise", {}, D(2027, 1, 1), (True, "large-frontier-developer", "covered")),
    ("ny 2027 small", "ny-raise", {"revenue": 210_000_000}, LATER, (True, "frontier-developer", "covered")),
    ("ny revenue at limit", "ny-raise", {"revenue": 500_000_000}, LATER, (True, "frontier-developer", "covered")),
    ("ny compute at limit", "ny-raise", {"flop": 1e26}, LATER, (False, None, "not-covered")),
    ("ny outside New York", "ny-raise", {"new_york_operations": False}, LATER, (False, None, "not-covered")),
    ("ny nexus unknown", "ny-raise", {"new_york_operations": None}, LATER, (False, None, "undetermined")),
    (
        "ny NY university",
        "ny-raise",
        {"academic_institution": True, "located_in_new_york": True},
        LATER,
        (False, None, "exempt"),
    ),
    (
        "ny out-of-state university",
        "ny-raise",
        {"academic_institution": True, "located_in_new_york": False},
        LATER,
        (True, "large-frontier-developer", "covered"),
    ),
    ("ny Empire AI", "ny-raise", {"empire_ai_consortium": True}, LATER, (False, None, "exempt")),
    # EU AI Act: "greater than 10^25", chapter V from 2025-08-02, intended for or placed on the market.
    ("eu at compute", "eu-ai-act-gpai", {"flop": 1e25}, SOON, (False, None, "not-covered")),
    ("eu above compute", "eu-ai-act-gpai", {"flop": 1.1e25}, SOON, (True, "systemic-risk", "covered")),
    ("eu before chapter V", "eu-ai-act-gpai", {}, D(2025, 8, 1), (False, None, "not-in-effect")),
    ("eu on 2025-08-02", "eu-ai-act-gpai", {}, D(2025, 8, 2), (True, "systemic-risk", "covered")),
    ("eu no market link", "eu-ai-act-gpai", {"eu_intent": False}, SOON, (False, None, "not-covered")),
    (
        "eu placed, no intent",
        "eu-ai-act-gpai",
        {"eu_intent": False, "eu_placed": D(2026, 2, 1)},
        SOON,
        (True, "systemic-risk", "covered"),
    ),
    # The seed proposal: revenue OR R&D OR capex, each tested alone, all "at least".
    ("seed revenue at 100M", "anthropic-2025", {"revenue": 100_000_000}, SOON, (True, "covered-developer", "covered")),
    ("seed revenue below", "anthropic-2025", {"revenue": 99_999_999}, SOON, (False, None, "not-covered")),
    (
        "seed R&D alone at 1B",
        "anthropic-2025",
        {"revenue": 0, "rnd": 1_000_000_000},
        SOON,
        (True, "covered-developer", "covered"),
    ),
    (
        "seed capex alone at 1B",
        "anthropic-2025",
        {"revenue": 0, "capex": 1_000_000_000},
        SOON,
        (True, "covered-developer", "covered"),
    ),
    (
        "seed R&D+capex over 1B but neither",
        "anthropic-2025",
        {"revenue": 0, "rnd": 600_000_000, "capex": 600_000_000},
        SOON,
        (False, None, "not-covered"),
    ),
    (
        "seed figures unknown",
        "anthropic-2025",
        {"revenue": None, "rnd": None, "capex": None},
        SOON,
        (False, None, "undetermined"),
    ),
    ("seed before proposal", "anthropic-2025", {}, D(2025, 7, 6), (False, None, "not-in-effect")),
]

_MODEL_KEYS = {"flop", "cost", "started", "released", "eu_intent", "eu_placed"}


@pytest.mark.parametrize(("case", "regime", "facts", "as_of", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_matrix(
    case: str, regime: str, facts: dict[str, Any], as_of: date, expected: tuple[bool, str | None, str]
) -> None:
    model_args = {key: value for key, value in facts.items() if key in _MODEL_KEYS}
    developer_args = {key: value for key, value in facts.items() if key not in _MODEL_KEYS}
    found = under(regime, developer(model(**model_args), **developer_args), as_of)
    assert (found.covered, found.tier, found.outcome) == expected, case


def test_ny_never_applies_the_2025_text() -> None:
    # Whatever the day, the version determined is the one in force from 2027, and before 2027 nothing applies.
    facts = developer(model(cost=500_000_000))
    for day in (date(2025, 12, 19), date(2026, 3, 19), date(2026, 12, 6), date(2026, 12, 31)):
        found = under("ny-raise", facts, day)
        assert found.regime_version == "2026"
        assert not found.covered
        assert found.obligations == []
        assert found.outcome == "not-in-effect"
        assert any("never took effect" in note for note in found.notes)
    assert REGIMES["ny-raise"].versions[0].status == "never-in-force"
    assert REGIMES["ny-raise"].version_in_effect(date(2026, 12, 31)) is None


def test_ny_from_2027_binds_every_frontier_developer_to_reports_and_incidents() -> None:
    small = {o.id for o in under("ny-raise", developer(model(), revenue=210_000_000), LATER).obligations}
    large = {o.id for o in under("ny-raise", developer(model()), LATER).obligations}
    assert {"transparency-report", "critical-safety-incident-report", "imminent-risk-incident-report"} <= small
    assert {"no-false-statements", "redactions-and-retention"} <= small
    assert not {"frontier-ai-framework", "disclosure-statement", "internal-use-risk-summary"} & small
    assert small < large
    assert {"frontier-ai-framework-material-modification", "disclosure-statement", "internal-use-risk-summary"} <= large


def test_ny_incident_deadlines_are_72_and_24_hours() -> None:
    obligations = {o.id: o for o in under("ny-raise", developer(model()), LATER).obligations}
    assert obligations["critical-safety-incident-report"].period == "72 hours"
    assert obligations["critical-safety-incident-report"].source.endswith("§1422(3)(a)")
    assert "reasonable belief" in obligations["critical-safety-incident-report"].due_rule
    assert obligations["imminent-risk-incident-report"].period == "24 hours"
    assert obligations["disclosure-statement"].recurrence == "every 2 years"
    assert obligations["disclosure-statement"].due == "before 2027-01-01"


def test_ny_penalties_bind_large_frontier_developers() -> None:
    large = under("ny-raise", developer(model()), LATER).penalties
    assert [p.id for p in large] == ["civil-penalty", "disclosure-statement-penalty"]
    assert large[0].maximum == "USD 1,000,000 per first violation; USD 3,000,000 per subsequent violation"
    assert under("ny-raise", developer(model(), revenue=1), LATER).penalties == []


def test_sb53_obligations_differ_by_tier() -> None:
    small = {o.id for o in under("ca-sb53", developer(model(), revenue=1)).obligations}
    large = {o.id for o in under("ca-sb53", developer(model())).obligations}
    assert "frontier-ai-framework" not in small
    assert {"transparency-report", "critical-safety-incident-report", "no-false-statements-catastrophic-risk"} <= small
    assert {"whistleblower-no-gag", "whistleblower-no-contract", "whistleblower-notice"} <= small
    assert small < large
    assert {"no-false-statements-framework", "whistleblower-board-reporting", "internal-use-risk-summary"} <= large


def test_sb53_deadlines_are_data() -> None:
    obligations = {o.id: o for o in under("ca-sb53", developer(model())).obligations}
    assert obligations["critical-safety-incident-report"].period == "15 days"
    assert obligations["imminent-risk-incident-report"].period == "24 hours"
    assert obligations["frontier-ai-framework-material-modification"].period == "30 days"
    assert obligations["internal-use-risk-summary"].due == "2026-04-01"
    assert "specified by the large frontier developer" in obligations["internal-use-risk-summary"].due_rule
    assert obligations["redactions-and-retention"].retention == "5 years"
    assert obligations["frontier-ai-framework-review"].due == "2027-01-01"


def test_a_model_counts_only_once_its_training_has_begun() -> None:
    facts = developer(model(started=date(2026, 9, 1)))
    assert not under("ca-sb53", facts, as_of=date(2026, 8, 31)).covered
    assert under("ca-sb53", facts, as_of=date(2026, 9, 1)).covered


def test_framework_falls_due_when_the_developer_becomes_covered() -> None:
    early = due_of(under("ca-sb53", developer(model())))
    late = due_of(under("ca-sb53", developer(model(started=date(2026, 5, 4))), as_of=LATER))
    assert early[("frontier-ai-framework", None)] == "2026-01-01"
    assert late[("frontier-ai-framework", None)] == "2026-05-04"


def test_transparency_report_due_at_release_or_by_rule() -> None:
    facts = developer(
        model("Old", released=date(2025, 11, 2)),
        model("New", released=date(2026, 3, 10)),
        model("Next", released=None),
    )
    reports = {o.model: o for o in under("ca-sb53", facts).obligations if o.id == "transparency-report"}
    assert reports["New"].due == "2026-03-10"
    assert "not yet deployed" in reports["Next"].due
    assert "substantially modified" in reports["Old"].due  # deployed before SB 53 took effect


def test_preceding_calendar_year_revenue_is_used_and_a_missing_year_is_said() -> None:
    by_year = developer(model()).model_copy(update={"revenue_usd_by_year": {2025: 900_000_000, 2026: 100}})
    assert under("ca-sb53", by_year, date(2026, 12, 31)).tier == "large-frontier-developer"
    assert under("ca-sb53", by_year, date(2027, 1, 1)).tier == "frontier-developer"
    stale = developer(model()).model_copy(update={"revenue_usd_by_year": {2024: 900_000_000}})
    found = under("ca-sb53", stale, date(2026, 6, 1))
    assert (found.covered, found.tier) == (True, "frontier-developer")
    assert found.missing_facts == ["revenue_usd_by_year[2025]"]
    assert "revenue on file is for 2024, not 2025, the calendar year before 2026-06-01" in found.notes


def test_every_missing_fact_is_listed_at_once_and_only_where_it_matters() -> None:
    bare = DeveloperFacts(developer="bare", legal_name="Bare", models=[model()])
    found = under("anthropic-2025", bare)
    assert found.missing_facts == ["revenue_usd_by_year[2025]", "rnd_usd", "capex_usd"]
    assert under("ny-raise", bare, LATER).missing_facts == ["revenue_usd_by_year[2026]", "new_york_operations"]
    assert under("eu-ai-act-gpai", bare).missing_facts == ["eu_established"]
    # Without a frontier model, no developer figure can change the outcome, so none is asked for.
    small = DeveloperFacts(developer="small", legal_name="Small", models=[model(flop=1e24)])
    for regime_id in REGIMES:
        assert under(regime_id, small, LATER).missing_facts == [], regime_id


def test_seed_proposal_frontier_compute_is_a_parameter() -> None:
    facts = developer(model(flop=5e25))
    assert not under("anthropic-2025", facts).covered
    found = under("anthropic-2025", facts, frontier_compute_flop=1e25)
    assert found.covered
    assert found.tests[0].limit == 1e25


def test_seed_proposal_forbids_false_statements() -> None:
    assert "no-false-statements" in {o.id for o in under("anthropic-2025", developer(model())).obligations}


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(UnknownParameterError) as caught:
        report_coverage(developer(), [REGIMES["ca-sb53"]], SOON, {"frontier_compute_flop": 1e25})
    assert "frontier_compute_flop" in caught.value.message


def test_eu_notification_runs_two_weeks_from_the_threshold_and_not_before_chapter_v() -> None:
    facts = developer(
        model("Legacy", started=date(2025, 1, 20), eu_placed=date(2025, 7, 1)),
        model("Fresh", started=date(2026, 2, 1), released=None),
    )
    dues = due_of(under("eu-ai-act-gpai", facts, LATER))
    assert dues[("notify-commission", "Fresh")] == "2026-02-15"  # before any placing on the market
    assert dues[("notify-commission", "Legacy")] == "2025-08-16"  # two weeks from 2025-08-02
    assert dues[("technical-documentation", "Legacy")] == "2027-08-02"  # Art. 111(3)
    assert "not yet placed" in dues[("technical-documentation", "Fresh")]


def test_eu_authorised_representative_only_for_providers_outside_the_union() -> None:
    placed = model(eu_placed=date(2026, 3, 1))
    outside = due_of(under("eu-ai-act-gpai", developer(placed, eu_established=False)))
    assert outside[("authorised-representative", "M-1")] == "before 2026-03-01"
    inside = due_of(under("eu-ai-act-gpai", developer(placed, eu_established=True)))
    assert ("authorised-representative", "M-1") not in inside


def test_eu_fines_apply_from_2026_08_02_and_code_deadlines_are_data() -> None:
    found = under("eu-ai-act-gpai", developer(model()))
    (fine,) = found.penalties
    assert fine.applies_from == date(2026, 8, 2)
    assert "3% of worldwide annual turnover" in fine.maximum
    periods = {o.id: o.period for o in found.obligations if o.id.startswith("serious-incident-")}
    assert periods == {
        "serious-incident-report": None,
        "serious-incident-critical-infrastructure": "2 days",
        "serious-incident-cybersecurity": "5 days",
        "serious-incident-death": "10 days",
        "serious-incident-other-harm": "15 days",
    }


@pytest.mark.parametrize(("flop", "near"), [(0.89e26, False), (0.9e26, True), (1.1e26, True), (1.11e26, False)])
def test_values_within_ten_percent_of_a_limit_are_near(flop: float, near: bool) -> None:
    found = under("ca-sb53", developer(model(flop=flop)))
    assert found.tests[0].near is near


def test_unknown_regime_lists_the_known_ones() -> None:
    with pytest.raises(UnknownRegimeError) as caught:
        select_regimes(REGIMES, ["ny-raise", "uk-ai-bill"])
    assert "uk-ai-bill" in caught.value.message
    assert caught.value.hint is not None
    assert "ca-sb53" in caught.value.hint


def test_a_regime_obligation_naming_an_unknown_tier_is_refused() -> None:
    text = (EXAMPLES.parent / "src" / "candor" / "regimes" / "ca-sb53.yaml").read_text(encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        load_regime("ca-sb53.yaml", text.replace("tiers: [large-frontier-developer]", "tiers: [huge]", 1).encode())
    assert "unknown tiers" in caught.value.message


def test_a_within_deadline_without_a_period_is_refused() -> None:
    text = (EXAMPLES.parent / "src" / "candor" / "regimes" / "ca-sb53.yaml").read_text(encoding="utf-8")
    broken = text.replace("        period: {amount: 15, unit: days}\n", "", 1)
    with pytest.raises(DocumentError) as caught:
        load_regime("ca-sb53.yaml", broken.encode())
    assert "period" in caught.value.message


@pytest.mark.parametrize(
    ("start", "amount", "unit", "expected"),
    [
        (date(2026, 1, 31), 1, "months", date(2026, 2, 28)),
        (date(2024, 2, 29), 1, "years", date(2025, 2, 28)),
        (date(2026, 11, 30), 3, "months", date(2027, 2, 28)),
        (date(2026, 1, 1), 72, "hours", date(2026, 1, 4)),
        (date(2026, 1, 1), 14, "days", date(2026, 1, 15)),
    ],
)
def test_periods_are_calendar_periods(start: date, amount: int, unit: str, expected: date) -> None:
    assert add_period(start, Period.model_validate({"amount": amount, "unit": unit})) == expected


# Properties over any facts.

_flops = st.sampled_from([0, 9e24, 1e25, 1.1e25, 9.5e25, 1e26, 1.01e26, 3e26, 10**27])
_money = st.sampled_from([0, 99_999_999, 100_000_000, 500_000_000, 500_000_001, 999_999_999, 10**9, 10**12])
_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def _facts(draw: st.DrawFn) -> DeveloperFacts:
    count = draw(st.integers(min_value=0, max_value=4))
    models = []
    for index in range(count):
        started = draw(_days)
        released = draw(st.none() | st.just(started + timedelta(days=draw(st.integers(0, 400)))))
        models.append(
            ModelFacts(
                name=f"M-{index}",
                training_compute_flop=draw(_flops),
                training_compute_cost_usd=draw(_money),
                training_started=started,
                released=released,
                eu_market_intent=draw(st.booleans()),
                eu_placed_on=draw(st.none() | st.just(started + timedelta(days=30))),
            )
        )
    flag = st.booleans()
    return DeveloperFacts(
        developer="prop-ai",
        legal_name="Prop AI",
        revenue_usd_by_year={year: draw(_money) for year in range(2023, 2028)},
        rnd_usd=draw(_money),
        capex_usd=draw(_money),
        academic_institution=draw(flag),
        located_in_new_york=draw(flag),
        empire_ai_consortium=draw(flag),
        new_york_operations=draw(flag),
        eu_established=draw(flag),
        models=models,
    )


def _verdict(found: Determination) -> tuple[bool, str | None, str, tuple[str, ...]]:
    return found.covered, found.tier, found.outcome, tuple(found.missing_facts)


@settings(max_examples=150, deadline=None)
@given(_facts(), _days, st.randoms())
def test_a_determination_never_depends_on_the_order_of_models(facts: DeveloperFacts, as_of: date, rng: Any) -> None:
    shuffled = list(facts.models)
    rng.shuffle(shuffled)
    reordered = facts.model_copy(update={"models": shuffled})
    for regime in REGIMES.values():
        first, second = determine(facts, regime, as_of), determine(reordered, regime, as_of)
        assert _verdict(first) == _verdict(second)
        assert sorted(first.qualifying_models) == sorted(second.qualifying_models)
        assert sorted((o.id, o.model, o.due) for o in first.obligations) == sorted(
            (o.id, o.model, o.due) for o in second.obligations
        )


def _rank(regime: Regime, found: Determination) -> int:
    """0 when not covered, else 1 + the tier's position in its version's tier order."""
    if not found.covered:
        return 0
    version = regime.version_in_effect(found.effective_from)
    assert version is not None
    return 1 + [tier.id for tier in version.tiers].index(found.tier or "")


@settings(max_examples=150, deadline=None)
@given(_facts(), _days, st.data())
def test_raising_a_figure_never_removes_coverage_or_lowers_the_tier(
    facts: DeveloperFacts, as_of: date, data: st.DataObject
) -> None:
    # The property, precisely: with every flag, date and model held fixed, replacing any one figure (a model's
    # compute or compute cost, a year's revenue, R&D, capex) by a larger one never turns "covered" into anything
    # else and never moves the developer to an earlier tier. It holds because every exemption and the nexus are
    # keyed on flags, never on figures; a regime that exempted by a figure would break it, and this test with it.
    figures = ["rnd_usd", "capex_usd", *(f"revenue:{year}" for year in range(2023, 2028))]
    figures += [f"model:{index}:{field}" for index in range(len(facts.models)) for field in ("flop", "cost")]
    which = data.draw(st.sampled_from(figures))
    raise_by = data.draw(st.sampled_from([1, 10**6, 10**9, 10**26]))
    if which.startswith("revenue:"):
        year = int(which.split(":")[1])
        years = dict(facts.revenue_usd_by_year or {})
        years[year] = years[year] + raise_by
        higher = facts.model_copy(update={"revenue_usd_by_year": years})
    elif which.startswith("model:"):
        _, index_text, field = which.split(":")
        index = int(index_text)
        old = facts.models[index]
        name = "training_compute_flop" if field == "flop" else "training_compute_cost_usd"
        models = list(facts.models)
        models[index] = old.model_copy(update={name: (getattr(old, name) or 0) + raise_by})
        higher = facts.model_copy(update={"models": models})
    else:
        higher = facts.model_copy(update={which: getattr(facts, which) + raise_by})
    for regime in REGIMES.values():
        before, after = determine(facts, regime, as_of), determine(higher, regime, as_of)
        assert _rank(regime, after) >= _rank(regime, before), (regime.id, which)
