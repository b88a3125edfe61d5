"""The coverage engine: developer facts and regimes in, determinations out.

For each regime it picks the version in effect on the day asked about, finds the developer's qualifying models,
tests every threshold (keeping "more than" strict and "at least" inclusive), applies exemptions, and lists the
obligations that follow with their deadlines. Values within 10% of a limit are flagged "near": a developer just
below a threshold must watch it, and one just above may soon fall out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from candor.domain.facts import DeveloperFacts, ModelFacts
from candor.domain.regimes import (
    Comparison,
    DeveloperThreshold,
    ModelThreshold,
    Obligation,
    Regime,
    RegimeVersion,
    Threshold,
)
from candor.errors import CandorError

#: A value within this fraction of its limit, on either side, is "near" the threshold.
NEAR_FRACTION = Decimal("0.10")


class CoverageError(CandorError):
    """Facts and limits that give no determination a report can carry."""


class UnknownRegimeError(CandorError):
    """A regime id that Candor does not ship."""

    def __init__(self, regime_id: str, known: Iterable[str]) -> None:
        super().__init__(f"unknown regime {regime_id!r}", hint="known regimes: " + ", ".join(known))


class UnknownParameterError(CandorError):
    """A parameter override that no selected regime declares."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        names = ", ".join(sorted(known)) or "none"
        super().__init__(f"unknown regime parameter {name!r}", hint=f"parameters of the selected regimes: {names}")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ThresholdTest(_Out):
    threshold: str
    label: str
    #: The model tested, for thresholds on a model; None for thresholds on the developer.
    model: str | None
    value: int | float
    limit: int | float
    comparison: Comparison
    met: bool
    #: (value - limit) / limit: how far above (positive) or below (negative) the limit the value sits.
    margin: float
    near: bool
    source: str


class AppliedExemption(_Out):
    id: str
    description: str
    source: str


class DueObligation(_Out):
    id: str
    description: str
    #: An ISO date where the facts allow computing one, otherwise the rule in words.
    due: str
    due_rule: str
    model: str | None
    document: str | None
    cadence: str | None
    source: str


class Determination(_Out):
    regime: str
    regime_version: str
    title: str
    status: Literal["law", "proposal"]
    effective_from: date
    #: False when the day asked about is before the regime's first version took effect.
    in_effect: bool
    covered: bool
    tier: str | None
    qualifying_models: list[str]
    tests: list[ThresholdTest]
    #: Names of the thresholds (with the model, where there is one) that sit within 10% of their limit.
    near: list[str]
    exemptions: list[AppliedExemption]
    obligations: list[DueObligation]
    notes: list[str]
    sources: list[str]


class CoverageReport(_Out):
    developer: str
    as_of: date
    determinations: list[Determination]


def select_regimes(regimes: Mapping[str, Regime], ids: Sequence[str]) -> list[Regime]:
    """The regimes named by ``ids`` (all of them when empty), refusing unknown ids."""
    if not ids:
        return list(regimes.values())
    selected = []
    for regime_id in ids:
        if regime_id not in regimes:
            raise UnknownRegimeError(regime_id, regimes)
        selected.append(regimes[regime_id])
    return selected


def report_coverage(
    facts: DeveloperFacts,
    regimes: Sequence[Regime],
    as_of: date,
    parameters: Mapping[str, int | float] | None = None,
) -> CoverageReport:
    """Determine the developer's coverage under each regime on ``as_of``.

    ``parameters`` overrides limits that a regime declares as parameters, such as the seed proposal's
    ``frontier_compute_flop``.
    """
    parameters = dict(parameters or {})
    declared = {
        threshold.parameter for regime in regimes for threshold in _all_thresholds(regime) if threshold.parameter
    }
    for name in parameters:
        if name not in declared:
            raise UnknownParameterError(name, declared)
    return CoverageReport(
        developer=facts.developer,
        as_of=as_of,
        determinations=[determine(facts, regime, as_of, parameters) for regime in regimes],
    )


def determine(
    facts: DeveloperFacts, regime: Regime, as_of: date, parameters: Mapping[str, int | float] | None = None
) -> Determination:
    """One regime's determination for the developer on ``as_of``."""
    parameters = parameters or {}
    in_force = regime.version_in_effect(as_of)
    # Before a regime takes effect, its first version is still tested, so a developer sees what is coming.
    version = in_force or regime.versions[0]
    notes: list[str] = []
    if in_force is None:
        notes.append(f"not in effect on {as_of}: version {version.version} takes effect on {version.effective_from}")
    following = [v for v in regime.versions if v.effective_from > as_of and v is not version]
    if following:
        notes.append(f"version {following[0].version} takes effect on {following[0].effective_from}")

    tests: list[ThresholdTest] = []
    qualifying: list[ModelFacts] = []
    definition = version.model_definition
    for model in facts.models:
        if model.training_started > as_of:
            notes.append(f"{model.name}: training had not begun by {as_of}, so it does not count yet")
            continue
        if definition.requires_eu_market and not model.placed_on_eu_market:
            notes.append(f"{model.name}: not placed on the EU market, so it does not count")
            continue
        model_tests = [
            _test(threshold, _model_measure(model, threshold), parameters, model.name)
            for threshold in definition.thresholds
        ]
        tests.extend(model_tests)
        if all(test.met for test in model_tests):
            qualifying.append(model)
    if not facts.models:
        notes.append("the facts list no models")

    reached: list[str] = []
    # Every tier needs a qualifying model and every tier before it: a large frontier developer is a frontier
    # developer first. The developer's own thresholds are still tested without one, for the record.
    holds = bool(qualifying)
    for tier in version.tiers:
        tier_tests = [
            _test(threshold, _developer_measure(facts, qualifying, threshold), parameters)
            for threshold in tier.thresholds
        ]
        tests.extend(tier_tests)
        combine = all if tier.match == "all" else any
        holds = holds and (not tier_tests or combine(test.met for test in tier_tests))
        if holds:
            reached.append(tier.id)

    exemptions = [
        AppliedExemption(id=exemption.id, description=exemption.description, source=exemption.source)
        for exemption in version.exemptions
        if getattr(facts, exemption.when)
    ]
    covered = in_force is not None and bool(reached) and not exemptions
    if reached and exemptions:
        notes.append(f"would be {reached[-1]} but for the exemption")
    obligations = list(_obligations(version, reached, qualifying)) if covered else []
    return Determination(
        regime=regime.id,
        regime_version=version.version,
        title=regime.title,
        status=version.status,
        effective_from=version.effective_from,
        in_effect=in_force is not None,
        covered=covered,
        tier=reached[-1] if covered else None,
        qualifying_models=[model.name for model in qualifying],
        tests=tests,
        near=[test.threshold + (f" ({test.model})" if test.model else "") for test in tests if test.near],
        exemptions=exemptions,
        obligations=obligations,
        notes=notes,
        sources=version.sources,
    )


