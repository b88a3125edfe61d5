"""Report clocks: the whistleblower's service clocks and the statutory incident deadlines, across zones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from candor.domain.regimes import load_regimes
from candor.domain.report_workflow import (
    ReportState,
    WhistleblowerProgress,
    WorkflowError,
    check_transition,
    incident_dues,
    whistleblower_dues,
)

LA = ZoneInfo("America/Los_Angeles")
REGIMES = load_regimes()


def test_states_only_move_forward() -> None:
    check_transition(ReportState.RECEIVED, ReportState.ASSESSING)
    for current, new in (
        (ReportState.ASSESSING, ReportState.ACKNOWLEDGED),
        (ReportState.CONCLUDED, ReportState.CONCLUDED),
    ):
        with pytest.raises(WorkflowError):
            check_transition(current, new)


def test_a_new_whistleblower_report_is_due_an_acknowledgement_in_7_days_and_feedback_in_3_months() -> None:
    progress = WhistleblowerProgress(received_on=date(2027, 1, 31))
    dues = {due.id: due for due in whistleblower_dues(progress, datetime(2027, 2, 1, tzinfo=UTC), LA)}
    assert dues["acknowledge"].due == datetime(2027, 2, 8, tzinfo=LA)  # the end of 7 February, Pacific time
    assert dues["status-update"].due == datetime(2027, 3, 1, tzinfo=LA)  # 28 February, the end of a short month
    assert dues["feedback"].due == datetime(2027, 5, 1, tzinfo=LA)
    assert not any(due.overdue(datetime(2027, 2, 1, tzinfo=UTC)) for due in dues.values())
    late = {
        due.id
        for due in whistleblower_dues(progress, datetime(2027, 2, 9, tzinfo=UTC), LA)
        if due.overdue(datetime(2027, 2, 9, tzinfo=UTC))
    }
    assert late == {"acknowledge"}


def test_monthly_updates_move_the_next_one_a_month_on_and_a_missed_month_stays_overdue() -> None:
    now = datetime(2027, 4, 20, tzinfo=UTC)
    kept = WhistleblowerProgress(
        date(2027, 1, 10), date(2027, 1, 12), (date(2027, 2, 5), date(2027, 3, 9), date(2027, 4, 1))
    )
    (update,) = [due for due in whistleblower_dues(kept, now, LA) if due.id == "status-update"]
    assert update.due == datetime(2027, 5, 11, tzinfo=LA)
    assert not update.overdue(now)
    missed = WhistleblowerProgress(date(2027, 1, 10), date(2027, 1, 12), (date(2027, 2, 5),))
    (update,) = [due for due in whistleblower_dues(missed, now, LA) if due.id == "status-update"]
    assert update.due == datetime(2027, 3, 11, tzinfo=LA)
    assert update.overdue(now)


def test_sb53_15_days_and_24_hours_count_in_californias_zone() -> None:
    found = datetime(2027, 3, 13, 23, 30, tzinfo=LA)  # the night before the clocks go forward
    dues = incident_dues(
        found,
        ["ca-sb53/critical-safety-incident-report", "ca-sb53/imminent-risk-incident-report"],
        REGIMES,
        reported_on=None,
    )
    fifteen, day = dues
    assert fifteen.due == datetime(2027, 3, 29, tzinfo=LA)
    # 24 elapsed hours across the DST change read 00:30 on the wall clock, not 23:30.
    assert day.due == found.astimezone(UTC) + timedelta(hours=24)
    assert day.due.astimezone(LA).hour == 0
    assert "22757.13" in fifteen.citation.pinpoint


def test_new_yorks_72_hours_from_2027_and_an_unknown_obligation_is_refused() -> None:
    found = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
    (due,) = incident_dues(found, ["ny-raise/critical-safety-incident-report"], REGIMES, reported_on=date(2027, 6, 5))
    assert due.due == found + timedelta(hours=72)
    assert "1422(3)(a)" in due.citation.pinpoint
    assert due.late
    with pytest.raises(WorkflowError):
        incident_dues(found, ["ca-sb53/no-such-duty"], REGIMES, reported_on=None)
    with pytest.raises(WorkflowError):
        incident_dues(found.replace(tzinfo=None), ["ca-sb53/critical-safety-incident-report"], REGIMES, None)
