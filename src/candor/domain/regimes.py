"""Threshold regimes as data: who is covered, in which tier, and what follows.

A regime (a statute, or a proposal) is one YAML file in ``candor/regimes/``, named after its id. It holds one or
more versions, each with the date it takes effect, so that the law in force on any day can be applied. The
files are the single place where thresholds, tiers, exemptions, obligations and penalties are written down; the
engine in :mod:`candor.domain.coverage` only reads them. Every one of them carries a :class:`Citation`: a pinpoint
(section and subdivision, article and paragraph) and a URL to the official text. ``docs/regimes.md`` documents the
format, and in particular the obligation schema that an obligations calendar computes deadlines from.
"""

from __future__ import annotations

import re
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from candor.domain.facts import Quantity
from candor.domain.source import decode_source
from candor.domain.yamlload import format_path, load_yaml
from candor.errors import DocumentError

#: What a threshold measures, on one model or on the developer.
ModelMeasure = Literal["training_compute_flop", "training_compute_cost_usd"]
DeveloperMeasure = Literal[
    # Gross revenue with affiliates in the calendar year before the day asked about, as the statutes say.
    "revenue_preceding_year_usd",
    "rnd_usd",
    "capex_usd",
    # The summed training compute cost of the developer's qualifying models (NY RAISE 2025 text's "in aggregate").
    "frontier_compute_cost_usd",
]

#: The yes/no facts a regime may ask about (fields of :class:`candor.domain.facts.DeveloperFacts`).
Flag = Literal[
    "academic_institution", "located_in_new_york", "empire_ai_consortium", "new_york_operations", "eu_established"
]

#: "more-than" is the statutes' "more than", "greater than", "in excess of": a strict comparison.
#: "at-least" is "at least": the limit itself qualifies.
Comparison = Literal["more-than", "at-least"]

#: What starts an obligation's clock.
#: - coverage-start: the developer becomes covered (the later of the version's effective date and the first
#:   qualifying model's training start);
#: - threshold-met: a model meets the threshold, or it becomes known that it will (taken as its training start);
#: - deployment: a qualifying model is deployed (its ``released`` day); substantial-modification: a substantially
#:   modified version is deployed;
#: - eu-placement: a qualifying model is placed on the EU market (``eu_placed_on``);
#: - material-change: the developer materially changes a published document;
#: - incident-discovery / imminent-risk-discovery: the developer discovers an incident (one posing an imminent
#:   risk of death or serious physical injury, for the second);
#: - fixed-date: a calendar date (``on``); continuing: a standing duty or prohibition with no clock.
Trigger = Literal[
    "coverage-start",
    "threshold-met",
    "deployment",
    "substantial-modification",
    "eu-placement",
    "material-change",
    "incident-discovery",
    "imminent-risk-discovery",
    "fixed-date",
    "continuing",
]

#: How the deadline relates to the trigger: before it happens, no later than it (before or concurrently), within
#: a period after it, on a fixed date, or ongoing (no deadline: a standing duty).
Timing = Literal["before", "no-later-than", "within", "on", "ongoing"]

#: Units of a period. Days are calendar days; months and years are calendar months and years.
Unit = Literal["hours", "days", "months", "years"]

