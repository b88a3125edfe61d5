"""Developer facts: the figures that decide whether a developer is covered, and under which regime.

A facts file is plain YAML. Its field names are fixed, because tools outside Candor read and write them; they are
documented in ``docs/regimes.md``. Files in the old format (``fiscal_year``, ``annual_revenue_usd``,
``rnd_capex_usd``, ``placed_on_eu_market``) fail with one line that says how to rewrite them.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainValidator, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from candor.domain.placeholders import is_placeholder, reject_placeholders
from candor.domain.slugs import DEVELOPER_SLUG_PATTERN, MAX_SLUG_CHARS
from candor.domain.source import decode_source
from candor.domain.yamlload import FieldPath, LoadedYaml, format_path, load_yaml
from candor.errors import DocumentError

#: A developer's registry identifier: lower-case words joined by hyphens, such as ``acme-ai``.
SLUG_PATTERN = DEVELOPER_SLUG_PATTERN

#: The largest quantity a facts file may state, as an int or a float: a googol. The largest training runs are
#: near 1e27 operations and the largest companies' revenue near 1e12 dollars, so nothing real comes close; yet it
#: keeps every figure, and every margin computed from it, a finite number that JSON can carry.
MAX_QUANTITY = 10**100

#: The most models one facts file may list. A developer lists the models it has trained at frontier scale, a
#: handful a year; ten thousand leaves room for any catalogue of fine-tuned variants, while bounding the report
#: (one row per model and threshold) and the time to compute it.
MAX_MODELS = 10_000


def above_max_quantity(value: int | float) -> bool:
    """Whether ``value`` is over :data:`MAX_QUANTITY`, compared as written: the float 1e100 (a little above the int
    10**100) is still within."""
    return value > (MAX_QUANTITY if isinstance(value, int) else float(MAX_QUANTITY))


def _quantity(value: object) -> int | float:
    # Money and compute are kept exactly as written: an int stays an int (10**26 written out in full is exact),
    # a float stays a float. Booleans are ints to Python but never a quantity; text is refused rather than
    # guessed at, so a quoted "3.1e26" is an error a person sees.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("quantity_type", "must be a number, such as 650000000 or 3.1e26")
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("quantity_finite", "must be a finite number")
    if value < 0:
        raise PydanticCustomError("quantity_negative", "must not be negative")
    if above_max_quantity(value):
        raise PydanticCustomError("quantity_too_large", "must be at most 1e100; no real figure comes near it")
    return value


#: A non-negative amount (US dollars, or floating-point operations), an int or a float.
Quantity = Annotated[int | float, PlainValidator(_quantity)]


class ModelFacts(BaseModel):
    """One model the developer has trained, or has begun to train."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    #: Total training compute, including fine-tuning, reinforcement learning and other modifications.
    training_compute_flop: Quantity
    #: What the training compute cost, at market prices for cloud compute when it was trained. Only the 2025 text
    #: of New York's RAISE Act (never in force) used it, so it may be left out.
    training_compute_cost_usd: Quantity | None = None
    #: The day training began. A model counts for "has begun training" only from this day.
    training_started: date
    #: The day the model was first deployed; null while it is unreleased or only used internally.
    released: date | None = None
    #: Whether the developer intends to place the model on the EU market. The AI Act's notification duty
    #: (Art. 52(1)) runs from the threshold being met, before any placing on the market.
    eu_market_intent: bool = False
    #: The day the model was first placed on the EU market; null while it has not been.
    eu_placed_on: date | None = None


