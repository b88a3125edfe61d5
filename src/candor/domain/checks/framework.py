"""Checks on a Secure Development Framework: which risks it covers, and how it assesses and mitigates them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, field_validator

from candor.domain.checks.base import Check, CheckContext, Gap, NoParams, Params
from candor.domain.documents import (
    STRENGTHS,
    Practice,
    PracticeSection,
    RiskDomain,
    SecureDevelopmentFramework,
    Strength,
    Timing,
)
from candor.domain.taxonomy import RiskDomainId, risk_domain_title

SDF = SecureDevelopmentFramework

# How binding each strength is, so that "at least should" can be tested: must > should > may.
_BINDING = {strength: len(STRENGTHS) - index for index, strength in enumerate(STRENGTHS)}


def _at_least(strength: Strength, minimum: Strength) -> bool:
    return _BINDING[strength] >= _BINDING[minimum]


class DomainsParams(Params):
    """The risk domains a rule is about."""

    domains: list[RiskDomainId] = Field(min_length=1)


class DomainFilterParams(Params):
    """An optional restriction to some risk domains; absent means every domain the framework covers."""

    domains: list[RiskDomainId] | None = None

    def applies_to(self, framework: SDF) -> Iterator[tuple[int, RiskDomain]]:
        """The framework's risk domains this rule is about, each with its index in ``risk_domains``."""
        for index, domain in enumerate(framework.risk_domains):
            if self.domains is None or domain.id in self.domains:
                yield index, domain


def which_domain(domain_id: str, params: DomainsParams) -> str | None:
    """A finding's detail for one domain of the rule's list: which one, unless the rule names only that one (its
    message already says it)."""
    if params.domains is not None and len(params.domains) == 1:
        return None
    return f"{domain_id} ({risk_domain_title(domain_id)})"


def _covers(framework: SDF, params: DomainsParams, context: CheckContext) -> Iterator[Gap]:
    for domain_id in params.domains:
        if framework.domain(domain_id) is None:
            yield Gap(
                ("risk_domains",),
                which_domain(domain_id, params),
                hint=f"add a risk_domains entry with id: {domain_id}, its thresholds, evaluations and mitigations",
            )


COVERS_DOMAINS = Check(
    name="framework-covers-domains",
    summary="the framework has a risk_domains entry for each listed domain",
    reads=(SDF,),
    params=DomainsParams,
    run=_covers,
)


class CommittedParams(DomainsParams):
    strength: Strength = "must"


def _domains_committed(framework: SDF, params: CommittedParams, context: CheckContext) -> Iterator[Gap]:
    for index, domain in enumerate(framework.risk_domains):
        if domain.id in params.domains and not _at_least(domain.strength, params.strength):
            yield Gap(
                ("risk_domains", index, "strength"),
                f"{domain.id} is a {domain.strength!r} commitment",
                hint=f"make assessing {domain.id} a {params.strength!r} commitment",
            )


DOMAINS_COMMITTED = Check(
    name="framework-domains-committed",
    summary="each listed domain is assessed with at least the given strength",
    reads=(SDF,),
    params=CommittedParams,
    run=_domains_committed,
)


class DomainPartParams(DomainFilterParams):
    part: Literal["thresholds", "evaluations", "mitigations", "responses"]


def _domain_has_part(framework: SDF, params: DomainPartParams, context: CheckContext) -> Iterator[Gap]:
    for index, domain in params.applies_to(framework):
        if not getattr(domain, params.part):
            yield Gap(("risk_domains", index), f"{domain.id} has no {params.part}", hint=f"add {params.part}: [...]")


DOMAIN_HAS_PART = Check(
    name="framework-domain-has",
    summary="each covered domain (or each listed one) has at least one threshold, evaluation, mitigation or response",
    reads=(SDF,),
    params=DomainPartParams,
    run=_domain_has_part,
)


class TimingParams(DomainFilterParams):
    timing: Timing


def _domain_evaluated_at(framework: SDF, params: TimingParams, context: CheckContext) -> Iterator[Gap]:
    for index, domain in params.applies_to(framework):
        if not any(params.timing in evaluation.timing for evaluation in domain.evaluations):
            yield Gap(
                ("risk_domains", index, "evaluations"),
                f"no evaluation of {domain.id} runs {params.timing}",
                hint=f"add {params.timing} to the timing of an evaluation, or add one",
            )