#: A pinpoint names a subdivision: "§22757.12(a)", "§1421(3)(a)", "Art. 52(1)", "¶114", "Measure 9.3",
#: "element 1", or a defined term in a definitions section ("§1420, definition of “frontier developer”"), where
#: the subdivision's number could not be confirmed. A bare section ("§1421") or article ("Art. 55") is not one.
PINPOINT = re.compile(
    r"(§\s?\d[\d.]*\(|Art\.\s?\d+\(|¶\s?\d|Measure\s\d|element\s\d|[Ss]ection\s\d+\(|definition of “)"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(_Strict):
    """Where a rule is written: a pinpoint in an instrument, and a URL to the official text."""

    #: The instrument and the pinpoint, e.g. "Cal. Bus. & Prof. Code §22757.12(a)".
    pinpoint: str
    url: str = Field(pattern=r"^https://[^\s]+$")

    @field_validator("pinpoint")
    @classmethod
    def _has_pinpoint(cls, value: str) -> str:
        if not PINPOINT.search(value):
            raise ValueError(f"{value!r} names no subdivision: cite e.g. §1421(3)(a) or Art. 52(1)")
        return value


class Period(_Strict):
    amount: int = Field(ge=0)
    unit: Unit

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit[:-1]
        return f"{self.amount} {unit}"


class Threshold(_Strict):
    """One number compared with a limit."""

    name: str
    label: str
    comparison: Comparison
    limit: Quantity
    #: When set, the limit is a policy parameter that a caller may override under this name.
    parameter: str | None = None
    citation: Citation
    note: str | None = None


class ModelThreshold(Threshold):
    measure: ModelMeasure


class DeveloperThreshold(Threshold):
    measure: DeveloperMeasure


class ModelDefinition(_Strict):
    """Which models count, such as SB 53's "frontier model": every threshold must be met."""

    term: str
    thresholds: list[ModelThreshold] = Field(min_length=1)
    #: Only models intended for, or placed on, the EU market count (the AI Act regulates its market).
    eu_market: bool = False
    citation: Citation
    note: str | None = None


class Tier(_Strict):
    """A class of covered developer. Each tier also requires every tier listed before it."""

    id: str
    description: str
    #: "all": every threshold must be met; "any": one is enough (the seed proposal's revenue OR R&D OR capex).
    match: Literal["all", "any"] = "all"
    thresholds: list[DeveloperThreshold] = Field(default_factory=list)
    citation: Citation
    note: str | None = None


class Exemption(_Strict):
    """The developer is outside the regime when every listed fact is true. An exemption is claimed: a fact
    left out of the facts file counts as not claimed."""

    id: str
    when: list[Flag] = Field(min_length=1)
    description: str
    citation: Citation
    note: str | None = None


class Nexus(_Strict):
    """A territorial condition: the regime applies only when this fact is true."""

    fact: Flag
    description: str
    citation: Citation
    note: str | None = None


class LegacyDeadline(_Strict):
    """A transition rule: models placed on the market before a day have until a later day to comply."""

    before: date
    due: date
    rule: str
    citation: Citation


class Condition(_Strict):
    """The obligation binds only developers for whom ``fact`` has this value."""

    fact: Flag
    equals: bool


class Obligation(_Strict):
    """A duty (or prohibition) as data, so that a calendar can compute when it falls due."""

    id: str
    description: str
    #: The tiers it binds; none listed means every tier.
    tiers: list[str] = Field(default_factory=list)
    trigger: Trigger
    timing: Timing
    #: The deadline after the trigger, for timing "within".
    period: Period | None = None
    #: The date, for trigger "fixed-date".
    on: date | None = None
    #: How often it recurs after the first time (e.g. every 12 months), if it does.
    recurrence: Period | None = None
    #: How long a record must be kept, where the obligation is to keep one.
    retention: Period | None = None
    only_if: Condition | None = None
    #: The obligation applies from this day, so no computed date falls before it.
    not_before: date | None = None
    legacy: LegacyDeadline | None = None
    #: The deadline in words, as the law puts it.
    rule: str
    #: The Candor document kind that discharges it, when there is one.
    document: str | None = None
    citation: Citation
    note: str | None = None

    @model_validator(mode="after")
    def _deadline_is_complete(self) -> Obligation:
        if (self.timing == "within") != (self.period is not None):
            raise ValueError(f"obligation {self.id!r}: a period is given exactly when timing is 'within'")
        if (self.trigger == "fixed-date") != (self.on is not None):
            raise ValueError(f"obligation {self.id!r}: a date ('on') is given exactly when the trigger is fixed-date")
        if self.trigger == "continuing" and self.timing != "ongoing":
            raise ValueError(f"obligation {self.id!r}: a continuing duty has timing 'ongoing'")
        return self


class Penalty(_Strict):
    """The most a regulator may recover; amounts are maxima, per violation or per day."""

    id: str
    description: str
    #: The tiers it binds; none listed means every tier.
    tiers: list[str] = Field(default_factory=list)
    amounts: list[PenaltyAmount] = Field(default_factory=list)
    #: A share of worldwide annual turnover, when the law sets the maximum as "whichever is higher".
    turnover_percent: float | None = None
    #: The penalty can be imposed from this day (e.g. AI Act Art. 101, from 2026-08-02).
    applies_from: date | None = None
    citation: Citation
    note: str | None = None


class PenaltyAmount(_Strict):
    amount: Quantity
    currency: Literal["USD", "EUR"]
    per: Literal["first-violation", "subsequent-violation", "violation", "day"]


Penalty.model_rebuild()

#: "law" is in force from its date; "proposal" is not law; "never-in-force" is a text that was enacted but
#: replaced before it took effect. It is kept so the history shows, and never used to determine coverage.
Status = Literal["law", "proposal", "never-in-force"]


class RegimeVersion(_Strict):
    version: str
    effective_from: date
    status: Status
    #: Why a version never took effect (required for status never-in-force).
    status_note: str | None = None
    summary: str
    sources: list[Citation] = Field(min_length=1)
    model_definition: ModelDefinition
    tiers: list[Tier] = Field(min_length=1)
    nexus: Nexus | None = None
    exemptions: list[Exemption] = Field(default_factory=list)
    obligations: list[Obligation] = Field(default_factory=list)
    penalties: list[Penalty] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> RegimeVersion:
        known = {tier.id for tier in self.tiers}
        named = [(item.id, item.tiers) for item in self.obligations] + [
            (item.id, item.tiers) for item in self.penalties
        ]
        for item_id, tiers in named:
            unknown = set(tiers) - known
            if unknown:
                raise ValueError(f"{item_id!r} names unknown tiers {sorted(unknown)}")
        if (self.status == "never-in-force") != (self.status_note is not None):
            raise ValueError("a status_note is given exactly when the status is never-in-force")
        ids = [obligation.id for obligation in self.obligations]
        if len(ids) != len(set(ids)):
            raise ValueError("obligation ids must be unique within a version")
        return self

    def citations(self) -> list[Citation]:
        """Every citation in this version: sources, thresholds, tiers, nexus, exemptions, duties, penalties."""
        found = [*self.sources, self.model_definition.citation]
        found += [threshold.citation for threshold in self.model_definition.thresholds]
        for tier in self.tiers:
            found.append(tier.citation)
            found += [threshold.citation for threshold in tier.thresholds]
        if self.nexus is not None:
            found.append(self.nexus.citation)
        found += [exemption.citation for exemption in self.exemptions]
        for obligation in self.obligations:
            found.append(obligation.citation)
            if obligation.legacy is not None:
                found.append(obligation.legacy.citation)
        found += [penalty.citation for penalty in self.penalties]
        return found


class Regime(_Strict):
    id: str
    title: str
    jurisdiction: str
    #: The IANA time zone the law counts its deadlines in (its own place), e.g. America/Los_Angeles.
    time_zone: str
    #: Why this zone: where the law names none, the choice and its reason.
    time_zone_note: str

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone, such as America/New_York") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The law's time zone."""
        return ZoneInfo(self.time_zone)

    #: Oldest first; each version in force is in effect from its date until the next one's.
    versions: list[RegimeVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _versions_in_order(self) -> Regime:
        dates = [version.effective_from for version in self.versions]
        if dates != sorted(set(dates)):
            raise ValueError("versions must be listed oldest first, with distinct effective dates")
        return self

    def version_in_effect(self, as_of: date) -> RegimeVersion | None:
        """The version in force on ``as_of``, or None before the first one took effect.

        A never-in-force version is skipped: it never governed any day.
        """
        current = None
        for version in self.versions:
            if version.status != "never-in-force" and version.effective_from <= as_of:
                current = version
        return current

    def operative_versions(self) -> list[RegimeVersion]:
        """The versions that determine coverage on some day (every one except those never in force)."""
        return [version for version in self.versions if version.status != "never-in-force"]


def load_regime(name: str, raw: bytes) -> Regime:
    """Parse one regime file; a malformed one is a :class:`DocumentError` naming its line and field."""
    loaded = load_yaml(decode_source(name, raw).text, name)
    try:
        return Regime.model_validate(loaded.value)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = tuple(error["loc"])
        raise DocumentError(name, error["msg"], line=loaded.line_of(path), field=format_path(path)) from None


def load_regimes(folder: Traversable | None = None) -> dict[str, Regime]:
    """Every regime shipped with Candor (or found in ``folder``), by id, in a stable order."""
    folder = folder or resources.files("candor.regimes")
    regimes: dict[str, Regime] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".yaml"):
            continue
        regime = load_regime(entry.name, entry.read_bytes())
        if f"{regime.id}.yaml" != entry.name:
            raise DocumentError(entry.name, f"regime id {regime.id!r} does not match its file name")
        if not regime.operative_versions():
            raise DocumentError(entry.name, "every version is never-in-force: the regime determines nothing")
        regimes[regime.id] = regime
    return regimes
