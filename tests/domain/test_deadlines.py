"""Deadline arithmetic as the law counts it: elapsed hours across DST changes, calendar days into the next month,
month ends, and the same instant read in two laws' time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from candor.domain.deadlines import add_months, add_period, end_of_day, hours_after, local_day, recurrence_due
from candor.domain.regimes import Period

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BRUSSELS = ZoneInfo("Europe/Brussels")


def period(amount: int, unit: str) -> Period:
    return Period.model_validate({"amount": amount, "unit": unit})


def test_a_72_hour_clock_across_the_march_dst_change_loses_no_hour() -> None:
    # Clocks go forward at 02:00 on Sunday 14 March 2027: 72 elapsed hours read as 73 on the wall clock.
    discovered = datetime(2027, 3, 13, 10, 0, tzinfo=NEW_YORK)
    due = hours_after(discovered, period(72, "hours"), NEW_YORK)
    assert (due.year, due.month, due.day, due.hour, due.minute) == (2027, 3, 16, 11, 0)
    assert due.utcoffset() == timedelta(hours=-4)
    assert due.astimezone(UTC) - discovered.astimezone(UTC) == timedelta(hours=72)


def test_a_72_hour_clock_across_the_november_dst_change_gains_no_hour() -> None:
    # Clocks go back at 02:00 on Sunday 7 November 2027: 72 elapsed hours read as 71 on the wall clock.
    discovered = datetime(2027, 11, 6, 10, 0, tzinfo=NEW_YORK)
    due = hours_after(discovered, period(72, "hours"), NEW_YORK)
    assert (due.month, due.day, due.hour) == (11, 9, 9)
    assert due.utcoffset() == timedelta(hours=-5)
    assert due.astimezone(UTC) - discovered.astimezone(UTC) == timedelta(hours=72)


def test_a_24_hour_clock_given_in_utc_is_shown_in_the_laws_zone() -> None:
    discovered = datetime(2027, 3, 14, 7, 30, tzinfo=UTC)  # 23:30 on 13 March in Los Angeles, still PST
    due = hours_after(discovered, period(24, "hours"), LOS_ANGELES)
    assert due.tzinfo == LOS_ANGELES
    assert (due.day, due.hour, due.minute) == (15, 0, 30)  # PDT by then: 25 wall-clock hours later
    assert due.astimezone(UTC) == datetime(2027, 3, 15, 7, 30, tzinfo=UTC)


def test_a_15_day_clock_ends_in_the_next_month_on_the_day_the_laws_zone_says() -> None:
    # One instant: still 20 January in Los Angeles, already 21 January in Brussels.
    discovered = datetime(2027, 1, 21, 7, 30, tzinfo=UTC)
    la_day, brussels_day = local_day(discovered, LOS_ANGELES), local_day(discovered, BRUSSELS)
    assert (la_day, brussels_day) == (date(2027, 1, 20), date(2027, 1, 21))
    # The trigger's own day is excluded and the last included: 15 days from 20 January end with 4 February.
    assert add_period(la_day, period(15, "days")) == date(2027, 2, 4)
    assert add_period(brussels_day, period(15, "days")) == date(2027, 2, 5)


def test_a_day_deadline_ends_at_local_midnight_whatever_the_offset() -> None:
    assert end_of_day(date(2027, 3, 13), NEW_YORK) == datetime(2027, 3, 14, 5, 0, tzinfo=UTC)
    assert end_of_day(date(2027, 3, 14), NEW_YORK) == datetime(2027, 3, 15, 4, 0, tzinfo=UTC)


def test_month_ends_fall_back_to_the_last_day_of_a_shorter_month() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_period(date(2028, 2, 29), period(1, "years")) == date(2029, 2, 28)


def test_a_recurrence_counts_from_the_first_due_day_so_month_ends_do_not_drift() -> None:
    monthly, quarterly = period(1, "months"), period(3, "months")
    assert [recurrence_due(date(2027, 1, 31), monthly, n) for n in range(3)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]
    assert recurrence_due(date(2026, 11, 30), quarterly, 2) == date(2027, 5, 30)
    assert recurrence_due(date(2027, 1, 1), period(2, "years"), 1) == date(2029, 1, 1)


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.sampled_from([UTC, NEW_YORK])
    ),
    hours=st.integers(min_value=0, max_value=24 * 400),
    zone=st.sampled_from([NEW_YORK, LOS_ANGELES, BRUSSELS, ZoneInfo("UTC")]),
)
def test_an_hour_clock_is_always_exactly_that_many_elapsed_hours(moment: datetime, hours: int, zone: ZoneInfo) -> None:
    due = hours_after(moment, period(hours, "hours"), zone)
    assert due.astimezone(UTC) - moment.astimezone(UTC) == timedelta(hours=hours)
    assert due.tzinfo == zone