def _all_thresholds(regime: Regime) -> Iterator[Threshold]:
    for version in regime.versions:
        yield from version.model_definition.thresholds
        for tier in version.tiers:
            yield from tier.thresholds


def _model_measure(model: ModelFacts, threshold: ModelThreshold) -> int | float:
    if threshold.measure == "training_compute_flop":
        return model.training_compute_flop
    return model.training_compute_cost_usd


def _developer_measure(
    facts: DeveloperFacts, qualifying: Sequence[ModelFacts], threshold: DeveloperThreshold
) -> int | float:
    if threshold.measure == "annual_revenue_usd":
        return facts.annual_revenue_usd
    if threshold.measure == "rnd_capex_usd":
        return facts.rnd_capex_usd
    return sum((model.training_compute_cost_usd for model in qualifying), start=0)


def _exact(number: int | float) -> Decimal:
    # A float's shortest repr is the decimal a person wrote ("1e26"), so comparing Decimals of it compares the
    # numbers as written; Decimal(1e26) itself would be the binary approximation 100000000000000004764729344.
    return Decimal(number) if isinstance(number, int) else Decimal(repr(number))


def _test(
    threshold: Threshold, value: int | float, parameters: Mapping[str, int | float], model: str | None = None
) -> ThresholdTest:
    limit = parameters.get(threshold.parameter, threshold.limit) if threshold.parameter else threshold.limit
    exact_value, exact_limit = _exact(value), _exact(limit)
    met = exact_value > exact_limit if threshold.comparison == "more-than" else exact_value >= exact_limit
    distance = exact_value - exact_limit
    margin = float(distance / exact_limit) if exact_limit else 0.0
    if not math.isfinite(margin):
        # Facts are capped far below this, so only a limit set near zero gets here; JSON has no Infinity.
        raise CoverageError(
            f"{threshold.name}: {value} is too many times its limit {limit} for the margin to be a number",
            hint="check the --param limits",
        )
    return ThresholdTest(
        threshold=threshold.name,
        label=threshold.label,
        model=model,
        value=value,
        limit=limit,
        comparison=threshold.comparison,
        met=met,
        margin=margin,
        near=abs(distance) <= exact_limit * NEAR_FRACTION,
        source=threshold.source,
    )


def _obligations(
    version: RegimeVersion, reached: Sequence[str], qualifying: Sequence[ModelFacts]
) -> Iterator[DueObligation]:
    coverage_start = max(version.effective_from, min(model.training_started for model in qualifying))
    for obligation in version.obligations:
        if obligation.tiers and not set(obligation.tiers) & set(reached):
            continue
        anchor = obligation.due.anchor
        if anchor == "effective_from":
            yield _due(obligation, version.effective_from)
        elif anchor == "coverage_start":
            yield _due(obligation, coverage_start)
        elif anchor in ("model.released", "model.training_started"):
            for model in qualifying:
                yield _model_due(obligation, version, model)
        else:
            yield _due(obligation, None)


def _due(
    obligation: Obligation, on: date | None, *, model: str | None = None, rule: str | None = None
) -> DueObligation:
    rule = rule or obligation.due.rule
    if on is not None and obligation.due.not_before is not None:
        on = max(on, obligation.due.not_before)
    return DueObligation(
        id=obligation.id,
        description=obligation.description,
        due=on.isoformat() if on is not None else rule,
        due_rule=rule,
        model=model,
        document=obligation.document,
        cadence=obligation.cadence,
        source=obligation.source,
    )


def _model_due(obligation: Obligation, version: RegimeVersion, model: ModelFacts) -> DueObligation:
    due = obligation.due
    if due.anchor == "model.training_started":
        return _due(obligation, model.training_started + timedelta(days=due.offset_days), model=model.name)
    if model.released is None:
        return _due(obligation, None, model=model.name, rule=f"{due.rule} (not yet released)")
    if due.legacy is not None and model.released < due.legacy.released_before:
        return _due(obligation, due.legacy.due, model=model.name, rule=due.legacy.rule)
    if due.legacy is None and model.released < version.effective_from:
        # A deployment before the law took effect owes nothing under it; the next substantial revision will.
        return _due(
            obligation,
            None,
            model=model.name,
            rule=(
                f"at the next deployment of a substantially modified version (first deployed on {model.released},"
                f" before {version.effective_from})"
            ),
        )
    return _due(obligation, model.released + timedelta(days=due.offset_days), model=model.name)
