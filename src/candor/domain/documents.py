"""The structured part of a disclosure: what a framework, a system card and a certification must say.

A disclosure is Markdown with a YAML front-matter block; these models are that front matter. They are
strict on purpose: unknown keys are errors (a typo must not silently drop a commitment), values are not
coerced (``version: 2.1`` is a number, not the text "2.1"), and every commitment carries a stable ``id`` and
a ``strength`` so that a later version which weakens or drops it can be found by a diff.

Where the models name things, they use the words of the tenets and of SB 53 §22757.12, so that a rule pack
can point at a field and a reader can trace it back to the law.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from candor.domain.slugs import is_developer_slug
from candor.domain.statement import StatementKind
from candor.domain.taxonomy import RiskDomainId
from candor.domain.yamlload import FieldPath, format_path

# --- Value types -----------------------------------------------------------------------------------------------

_COMMITMENT_ID = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")
_VERSION = re.compile(r"^[0-9A-Za-z]+(?:[.+-][0-9A-Za-z]+)*$")
_TOKEN = re.compile(r"^[a-z][a-z0-9-]*$")
_WEB_ADDRESS = re.compile(r"^https://[^\s/]+\.[^\s]+$")


def _slug(value: str) -> str:
    if not is_developer_slug(value):
        raise ValueError(f"{value!r} is not a slug; use lower-case letters, digits and single hyphens, e.g. acme-ai")
    return value


def _commitment_id(value: str) -> str:
    if not _COMMITMENT_ID.match(value):
        raise ValueError(
            f"{value!r} is not an id; use lower-case letters and digits joined by dots or hyphens, e.g. bio.eval-1"
        )
    return value


def _version(value: str) -> str:
    if not _VERSION.match(value) or len(value) > 40:
        raise ValueError(f'{value!r} is not a version; write it like "2.1" or "2026.1"')
    return value


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _token(value: str) -> str:
    if not _TOKEN.match(value):
        raise ValueError(f"{value!r} is not a lower-case word such as text, image or audio")
    return value


def _web_address(value: str) -> str:
    if not _WEB_ADDRESS.match(value):
        raise ValueError(f"{value!r} is not an https:// web address")
    return value


#: A developer's registered short name, e.g. ``acme-ai``.
Slug = Annotated[str, AfterValidator(_slug)]
#: A stable id for a commitment, threshold or evaluation, unique within one document: ``bio.uplift-eval``.
CommitmentId = Annotated[str, AfterValidator(_commitment_id)]
#: A document or model version, always written as text: ``"2.1"``.
Version = Annotated[str, AfterValidator(_version)]
#: Prose that must say something.
Text = Annotated[str, AfterValidator(_text)]
#: A lower-case word from an open vocabulary, such as a modality.
Token = Annotated[str, AfterValidator(_token)]
#: A public https:// address.
WebAddress = Annotated[str, AfterValidator(_web_address)]

#: How firmly a commitment binds: ``must`` is a promise, ``should`` a default, ``may`` an option.
Strength = Literal["must", "should", "may"]
STRENGTHS: tuple[Strength, ...] = ("must", "should", "may")
#: When an evaluation runs.
Timing = Literal["pre-training", "during-training", "pre-deployment", "post-deployment", "periodic"]
#: Who runs an evaluation.
Evaluator = Literal["internal", "third-party", "internal-and-third-party"]
#: A mitigation either limits what a deployed model does, or protects the model and its weights.
MitigationCategory = Literal["deployment", "security"]
#: What the developer does when a capability threshold is crossed.
ResponseAction = Literal["halt-development", "halt-deployment", "pause-deployment", "additional-safeguards", "monitor"]
#: The actions of :data:`ResponseAction`, most protective first: a diff reads a move down this list as a weakening.
RESPONSE_ACTIONS: tuple[ResponseAction, ...] = get_args(ResponseAction)
#: Whether a threshold is a number (a benchmark score, a rate) or a judgement (an expert panel's view).
ThresholdForm = Literal["quantitative", "qualitative"]
#: Whether a risk domain binds the developer, or is only studied.
DomainStatus = Literal["binding", "research-only"]
#: The outcome of evaluating a model against a domain's thresholds.
ThresholdDetermination = Literal["below", "approaching", "crossed", "inconclusive"]
#: How much a release changes: SB 53 asks for a new transparency report on new or substantially modified models.
ReleaseType = Literal["new-model", "substantial-revision", "minor-update"]
#: What the developer decided to do with the model.
DeploymentOutcome = Literal["deploy", "deploy-with-restrictions", "limited-release", "internal-only", "do-not-deploy"]

#: The kinds of disclosure, as written in ``kind:``.
#: The models spell these as literals (pydantic tells disclosures apart by them); code names them by
#: :class:`~candor.domain.statement.StatementKind`, whose document kinds are the same three strings.
DocumentKind = Literal["secure-development-framework", "system-card", "certification"]


class FieldValueError(ValueError):
    """A cross-field check that failed, with the path (relative to the model checked) of the field at fault.

    Pydantic reports a model validator's error at the model itself; the parser appends ``path`` so that the
    message points at the line a person has to change.
    """

    def __init__(self, path: FieldPath, message: str) -> None:
        super().__init__(message)
        self.path = path


class Part(BaseModel):
    """Base of every model: unknown keys are errors, values are not coerced, parsed values do not change."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- Commitments -----------------------------------------------------------------------------------------------