class IncidentFacts(BaseModel):
    """A safety incident the developer discovered, which starts the incident-reporting clocks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: A short name for the incident, unique in the file; calendars name it and key its deadlines by it.
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    #: critical-safety: a critical safety incident (or serious incident); imminent-risk: one that also poses an
    #: imminent risk of death or serious physical injury, which starts the 24-hour clocks as well.
    kind: Literal["critical-safety", "imminent-risk"]
    #: When the developer discovered it, with its UTC offset (2027-03-13T10:00:00-05:00): hour clocks need the
    #: instant, and day clocks the day in the law's own time zone.
    discovered_at: AwareDatetime
    #: The model it pertains to, if one.
    model: str | None = None
    #: When it was reported to the authority, if it has been.
    reported_at: AwareDatetime | None = None


#: Field names of the old facts format and how to rewrite each, so that an old file fails with one line that
#: says what to write instead (the figures cannot be converted silently: R&D plus capex does not split).
RETIRED_FIELDS = {
    "fiscal_year": "replace fiscal_year and annual_revenue_usd by revenue_usd_by_year: {2025: 650000000}, "
    "gross revenue with affiliates per calendar year",
    "annual_revenue_usd": "replace fiscal_year and annual_revenue_usd by revenue_usd_by_year: {2025: 650000000}, "
    "gross revenue with affiliates per calendar year",
    "rnd_capex_usd": "replace rnd_capex_usd by two figures, rnd_usd and capex_usd: the seed proposal tests each alone",
    "placed_on_eu_market": "replace placed_on_eu_market by eu_market_intent: true|false and eu_placed_on: "
    "YYYY-MM-DD or null",
}


class DeveloperFacts(BaseModel):
    """The facts a developer declares about itself, for coverage determinations.

    Every figure and flag except the developer's names may be left out: a regime asks only for the facts it uses,
    and a determination lists every fact it needed and did not find.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    developer: str = Field(pattern=SLUG_PATTERN, max_length=MAX_SLUG_CHARS)
    legal_name: str = Field(min_length=1)
    #: Gross revenue including affiliates, per calendar year. The statutes use the preceding calendar year.
    revenue_usd_by_year: dict[Annotated[int, Field(ge=1900, le=2200)], Quantity] | None = None
    #: Research and development spending in the most recent full year.
    rnd_usd: Quantity | None = None
    #: Capital expenditure in the most recent full year.
    capex_usd: Quantity | None = None
    #: An accredited college or university, to the extent it is engaged in academic research on AI models.
    academic_institution: bool | None = None
    #: The institution is in New York State (N.Y. Gen. Bus. Law §1426(1) exempts only those).
    located_in_new_york: bool | None = None
    #: The Empire AI consortium or institute (N.Y. Econ. Dev. Law §361), exempt under §1426(2).
    empire_ai_consortium: bool | None = None
    #: Develops, deploys or operates a frontier model in whole or in part in New York State (§1425 nexus).
    new_york_operations: bool | None = None
    #: Established in the European Union; a provider established elsewhere appoints an authorised
    #: representative (AI Act Art. 54).
    eu_established: bool | None = None
    models: list[ModelFacts] = Field(default_factory=list)
    #: Safety incidents discovered, for the incident-reporting clocks of the obligations calendar.
    incidents: list[IncidentFacts] = Field(default_factory=list)

    def revenue_for(self, year: int) -> int | float | None:
        """Gross revenue for the calendar ``year``, or None when the facts do not give it."""
        return None if self.revenue_usd_by_year is None else self.revenue_usd_by_year.get(year)


def parse_facts(name: str, raw: bytes) -> DeveloperFacts:
    """Parse a facts file's bytes; every problem is a :class:`DocumentError` naming file, line and field."""
    loaded = load_yaml(decode_source(name, raw).text, name)
    reject_placeholders(loaded, name)
    _check_model_count(name, loaded)
    _reject_old_format(name, loaded)
    try:
        facts = DeveloperFacts.model_validate(loaded.value)
    except ValidationError as exc:
        # A misspelt field is also a missing one; the unknown key is what the person wrote, so report that.
        errors = sorted(exc.errors(), key=lambda error: error["type"] != "extra_forbidden")
        raise _document_error(name, loaded, errors[0]) from None
    _check_consistency(name, loaded, facts)
    return facts


def _reject_old_format(name: str, loaded: LoadedYaml) -> None:
    """Refuse a facts file in the old format with one line that says how to rewrite every old field in it."""
    value = loaded.value
    if not isinstance(value, dict):
        return
    found: list[FieldPath] = [(key,) for key in value if key in RETIRED_FIELDS]
    models = value.get("models")
    if isinstance(models, list):
        for index, model in enumerate(models):
            if isinstance(model, dict):
                found += [("models", index, key) for key in model if key in RETIRED_FIELDS]
    if not found:
        return
    found.sort(key=lambda path: loaded.line_of(path) or 0)
    rewrites = list(dict.fromkeys(RETIRED_FIELDS[str(path[-1])] for path in found))
    raise DocumentError(
        name,
        "is a field of the old facts format",
        line=loaded.line_of(found[0]),
        field=format_path(found[0]),
        hint="; ".join(rewrites) + " (see docs/regimes.md)",
    )


