"""Checks across documents: what one disclosure says, held against another of the same developer.

A single document can be complete and still contradict another: a system card that skips an evaluation its
framework requires before deployment, a deployment that ignores the response its framework promised for a crossed
threshold, a certification covering months when the framework it certifies was past its yearly review, a model
deployed before the framework covering it took effect. Each rule here compares two documents and names both, so
the finding can be shown on each of them (``candor check --across`` locally, the document pages on the registry).

Pure functions over parsed disclosures. A system card is held to the framework version it names
(``framework:``); when that version is not among the documents given, the rules that need it say nothing rather
than guess. Dates are the documents' own: a framework's ``effective_date`` and ``review``, a card's
``release_date``, a certification's ``period``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from candor.domain.certification_standing import months_after
from candor.domain.documents import (
    RESPONSE_ACTIONS,
    Certification,
    DeploymentOutcome,
    ResponseAction,
    SecureDevelopmentFramework,
    SystemCard,
    ThresholdResponse,
)

Disclosure = SecureDevelopmentFramework | SystemCard | Certification

#: The longest a framework may go between reviews, whatever cadence it names: SB 53 asks for one at least once a
#: year (Cal. Bus. & Prof. Code §22757.12(b)(1)).
MAX_REVIEW_MONTHS = 12
SB53_URL = "https://leginfo.legislature.ca.gov/faces/billTextClient.xhtml?bill_id=202520260SB53"


@dataclass(frozen=True)
class AcrossRule:
    """A rule that compares two documents: its stable id, what it checks and where the duty comes from."""

    id: str
    summary: str
    source: str
    url: str


CARD_OMITS_REQUIRED_DOMAIN = AcrossRule(
    "across.card-omits-required-domain",
    "a system card evaluates every risk domain its framework requires evaluating before deployment",
    "Cal. Bus. & Prof. Code §22757.12(a) (comply with the framework) and (c)(2)(A) (assessments it requires)",
    SB53_URL,
)
CROSSED_WITHOUT_RESPONSE = AcrossRule(
    "across.crossed-without-response",
    "a system card that reports a threshold crossed describes the response its framework commits to",
    "Cal. Bus. & Prof. Code §22757.12(a)(3) (mitigations applied on the results of assessments)",
    SB53_URL,
)
CERTIFIED_WHILE_LAPSED = AcrossRule(
    "across.certified-while-lapsed",
    "a certification's period does not cover time when the framework was past its yearly review",
    "Cal. Bus. & Prof. Code §22757.12(b)(1) (review the framework at least once a year)",
    SB53_URL,
)
DEPLOYED_BEFORE_FRAMEWORK = AcrossRule(
    "across.deployed-before-framework",
    "a model is not deployed before the framework version its system card applied took effect",
    "Cal. Bus. & Prof. Code §22757.12(a) (a framework that applies to the developer's frontier models)",
    SB53_URL,
)
ACROSS_RULES = (CARD_OMITS_REQUIRED_DOMAIN, CROSSED_WITHOUT_RESPONSE, CERTIFIED_WHILE_LAPSED, DEPLOYED_BEFORE_FRAMEWORK)

#: Deployment outcomes that keep a model from the public: what a halt or a pause of deployment allows.
_NOT_DEPLOYED: frozenset[DeploymentOutcome] = frozenset({"do-not-deploy", "internal-only"})
#: Responses that stop the model from reaching the public.
_STOPPING_ACTIONS: frozenset[ResponseAction] = frozenset({"halt-development", "halt-deployment", "pause-deployment"})


@dataclass(frozen=True)
class AcrossDocument:
    """A disclosure checked alongside others, with the name findings call it by (a file, a registry page)."""

    name: str
    model: Disclosure
    #: When the registry published it; None for a file. A registry knows which of two documents came first.
    published: datetime | None = None


@dataclass(frozen=True)
class AcrossFinding:
    """One contradiction between two documents: ``subject`` falls short, held against ``other``."""

    rule: AcrossRule
    subject: str
    other: str
    message: str
    hint: str | None = None
    severity: str = "error"

    @property
    def rule_id(self) -> str:
        return self.rule.id

    def involves(self, name: str) -> bool:
        return name in (self.subject, self.other)

    def to_json(self) -> dict[str, str | None]:
        return {
            "rule_id": self.rule.id,
            "severity": self.severity,
            "subject": self.subject,
            "other": self.other,
            "message": self.message,
            "hint": self.hint,
            "source": self.rule.source,
        }


def check_across(documents: Sequence[AcrossDocument]) -> list[AcrossFinding]:
    """Every contradiction between the given documents, developer by developer, in document order."""
    frameworks: dict[tuple[str, str], AcrossDocument] = {}
    for document in documents:
        if isinstance(document.model, SecureDevelopmentFramework):
            frameworks.setdefault((document.model.developer, document.model.version), document)
    findings: list[AcrossFinding] = []
    for document in documents:
        model = document.model
        if isinstance(model, SystemCard):
            framework = frameworks.get((model.developer, model.framework))
            if framework is not None and isinstance(framework.model, SecureDevelopmentFramework):
                findings += _card_against_framework(document, model, framework, framework.model)
        elif isinstance(model, Certification):
            own = [doc for (developer, _), doc in frameworks.items() if developer == model.developer]
            findings += _certified_while_lapsed(document, model, own)
    return findings


def _card_against_framework(
    card_doc: AcrossDocument, card: SystemCard, framework_doc: AcrossDocument, framework: SecureDevelopmentFramework
) -> Iterator[AcrossFinding]:
    for domain in framework.risk_domains:
        if domain.status == "research-only" or card.evaluation(domain.id) is not None:
            continue
        required = [
            evaluation.id
            for evaluation in domain.evaluations
            if evaluation.strength == "must" and "pre-deployment" in evaluation.timing
        ]
        if required:
            yield AcrossFinding(
                CARD_OMITS_REQUIRED_DOMAIN,
                card_doc.name,
                framework_doc.name,
                f"framework {framework.version} requires evaluating {domain.id} before deployment "
                f"({', '.join(required)}), but the system card for {card.model.name} reports no evaluation of it",
                hint=f"add an evaluations entry with domain: {domain.id}, or say why the framework did not apply",
            )
    for evaluation in card.evaluations:
        if evaluation.determination != "crossed":
            continue
        crossed_domain = framework.domain(evaluation.domain)
        if crossed_domain is None:
            continue
        binding = [response for response in crossed_domain.responses if response.strength == "must"]
        rank = [RESPONSE_ACTIONS.index(response.action) for response in binding]
        if evaluation.thresholds:
            # The card names the thresholds it tested: the firmest response any of them (or the domain) triggers.
            named = [
                (position, response)
                for position, response in zip(rank, binding, strict=True)
                if response.threshold is None or response.threshold in evaluation.thresholds
            ]
            chosen = min(named, key=lambda pair: pair[0], default=None)
        else:
            # Which threshold was crossed is not said: hold the card only to the mildest response, never to more.
            chosen = max(zip(rank, binding, strict=True), key=lambda pair: pair[0], default=None)
        if chosen is None:
            continue
        strongest = chosen[1]
        missing = _response_missing(card, evaluation.domain, strongest)
        if missing is not None:
            yield AcrossFinding(
                CROSSED_WITHOUT_RESPONSE,
                card_doc.name,
                framework_doc.name,
                f"the card reports a {evaluation.domain} threshold crossed; framework {framework.version} then "
                f"commits to {strongest.action} ({strongest.id}), but {missing}",
                hint="describe the response the framework requires, or disclose the departure as an exception",
            )
    if card.release_date < framework.effective_date:
        yield AcrossFinding(
            DEPLOYED_BEFORE_FRAMEWORK,
            card_doc.name,
            framework_doc.name,
            f"{card.model.name} was released on {card.release_date}, before framework {framework.version}, "
            f"which the card says it applied, took effect on {framework.effective_date}",
            hint="name the framework version in force on the release date, in framework:",
        )
    elif (
        card_doc.published is not None
        and framework_doc.published is not None
        and card.release_date < framework_doc.published.date()
        and card_doc.published < framework_doc.published
    ):
        # What the registry itself saw: the card came before the framework it cites. A registry filled after the
        # fact publishes frameworks before the cards that cite them, so this never fires on a faithful backfill.
        yield AcrossFinding(
            DEPLOYED_BEFORE_FRAMEWORK,
            card_doc.name,
            framework_doc.name,
            f"{card.model.name} was released on {card.release_date} and its card published on "
            f"{card_doc.published.date()}, but framework {framework.version}, which the card says it applied, was "
            f"only published on {framework_doc.published.date()}",
            hint="publish the framework before deploying the models it covers",
        )


def _response_missing(card: SystemCard, domain_id: str, response: ThresholdResponse) -> str | None:
    """What the card lacks of ``response``, in words; None when it describes it."""
    outcome = card.deployment.outcome
    if response.action in _STOPPING_ACTIONS:
        if outcome not in _NOT_DEPLOYED:
            return f"the model was released ({outcome})"
        return None
    if response.action == "additional-safeguards":
        mitigations = card.mitigations_for(domain_id)
        if not mitigations:
            return f"no mitigation in place addresses {domain_id}"
        described = " ".join([m.description for m in mitigations] + list(card.framework_steps)).casefold()
        absent = [safeguard for safeguard in response.safeguards if safeguard.casefold() not in described]
        if absent:
            return f"the card's mitigations do not name {', '.join(absent)}"
    return None


def review_lapses(
    frameworks: Iterable[SecureDevelopmentFramework],
) -> list[tuple[SecureDevelopmentFramework, date, date | None]]:
    """When each framework version was in force past its review: (version, first lapsed day, last day or None).

    A version is in force from its ``effective_date`` until the next version's; its review falls due
    ``review.cadence_months`` after ``review.last_reviewed``, and never more than a year after.
    """
    ordered = sorted(frameworks, key=lambda framework: framework.effective_date)
    lapses: list[tuple[SecureDevelopmentFramework, date, date | None]] = []
    for index, framework in enumerate(ordered):
        months = min(framework.review.cadence_months, MAX_REVIEW_MONTHS)
        lapsed_from = max(
            months_after(framework.review.last_reviewed, months) + timedelta(days=1), framework.effective_date
        )
        until = ordered[index + 1].effective_date - timedelta(days=1) if index + 1 < len(ordered) else None
        if until is None or lapsed_from <= until:
            lapses.append((framework, lapsed_from, until))
    return lapses


def _certified_while_lapsed(
    certification_doc: AcrossDocument, certification: Certification, frameworks: Sequence[AcrossDocument]
) -> Iterator[AcrossFinding]:
    by_model = {id(document.model): document for document in frameworks}
    models = [document.model for document in frameworks if isinstance(document.model, SecureDevelopmentFramework)]
    period = certification.period
    for framework, lapsed_from, until in review_lapses(models):
        if lapsed_from > period.end or (until is not None and until < period.start):
            continue
        first = max(lapsed_from, period.start)
        yield AcrossFinding(
            CERTIFIED_WHILE_LAPSED,
            certification_doc.name,
            by_model[id(framework)].name,
            f"the certification covers {period.start} to {period.end}, but framework {framework.version}, in force "
            f"then, was past its review from {first} (last reviewed {framework.review.last_reviewed}, "
            f"every {min(framework.review.cadence_months, MAX_REVIEW_MONTHS)} months at most)",
            hint="review the framework and publish the reviewed version, or disclose the lapse as an exception",
        )
