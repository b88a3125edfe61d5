"""When a self-certification lapses: twelve months to the day, and no newer framework."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from candor.domain.certification_standing import (
    CertificationFlag,
    CertifiedFacts,
    CurrentFramework,
    certification_flags,
    months_after,
    stands_until,
)

PUBLISHED = datetime(2026, 7, 21, 9, 30, tzinfo=UTC)
FRAMEWORK = CurrentFramework("2.0", datetime(2026, 1, 12, 11, 20, tzinfo=UTC))


def certified(on: date = date(2026, 7, 20), version: str | None = "2.0") -> CertifiedFacts:
    return CertifiedFacts(certified_on=on, published_at=PUBLISHED, framework_version=version)


def test_a_recent_certification_of_the_current_framework_stands() -> None:
    assert certification_flags(certified(), FRAMEWORK, date(2026, 11, 27)) == []


def test_no_certification_is_flagged_missing() -> None:
    assert certification_flags(None, FRAMEWORK, date(2026, 11, 27)) == [CertificationFlag.MISSING]
    assert certification_flags(None, None, date(2026, 11, 27)) == [CertificationFlag.MISSING]


def test_exactly_twelve_months_old_still_stands_and_a_day_more_lapses() -> None:
    assert certification_flags(certified(), FRAMEWORK, date(2027, 7, 20)) == []
    assert certification_flags(certified(), FRAMEWORK, date(2027, 7, 21)) == [CertificationFlag.EXPIRED]


@pytest.mark.parametrize(
    ("certified_on", "last_day"),
    [
        (date(2024, 2, 29), date(2025, 2, 28)),  # no 29 February next year: the month's last day
        (date(2025, 3, 31), date(2026, 3, 31)),
        (date(2025, 12, 31), date(2026, 12, 31)),
        (date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_twelve_months_later_is_the_same_day_or_the_months_last(certified_on: date, last_day: date) -> None:
    assert stands_until(certified_on) == last_day
    assert certification_flags(certified(certified_on), FRAMEWORK, last_day) == []
    assert CertificationFlag.EXPIRED in certification_flags(
        certified(certified_on), FRAMEWORK, date.fromordinal(last_day.toordinal() + 1)
    )


def test_months_after_crosses_years_and_clamps_short_months() -> None:
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_after(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert months_after(date(2026, 5, 15), 24) == date(2028, 5, 15)


def test_a_framework_published_after_the_certification_lapses_it() -> None:
    newer = CurrentFramework("3.0", datetime(2026, 9, 1, tzinfo=UTC))
    assert certification_flags(certified(), newer, date(2026, 11, 27)) == [CertificationFlag.SUPERSEDED]


def test_a_framework_published_a_moment_before_the_certification_does_not() -> None:
    just_before = CurrentFramework("2.0", datetime(2026, 7, 21, 9, 29, 59, tzinfo=UTC))
    assert certification_flags(certified(), just_before, date(2026, 11, 27)) == []


def test_a_late_certification_of_an_older_framework_is_flagged() -> None:
    current = CurrentFramework("3.0", datetime(2026, 6, 1, tzinfo=UTC))
    assert certification_flags(certified(version="2.0"), current, date(2026, 11, 27)) == [
        CertificationFlag.OTHER_VERSION
    ]


def test_an_unreadable_certification_is_judged_by_its_dates_alone() -> None:
    assert certification_flags(certified(version=None), FRAMEWORK, date(2026, 11, 27)) == []


def test_old_and_superseded_reports_both() -> None:
    newer = CurrentFramework("3.0", datetime(2027, 1, 1, tzinfo=UTC))
    assert certification_flags(certified(), newer, date(2028, 1, 1)) == [
        CertificationFlag.EXPIRED,
        CertificationFlag.SUPERSEDED,
    ]
