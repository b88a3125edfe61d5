"""The coverage engine against the shipped regimes: boundaries, versions, exemptions, near flags, deadlines."""

from __future__ import annotations

from datetime import date

import pytest

from candor.domain.coverage import (
    Determination,
    UnknownParameterError,
    UnknownRegimeError,
    determine,
    report_coverage,
    select_regimes,
)
from candor.domain.facts import DeveloperFacts, ModelFacts, parse_facts
from candor.domain.regimes import Regime, load_regime, load_regimes
from candor.errors import DocumentError
from tests.conftest import EXAMPLES

REGIMES = load_regimes()
SOON = date(2026, 6, 1)
LATER = date(2027, 6, 1)


def model(
    name: str = "M-1",
    flop: float = 3e26,
    cost: float = 200_000_000,
    started: date = date(2025, 3, 1),
    released: date | None = date(2026, 2, 1),
    eu: bool = True,
) -> ModelFacts:
    return ModelFacts(
        name=name,
        training_compute_flop=flop,
        training_compute_cost_usd=cost,
        training_started=started,
        released=released,
        placed_on_eu_market=eu,
    )


def developer(
    *models: ModelFacts, revenue: float = 900_000_000, spend: float = 2e9, academic: bool = False
) -> DeveloperFacts:
    return DeveloperFacts(
        developer="test-ai",
        legal_name="Test AI, Inc.",
        fiscal_year=2025,
        annual_revenue_usd=revenue,
        rnd_capex_usd=spend,
        academic_institution=academic,
        models=list(models),
    )


def under(regime_id: str, facts: DeveloperFacts, as_of: date = SOON, **parameters: float) -> Determination:
    return determine(facts, REGIMES[regime_id], as_of, parameters)


def test_every_regime_the_issue_names_is_shipped_with_its_sources() -> None:
    assert set(REGIMES) == {"anthropic-2025", "ca-sb53", "ny-raise", "eu-ai-act-gpai"}
    for regime in REGIMES.values():
        for version in regime.versions:
            assert version.sources
            thresholds = [*version.model_definition.thresholds, *(t for tier in version.tiers for t in tier.thresholds)]
            assert all(threshold.source for threshold in thresholds)
            assert all(obligation.source for obligation in version.obligations)


def test_acme_ai_is_covered_by_every_regime() -> None:
    path = EXAMPLES / "acme-ai" / "facts.yaml"
    report = report_coverage(parse_facts(str(path), path.read_bytes()), list(REGIMES.values()), SOON)
    assert [found.regime for found in report.determinations] == list(REGIMES)
    assert all(found.covered for found in report.determinations)


# California SB 53: "greater than 10^26" and "in excess of $500,000,000" are strict.


@pytest.mark.parametrize(
    ("flop", "frontier"),
    [(1e26, False), (10**26, False), (9.99e25, False), (1.0000001e26, True), (10**26 + 1, True), (3.1e26, True)],
)
def test_sb53_frontier_model_is_strictly_more_than_1e26(flop: float, frontier: bool) -> None:
    found = under("ca-sb53", developer(model(flop=flop)))
    assert found.covered is frontier
    assert found.tests[0].met is frontier
    assert found.tests[0].limit == 1e26


@pytest.mark.parametrize(
    ("revenue", "tier"), [(500_000_000, "frontier-developer"), (500_000_001, "large-frontier-developer")]
)
def test_sb53_large_frontier_developer_is_strictly_more_than_500m(revenue: int, tier: str) -> None:
    found = under("ca-sb53", developer(model(), revenue=revenue))
    assert found.covered
    assert found.tier == tier


def test_sb53_obligations_differ_by_tier() -> None:
    small = {o.id for o in under("ca-sb53", developer(model(), revenue=10_000_000)).obligations}
    large = {o.id for o in under("ca-sb53", developer(model(), revenue=900_000_000)).obligations}
    assert "frontier-ai-framework" not in small
    assert {"transparency-report", "critical-safety-incident-report", "imminent-risk-incident-report"} <= small
    assert small < large
    assert {"frontier-ai-framework", "frontier-ai-framework-review", "internal-use-risk-summary"} <= large


def test_sb53_incident_deadlines_are_15_days_and_24_hours() -> None:
    dues = {o.id: o.due for o in under("ca-sb53", developer(model())).obligations}
    assert "15 days" in dues["critical-safety-incident-report"]
    assert "24 hours" in dues["imminent-risk-incident-report"]
    assert "12 months" in dues["frontier-ai-framework-review"]


def test_sb53_is_not_in_effect_before_2026() -> None:
    found = under("ca-sb53", developer(model()), as_of=date(2025, 12, 31))
    assert not found.in_effect
    assert not found.covered
    assert found.tier is None
    assert found.obligations == []
    assert found.tests[0].met  # the thresholds are still shown, so the developer sees what is coming
    assert any("2026-01-01" in note for note in found.notes)


