"""The coverage engine: developer facts and regimes in, determinations out.

For each regime it picks the version in force on the day asked about (never a version that never took effect),
finds the developer's qualifying models, tests every threshold (keeping "more than" strict and "at least"
inclusive), applies the territorial nexus and exemptions, and lists the obligations and penalties that follow,
with deadlines computed from the obligation data. Values within 10% of a limit are flagged "near": a developer
just below a threshold must watch it, and one just above may soon fall out.

A fact the facts file leaves out is never guessed. A regime asks only for the facts it uses, and only where they
can change the outcome; every missing one is listed at once in ``missing_facts``. Exemptions are claims: a flag
left out is an exemption not claimed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from candor.domain.deadlines import add_period
from candor.domain.facts import DeveloperFacts, ModelFacts
from candor.domain.regimes import (
    Comparison,
    DeveloperThreshold,
    ModelThreshold,
    Obligation,
    Penalty,
    Regime,
    RegimeVersion,
    Status,
    Threshold,
    Timing,
    Trigger,
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


class Source(_Out):
    pinpoint: str
    url: str


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
    #: The pinpoint citation, and the URL of the official text.
    source: str
    url: str


class AppliedExemption(_Out):
    id: str
    description: str
    source: str
    url: str


class DueObligation(_Out):
    id: str
    description: str
    #: The deadline as a date where the facts allow computing one, otherwise the rule in words.
    due: str
    due_date: date | None
    due_rule: str
    trigger: Trigger
    #: The day the clock started (the trigger's day, or the obligation's first day if later), when known.
    triggered_on: date | None = None
    timing: Timing
    #: The period after the trigger ("15 days", "72 hours"), for deadlines that run "within" one.
    period: str | None
    recurrence: str | None
    retention: str | None
    model: str | None
    document: str | None
    source: str
    url: str
    note: str | None


class ApplicablePenalty(_Out):
    id: str
    description: str
    #: The maxima in words, e.g. "USD 1,000,000 per first violation; USD 3,000,000 per subsequent violation".
    maximum: str
    applies_from: date | None
    source: str
    url: str


#: covered: in force and covered (a higher tier may still be undetermined, see missing_facts); not-covered; exempt;
#: undetermined: facts needed to decide are missing; not-in-effect: the regime has no version in force that day.
Outcome = Literal["covered", "not-covered", "exempt", "undetermined", "not-in-effect"]


class Determination(_Out):
    regime: str
    regime_version: str
    title: str
    status: Status
    effective_from: date
    #: False when the day asked about is before the regime's first version in force.
    in_effect: bool
    covered: bool
    tier: str | None
    outcome: Outcome
    qualifying_models: list[str]
    tests: list[ThresholdTest]
    #: Names of the thresholds (with the model, where there is one) that sit within 10% of their limit.
    near: list[str]
    exemptions: list[AppliedExemption]
    #: Facts-file fields this regime needed and did not find, every one of them.
    missing_facts: list[str]
    obligations: list[DueObligation]
    penalties: list[ApplicablePenalty]
    notes: list[str]
    sources: list[Source]


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
    # Before a regime takes effect, its first version in force is still tested, so a developer sees what is coming.
    version = in_force or regime.operative_versions()[0]
    notes: list[str] = []
    missing: list[str] = []
    if in_force is None:
        notes.append(f"not in effect on {as_of}: version {version.version} takes effect on {version.effective_from}")
    for never in regime.versions:
        if never.status == "never-in-force":
            notes.append(f"version {never.version} never took effect and is not applied: {never.status_note}")
    following = [v for v in regime.operative_versions() if v.effective_from > as_of and v is not version]
    if following:
        notes.append(f"version {following[0].version} takes effect on {following[0].effective_from}")

    tests: list[ThresholdTest] = []
    qualifying: list[ModelFacts] = []
    definition = version.model_definition
    for index, model in enumerate(facts.models):
        if model.training_started > as_of:
            notes.append(f"{model.name}: training had not begun by {as_of}, so it does not count yet")
            continue
        if definition.eu_market and not (model.eu_market_intent or model.eu_placed_on is not None):
            notes.append(f"{model.name}: neither intended for nor placed on the EU market, so it does not count")
            continue
        model_tests: list[ThresholdTest] = []
        unknown = False
        for threshold in definition.thresholds:
            value = _model_measure(model, threshold)
            if value is None:
                missing.append(f"models[{index}].{threshold.measure}")
                unknown = True
            else:
                model_tests.append(_test(threshold, value, parameters, model.name))
        tests.extend(model_tests)
        if not unknown and all(test.met for test in model_tests):
            qualifying.append(model)
    if not facts.models:
        notes.append("the facts list no models")

    reached: list[str] = []
    # Every tier needs a qualifying model and every tier before it: a large frontier developer is a frontier
    # developer first. The developer's own thresholds are still tested without one, for the record; a missing
    # figure is asked for only when it can decide the tier.
    holds: bool | None = bool(qualifying) if qualifying or not missing else None
    for tier in version.tiers:
        tier_tests: list[ThresholdTest] = []
        unknown_facts: list[str] = []
        for developer_threshold in tier.thresholds:
            value, fact = _developer_measure(facts, qualifying, developer_threshold, as_of, notes)
            if value is None:
                unknown_facts.append(fact)
            else:
                tier_tests.append(_test(developer_threshold, value, parameters))
        tests.extend(tier_tests)
        met = _tier_met(tier.match, [test.met for test in tier_tests], bool(unknown_facts), bool(tier.thresholds))
        if holds is True:
            if met is None:
                missing.extend(unknown_facts)
            holds = met
            if met:
                reached.append(tier.id)

    in_scope = True
    if reached and version.nexus is not None:
        nexus = getattr(facts, version.nexus.fact)
        if nexus is None:
            missing.append(version.nexus.fact)
            in_scope = False
        elif not nexus:
            in_scope = False
            notes.append(f"outside the regime's territorial reach: {version.nexus.description}")
    exemptions = [
        AppliedExemption(
            id=exemption.id,
            description=exemption.description,
            source=exemption.citation.pinpoint,
            url=exemption.citation.url,
        )
        for exemption in version.exemptions
        if reached and all(getattr(facts, flag) is True for flag in exemption.when)
    ]
    covered = in_force is not None and bool(reached) and in_scope and not exemptions
    if reached and exemptions:
        notes.append(f"would be {reached[-1]} but for the exemption")
    if covered and holds is None:
        notes.append(f"covered as {reached[-1]}; whether a higher tier applies needs the missing facts")
    outcome = _outcome(in_force is not None, covered, bool(exemptions), bool(missing) and not covered)
    obligations = list(_obligations(facts, version, reached, qualifying, missing)) if covered else []
    penalties = [_penalty(penalty) for penalty in version.penalties if covered and _binds(penalty.tiers, reached)]
    return Determination(
        regime=regime.id,
        regime_version=version.version,
        title=regime.title,
        status=version.status,
        effective_from=version.effective_from,
        in_effect=in_force is not None,
        covered=covered,
        tier=reached[-1] if covered else None,
        outcome=outcome,
        qualifying_models=[model.name for model in qualifying],
        tests=tests,
        near=[test.threshold + (f" ({test.model})" if test.model else "") for test in tests if test.near],
        exemptions=exemptions,
        missing_facts=list(dict.fromkeys(missing)),
        obligations=obligations,
        penalties=penalties,
        notes=notes,
        sources=[Source(pinpoint=source.pinpoint, url=source.url) for source in version.sources],
    )


def _tier_met(match: str, met: list[bool], unknown: bool, has_thresholds: bool) -> bool | None:
    """Whether a tier's thresholds hold: True, False, or None when a missing figure could decide it."""
    if not has_thresholds:
        return True
    if match == "all":
        if not all(met):
            return False
        return None if unknown else True
    if any(met):
        return True
    return None if unknown else False


