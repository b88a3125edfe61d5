"""Threshold regimes as data: who is covered, in which tier, and what follows.

A regime (a statute, or a proposal) is one YAML file in ``candor/regimes/``, named after its id. It holds one or
more versions, each with the date it takes effect, so that the law in force on any day can be applied. The
files are the single place where thresholds, tiers, exemptions and obligations are written down; the engine in
:mod:`candor.domain.coverage` only reads them.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from candor.domain.facts import Quantity
from candor.domain.source import decode_source
from candor.domain.yamlload import format_path, load_yaml
from candor.errors import DocumentError

#: What a threshold measures, on one model or on the developer.
ModelMeasure = Literal["training_compute_flop", "training_compute_cost_usd"]
DeveloperMeasure = Literal[
    "annual_revenue_usd",
    "rnd_capex_usd",
    # The summed training compute cost of the developer's qualifying models (NY RAISE's "in aggregate").
    "frontier_compute_cost_usd",
]

#: "more-than" is the statutes' "more than", "greater than", "in excess of": a strict comparison.
#: "at-least" is "at least": the limit itself qualifies.
Comparison = Literal["more-than", "at-least"]

#: What a deadline counts from: the day the version took effect, the day the developer became covered under it
#: (the later of that and the first qualifying model's training start), or a date of each qualifying model.
DueAnchor = Literal["effective_from", "coverage_start", "model.released", "model.training_started"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(_Strict):
    """One number compared with a limit."""

    name: str
    label: str
    comparison: Comparison
    limit: Quantity
    #: When set, the limit is a policy parameter that a caller may override under this name.
    parameter: str | None = None
    source: str


class ModelThreshold(Threshold):
    measure: ModelMeasure


class DeveloperThreshold(Threshold):
    measure: DeveloperMeasure


class ModelDefinition(_Strict):
    """Which models count, such as SB 53's "frontier model": every threshold must be met."""

    term: str
    thresholds: list[ModelThreshold] = Field(min_length=1)
    #: Only models placed on the EU market count (the AI Act regulates what is placed on its market).
    requires_eu_market: bool = False
    source: str


class Tier(_Strict):
    """A class of covered developer. Each tier also requires every tier listed before it."""

    id: str
    description: str
    #: "all": every threshold must be met; "any": one is enough (the seed proposal's revenue OR spend test).
    match: Literal["all", "any"] = "all"
    thresholds: list[DeveloperThreshold] = Field(default_factory=list)
    source: str


class Exemption(_Strict):
    id: str
    #: The facts field that, when true, exempts the developer.
    when: Literal["academic_institution"]
    description: str
    source: str


class LegacyDeadline(_Strict):
    """A transition rule: models placed on the market before a day have until a later day to comply."""

    released_before: date
    due: date
    rule: str


class Due(_Strict):
    """When an obligation falls due: always a rule in words, and a date where the facts allow one."""

    rule: str
    anchor: DueAnchor | None = None
    offset_days: int = Field(default=0, ge=0)
    #: The obligation applies from this day, so no computed date falls before it.
    not_before: date | None = None
    legacy: LegacyDeadline | None = None


class Obligation(_Strict):
    id: str
    description: str
    #: The Candor document kind that discharges it, when there is one.
    document: str | None = None
    cadence: str | None = None
    #: The tiers it applies to; none listed means every tier.
    tiers: list[str] = Field(default_factory=list)
    due: Due
    source: str


class RegimeVersion(_Strict):
    version: str
    effective_from: date
    status: Literal["law", "proposal"]
    summary: str
    sources: list[str] = Field(min_length=1)
    model_definition: ModelDefinition
    tiers: list[Tier] = Field(min_length=1)
    exemptions: list[Exemption] = Field(default_factory=list)
    obligations: list[Obligation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _obligations_name_known_tiers(self) -> RegimeVersion:
        known = {tier.id for tier in self.tiers}
        for obligation in self.obligations:
            unknown = set(obligation.tiers) - known
            if unknown:
                raise ValueError(f"obligation {obligation.id!r} names unknown tiers {sorted(unknown)}")
        return self


class Regime(_Strict):
    id: str
    title: str
    jurisdiction: str
    #: Oldest first; each version is in effect from its date until the next one's.
    versions: list[RegimeVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _versions_in_order(self) -> Regime:
        dates = [version.effective_from for version in self.versions]
        if dates != sorted(set(dates)):
            raise ValueError("versions must be listed oldest first, with distinct effective dates")
        return self

    def version_in_effect(self, as_of: date) -> RegimeVersion | None:
        """The version in force on ``as_of``, or None before the first one took effect."""
        current = None
        for version in self.versions:
            if version.effective_from <= as_of:
                current = version
        return current


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
        regimes[regime.id] = regime
    return regimes
