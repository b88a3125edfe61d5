"""Transparency standards as versioned data: rules, rule packs, and the findings they produce.

A standard is a rule pack, a YAML file shipped in ``candor/standards/``. Each rule names the document kinds it
applies to, a severity, a message, why it exists, where it comes from (a framework tenet or a statute section), and
the named check that implements it. A pack may extend another, so a statute's pack builds on the framework's
minimum instead of copying it. Everything about a pack is checked when it is loaded: an unknown check, unknown
check parameters, a rule id used twice along an ``extends`` chain, an unknown parent or a cycle are all errors
that name the pack file, its line and the field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from candor.domain.checks import CHECKS, CheckContext, CheckParamsError, Gap
from candor.domain.documents import DISCLOSURE_KINDS
from candor.domain.parse import ParsedDocument
from candor.domain.redaction import DocumentRedactions
from candor.domain.source import decode_source
from candor.domain.yamlload import FieldPath, LoadedYaml, format_path, load_yaml
from candor.errors import CandorError, DocumentError, SourceError

#: The standard ``candor check`` applies when none is named.
DEFAULT_STANDARD = "candor-minimum-2026.1"

# Pack ids are lower-case words with dots or hyphens, so they double as file names: ca-sb53-2026, eu-cop-2025.
_PACK_ID = r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$"
# Rules link to the official text over https, never a plain-http copy that could be altered in transit.
_OFFICIAL_TEXT = r"^https://[^\s/]+\.[^\s]+$"
# Rule ids are upper-case words joined by hyphens, such as SDF-RISK-CBRN, so they stand out in CI logs.
_RULE_ID = r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+$"


class Severity(StrEnum):
    """How much a finding matters. Only ``error`` makes ``candor check`` fail."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


class StandardError(CandorError):
    """A standard that cannot be found or resolved: an unknown id, an unknown parent, an ``extends`` cycle."""


class Rule(BaseModel):
    """One requirement of a standard, implemented by a named check."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=_RULE_ID)]
    #: The document kinds the rule reads: secure-development-framework, system-card, certification.
    applies_to: Annotated[tuple[str, ...], Field(min_length=1)]
    severity: Severity
    message: Annotated[str, Field(min_length=1)]
    rationale: Annotated[str, Field(min_length=1)]
    #: Where the requirement comes from: a tenet of the framework or a statute section, cited precisely.
    source: Annotated[str, Field(min_length=1)]
    #: The official text that ``source`` cites, so a reader can check the rule against the law itself. Every shipped
    #: rule has one (a test holds them to it); a developer's own pack may cite a board resolution with no address.
    url: Annotated[str | None, Field(pattern=_OFFICIAL_TEXT)] = None
    #: The name of the check that implements the rule, from :data:`candor.domain.checks.CHECKS`.
    check: str
    #: Settings for the check, such as the risk domains it requires; validated against the check at load time.
    params: dict[str, Any] = Field(default_factory=dict)
    #: How to fix a finding, shown with it; the check may give a more precise one.
    hint: str | None = None

    @field_validator("applies_to")
    @classmethod
    def _known_kinds(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        for kind in kinds:
            if kind not in DISCLOSURE_KINDS:
                close = difflib.get_close_matches(kind, DISCLOSURE_KINDS, n=1)
                suggestion = f"did you mean {close[0]}? " if close else ""
                raise ValueError(f"{kind!r} is not a kind of disclosure; {suggestion}use {', '.join(DISCLOSURE_KINDS)}")
        return kinds

    @field_validator("check")
    @classmethod
    def _known_check(cls, name: str) -> str:
        if name not in CHECKS:
            close = difflib.get_close_matches(name, CHECKS, n=1)
            suggestion = f"; did you mean {close[0]}?" if close else ""
            raise ValueError(f"unknown check {name!r}{suggestion}")
        return name

    def applies(self, kind: str) -> bool:
        """Whether this rule applies to a document of ``kind``."""
        return kind in self.applies_to


#: A citation of the framework's tenets in a rule's source: "Tenet 2", "Tenets 2 and 4", "Tenets 2, 3 and 5".
_TENET_CITATION = re.compile(r"\bTenets? (\d+(?:(?:, | and )\d+)*)")


class Tenet(BaseModel):
    """One tenet of the transparency framework Candor implements, which rules cite by number ("Tenet 2")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: Annotated[int, Field(ge=1, le=99)]
    title: Annotated[str, Field(min_length=1)]
    summary: Annotated[str, Field(min_length=1)]
    url: Annotated[str, Field(pattern=_OFFICIAL_TEXT)]