def _outcome(in_effect: bool, covered: bool, exempt: bool, undetermined: bool) -> Outcome:
    if not in_effect:
        return "not-in-effect"
    if covered:
        return "covered"
    if exempt:
        return "exempt"
    return "undetermined" if undetermined else "not-covered"


def _all_thresholds(regime: Regime) -> Iterator[Threshold]:
    for version in regime.versions:
        yield from version.model_definition.thresholds
        for tier in version.tiers:
            yield from tier.thresholds


def _model_measure(model: ModelFacts, threshold: ModelThreshold) -> int | float | None:
    if threshold.measure == "training_compute_flop":
        return model.training_compute_flop
    return model.training_compute_cost_usd


def _developer_measure(
    facts: DeveloperFacts,
    qualifying: Sequence[ModelFacts],
    threshold: DeveloperThreshold,
    as_of: date,
    notes: list[str],
) -> tuple[int | float | None, str]:
    """The developer's figure for ``threshold`` and the facts field it comes from (the value None when absent)."""
    if threshold.measure == "revenue_preceding_year_usd":
        # The statutes use gross revenue "in the preceding calendar year": the year before the day asked about.
        year = as_of.year - 1
        value = facts.revenue_for(year)
        if value is None and facts.revenue_usd_by_year:
            on_file = ", ".join(str(known) for known in sorted(facts.revenue_usd_by_year))
            note = f"revenue on file is for {on_file}, not {year}, the calendar year before {as_of}"
            if note not in notes:
                notes.append(note)
        return value, f"revenue_usd_by_year[{year}]"
    if threshold.measure == "rnd_usd":
        return facts.rnd_usd, "rnd_usd"
    if threshold.measure == "capex_usd":
        return facts.capex_usd, "capex_usd"
    costs = [model.training_compute_cost_usd for model in qualifying]
    if any(cost is None for cost in costs):
        return None, "models[].training_compute_cost_usd"
    return sum((cost for cost in costs if cost is not None), start=0), "models[].training_compute_cost_usd"


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
        source=threshold.citation.pinpoint,
        url=threshold.citation.url,
    )