class Commitment(Part):
    """One promise, with a stable id and a strength, so that a later version cannot quietly weaken it."""

    id: CommitmentId
    strength: Strength
    statement: Text


class Practice(Part):
    """A part of the framework described in prose, with the concrete commitments it makes."""

    summary: Text
    commitments: list[Commitment] = Field(default_factory=list)


class CapabilityThreshold(Part):
    """A capability level at which risk becomes unreasonable without further safeguards."""

    id: CommitmentId
    description: Text
    #: How crossing it is measured: a benchmark, an uplift study, a red-team finding.
    measure: Text
    #: The developer's own tier name for it, e.g. "CCL-1" or "high".
    tier: Text
    #: Whether crossing it is decided by a number or by a judgement; absent means not said.
    form: ThresholdForm | None = None
    #: For a quantitative threshold: the number that triggers it, e.g. 25 for "25% uplift". A diff reads a higher
    #: number as a later trigger.
    value: int | float | None = None
    #: What ``value`` counts, e.g. "% uplift over control" or "CTF tasks solved".
    unit: Text | None = None

    @model_validator(mode="after")
    def _value_is_quantitative(self) -> CapabilityThreshold:
        if isinstance(self.value, float) and not math.isfinite(self.value):
            raise FieldValueError(("value",), "a threshold's value is a finite number")
        if self.value is not None and self.form == "qualitative":
            raise FieldValueError(("value",), "a qualitative threshold has no value; remove value or set form")
        return self


class Evaluation(Part):
    """An evaluation the developer commits to run for a risk domain."""

    id: CommitmentId
    strength: Strength
    method: Text
    timing: list[Timing] = Field(min_length=1)
    #: Required when ``timing`` includes ``periodic``, e.g. "every 3 months" or "each 4x increase in compute".
    cadence: Text | None = None
    #: The cadence as a number of months, so a diff can compare it; ``cadence`` stays the words.
    cadence_months: int | None = Field(default=None, ge=1, le=120)
    #: How hard the evaluators try to draw out the capability: fine-tuning, scaffolding, expert red-teaming.
    elicitation: Text
    run_by: Evaluator
    #: Names or kinds of third parties, when ``run_by`` includes them.
    third_party: Text | None = None
    #: The thresholds this evaluation tests, by id.
    thresholds: list[CommitmentId] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cadence_matches_timing(self) -> Evaluation:
        if "periodic" in self.timing and self.cadence is None:
            raise FieldValueError(("timing",), "a periodic evaluation needs a cadence, e.g. cadence: every 6 months")
        if "periodic" not in self.timing and self.cadence is not None:
            raise FieldValueError(
                ("cadence",), "cadence is only for periodic evaluations; add periodic to timing or remove cadence"
            )
        if self.run_by != "internal" and self.third_party is None:
            raise FieldValueError(("run_by",), f"{self.run_by} evaluations name the third party in third_party")
        return self


class Mitigation(Part):
    """A safeguard: a deployment mitigation limits misuse of the model, a security mitigation protects it."""

    id: CommitmentId
    strength: Strength
    category: MitigationCategory
    description: Text


class ThresholdResponse(Part):
    """What the developer does if a threshold is crossed."""

    id: CommitmentId
    strength: Strength
    action: ResponseAction
    #: The threshold that triggers it, by id; absent means any threshold of the domain.
    threshold: CommitmentId | None = None
    description: Text
    #: The safeguards named for an ``additional-safeguards`` response, e.g. "security level 4".
    safeguards: list[Text] = Field(default_factory=list)