class RulePack(BaseModel):
    """A versioned standard: its own rules, plus every rule of the pack it extends (parent rules first)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=_PACK_ID)]
    version: Annotated[str, Field(min_length=1)]
    title: Annotated[str, Field(min_length=1)]
    description: Annotated[str, Field(min_length=1)]
    extends: str | None = None
    #: The coverage regime (by id, as in ``candor/regimes/``) whose covered developers the registry holds to this
    #: pack; None for a pack the registry applies only to every document (the default standard) or on request.
    regime: str | None = None
    #: The day the pack's requirements start to bind; before it the registry does not apply the pack.
    effective_from: dt.date | None = None
    rules: tuple[Rule, ...]
    #: The tenets its rules cite by number, so that a reader learns what "Tenet 2" says; inherited like rules.
    tenets: tuple[Tenet, ...] = ()

    def cited_tenets(self) -> list[Tenet]:
        """The tenets the pack's rules cite in their sources, in number order."""
        cited = {
            int(number)
            for rule in self.rules
            for match in _TENET_CITATION.finditer(rule.source)
            for number in re.findall(r"\d+", match.group(1))
        }
        return sorted((tenet for tenet in self.tenets if tenet.number in cited), key=lambda tenet: tenet.number)

    def rule(self, rule_id: str) -> Rule:
        """The rule with ``rule_id``; a :class:`StandardError` if the pack has none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise StandardError(f"standard {self.id} has no rule {rule_id}")


class Finding(BaseModel):
    """One place where a document falls short of a rule."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    severity: Severity
    file: str
    line: int | None
    #: The field path, as people write it (``risk_domains[0].thresholds``); None for the document as a whole.
    field: str | None
    message: str
    hint: str | None = None

    @property
    def location(self) -> str:
        """``file:line`` (or just the file when no line is known)."""
        return self.file if self.line is None else f"{self.file}:{self.line}"


def run_standard(pack: RulePack, document: ParsedDocument, context: CheckContext | None = None) -> list[Finding]:
    """Apply every rule of ``pack`` that fits the document's kind, in pack order.

    ``context`` holds the disclosures checked alongside, for rules that compare documents (a system card against
    the framework it applied); without it those rules find nothing.
    """
    context = replace(context or CheckContext(), redactions=DocumentRedactions.of(document.body, document.redactions))
    findings: list[Finding] = []
    kind = document.model.kind
    for rule in pack.rules:
        if not rule.applies(kind):
            continue
        for gap in CHECKS[rule.check].inspect(document.model, rule.params, context):
            findings.append(_finding(rule, document, gap))
    return findings


def _finding(rule: Rule, document: ParsedDocument, gap: Gap) -> Finding:
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        file=document.source.name,
        line=gap.line or document.front_matter.line_of(gap.path),
        field=format_path(gap.path) if gap.path else None,
        message=f"{rule.message}: {gap.detail}" if gap.detail else rule.message,
        hint=gap.hint or rule.hint,
    )


class StandardCatalogue:
    """The rule packs available by id, read from YAML files and resolved through ``extends``.

    Packs are loaded lazily and cached: ``candor check`` reads only the pack it applies and its ancestors.
    """

    def __init__(self, pack_files: Mapping[str, Traversable]) -> None:
        self._pack_files = dict(pack_files)
        self._resolved: dict[str, RulePack] = {}

    @classmethod
    def bundled(cls) -> StandardCatalogue:
        """The standards shipped with Candor."""
        return cls.from_folder(files("candor").joinpath("standards"))

    @classmethod
    def from_folder(cls, folder: Traversable | Path) -> StandardCatalogue:
        """Every ``*.yaml`` file in ``folder``; a pack's id is its file name without ``.yaml``."""
        entries = folder.iterdir()
        return cls({entry.name.removesuffix(".yaml"): entry for entry in entries if entry.name.endswith(".yaml")})

    def with_pack_file(self, path: Path) -> tuple[StandardCatalogue, str]:
        """This catalogue plus a pack file of one's own, and that pack's id (its file name without ``.yaml``).

        A developer or regulator can draft a standard that extends a shipped one and apply it before it ships.
        """
        pack_id = path.name.removesuffix(".yaml").removesuffix(".yml")
        return StandardCatalogue({**self._pack_files, pack_id: path}), pack_id

    def ids(self) -> list[str]:
        """The ids of every available pack, sorted."""
        return sorted(self._pack_files)

    def load(self, pack_id: str) -> RulePack:
        """The pack ``pack_id`` with its ``extends`` chain resolved."""
        return self._load(pack_id, ())

    def rule_origins(self, pack_id: str) -> dict[str, str]:
        """For each rule of the pack, the id of the pack in its ``extends`` chain that defines it."""
        pack = self.load(pack_id)
        origins = {} if pack.extends is None else self.rule_origins(pack.extends)
        return {rule.id: origins.get(rule.id, pack.id) for rule in pack.rules}

    def _load(self, pack_id: str, chain: tuple[str, ...]) -> RulePack:
        if pack_id in chain:
            cycle = " -> ".join((*chain, pack_id))
            raise StandardError(f"standard {chain[-1]} extends itself through a cycle: {cycle}")
        if pack_id in self._resolved:
            return self._resolved[pack_id]
        entry = self._pack_files.get(pack_id)
        if entry is None:
            raise self._unknown(pack_id, chain)
        own, loaded = _read_pack(entry, pack_id)
        if own.extends is None:
            resolved = own
        else:
            parent = self._load(own.extends, (*chain, pack_id))
            resolved = _extend(parent, own, loaded, entry.name)
        self._resolved[pack_id] = resolved
        return resolved

    def _unknown(self, pack_id: str, chain: tuple[str, ...]) -> StandardError:
        close = difflib.get_close_matches(pack_id, self._pack_files, n=1)
        hint = f"did you mean {close[0]}?" if close else f"known standards: {', '.join(self.ids())}"
        if chain:
            return StandardError(f"standard {chain[-1]} extends unknown standard {pack_id!r}", hint=hint)
        return StandardError(f"unknown standard {pack_id!r}", hint=hint)