DOMAIN_EVALUATED_AT = Check(
    name="framework-domain-evaluated-at",
    summary="each covered domain has an evaluation with the given timing",
    reads=(SDF,),
    params=TimingParams,
    run=_domain_evaluated_at,
)


def _thresholds_evaluated(framework: SDF, params: NoParams, context: CheckContext) -> Iterator[Gap]:
    for d_index, domain in enumerate(framework.risk_domains):
        tested = {ref for evaluation in domain.evaluations for ref in evaluation.thresholds}
        for t_index, threshold in enumerate(domain.thresholds):
            if threshold.id not in tested:
                yield Gap(
                    ("risk_domains", d_index, "thresholds", t_index),
                    f"threshold {threshold.id} is not assessed by any evaluation",
                    hint=f"list {threshold.id} under the thresholds of the evaluation that tests it",
                )


THRESHOLDS_EVALUATED = Check(
    name="framework-thresholds-evaluated",
    summary="every capability threshold is named by at least one evaluation that assesses it",
    reads=(SDF,),
    params=NoParams,
    run=_thresholds_evaluated,
)


class PracticeParams(Params):
    section: PracticeSection
    strength: Strength = "must"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _practice_commits(framework: SDF, params: PracticeParams, context: CheckContext) -> Iterator[Gap]:
    practice = getattr(framework, params.section)
    if practice is None:
        yield Gap((params.section,), "the framework has no such section", hint=f"add {params.section}: with a summary")
        return
    if not any(_at_least(commitment.strength, params.strength) for commitment in practice.commitments):
        # Say what is there instead: the message already says what is missing.
        strengths = sorted({commitment.strength for commitment in practice.commitments})
        count = len(practice.commitments)
        verb = "is" if count == 1 else "are"
        listed = " or ".join(repr(strength) for strength in strengths)
        there = f"its {_count(count, 'commitment')} {verb} {listed}" if strengths else "it lists no commitments"
        yield Gap(
            (params.section, "commitments"),
            there,
            hint=f"add a commitment with strength: {params.strength} to {params.section}",
        )


PRACTICE_COMMITS = Check(
    name="framework-practice-commits",
    summary="a framework section makes at least one commitment of the given strength",
    reads=(SDF,),
    params=PracticeParams,
    run=_practice_commits,
)


class MentionParams(Params):
    section: PracticeSection
    #: Any one of these words, matched case-insensitively in the summary or the commitments.
    terms: list[str] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _lower(cls, terms: list[str]) -> list[str]:
        return [term.lower() for term in terms]


def _practice_text(practice: Practice) -> str:
    return " ".join([practice.summary, *(commitment.statement for commitment in practice.commitments)]).lower()


def _practice_mentions(framework: SDF, params: MentionParams, context: CheckContext) -> Iterator[Gap]:
    practice = getattr(framework, params.section)
    if practice is None:
        yield Gap((params.section,), "the framework has no such section", hint=f"add {params.section}: with a summary")
    elif not any(term in _practice_text(practice) for term in params.terms):
        words = ", ".join(repr(term) for term in params.terms)
        yield Gap(
            (params.section,),
            f"its summary and commitments use none of the words {words}",
            hint=f"say in {params.section} how the developer handles it",
        )


PRACTICE_MENTIONS = Check(
    name="framework-practice-mentions",
    summary="a framework section addresses a topic, found by any of the listed words",
    reads=(SDF,),
    params=MentionParams,
    run=_practice_mentions,
)


class ReviewParams(Params):
    max_months: int = Field(ge=1)


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def _review_cadence(framework: SDF, params: ReviewParams, context: CheckContext) -> Iterator[Gap]:
    review = framework.review
    if review.cadence_months > params.max_months:
        yield Gap(
            ("review", "cadence_months"),
            f"reviewed every {review.cadence_months} months, more than {params.max_months}",
            hint=f"set cadence_months to {params.max_months} or less",
        )
    if _months_between(review.last_reviewed, framework.effective_date) > params.max_months:
        yield Gap(
            ("review", "last_reviewed"),
            f"last reviewed {review.last_reviewed}, more than {params.max_months} months before "
            f"the effective date {framework.effective_date}",
            hint="review the framework and record the date",
        )


REVIEW_CADENCE = Check(
    name="framework-review-cadence",
    summary="the framework is reviewed at least every max_months months, and was reviewed that recently",
    reads=(SDF,),
    params=ReviewParams,
    run=_review_cadence,
)
