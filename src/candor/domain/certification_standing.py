"""Whether a developer's self-certification still stands: the rules the developer page flags it by.

A certification stands for twelve months from its date, and only as long as the framework it certified is the
current one. It lapses when it is older than twelve months (a certification dated exactly twelve months ago still
stands), when the developer published a new framework after it, or when it names a framework version that is not
the current one. No certification at all is flagged too. The rules are pure: the caller says what day it is.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final

#: How long a self-certification stands, in months.
CERTIFICATION_MONTHS: Final = 12


class CertificationFlag(StrEnum):
    """Why a developer's certification does not stand."""

    #: The developer has published no certification (or withdrew every one).
    MISSING = "missing"
    #: The certification is older than :data:`CERTIFICATION_MONTHS` months.
    EXPIRED = "expired"
    #: The developer published its current framework after the certification.
    SUPERSEDED = "superseded"
    #: The certification names a framework version that is not the current one.
    OTHER_VERSION = "other-version"


@dataclass(frozen=True)
class CertifiedFacts:
    """What the rules read from the latest certification: its date, when it was published, what it certified."""

    certified_on: date
    published_at: datetime
    #: None when the certification's document cannot be read any more.
    framework_version: str | None


@dataclass(frozen=True)
class CurrentFramework:
    """The developer's current framework: its version and when the registry published it."""

    version: str
    published_at: datetime


def months_after(day: date, months: int) -> date:
    """The same day of the month ``months`` later, or that month's last day when it is shorter (31 Jan + 1 = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stands_until(certified_on: date) -> date:
    """The last day on which a certification dated ``certified_on`` still stands on age."""
    return months_after(certified_on, CERTIFICATION_MONTHS)


def certification_flags(
    certification: CertifiedFacts | None, framework: CurrentFramework | None, today: date
) -> list[CertificationFlag]:
    """Every reason the latest certification does not stand on ``today``; empty when it stands."""
    if certification is None:
        return [CertificationFlag.MISSING]
    flags: list[CertificationFlag] = []
    if today > stands_until(certification.certified_on):
        flags.append(CertificationFlag.EXPIRED)
    if framework is not None:
        if framework.published_at > certification.published_at:
            flags.append(CertificationFlag.SUPERSEDED)
        elif certification.framework_version not in (None, framework.version):
            flags.append(CertificationFlag.OTHER_VERSION)
    return flags
