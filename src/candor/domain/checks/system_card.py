"""Checks on a system card: what was tested for each risk domain, what was found, and what was done."""

from __future__ import annotations

from collections.abc import Iterator

from candor.domain.checks.base import Check, CheckContext, Gap, NoParams
from candor.domain.checks.framework import DomainsParams, which_domain
from candor.domain.documents import SystemCard


def _evaluates(card: SystemCard, params: DomainsParams, context: CheckContext) -> Iterator[Gap]:
    for domain_id in params.domains:
        if card.evaluation(domain_id) is None:
            yield Gap(
                ("evaluations",),
                which_domain(domain_id, params),
                hint=f"add an evaluations entry with domain: {domain_id}, its procedure, results and determination",
            )


CARD_EVALUATES = Check(
    name="card-evaluates-domains",
    summary="the system card summarises testing and results for each listed domain",
    reads=(SystemCard,),
    params=DomainsParams,
    run=_evaluates,
)


def _mitigates(card: SystemCard, params: NoParams, context: CheckContext) -> Iterator[Gap]:
    for index, evaluation in enumerate(card.evaluations):
        if not card.mitigations_for(evaluation.domain):
            yield Gap(
                ("evaluations", index, "domain"),
                f"no mitigation addresses {evaluation.domain}",
                hint=f"add a mitigations entry whose domains include {evaluation.domain}",
            )


CARD_MITIGATES = Check(
    name="card-mitigates-evaluated-domains",
    summary="each evaluated domain is addressed by at least one mitigation in place for the release",
    reads=(SystemCard,),
    params=NoParams,
    run=_mitigates,
)


def _crossed_not_unrestricted(card: SystemCard, params: NoParams, context: CheckContext) -> Iterator[Gap]:
    if card.deployment.outcome != "deploy":
        return
    for index, evaluation in enumerate(card.evaluations):
        if evaluation.determination == "crossed":
            yield Gap(
                ("evaluations", index, "determination"),
                f"a {evaluation.domain} threshold was crossed, yet the model was deployed without restrictions",
                hint="deploy with restrictions, or explain in deployment.rationale why no restriction is needed",
            )


CARD_CROSSED_RESTRICTED = Check(
    name="card-crossed-threshold-restricted",
    summary="a crossed threshold is not followed by an unrestricted deployment",
    reads=(SystemCard,),
    params=NoParams,
    run=_crossed_not_unrestricted,
)


def _third_party_involvement(card: SystemCard, params: NoParams, context: CheckContext) -> Iterator[Gap]:
    # The statute asks for the extent of third-party involvement, and "none" is an extent: a card that says so in
    # third_party_involvement answers the question as fully as one that names its outside evaluators.
    if card.third_party_involvement is None and not any(evaluation.third_party for evaluation in card.evaluations):
        yield Gap(
            ("third_party_involvement",),
            hint="add third_party_involvement: saying who took part and how, or that none did and why",
        )


CARD_THIRD_PARTY = Check(
    name="card-third-party-involvement",
    summary="the card states the extent of third-party involvement (none included), overall or per evaluation",
    reads=(SystemCard,),
    params=NoParams,
    run=_third_party_involvement,
)


def _covers_framework_domains(card: SystemCard, params: NoParams, context: CheckContext) -> Iterator[Gap]:
    framework = context.framework(card.developer, card.framework)
    if framework is None:
        return
    for domain in framework.risk_domains:
        if card.evaluation(domain.id) is None:
            yield Gap(
                ("evaluations",),
                f"framework {framework.version} covers {domain.id}, but the card has no evaluation summary for it",
                hint=f"add an evaluations entry with domain: {domain.id}",
            )


CARD_COVERS_FRAMEWORK_DOMAINS = Check(
    name="card-covers-framework-domains",
    summary="when the framework the card applied is checked alongside, the card evaluates every domain it covers",
    reads=(SystemCard,),
    params=NoParams,
    run=_covers_framework_domains,
)