def _binds(tiers: Sequence[str], reached: Sequence[str]) -> bool:
    return not tiers or bool(set(tiers) & set(reached))


def _obligations(
    facts: DeveloperFacts,
    version: RegimeVersion,
    reached: Sequence[str],
    qualifying: Sequence[ModelFacts],
    missing: list[str],
) -> Iterator[DueObligation]:
    coverage_start = max(version.effective_from, min(model.training_started for model in qualifying))
    for obligation in version.obligations:
        if not _binds(obligation.tiers, reached):
            continue
        suffix = ""
        if obligation.only_if is not None:
            value = getattr(facts, obligation.only_if.fact)
            if value is None:
                if obligation.only_if.fact not in missing:
                    missing.append(obligation.only_if.fact)
                suffix = f" (applies only if {obligation.only_if.fact} is {str(obligation.only_if.equals).lower()})"
            elif value != obligation.only_if.equals:
                continue
        trigger = obligation.trigger
        if trigger == "coverage-start":
            yield _due(obligation, coverage_start, suffix=suffix)
        elif trigger == "fixed-date":
            yield _due(obligation, obligation.on, suffix=suffix)
        elif trigger in ("threshold-met", "deployment", "eu-placement"):
            for model in qualifying:
                yield _model_due(obligation, version, model, suffix)
        else:
            yield _due(obligation, None, suffix=suffix)


def _due(
    obligation: Obligation,
    start: date | None,
    *,
    model: str | None = None,
    rule: str | None = None,
    suffix: str = "",
    deadline: date | None = None,
) -> DueObligation:
    """An obligation's deadline from the day its trigger happened (``start``), or from ``deadline`` directly."""
    rule = (rule or obligation.rule) + suffix
    if deadline is None and start is not None:
        if obligation.not_before is not None:
            # The obligation applies from not_before, so its clock cannot start earlier.
            start = max(start, obligation.not_before)
        deadline = add_period(start, obligation.period) if obligation.period is not None else start
    if deadline is None:
        due = rule
    elif obligation.timing == "ongoing":
        due = f"ongoing from {deadline.isoformat()}"
    elif obligation.timing == "before":
        due = f"before {deadline.isoformat()}"
    else:
        due = deadline.isoformat()
    return DueObligation(
        id=obligation.id,
        description=obligation.description,
        due=due,
        due_date=deadline,
        due_rule=rule,
        trigger=obligation.trigger,
        triggered_on=start,
        timing=obligation.timing,
        period=str(obligation.period) if obligation.period else None,
        recurrence=f"every {obligation.recurrence}" if obligation.recurrence else None,
        retention=str(obligation.retention) if obligation.retention else None,
        model=model,
        document=obligation.document,
        source=obligation.citation.pinpoint,
        url=obligation.citation.url,
        note=obligation.note,
    )


def _model_due(obligation: Obligation, version: RegimeVersion, model: ModelFacts, suffix: str) -> DueObligation:
    if obligation.trigger == "threshold-met":
        # The threshold is known to be met at the latest when the training run that crosses it begins.
        return _due(obligation, model.training_started, model=model.name, suffix=suffix)
    if obligation.trigger == "eu-placement":
        placed = model.eu_placed_on
        if placed is None:
            return _due(obligation, None, model=model.name, rule=f"{obligation.rule} (not yet placed)", suffix=suffix)
        legacy = obligation.legacy
        if legacy is not None and placed < legacy.before:
            return _due(obligation, None, model=model.name, rule=legacy.rule, suffix=suffix, deadline=legacy.due)
        return _due(obligation, placed, model=model.name, suffix=suffix)
    if model.released is None:
        return _due(obligation, None, model=model.name, rule=f"{obligation.rule} (not yet deployed)", suffix=suffix)
    if model.released < version.effective_from:
        # A deployment before the law took effect owes nothing under it; the next substantial revision will.
        rule = (
            f"at the next deployment of a substantially modified version (first deployed on {model.released},"
            f" before {version.effective_from})"
        )
        return _due(obligation, None, model=model.name, rule=rule, suffix=suffix)
    return _due(obligation, model.released, model=model.name, suffix=suffix)


def _penalty(penalty: Penalty) -> ApplicablePenalty:
    parts = [f"{amount.currency} {amount.amount:,} per {amount.per.replace('-', ' ')}" for amount in penalty.amounts]
    if penalty.turnover_percent is not None:
        parts.append(f"or {penalty.turnover_percent:g}% of worldwide annual turnover, whichever is higher")
    return ApplicablePenalty(
        id=penalty.id,
        description=penalty.description,
        maximum="; ".join(parts),
        applies_from=penalty.applies_from,
        source=penalty.citation.pinpoint,
        url=penalty.citation.url,
    )