class RiskDomain(Part):
    """How one risk domain is assessed and mitigated.

    ``strength`` is the commitment to assess the domain at all; thresholds, evaluations, mitigations and
    responses say how.
    """

    id: RiskDomainId
    strength: Strength
    description: Text
    #: ``research-only`` domains are studied but bind nothing; absent means binding.
    status: DomainStatus | None = None
    thresholds: list[CapabilityThreshold] = Field(default_factory=list)
    evaluations: list[Evaluation] = Field(default_factory=list)
    mitigations: list[Mitigation] = Field(default_factory=list)
    responses: list[ThresholdResponse] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> RiskDomain:
        known = {threshold.id for threshold in self.thresholds}
        referenced: list[tuple[FieldPath, str]] = [
            (("evaluations", e_index, "thresholds", t_index), ref)
            for e_index, evaluation in enumerate(self.evaluations)
            for t_index, ref in enumerate(evaluation.thresholds)
        ]
        referenced += [
            (("responses", r_index, "threshold"), response.threshold)
            for r_index, response in enumerate(self.responses)
            if response.threshold is not None
        ]
        for path, ref in referenced:
            if ref not in known:
                raise FieldValueError(path, f"threshold {ref!r} is not defined in this domain's thresholds")
        return self


class Scope(Part):
    """Which models the framework covers, and when a change makes a model new for its purposes."""

    models: list[Text] = Field(min_length=1)
    criteria: Text
    #: SB 53's "substantially modified" criterion: when a revision needs a new assessment and report.
    substantially_modified: Text | None = None
    #: The modifications of a covered model that are covered too, e.g. fine-tune, distillation, quantisation.
    modifications: list[Token] = Field(default_factory=list)


class AdjustmentClause(Part):
    """A condition under which the developer may relax its own commitments (an "escape clause").

    Frameworks write these as e.g. "if another developer releases a comparable model without equivalent
    safeguards, we may adjust our requirements"; a diff reports a new one as a weakening.
    """

    id: CommitmentId
    condition: Text
    #: What the developer may then do, e.g. "lower the required safeguards of any domain".
    effect: Text
    #: The commitments it lets the developer relax, by id; empty means any.
    commitments: list[CommitmentId] = Field(default_factory=list)


class Governance(Part):
    """Who answers for the framework inside the developer."""

    responsible_officer: Text
    board_oversight: Text
    commitments: list[Commitment] = Field(default_factory=list)


class Review(Part):
    """How often the framework itself is reviewed, and what triggers an update in between."""

    cadence_months: int = Field(ge=1, le=60)
    last_reviewed: dt.date
    update_triggers: list[Text] = Field(default_factory=list)


class ChangelogEntry(Part):
    """What changed in one version."""

    version: Version
    date: dt.date
    changes: list[Text] = Field(min_length=1)
    #: The ids of the commitments, thresholds and domains this version changes, so a diff can tell which changes
    #: the changelog owns up to.
    commitments: list[CommitmentId] = Field(default_factory=list)


# --- Disclosures -----------------------------------------------------------------------------------------------


class DisclosureHeader(Part):
    """Fields every disclosure carries: who publishes it and which version of it this is."""

    developer: Slug
    version: Version
    #: The version of the same document that this one replaces.
    supersedes: Version | None = None

    @model_validator(mode="after")
    def _does_not_supersede_itself(self) -> DisclosureHeader:
        if self.supersedes == self.version:
            raise FieldValueError(("supersedes",), f"version {self.version} cannot supersede itself")
        return self


@dataclass(frozen=True)
class CommitmentRef:
    """Where one commitment sits in a framework, for diffs and rule findings."""

    path: FieldPath
    id: str
    strength: Strength
    text: str