def test_a_model_counts_only_once_its_training_has_begun() -> None:
    facts = developer(model(started=date(2026, 9, 1), released=None))
    assert not under("ca-sb53", facts, as_of=date(2026, 8, 31)).covered
    assert under("ca-sb53", facts, as_of=date(2026, 9, 1)).covered


def test_framework_falls_due_when_the_developer_becomes_covered() -> None:
    early = {o.id: o.due for o in under("ca-sb53", developer(model())).obligations}
    late_model = model(started=date(2026, 5, 4), released=None)
    late = {o.id: o.due for o in under("ca-sb53", developer(late_model)).obligations}
    assert early["frontier-ai-framework"] == "2026-01-01"
    assert late["frontier-ai-framework"] == "2026-05-04"


def test_transparency_report_due_at_release_or_by_rule() -> None:
    facts = developer(
        model("Old", released=date(2025, 11, 2)),
        model("New", released=date(2026, 3, 10)),
        model("Next", released=None),
    )
    reports = {o.model: o for o in under("ca-sb53", facts).obligations if o.id == "transparency-report"}
    assert reports["New"].due == "2026-03-10"
    assert "not yet released" in reports["Next"].due
    assert "substantially modified" in reports["Old"].due  # deployed before SB 53 took effect


# The seed proposal: "at least" $100M revenue OR $1B R&D plus capex, for a developer of frontier models.


@pytest.mark.parametrize(
    ("revenue", "spend", "covered"),
    [
        (100_000_000, 0, True),
        (99_999_999, 999_999_999, False),
        (0, 1_000_000_000, True),
        (5e9, 5e9, True),
    ],
)
def test_seed_proposal_covers_at_least_100m_revenue_or_1b_spend(revenue: int, spend: int, covered: bool) -> None:
    found = under("anthropic-2025", developer(model(), revenue=revenue, spend=spend))
    assert found.covered is covered
    assert found.tier == ("covered-developer" if covered else None)


def test_seed_proposal_needs_a_frontier_model_whatever_the_revenue() -> None:
    found = under("anthropic-2025", developer(model(flop=5e25), revenue=5e9))
    assert not found.covered
    assert found.qualifying_models == []


def test_seed_proposal_frontier_compute_is_a_parameter() -> None:
    facts = developer(model(flop=5e25))
    found = under("anthropic-2025", facts, frontier_compute_flop=1e25)
    assert found.covered
    assert found.tests[0].limit == 1e25


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(UnknownParameterError) as caught:
        report_coverage(developer(), [REGIMES["ca-sb53"]], SOON, {"frontier_compute_flop": 1e25})
    assert "frontier_compute_flop" in caught.value.message


# New York RAISE: two versions, chosen by the as-of date.


def test_ny_version_switches_on_2027_01_01() -> None:
    facts = developer(model())
    assert under("ny-raise", facts, as_of=date(2026, 12, 31)).regime_version == "2025"
    assert under("ny-raise", facts, as_of=date(2027, 1, 1)).regime_version == "2026"


def test_ny_2025_frontier_model_needs_more_than_100m_compute_cost() -> None:
    assert not under("ny-raise", developer(model(cost=100_000_000))).covered
    found = under("ny-raise", developer(model(cost=100_000_001)))
    assert found.covered
    assert found.tier == "large-developer"


def test_ny_2025_large_developer_sums_compute_over_frontier_models_only() -> None:
    facts = developer(model("A", cost=150_000_000), model("B", cost=120_000_000), model("Small", flop=1e25, cost=9e7))
    aggregate = next(t for t in under("ny-raise", facts).tests if t.threshold == "frontier_compute_cost_usd")
    assert aggregate.value == 270_000_000
    assert aggregate.met


def test_ny_2026_mirrors_sb53_revenue_threshold() -> None:
    small = developer(model(cost=300_000_000), revenue=400_000_000)
    assert under("ny-raise", small, as_of=date(2026, 12, 31)).covered  # compute cost is enough under 2025
    assert not under("ny-raise", small, as_of=LATER).covered
    assert not under("ny-raise", developer(model(), revenue=500_000_000), as_of=LATER).covered
    assert under("ny-raise", developer(model(), revenue=500_000_001), as_of=LATER).tier == "large-frontier-developer"


def test_ny_2026_exempts_academic_institutions() -> None:
    lab = developer(model(), academic=True)
    before = under("ny-raise", lab, as_of=date(2026, 12, 31))
    after = under("ny-raise", lab, as_of=LATER)
    assert before.covered
    assert before.exemptions == []
    assert not after.covered
    assert after.tier is None
    assert after.obligations == []
    assert [exemption.id for exemption in after.exemptions] == ["academic-institution"]
    assert under("ca-sb53", lab, as_of=LATER).covered  # SB 53 has no academic exemption


