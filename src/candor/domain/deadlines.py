"""Deadlines counted as the law counts them: the one implementation of deadline arithmetic.

Days are calendar days, counted from the day after the trigger (the trigger's own day is excluded and the last
day included, as California's Civ. Proc. Code §12 and New York's Gen. Constr. Law §20 count them): a deadline of
15 days from 20 January ends at the end of 4 February. Months and years run to the same day of the month, or to
the last day of a shorter month. Hours are elapsed time: 72 hours from a discovery on the Saturday before the US
clocks go forward end at the same instant 72 real hours later, which on the wall clock reads one hour later.

A day deadline ends at midnight at the end of its last day in the law's own time zone; an hour deadline is an
instant, shown in that zone. Neither is moved off a weekend or holiday: the day shown is never later than the
legal one.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from candor.domain.regimes import Period


def add_period(start: date, period: Period) -> date:
    """``start`` plus ``period`` in calendar terms: days as calendar days, hours rounded up to whole days (when
    only the trigger's day is known), months and years to the same day of the month, or the last day of a
    shorter month."""
    if period.unit == "days":
        return start + timedelta(days=period.amount)
    if period.unit == "hours":
        return start + timedelta(days=-(-period.amount // 24))
    return add_months(start, period.amount * (12 if period.unit == "years" else 1))


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole calendar months, to the last day of a shorter month (31 January + 1 = 28 or 29
    February)."""
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def recurrence_due(first: date, recurrence: Period, occurrence: int) -> date:
    """The due day of the ``occurrence``-th time (0 for the first) of a duty that recurs every ``recurrence``.

    Each occurrence is counted from the first, not from the one before, so a duty first due on 31 January and
    due monthly falls on 28 February and then 31 March, not 28 March.
    """
    return add_period(first, Period(amount=recurrence.amount * occurrence, unit=recurrence.unit))


def hours_after(moment: datetime, period: Period, zone: ZoneInfo) -> datetime:
    """The instant ``period`` (in hours) after ``moment``, as elapsed time, expressed in ``zone``."""
    if period.unit != "hours":
        raise ValueError(f"hours_after needs a period in hours, not {period}")
    if moment.tzinfo is None:
        raise ValueError("a moment needs a time zone or an offset")
    # Arithmetic in UTC is elapsed time; arithmetic on a zoned wall clock would silently gain or lose the DST hour.
    return (moment.astimezone(UTC) + timedelta(hours=period.amount)).astimezone(zone)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day on which ``moment`` falls in ``zone``."""
    return moment.astimezone(zone).date()


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The instant a day deadline ends: midnight at the end of ``day`` in ``zone``."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone)