class SecureDevelopmentFramework(DisclosureHeader):
    """How a developer assesses and mitigates unreasonable risk (SB 53: its "frontier AI framework")."""

    kind: Literal["secure-development-framework"]
    title: Text
    effective_date: dt.date
    #: Where the developer publishes the framework.
    website: WebAddress | None = None
    scope: Scope
    #: National and international standards and industry best practices the framework incorporates.
    standards_and_practices: list[Text] = Field(default_factory=list)
    #: How risks are assessed, across domains.
    assessment: Practice
    #: How risks are mitigated, across domains.
    mitigation: Practice
    risk_domains: list[RiskDomain] = Field(min_length=1)
    #: How assessments are reviewed before deployment or extensive internal use.
    deployment_review: Practice | None = None
    weight_security: Practice
    #: How third parties are used, or not, to assess catastrophic risk and whether mitigations work (SB 53
    #: §22757.12(a)(5)). Optional in the format, so a framework under a standard that does not ask for it need not
    #: invent one; the statutes' rule packs require it.
    third_party_assessment: Practice | None = None
    governance: Governance
    incident_response: Practice
    #: Risks from internal use, including a model circumventing oversight.
    internal_use: Practice
    whistleblower_process: Practice
    review: Review
    #: Conditions under which the developer may adjust its commitments.
    adjustment_clauses: list[AdjustmentClause] = Field(default_factory=list)
    changelog: list[ChangelogEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> SecureDevelopmentFramework:
        # Domains, thresholds and commitments share one id space: system cards and diffs cite all of them by id.
        named = [(ref.path, ref.id) for ref in self.commitments()]
        named += [
            (("risk_domains", d_index, "thresholds", t_index), threshold.id)
            for d_index, domain in enumerate(self.risk_domains)
            for t_index, threshold in enumerate(domain.thresholds)
        ]
        seen: dict[str, FieldPath] = {}
        for path, ident in named:
            if ident in seen:
                raise FieldValueError(
                    (*path, "id"), f"id {ident!r} is already used at {format_path(seen[ident])}; ids must be unique"
                )
            seen[ident] = path
        return self

    def domain(self, domain_id: str) -> RiskDomain | None:
        """The entry for ``domain_id``, if the framework covers it."""
        return next((domain for domain in self.risk_domains if domain.id == domain_id), None)

    def commitments(self) -> Iterator[CommitmentRef]:
        """Every commitment with a strength, with its field path: domains, their parts, and practices.

        Thresholds are definitions, not promises, so they carry no strength and are not listed.
        """
        for d_index, domain in enumerate(self.risk_domains):
            base: FieldPath = ("risk_domains", d_index)
            yield CommitmentRef(base, domain.id, domain.strength, domain.description)
            for e_index, evaluation in enumerate(domain.evaluations):
                yield CommitmentRef(
                    (*base, "evaluations", e_index), evaluation.id, evaluation.strength, evaluation.method
                )
            for m_index, mitigation in enumerate(domain.mitigations):
                yield CommitmentRef(
                    (*base, "mitigations", m_index), mitigation.id, mitigation.strength, mitigation.description
                )
            for r_index, response in enumerate(domain.responses):
                yield CommitmentRef((*base, "responses", r_index), response.id, response.strength, response.description)
        for section, practice in self.practices():
            for c_index, commitment in enumerate(practice.commitments):
                yield CommitmentRef(
                    (section, "commitments", c_index), commitment.id, commitment.strength, commitment.statement
                )

    def practices(self) -> Iterator[tuple[str, Practice | Governance]]:
        """The framework's prose sections that hold commitments, by field name."""
        for section in _PRACTICE_SECTIONS:
            practice = getattr(self, section)
            if practice is not None:
                yield section, practice


#: The framework sections that are practices with commitments.
PracticeSection = Literal[
    "assessment",
    "mitigation",
    "deployment_review",
    "weight_security",
    "third_party_assessment",
    "governance",
    "incident_response",
    "internal_use",
    "whistleblower_process",
]
_PRACTICE_SECTIONS: tuple[PracticeSection, ...] = get_args(PracticeSection)


class ModelIdentity(Part):
    """Which model a system card describes."""

    name: Text
    version: Version
    #: The identifier users and API clients see, e.g. "acme-3-2026-01-15".
    identifier: Text


class Modalities(Part):
    """What a model takes in and puts out (SB 53 asks for output modalities)."""

    input: list[Token] = Field(min_length=1)
    output: list[Token] = Field(min_length=1)


class DomainEvaluation(Part):
    """The testing done for one risk domain before release, and what it found."""

    domain: RiskDomainId
    procedure: Text
    timing: list[Timing] = Field(min_length=1)
    elicitation: Text
    results: Text
    determination: ThresholdDetermination
    #: The framework's thresholds this testing addressed, by id.
    thresholds: list[CommitmentId] = Field(default_factory=list)
    #: Who outside the developer took part, and how; absent when no third party did.
    third_party: Text | None = None


class AppliedMitigation(Part):
    """A safeguard in place for this release, and the domains it addresses."""

    category: MitigationCategory
    description: Text
    domains: list[RiskDomainId] = Field(min_length=1)


class DeploymentDecision(Part):
    """Whether and how the model was released, and why."""

    outcome: DeploymentOutcome
    rationale: Text
    #: Who made the decision, by title.
    decided_by: Text | None = None


class SystemCard(DisclosureHeader):
    """What was tested, found and done before a model was deployed (SB 53: its "transparency report")."""

    kind: Literal["system-card"]
    model: ModelIdentity
    release_type: ReleaseType
    #: For a revision or update: the identifier of the model it revises.
    revises: Text | None = None
    release_date: dt.date
    #: The version of the developer's framework that was applied.
    framework: Version
    #: Where the developer publishes its disclosures.
    website: WebAddress | None = None
    #: How the public can reach the developer about this model.
    contact: Text | None = None
    modalities: Modalities
    languages: list[Text] = Field(min_length=1)
    intended_uses: list[Text] = Field(min_length=1)
    restricted_uses: list[Text] = Field(default_factory=list)
    evaluations: list[DomainEvaluation] = Field(min_length=1)
    #: The extent to which third-party evaluators took part in the assessments, across domains; "none" (with why)
    #: is an answer (SB 53 §22757.12(c)(2)(C)). Each evaluation's ``third_party`` says who did what, domain by domain.
    third_party_involvement: Text | None = None
    mitigations: list[AppliedMitigation] = Field(default_factory=list)
    #: Other steps taken to fulfil the framework's requirements for this model (SB 53 §22757.12(c)(2)(D)).
    framework_steps: list[Text] = Field(default_factory=list)
    deployment: DeploymentDecision
    changelog: list[ChangelogEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _revision_names_its_model(self) -> SystemCard:
        if self.release_type != "new-model" and self.revises is None:
            raise FieldValueError(
                ("release_type",), f"a {self.release_type} names the model it revises, in revises: <identifier>"
            )
        if self.release_type == "new-model" and self.revises is not None:
            raise FieldValueError(
                ("revises",), "a new-model release revises nothing; remove revises or change release_type"
            )
        return self

    def evaluation(self, domain_id: str) -> DomainEvaluation | None:
        """The evaluation summary for ``domain_id``, if the card has one."""
        return next((entry for entry in self.evaluations if entry.domain == domain_id), None)

    def mitigations_for(self, domain_id: str) -> list[AppliedMitigation]:
        """The mitigations that address ``domain_id``."""
        return [mitigation for mitigation in self.mitigations if domain_id in mitigation.domains]


class Period(Part):
    """A span of dates, both days included."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _in_order(self) -> Period:
        if self.end < self.start:
            raise FieldValueError(("end",), f"the period ends ({self.end}) before it starts ({self.start})")
        return self


class Officer(Part):
    """The person who signs for the developer."""

    name: Text
    title: Text


class FrameworkEntry(Part):
    """One published framework, named as the registry's log holds it: a false certification can then be proved."""

    #: The index of the framework's statement in the registry's log.
    #: A log index is a 64-bit count (c2sp.org/tlog-tiles), so no larger number can name an entry.
    log_index: int = Field(ge=0, le=2**63 - 1)
    #: SHA-256 (hex) of the framework document's bytes, as the statement names it.
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Certification(DisclosureHeader):
    """The developer's statement that it complied with its own framework over a period."""

    kind: Literal["certification"]
    #: The framework version whose compliance is certified.
    framework: Version
    #: That version as published: its log entry and document hash. The registry checks it is this developer's.
    framework_entry: FrameworkEntry | None = None
    period: Period
    statement: Text
    officer: Officer
    date: dt.date
    #: Known departures from the framework during the period, disclosed rather than hidden.
    exceptions: list[Text] = Field(default_factory=list)


#: Any disclosure, told apart by its ``kind``.
Disclosure = Annotated[SecureDevelopmentFramework | SystemCard | Certification, Field(discriminator="kind")]

#: The model class for each ``kind`` a disclosure may declare.
DISCLOSURE_KINDS: dict[str, type[SecureDevelopmentFramework | SystemCard | Certification]] = {
    StatementKind.SECURE_DEVELOPMENT_FRAMEWORK: SecureDevelopmentFramework,
    StatementKind.SYSTEM_CARD: SystemCard,
    StatementKind.CERTIFICATION: Certification,
}