# EU AI Act: "greater than 10^25" FLOP, for models placed on the EU market.


@pytest.mark.parametrize(("flop", "covered"), [(1e25, False), (1.01e25, True), (9e24, False)])
def test_eu_systemic_risk_is_strictly_more_than_1e25(flop: float, covered: bool) -> None:
    assert under("eu-ai-act-gpai", developer(model(flop=flop), revenue=0, spend=0)).covered is covered


def test_eu_counts_only_models_placed_on_its_market() -> None:
    found = under("eu-ai-act-gpai", developer(model(eu=False)))
    assert not found.covered
    assert found.tests == []
    assert any("EU market" in note for note in found.notes)


def test_eu_deadlines_notify_within_two_weeks_and_give_legacy_models_until_2027() -> None:
    facts = developer(
        model("Legacy", started=date(2025, 1, 20), released=date(2025, 7, 1)),
        model("Fresh", started=date(2026, 2, 1), released=date(2026, 9, 1)),
    )
    dues = {(o.id, o.model): o.due for o in under("eu-ai-act-gpai", facts).obligations}
    assert dues[("notify-commission", "Fresh")] == "2026-02-15"
    assert dues[("notify-commission", "Legacy")] == "2025-08-02"  # not before the GPAI chapter applied
    assert dues[("technical-documentation", "Legacy")] == "2027-08-02"
    assert dues[("technical-documentation", "Fresh")] == "2026-09-01"


# Near: within 10% of a limit, on either side.


@pytest.mark.parametrize(
    ("flop", "near"), [(8.9e25, False), (9e25, True), (9.5e25, True), (1e26, True), (1.1e26, True), (1.11e26, False)]
)
def test_values_within_ten_percent_of_a_limit_are_near(flop: float, near: bool) -> None:
    found = under("ca-sb53", developer(model(flop=flop)))
    assert found.tests[0].near is near
    assert ("training_compute_flop (M-1)" in found.near) is near


def test_margin_is_the_relative_distance_from_the_limit() -> None:
    tests = under("ca-sb53", developer(model(flop=9.5e25), revenue=750_000_000)).tests
    assert tests[0].margin == pytest.approx(-0.05)
    assert tests[1].margin == pytest.approx(0.5)


def test_developer_thresholds_are_tested_even_without_a_frontier_model() -> None:
    found = under("ca-sb53", developer(model(flop=1e24), revenue=480_000_000))
    assert not found.covered
    assert "annual_revenue_usd" in found.near


def test_unknown_regime_lists_the_known_ones() -> None:
    with pytest.raises(UnknownRegimeError) as caught:
        select_regimes(REGIMES, ["ca-sb-53"])
    assert caught.value.exit_code == 2
    assert "ca-sb53" in caught.value.diagnostics()
    assert select_regimes(REGIMES, ["ny-raise"]) == [REGIMES["ny-raise"]]
    assert select_regimes(REGIMES, []) == list(REGIMES.values())


def test_report_json_keeps_the_fixed_keys() -> None:
    report = report_coverage(developer(model()), list(REGIMES.values()), SOON).model_dump(mode="json")
    assert {"developer", "as_of", "determinations"} <= set(report)
    for found in report["determinations"]:
        assert {"regime", "regime_version", "covered", "tier", "tests", "exemptions", "obligations"} <= set(found)
        for test in found["tests"]:
            assert {"threshold", "value", "limit", "met"} <= set(test)
        for obligation in found["obligations"]:
            assert {"id", "description", "due"} <= set(obligation)


# The regime files themselves are checked when loaded.

REGIME_TEXT = (EXAMPLES.parent / "src" / "candor" / "regimes" / "ca-sb53.yaml").read_text()


def test_a_regime_obligation_naming_an_unknown_tier_is_refused() -> None:
    text = REGIME_TEXT.replace("tiers: [large-frontier-developer]", "tiers: [huge-developer]", 1)
    with pytest.raises(DocumentError) as caught:
        load_regime("ca-sb53.yaml", text.encode())
    assert "huge-developer" in caught.value.detail


def test_a_regime_with_an_unknown_field_is_refused_with_its_line() -> None:
    text = REGIME_TEXT.replace("    status: law", "    status: law\n    statuss: law", 1)
    with pytest.raises(DocumentError) as caught:
        load_regime("ca-sb53.yaml", text.encode())
    assert caught.value.field == "versions[0].statuss"
    assert caught.value.line is not None


def test_regime_versions_are_picked_by_date() -> None:
    regime: Regime = REGIMES["ny-raise"]
    assert regime.version_in_effect(date(2025, 1, 1)) is None
    assert regime.version_in_effect(date(2025, 12, 19)) is regime.versions[0]
    assert regime.version_in_effect(date(2030, 1, 1)) is regime.versions[1]
