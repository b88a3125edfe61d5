"""Checks on a self-certification."""

from __future__ import annotations

from collections.abc import Iterator

from candor.domain.checks.base import Check, CheckContext, Gap, NoParams
from candor.domain.documents import Certification


def _period_ended(certification: Certification, params: NoParams, context: CheckContext) -> Iterator[Gap]:
    if certification.period.end > certification.date:
        yield Gap(
            ("period", "end"),
            f"the period ends {certification.period.end}, after the certification date {certification.date}",
            hint="certify only a period that has ended; compliance in the future cannot be attested",
        )


CERTIFIES_PAST_PERIOD = Check(
    name="certification-period-ended",
    summary="the certified period has ended by the date of the certification",
    reads=(Certification,),
    params=NoParams,
    run=_period_ended,
)