def _extend(parent: RulePack, own: RulePack, loaded: LoadedYaml, name: str) -> RulePack:
    inherited = {rule.id for rule in parent.rules}
    for index, rule in enumerate(own.rules):
        if rule.id in inherited:
            raise DocumentError(
                name,
                f"rule {rule.id} is already defined by {parent.id}, which this standard extends",
                line=loaded.line_of(("rules", index, "id")),
                field=format_path(("rules", index, "id")),
                hint="give the stricter rule its own id",
            )
    return own.model_copy(update={"rules": parent.rules + own.rules, "tenets": parent.tenets + own.tenets})


def _read_pack(entry: Traversable, pack_id: str) -> tuple[RulePack, LoadedYaml]:
    name = entry.name
    try:
        raw = entry.read_bytes()
    except FileNotFoundError:
        raise SourceError(name, "no such file") from None
    except OSError as exc:
        raise SourceError(name, f"cannot be read: {exc.strerror or exc}") from None
    source = decode_source(name, raw)
    loaded = load_yaml(source.text, name)
    if not isinstance(loaded.value, dict):
        raise DocumentError(name, "a rule pack is a YAML mapping with id, version, title, description and rules")
    try:
        pack = RulePack.model_validate(loaded.value)
    except ValidationError as exc:
        raise _pack_error(exc, loaded, name) from None
    if pack.id != pack_id:
        raise DocumentError(
            name, f"pack id {pack.id!r} does not match its file name", line=loaded.line_of(("id",)), field="id"
        )
    _check_rules(pack, loaded, name)
    return pack, loaded


def _check_rules(pack: RulePack, loaded: LoadedYaml, name: str) -> None:
    seen: set[str] = set()
    for index, rule in enumerate(pack.rules):
        if rule.id in seen:
            path: FieldPath = ("rules", index, "id")
            raise DocumentError(
                name, f"rule {rule.id} is defined twice", line=loaded.line_of(path), field=format_path(path)
            )
        seen.add(rule.id)
        try:
            CHECKS[rule.check].validate_params(rule.params, rule.applies_to)
        except CheckParamsError as exc:
            path = ("rules", index, "params", *exc.path) if exc.path else ("rules", index, "check")
            raise DocumentError(
                name,
                f"check {rule.check}: {exc.message}",
                line=loaded.line_of(path),
                field=format_path(path),
            ) from None


def _pack_error(exc: ValidationError, loaded: LoadedYaml, name: str) -> DocumentError:
    error = exc.errors()[0]
    path: FieldPath = tuple(part for part in error["loc"] if isinstance(part, str | int))
    return DocumentError(name, _plain(error["msg"]), line=loaded.line_of(path), field=format_path(path))


def _plain(message: str) -> str:
    # pydantic prefixes messages from our validators with "Value error, ", which adds nothing for a reader.
    return re.sub(r"^Value error, ", "", message)


def load_standard(pack_id: str) -> RulePack:
    """A bundled standard by id, resolved through ``extends``."""
    return StandardCatalogue.bundled().load(pack_id)


def findings_by_severity(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings there are at each severity (every severity present, zero when none)."""
    counts = dict.fromkeys(Severity, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


@dataclass(frozen=True)
class AppliedStandard:
    """A standard the registry holds a developer's documents to, and why."""

    pack: RulePack
    #: Why it applies, to follow "because": "it applies to every document", or the regime that covers the developer.
    reason: str


def standards_that_apply(
    catalogue: StandardCatalogue, covered_regimes: Mapping[str, str], as_of: dt.date
) -> list[AppliedStandard]:
    """The standards a developer's documents are held to on ``as_of``: the default standard always, then every pack
    whose ``regime`` is one the developer is covered by (``covered_regimes`` maps regime id to its title) and which
    is in force by then, in pack id order.
    """
    applied = [AppliedStandard(catalogue.load(DEFAULT_STANDARD), "it applies to every document")]
    for pack_id in catalogue.ids():
        pack = catalogue.load(pack_id)
        if pack.regime is None or pack.regime not in covered_regimes:
            continue
        if pack.effective_from is not None and as_of < pack.effective_from:
            continue
        applied.append(AppliedStandard(pack, f"the developer is covered by {covered_regimes[pack.regime]}"))
    return applied