def _check_model_count(name: str, loaded: LoadedYaml) -> None:
    # Before validation, so that an oversized list is refused before any time is spent on it.
    models = loaded.value.get("models") if isinstance(loaded.value, dict) else None
    if isinstance(models, list) and len(models) > MAX_MODELS:
        raise DocumentError(
            name,
            f"lists {len(models):,} models, over the limit of {MAX_MODELS:,}",
            line=loaded.line_of(("models",)),
            field="models",
            hint="list the models that count for coverage: those trained at or near frontier scale",
        )


def _check_consistency(name: str, loaded: LoadedYaml, facts: DeveloperFacts) -> None:
    # Each rule is one a type cannot express: names are how reports refer to models, so they must be unique,
    # and a model cannot be released (or placed on the EU market) before its training began.
    incidents: dict[str, int] = {}
    for index, incident in enumerate(facts.incidents):
        if incident.id in incidents:
            raise DocumentError(
                name,
                f"incident {incident.id!r} is listed twice (first as incidents[{incidents[incident.id]}])",
                line=loaded.line_of(("incidents", index, "id")),
                field=f"incidents[{index}].id",
                hint="give each incident its own id",
            )
        incidents[incident.id] = index
    seen: dict[str, int] = {}
    for index, model in enumerate(facts.models):
        if model.name in seen:
            raise DocumentError(
                name,
                f"model {model.name!r} is listed twice (first as models[{seen[model.name]}])",
                line=loaded.line_of(("models", index, "name")),
                field=f"models[{index}].name",
                hint="give each model its own name",
            )
        seen[model.name] = index
        if model.released is not None and model.released < model.training_started:
            raise DocumentError(
                name,
                f"released on {model.released} is before training started on {model.training_started}",
                line=loaded.line_of(("models", index, "released")),
                field=f"models[{index}].released",
            )
        if model.eu_placed_on is not None and model.eu_placed_on < model.training_started:
            raise DocumentError(
                name,
                f"placed on the EU market on {model.eu_placed_on}, before training started on {model.training_started}",
                line=loaded.line_of(("models", index, "eu_placed_on")),
                field=f"models[{index}].eu_placed_on",
            )


def _document_error(name: str, loaded: LoadedYaml, error: ErrorDetails) -> DocumentError:
    path: FieldPath = tuple(error["loc"])
    kind = error["type"]
    if path and path[-1] == "[key]":
        # A key of revenue_usd_by_year that is not a year: name the mapping and the key as written.
        key, where = path[-2], path[:-2]
        if is_placeholder(key):
            message = f"still holds the template placeholder {key}"
        elif isinstance(key, int):
            message = f"{key} is not a year between 1900 and 2200"
        else:
            message = f"{key!r} is not a calendar year: write the year as a number, such as 2025"
        return DocumentError(name, message, line=loaded.line_of(path[:-1]), field=format_path(where))
    if kind == "extra_forbidden":
        field = str(path[-1])
        known = _field_names(path[:-1])
        close = difflib.get_close_matches(field, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "known fields: " + ", ".join(known)
        return DocumentError(name, "unknown field", line=loaded.line_of(path), field=format_path(path), hint=hint)
    if kind == "missing":
        message = "is required"
    elif kind == "model_type" and not path:
        return DocumentError(name, "a facts file must be a YAML mapping of fields, such as 'developer: acme-ai'")
    elif kind == "string_type":
        # YAML reads a bare 2025, 1e26 or yes as a number or a boolean; quoting keeps it as text.
        return DocumentError(
            name, "must be text", line=loaded.line_of(path), field=format_path(path), hint="put the value in quotes"
        )
    elif kind == "string_pattern_mismatch":
        message = "must be a slug: lower-case letters and digits joined by hyphens, such as 'acme-ai'"
    else:
        message = _lower_first(error["msg"])
    return DocumentError(name, message, line=loaded.line_of(path), field=format_path(path))


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:]


def _field_names(path: FieldPath) -> list[str]:
    """The fields allowed at ``path``, found by following the models' annotations from the root."""
    model: type[BaseModel] = DeveloperFacts
    for part in path:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        nested = None if info is None else _nested_model(info.annotation)
        if nested is None:
            return []
        model = nested
    return list(model.model_fields)


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = _nested_model(argument)
            if found is not None:
                return found
    return None
